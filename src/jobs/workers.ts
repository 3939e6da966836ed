/**
 * Workers for the four queues. Each job is validated, given its portal's shared RateBudget and handed
 * to the pipeline; the runtime decides nothing about contacts. Retries back off exponentially; failed
 * jobs are kept. A job that must wait long for its budget (a daily quota, an hours-long 477) is parked
 * as delayed instead of holding a worker. Shutdown lets in-flight jobs finish for `graceMs`, then
 * returns the rest to the queue (moved back to delayed, no attempt used) so another worker takes them.
 */
import { DelayedError, Worker, type Job, type Processor } from 'bullmq';
import type IORedis from 'ioredis';
import type { RateBudget } from '../../connectors/types';
import { defaultBudgetLimits, vendorOfPortal } from './limits';
import { openQueues, jobIds, DEFAULT_PREFIX, type QueueSet } from './queues';
import { BudgetWaitTooLong, createRedisRateBudget, type BudgetLimits } from './rate-budget';
import { closeRedis, createRedis, DEFAULT_REDIS_URL, waitReady } from './redis';
import { syncPortalSchedules } from './schedules';
import {
  ApplyJob,
  EvaluateJob,
  NotifyJob,
  QUEUE_NAMES,
  stderrLogger,
  SyncJob,
  type Logger,
  type PipelineHandlers,
  type QueueName,
} from './types';

export interface StartWorkersOptions {
  handlers: PipelineHandlers;
  redisUrl?: string;
  prefix?: string;
  /** Which queues this process works (default all four). */
  queues?: QueueName[];
  /** Jobs in flight per queue in this process (default: sync 1, evaluate 8, apply 2, notify 2). */
  concurrency?: Partial<Record<QueueName, number>>;
  /** Budget per portal (default by vendor: connectors' limit tables). */
  limitsFor?: (portalId: string) => BudgetLimits;
  /** How long shutdown waits for in-flight jobs before returning them to the queue (default 20 s). */
  graceMs?: number;
  /** Lock and stall detection: how soon a job of a dead worker is picked up again (default 30 s / 30 s). */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Upsert each portal's job schedulers from handlers.listPortals() at start. */
  schedules?: boolean;
  /** Delivers a digest (email-ready text) — e.g. postDigestWebhook(url) for Slack/Teams. */
  deliverDigest?: (portalId: string, text: string) => Promise<void>;
  logger?: Logger;
}

export interface WorkerRuntime {
  queues: QueueSet;
  workers: Worker[];
  /** The budget this process uses for a portal (shared with every other process through Redis). */
  budgetFor(portalId: string): RateBudget;
  close(): Promise<void>;
}

const DEFAULT_CONCURRENCY: Record<QueueName, number> = { sync: 1, evaluate: 8, apply: 2, notify: 2 };

class ShutdownAbort extends Error {}

