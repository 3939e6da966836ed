/**
 * The four BullMQ queues (sync, evaluate, apply, notify) and the intake of change events: an event is
 * queued once (a Redis SET NX dedupe key per event, kept 48 h because vendors redeliver for 24 h) and
 * the caller acknowledges the vendor only after the job is in Redis. Job ids are derived from event
 * and action ids, so adding the same job again is a no-op.
 */
import { createHash } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type IORedis from 'ioredis';
import type { ChangeEvent } from '../model';
import { closeRedis, createRedis, DEFAULT_REDIS_URL, assertRedisReachable, waitReady } from './redis';
import { QUEUE_NAMES, type ApplyJob, type EvaluateJob, type NotifyJob, type SyncJob } from './types';

export const DEFAULT_PREFIX = 'gdpr-crm';
/** Vendors redeliver for up to 24 h (HubSpot, Salesforce); keep dedupe keys twice that. */
export const DEDUPE_TTL_SECONDS = 48 * 3600;

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 2000 },
  // Completed jobs stay a week (their ids keep re-adds no-ops); failed jobs stay until someone looks.
  removeOnComplete: { age: 7 * 24 * 3600, count: 50_000 },
  removeOnFail: false,
};

export interface QueueSet {
  prefix: string;
  /** Fail-fast command connection (dedupe keys, readiness). */
  redis: IORedis;
  sync: Queue<SyncJob>;
  evaluate: Queue<EvaluateJob>;
  apply: Queue<ApplyJob>;
  notify: Queue<NotifyJob>;
  close(): Promise<void>;
}

export interface OpenQueuesOptions {
  redisUrl?: string;
  /** Redis key prefix for every queue and key (tests use a unique one per run). */
  prefix?: string;
  jobOptions?: JobsOptions;
}

export async function openQueues(opts: OpenQueuesOptions = {}): Promise<QueueSet> {
  const url = opts.redisUrl ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  await assertRedisReachable(url);
  const redis = createRedis(url, 'client');
  await waitReady(redis);
  const defaultJobOptions = { ...DEFAULT_JOB_OPTIONS, ...opts.jobOptions };
  // Without a listener an 'error' (Redis gone) is thrown as an unhandled event; one line each is enough,
  // the webhook route answers 503 on its own failed add and ioredis reconnects.
  const make = <T>(name: string) => {
    const q = new Queue<T>(name, { connection: redis, prefix, defaultJobOptions });
    q.on('error', (e: Error) => process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), event: 'queue.error', queue: name, error: e.message.split('\n')[0] })}\n`));
    return q;
  };
  const qs: QueueSet = {
    prefix,
    redis,
    sync: make<SyncJob>(QUEUE_NAMES.sync),
    evaluate: make<EvaluateJob>(QUEUE_NAMES.evaluate),
    apply: make<ApplyJob>(QUEUE_NAMES.apply),
    notify: make<NotifyJob>(QUEUE_NAMES.notify),
    async close() {
      await Promise.allSettled([qs.sync.close(), qs.evaluate.close(), qs.apply.close(), qs.notify.close()]);
      await closeRedis(redis);
    },
  };
  return qs;
}

const h = (s: string, n = 32) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** BullMQ job ids may not contain ':' or be integers: hash what identifies the job. */
export const jobIds = {
  evaluate: (e: ChangeEvent) => `evt-${h(`${e.vendor}|${e.vendorAccountId}|${e.eventId}`)}`,
  apply: (portalId: string, actionIds: readonly string[]) => `apply-${h(`${portalId}|${[...actionIds].sort().join(',')}`)}`,
  /** One import-triggered incremental scan per portal per 5 minutes. */
  importSync: (portalId: string, now: number) => `sync-import-${h(portalId, 16)}-${Math.floor(now / 300_000)}`,
};

export function dedupeKey(prefix: string, e: ChangeEvent): string {
  return `${prefix}:dedupe:${h(`${e.vendor}|${e.vendorAccountId}|${e.eventId}`)}`;
}

export interface IntakeResult {
  queued: number;
  duplicates: number;
  importSyncQueued: boolean;
}

/**
 * Queues one evaluate job per new event. Resolves only when the jobs are in Redis; rejects when
 * Redis is unavailable (the caller answers 503 and the vendor redelivers). A dedupe key is 'p' until
 * its job is added and 'q' after: a delivery whose earlier attempt died in between is re-added
 * (the derived job id keeps that a no-op when the job did get in).
 */
export async function intakeEvents(qs: QueueSet, portalId: string, events: readonly ChangeEvent[], opts: { importSeen?: boolean; now?: number } = {}): Promise<IntakeResult> {
  const result: IntakeResult = { queued: 0, duplicates: 0, importSyncQueued: false };
  if (opts.importSeen) {
    // Bulk imports are not re-checked one by one; one incremental scan (after the import settles) sees them.
    const now = opts.now ?? Date.now();
    await qs.sync.add('sync', { portalId, mode: 'incremental' }, { jobId: jobIds.importSync(portalId, now), delay: 120_000 });
    result.importSyncQueued = true;
  }
  // The same event twice in one delivery counts as a duplicate, not as a retry of a pending one.
  const unique = new Map<string, ChangeEvent>();
  for (const e of events) {
    const k = dedupeKey(qs.prefix, e);
    if (unique.has(k)) result.duplicates++;
    else unique.set(k, e);
  }
  if (unique.size === 0) return result;
  const keys = [...unique.keys()];
  events = [...unique.values()];
  const setReplies = await qs.redis.pipeline(keys.map((k) => ['set', k, 'p', 'EX', DEDUPE_TTL_SECONDS, 'NX'])).exec();
  if (!setReplies) throw new Error('redis pipeline aborted');
  const fresh: number[] = [];
  const seen: number[] = [];
  setReplies.forEach(([err, reply], i) => {
    if (err) throw err;
    (reply === 'OK' ? fresh : seen).push(i);
  });
  const retry: number[] = [];
  if (seen.length > 0) {
    const states = await qs.redis.mget(seen.map((i) => keys[i]!));
    seen.forEach((i, j) => (states[j] === 'p' ? retry.push(i) : result.duplicates++));
  }
  const toAdd = [...fresh, ...retry].sort((a, b) => a - b);
  if (toAdd.length === 0) return result;
  try {
    await qs.evaluate.addBulk(
      toAdd.map((i) => {
        const event = events[i]!;
        return { name: 'check', data: { portalId, event }, opts: { jobId: jobIds.evaluate(event) } };
      }),
    );
  } catch (e) {
    await qs.redis.del(...fresh.map((i) => keys[i]!)).catch(() => undefined);
    throw e;
  }
  result.queued = toAdd.length;
  await qs.redis
    .pipeline(toAdd.map((i) => ['set', keys[i]!, 'q', 'XX', 'KEEPTTL']))
    .exec()
    .catch(() => undefined);
  return result;
}