/** Runs `work`, but gives up waiting for it when the job is cancelled (shutdown past its grace). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new ShutdownAbort());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ShutdownAbort());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export async function startWorkers(opts: StartWorkersOptions): Promise<WorkerRuntime> {
  const url = opts.redisUrl ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const log = opts.logger ?? stderrLogger;
  const { handlers } = opts;
  const queues = await openQueues({ redisUrl: url, prefix });
  // Budgets keep working through short Redis outages (commands queue while reconnecting).
  const budgetRedis = createRedis(url, 'worker');
  await waitReady(budgetRedis);
  const budgets = new Map<string, RateBudget>();
  const budgetFor = (portalId: string): RateBudget => {
    let b = budgets.get(portalId);
    if (!b) {
      const limits = opts.limitsFor ? opts.limitsFor(portalId) : defaultBudgetLimits(vendorOfPortal(portalId));
      b = createRedisRateBudget(budgetRedis, portalId, limits, { keyPrefix: prefix });
      budgets.set(portalId, b);
    }
    return b;
  };

  const wrap = <T>(queue: QueueName, parse: (d: unknown) => T, run: (data: T, job: Job) => Promise<Record<string, unknown>>): Processor => {
    return async (job, token, signal) => {
      const data = parse(job.data);
      const started = Date.now();
      try {
        const result = await raceAbort(run(data, job), signal);
        log('job.done', { queue, jobId: job.id, portalId: (data as { portalId?: string }).portalId, ms: Date.now() - started });
        return result;
      } catch (e) {
        if (e instanceof BudgetWaitTooLong || e instanceof ShutdownAbort) {
          const delay = e instanceof BudgetWaitTooLong ? e.retryAfterMs : 0;
          log(e instanceof ShutdownAbort ? 'job.returned' : 'job.parked', { queue, jobId: job.id, delayMs: delay });
          await job.moveToDelayed(Date.now() + delay, token);
          throw new DelayedError();
        }
        // Error messages from connectors carry categories and ids, not values.
        log('job.error', { queue, jobId: job.id, attempt: job.attemptsMade + 1, error: (e as Error).name, message: (e as Error).message.slice(0, 300) });
        throw e;
      }
    };
  };

  const processors: Record<QueueName, Processor> = {
    sync: wrap('sync', (d) => SyncJob.parse(d), async (d) => handlers.syncPortal(d.portalId, d.mode, budgetFor(d.portalId))),
    evaluate: wrap('evaluate', (d) => EvaluateJob.parse(d), async (d) => {
      const r = await handlers.checkContact(d.portalId, d.event.objectId, d.event, budgetFor(d.portalId));
      const due = r.dueActionIds ?? [];
      if (due.length > 0) {
        await queues.apply.add('apply', { portalId: d.portalId, actionIds: due }, { jobId: jobIds.apply(d.portalId, due) });
      }
      return { findings: r.findings, dueActions: due.length };
    }),
    apply: wrap('apply', (d) => ApplyJob.parse(d), async (d) => handlers.applyDue(d.portalId, budgetFor(d.portalId), { actionIds: d.actionIds })),
    notify: wrap('notify', (d) => NotifyJob.parse(d), async (d) => {
      const { text } = await handlers.digest(d.portalId);
      if (opts.deliverDigest && text.trim().length > 0) await opts.deliverDigest(d.portalId, text);
      return { chars: text.length, delivered: Boolean(opts.deliverDigest) };
    }),
  };

  const names = opts.queues ?? (Object.keys(QUEUE_NAMES) as QueueName[]);
  const connections: IORedis[] = [];
  const workers = names.map((name) => {
    const connection = createRedis(url, 'worker');
    connections.push(connection);
    const w = new Worker(QUEUE_NAMES[name], processors[name], {
      connection,
      prefix,
      concurrency: opts.concurrency?.[name] ?? DEFAULT_CONCURRENCY[name],
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      maxStalledCount: 2,
    });
    w.on('error', (e) => log('worker.error', { queue: name, error: e.name, message: e.message.slice(0, 200) }));
    w.on('failed', (job, e) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) log('job.failed', { queue: name, jobId: job.id, attempts: job.attemptsMade, error: e.name });
    });
    return w;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  if (opts.schedules && handlers.listPortals) {
    const portals = await handlers.listPortals();
    for (const p of portals) await syncPortalSchedules(queues, p.portalId, p.schedule);
    log('schedules.synced', { portals: portals.length });
  }

  let closing: Promise<void> | null = null;
  return {
    queues,
    workers,
    budgetFor,
    close() {
      closing ??= (async () => {
        const grace = opts.graceMs ?? 20_000;
        const timer = setTimeout(() => {
          for (const w of workers) w.cancelAllJobs('shutdown');
        }, grace);
        await Promise.allSettled(workers.map((w) => w.close()));
        clearTimeout(timer);
        await queues.close();
        await Promise.allSettled([...connections, budgetRedis].map((c) => closeRedis(c)));
      })();
      return closing;
    },
  };
}
