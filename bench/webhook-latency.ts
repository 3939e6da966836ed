/**
 * Benchmark: our own latency from webhook receipt to durable enqueue, and from receipt to the
 * write-back request reaching the CRM, at a steady webhook rate (default 50 events/s for 10 s).
 *
 * Two processes, as in production:
 * - this one runs the runtime as `gdpr-crm serve --workers` does: the express webhook app, the BullMQ
 *   workers on the real Redis, the real pipeline handlers and an embedded PGlite store;
 * - a forked "vendor" process runs the HubSpot sandbox (latency 0, no rate limits: we measure our own
 *   overhead, not HubSpot's pacing) and plays HubSpot: each tick a person creates a contact with a BSN
 *   in a note, and a signed v3 webhook for it is POSTed to us.
 * Receipt is the moment our HTTP server sees the request; enqueue is when the 200 (sent only after the
 * job is in Redis) leaves; write-back is when the sandbox handles the first write for that contact
 * (the cleanup task or the status). Times are epoch high-resolution clocks of the two processes.
 *
 *   npx tsx bench/webhook-latency.ts [--rate N] [--seconds N] [--warmup N] [--store pglite|postgres|both] [--worker-processes N]
 *     [--pglite-thread worker|main] [--pglite-memory]
 * (default both stores; PostgreSQL at DATABASE_URL or postgres://postgres@127.0.0.1:5432/test, skipped when unreachable)
 * PGlite as `gdpr-crm serve` opens it: on disk (a temporary data directory) in a worker thread of its own;
 * `--pglite-thread main` runs it on the server's thread instead (as before), `--pglite-memory` in memory.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { createConnector } from '../connectors';
import { noteHtml, startHubSpotSandbox } from '../connectors/hubspot/sandbox';
import { createMemoryRateBudget } from '../connectors/memory-rate-budget';
import type { RateBudget } from '../connectors/types';
import { openQueues } from '../src/jobs/queues';
import { assertRedisReachable, DEFAULT_REDIS_URL, deletePrefix } from '../src/jobs/redis';
import { silentLogger, type Logger, type PipelineHandlers } from '../src/jobs/types';
import { startWorkers } from '../src/jobs/workers';
import type { Portal } from '../src/model';
import { runScan } from '../src/pipeline/scan';
import { compilePolicy } from '../src/policy/compile';
import { loadPolicy } from '../src/policy/load';
import { createPipelineHandlers, RUNTIME_CONCURRENCY } from '../src/runtime/pipeline-handlers';
import { createApp } from '../src/server/app';
import { openStore, PGliteThread, type Store } from '../src/store';

const TOKEN = 'bench-latency-token';
const SECRET = 'bench-latency-app-secret';
/** Passes the elfproef, so the detector reports it. */
const BSN = '111222333';
const now = () => performance.timeOrigin + performance.now();
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface WebhookLatencyOptions {
  /** Webhook events per second (default 50). */
  rate?: number;
  /** Measured seconds (default 10). */
  seconds?: number;
  /** Seconds at the same rate before measuring (JIT, connections, caches; default 2). */
  warmupSeconds?: number;
  redisUrl?: string;
  /**
   * The store: the embedded PGlite (default) or PostgreSQL at `databaseUrl` (a fresh schema, dropped
   * afterwards). PGlite runs its queries on this process's thread; PostgreSQL in its own process.
   */
  store?: 'pglite' | 'postgres';
  databaseUrl?: string;
  /** PGlite: in a worker thread (default, as `gdpr-crm serve`) or on the server's thread. */
  pgliteThread?: 'worker' | 'main';
  /** PGlite in memory instead of on disk in a temporary data directory (the default, as `serve`). */
  pgliteMemory?: boolean;
  /**
   * 0 (default): the workers run in the webhook server's process, as `gdpr-crm serve --workers`.
   * N > 0: N separate worker processes (`gdpr-crm serve` plus worker services; PostgreSQL only).
   */
  workerProcesses?: number;
  /** Print the table (default true). */
  print?: boolean;
}

export interface LatencyStats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface WebhookLatencyFigures {
  store: 'pglite' | 'postgres';
  /** PGlite only: where its statements ran and where its database was. */
  pglite?: { thread: 'worker' | 'main'; memory: boolean };
  workerProcesses: number;
  rate: number;
  seconds: number;
  events: number;
  /** Deliveries answered 200. */
  acknowledged: number;
  /** Measured events whose write-back reached the sandbox. */
  writtenBack: number;
  failedJobs: number;
  receiptToEnqueue: LatencyStats;
  receiptToWriteBack: LatencyStats;
  /** Mean requests the sandbox handled per event (reads and writes). */
  vendorRequestsPerEvent: number;
  /** CPU time of the server process per event (with the workers when they run in it). */
  runtimeCpuMsPerEvent: number;
  /**
   * The server's main thread (webhooks, and the workers when they run in it) while measuring: share of
   * the time it was busy, and how late its event loop ran timers (p50/p99/max ms): what a webhook waits for.
   */
  mainThread: { utilisation: number; loopDelayP50Ms: number; loopDelayP99Ms: number; loopDelayMaxMs: number };
  /** Webhook events per check batch and apply jobs per apply batch (workers in the server process only). */
  batches?: { check: BatchStats; apply: BatchStats };
  /** BullMQ queue wait and run time per queue. */
  jobs: Record<string, { jobs: number; meanWaitMs: number; meanRunMs: number }>;
  /**
   * PGlite only: statements (transaction begin/commit included) and milliseconds per event from sending a
   * statement to its result (on the main thread: time inside PGlite; in a worker thread: the round trip),
   * with the statement kinds that cost most (BENCH_STORE_PROFILE=1).
   */
  storeProfile?: { queriesPerEvent: number; msPerEvent: number; top: { kind: string; perEvent: number; msPerEvent: number }[] };
  goals: { enqueueP95Ms: number; writeBackP95Ms: number; enqueueMet: boolean; writeBackMet: boolean };
}

export interface BatchStats {
  batches: number;
  mean: number;
  max: number;
}

function batchStats(sizes: number[]): BatchStats {
  const total = sizes.reduce((a, b) => a + b, 0);
  return { batches: sizes.length, mean: sizes.length ? Math.round((total / sizes.length) * 100) / 100 : 0, max: Math.max(0, ...sizes) };
}

function stats(values: number[]): LatencyStats {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(q(50)), p95: r(q(95)), p99: r(q(99)), max: r(s[s.length - 1] ?? NaN) };
}

// ---- the vendor process ------------------------------------------------------------------------------

interface StartMsg {
  type: 'start';
  webhookUrl: string;
  rate: number;
  total: number;
  warmup: number;
}
interface EventRecord {
  contactId: string;
  warmup: boolean;
  status: number;
}
interface ResultMsg {
  type: 'result';
  events: EventRecord[];
  writes: Record<string, number>;
  requests: number;
  requestsBefore: number;
}

async function vendorMain(): Promise<void> {
  const sb = await startHubSpotSandbox({ accessToken: TOKEN, limits: false, latencyMs: 0 });
  const writes: Record<string, number> = {};
  const mark = (contactId: string) => {
    writes[contactId] ??= now();
  };
  // The first write for a contact: its task (created with its association) or our status properties.
  const state = sb.state;
  const associate = state.associate.bind(state);
  state.associate = (fromType, fromId, toType, toId, silent) => {
    if (fromType === 'tasks' && toType === 'contacts') mark(toId);
    associate(fromType, fromId, toType, toId, silent);
  };
  const update = state.update.bind(state);
  state.update = (type, rec, values) => {
    if (type === 'contacts' && 'gdpr_status' in values) mark(rec.id);
    update(type, rec, values);
  };
  process.send?.({ type: 'ready', url: sb.url, portalId: state.portalId });

  process.on('message', (m: StartMsg | 'stop') => {
    if (m === 'stop') {
      void sb.close().then(() => process.exit(0));
      return;
    }
    void (async () => {
      const requestsBefore = sb.stats.requests;
      const events: EventRecord[] = [];
      const pending: Promise<void>[] = [];
      const interval = 1000 / m.rate;
      const t0 = performance.now();
      for (let i = 0; i < m.total; i++) {
        const wait = t0 + i * interval - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        // A person adds a contact and pastes a BSN into a note; HubSpot then tells us.
        const c = state.insert('contacts', { email: `bench.${i}@example.nl`, firstname: 'Bench', lastname: `Person ${i}`, lifecyclestage: 'lead', hubspot_owner_id: state.owners[0]?.id ?? null });
        const n = state.insert('notes', { hs_note_body: noteHtml(`Gebeld, BSN ${BSN} doorgegeven.`), hs_timestamp: state.stamp() });
        state.associate('notes', n.id, 'contacts', c.id);
        const body = JSON.stringify([
          { eventId: 100_000 + i, subscriptionId: 1, portalId: state.portalId, appId: 1, occurredAt: Date.now(), subscriptionType: 'contact.creation', objectId: Number(c.id), attemptNumber: 0 },
        ]);
        const ts = String(Date.now());
        const sig = createHmac('sha256', SECRET).update(`POST${m.webhookUrl}${body}${ts}`).digest('base64');
        const rec: EventRecord = { contactId: c.id, warmup: i < m.warmup, status: 0 };
        events.push(rec);
        pending.push(
          fetch(m.webhookUrl, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts, 'x-bench-contact': c.id },
          }).then(
            async (res) => {
              rec.status = res.status;
              await res.arrayBuffer();
            },
            () => {
              rec.status = -1;
            },
          ),
        );
      }
      await Promise.all(pending);
      const until = performance.now() + 30_000;
      while (performance.now() < until && events.some((e) => e.status === 200 && writes[e.contactId] === undefined)) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const result: ResultMsg = { type: 'result', events, writes, requests: sb.stats.requests, requestsBefore };
      process.send?.(result);
    })();
  });
}

// ---- worker processes (--worker-processes N) ---------------------------------------------------------

interface WorkerEnv {
  sandboxUrl: string;
  databaseUrl: string;
  schema: string;
  masterKey: string;
  prefix: string;
  redisUrl: string;
}

/** The runtime's handlers over a store (the same in the server process and in worker processes). */
function benchHandlers(store: Store, sandboxUrl: string, logger: Logger = silentLogger) {
  const loaded = loadPolicy('avg-default');
  const connectorFor = (portal: Portal, budget: RateBudget) => createConnector({ vendor: 'hubspot', tenantId: portal.tenantId, baseUrl: sandboxUrl, accessToken: TOKEN, budget, options: { anonymiseKey: 'bench' } });
  return createPipelineHandlers({ store, policyFor: () => loaded, connectorFor, actor: 'bench', secretsFor: () => ({ hubspotClientSecret: SECRET }), logger });
}

/** No vendor budget: the sandbox has no limits here and the figure is our own overhead. */
const benchWorkers = (handlers: PipelineHandlers, redisUrl: string, prefix: string) =>
  startWorkers({ handlers, redisUrl, prefix, logger: silentLogger, limitsFor: () => ({}), concurrency: RUNTIME_CONCURRENCY });

async function workerMain(): Promise<void> {
  const w = JSON.parse(process.env.BENCH_WEBHOOK_LATENCY_WORKER ?? '{}') as WorkerEnv;
  const store = await openStore({ databaseUrl: w.databaseUrl, schema: w.schema, dataDir: os.tmpdir(), env: { GDPR_CRM_MASTER_KEY: w.masterKey } });
  const handlers = benchHandlers(store, w.sandboxUrl);
  const rt = await benchWorkers(handlers, w.redisUrl, w.prefix);
  process.on('message', (m) => {
    if (m !== 'stop') return;
    void rt
      .close()
      .then(() => handlers.close())
      .then(() => store.close())
      .finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready' });
}

function forkRole(role: 'vendor' | 'worker', extraEnv: Record<string, string> = {}): ChildProcess {
  return fork(__filename, [], {
    execArgv: ['--require', require.resolve('tsx/cjs')],
    env: { ...process.env, BENCH_WEBHOOK_LATENCY_ROLE: role, ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.send('stop');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  child.kill('SIGKILL');
}

// ---- the runtime process -----------------------------------------------------------------------------

function waitFor<T extends { type: string }>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: T) => {
      if (m.type !== type) return;
      child.off('message', onMsg);
      resolve(m);
    };
    child.on('message', onMsg);
    child.once('exit', (code) => reject(new Error(`a bench process exited (${code}) before '${type}'`)));
  });
}

export async function benchWebhookLatency(opts: WebhookLatencyOptions = {}): Promise<WebhookLatencyFigures> {
  const rate = opts.rate ?? 50;
  const seconds = opts.seconds ?? 10;
  const warmupSeconds = opts.warmupSeconds ?? 2;
  const redisUrl = opts.redisUrl ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const backend = opts.store ?? 'pglite';
  const workerProcesses = opts.workerProcesses ?? 0;
  if (workerProcesses > 0 && backend !== 'postgres') throw new Error('separate worker processes need PostgreSQL (PGlite is one process)');
  await assertRedisReachable(redisUrl);
  const prefix = `bench-latency-${process.pid}-${randomBytes(3).toString('hex')}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };

  try {
    const child = forkRole('vendor');
    cleanups.push(() => stopChild(child));
    const ready = await waitFor<{ type: 'ready'; url: string; portalId: number }>(child, 'ready');

    // The runtime: store, one install scan, handlers, workers, the webhook app.
    const storeEnv = { GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64') };
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
    const pgliteThread = opts.pgliteThread ?? 'worker';
    const pgliteMemory = opts.pgliteMemory ?? false;
    let pglite: PGlite | PGliteThread | null = null;
    if (backend === 'pglite') {
      const dir = pgliteMemory ? undefined : mkdtempSync(path.join(os.tmpdir(), 'bench-latency-pglite-'));
      if (dir) cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      pglite = pgliteThread === 'worker' ? await PGliteThread.open(dir) : await PGlite.create(dir);
    }
    const profile = pglite ? profilePglite(pglite) : null;
    const store = pglite
      ? await openStore({ pglite, dataDir: os.tmpdir(), env: storeEnv })
      : await openStore({ databaseUrl, schema, dataDir: os.tmpdir(), env: storeEnv });
    cleanups.push(async () => {
      if (backend === 'postgres') await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db).catch(() => undefined);
      await store.close();
    });
    const install = createConnector({ vendor: 'hubspot', tenantId: 'bench', baseUrl: ready.url, accessToken: TOKEN, budget: createMemoryRateBudget({}) });
    await runScan({ store, connector: install, policy: compilePolicy(loadPolicy('avg-default').pack), tenantId: 'bench', mode: 'full', now: new Date(), actor: 'bench' });
    // Events per check and per apply batch (the handlers log each batch; in-process workers only).
    const batchSizes = { check: [] as number[], apply: [] as number[] };
    let counting = false;
    const countBatches: Logger = (event, f = {}) => {
      if (!counting) return;
      if (event === 'pipeline.check') batchSizes.check.push(Number(f.events));
      else if (event === 'pipeline.apply' && typeof f.jobs === 'number') batchSizes.apply.push(f.jobs);
    };
    const handlers = benchHandlers(store, ready.url, countBatches);
    cleanups.push(() => handlers.close());
    if (workerProcesses === 0) {
      const workers = await benchWorkers(handlers, redisUrl, prefix);
      cleanups.push(() => workers.close());
    } else {
      const env: WorkerEnv = { sandboxUrl: ready.url, databaseUrl, schema, masterKey: storeEnv.GDPR_CRM_MASTER_KEY, prefix, redisUrl };
      const kids = Array.from({ length: workerProcesses }, () => forkRole('worker', { BENCH_WEBHOOK_LATENCY_WORKER: JSON.stringify(env) }));
      cleanups.push(() => Promise.all(kids.map(stopChild)));
      await Promise.all(kids.map((k) => waitFor(k, 'ready')));
    }
    const queues = await openQueues({ redisUrl, prefix });
    cleanups.push(() => queues.close());
    const app = createApp({ queues, handlers, logger: silentLogger });
    const receipt = new Map<string, number>();
    const acked = new Map<string, number>();
    const server: Server = createServer((req, res) => {
      const t = now();
      const id = req.headers['x-bench-contact'];
      if (typeof id === 'string') {
        receipt.set(id, t);
        if (receipt.size > warmup) counting = true; // batches count from the first measured event
        res.once('finish', () => res.statusCode === 200 && acked.set(id, now()));
      }
      app(req, res);
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
    );
    const webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot`;

    const warmup = Math.round(rate * warmupSeconds);
    const total = warmup + Math.round(rate * seconds);
    const resultP = waitFor<ResultMsg>(child, 'result');
    child.send({ type: 'start', webhookUrl, rate, total, warmup } satisfies StartMsg);
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    profile?.reset();
    const result = await resultP;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    loopDelay.disable();
    const nsToMs = (ns: number) => Math.round(ns / 1e5) / 10;
    const storeFigures = profile?.figures(result.events.length);

    const measured = result.events.filter((e) => !e.warmup);
    const enqueue: number[] = [];
    const writeBack: number[] = [];
    for (const e of measured) {
      const r = receipt.get(e.contactId);
      const a = acked.get(e.contactId);
      const w = result.writes[e.contactId];
      if (r !== undefined && a !== undefined) enqueue.push(a - r);
      if (r !== undefined && w !== undefined) writeBack.push(w - r);
    }
    const failed = (await queues.evaluate.getJobCounts('failed')).failed + (await queues.apply.getJobCounts('failed')).failed;
    // Where the time goes: queue wait and run time per job (BullMQ's own timestamps, any process).
    const jobTimes: Record<string, { n: number; wait: number; run: number }> = {};
    for (const q of [queues.evaluate, queues.apply]) {
      for (const job of await q.getJobs(['completed'], 0, 5000)) {
        if (!job?.processedOn || !job.finishedOn) continue;
        const e = (jobTimes[q.name] ??= { n: 0, wait: 0, run: 0 });
        e.n++;
        e.wait += job.processedOn - job.timestamp;
        e.run += job.finishedOn - job.processedOn;
      }
    }
    const figures: WebhookLatencyFigures = {
      store: backend,
      ...(backend === 'pglite' ? { pglite: { thread: pgliteThread, memory: pgliteMemory } } : {}),
      workerProcesses,
      rate,
      seconds,
      events: measured.length,
      acknowledged: measured.filter((e) => e.status === 200).length,
      writtenBack: writeBack.length,
      failedJobs: failed,
      receiptToEnqueue: stats(enqueue),
      receiptToWriteBack: stats(writeBack),
      vendorRequestsPerEvent: Math.round(((result.requests - result.requestsBefore) / result.events.length) * 10) / 10,
      runtimeCpuMsPerEvent: Math.round(((cpu.user + cpu.system) / 1000 / result.events.length) * 10) / 10,
      mainThread: {
        utilisation: Math.round(elu.utilization * 100) / 100,
        loopDelayP50Ms: nsToMs(loopDelay.percentile(50)),
        loopDelayP99Ms: nsToMs(loopDelay.percentile(99)),
        loopDelayMaxMs: nsToMs(loopDelay.max),
      },
      ...(workerProcesses === 0 ? { batches: { check: batchStats(batchSizes.check), apply: batchStats(batchSizes.apply) } } : {}),
      jobs: Object.fromEntries(Object.entries(jobTimes).map(([q, e]) => [q, { jobs: e.n, meanWaitMs: Math.round(e.wait / e.n), meanRunMs: Math.round(e.run / e.n) }])),
      goals: { enqueueP95Ms: 20, writeBackP95Ms: 200, enqueueMet: false, writeBackMet: false },
      ...(storeFigures ? { storeProfile: storeFigures } : {}),
    };
    figures.goals.enqueueMet = figures.receiptToEnqueue.p95 < 20 && figures.acknowledged === figures.events;
    figures.goals.writeBackMet = figures.receiptToWriteBack.p95 < 200 && figures.writtenBack === figures.events;
    if (opts.print !== false) printFigures(figures);
    return figures;
  } finally {
    await cleanup();
    await deletePrefix(prefix, redisUrl);
  }
}

export function printFigures(f: WebhookLatencyFigures): void {
  const row = (label: string, s: LatencyStats, goal: number, met: boolean) =>
    `${label.padEnd(28)}${String(s.n).padStart(5)}${s.p50.toFixed(1).padStart(9)}${s.p95.toFixed(1).padStart(9)}${s.p99.toFixed(1).padStart(9)}${s.max.toFixed(1).padStart(9)}   p95 < ${goal} ms: ${met ? 'yes' : 'NO'}`;
  console.log(
    [
      `webhook latency, store ${f.store}${f.pglite ? ` (${f.pglite.memory ? 'in memory' : 'on disk'}, ${f.pglite.thread === 'worker' ? 'in a worker thread' : "on the server's thread"})` : ''}, ${f.workerProcesses === 0 ? 'workers in the server process' : `${f.workerProcesses} worker processes`}: ${f.rate} events/s for ${f.seconds} s (HubSpot sandbox, latency 0, no vendor limits; real Redis)`,
      `${'ms'.padEnd(28)}${'n'.padStart(5)}${'p50'.padStart(9)}${'p95'.padStart(9)}${'p99'.padStart(9)}${'max'.padStart(9)}`,
      row('receipt -> durable enqueue', f.receiptToEnqueue, f.goals.enqueueP95Ms, f.goals.enqueueMet),
      row('receipt -> write-back', f.receiptToWriteBack, f.goals.writeBackP95Ms, f.goals.writeBackMet),
      `events ${f.events}, acknowledged ${f.acknowledged}, written back ${f.writtenBack}, failed jobs ${f.failedJobs}; per event: ${f.vendorRequestsPerEvent} vendor requests, ${f.runtimeCpuMsPerEvent} ms CPU in the server process`,
      `server main thread: busy ${Math.round(f.mainThread.utilisation * 100)}% of the time; event loop delay p50 ${f.mainThread.loopDelayP50Ms} ms, p99 ${f.mainThread.loopDelayP99Ms} ms, max ${f.mainThread.loopDelayMaxMs} ms`,
      ...(f.batches ? [`batches: check ${f.batches.check.batches} (mean ${f.batches.check.mean} events, max ${f.batches.check.max}); apply ${f.batches.apply.batches} (mean ${f.batches.apply.mean} jobs, max ${f.batches.apply.max})`] : []),
      `jobs: ${Object.entries(f.jobs).map(([q, j]) => `${q} ${j.jobs} (mean wait ${j.meanWaitMs} ms, run ${j.meanRunMs} ms)`).join('; ')}`,
      ...(f.storeProfile
        ? [
            `store (PGlite, ${f.pglite?.thread === 'worker' ? 'worker thread; ms = round trips' : "on the server's thread"}): ${f.storeProfile.queriesPerEvent} statements and ${f.storeProfile.msPerEvent} ms per event`,
            ...f.storeProfile.top.map((t) => `  ${t.perEvent.toFixed(2).padStart(6)}/event ${t.msPerEvent.toFixed(2).padStart(6)} ms/event  ${t.kind}`),
          ]
        : []),
    ].join('\n'),
  );
}

/**
 * Counts and times every statement PGlite runs (both Kysely drivers send each one, transaction
 * begin and commit included, through query()). Statement kinds: the SQL with its literals and
 * parameter lists folded, so "in ($1, $2)" and "in ($1)" count as one kind.
 */
function profilePglite(pg: PGlite | PGliteThread): { reset(): void; figures(events: number): NonNullable<WebhookLatencyFigures['storeProfile']> } {
  const byKind = new Map<string, { n: number; ms: number }>();
  const query = pg.query.bind(pg) as (q: string, params?: unknown[], o?: unknown) => Promise<unknown>;
  const kindOf = (q: string) =>
    q
      .replace(/\(\$\d+(, \$\d+)*\)(, \(\$\d+(, \$\d+)*\))*/g, '(...)')
      .replace(/\$\d+/g, '?')
      .replace(/\s+/g, ' ')
      .slice(0, 140);
  (pg as unknown as { query: typeof query }).query = async (q, params, o) => {
    const t = performance.now();
    try {
      return await query(q, params, o);
    } finally {
      const k = kindOf(q);
      const e = byKind.get(k) ?? { n: 0, ms: 0 };
      e.n += 1;
      e.ms += performance.now() - t;
      byKind.set(k, e);
    }
  };
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    reset: () => byKind.clear(),
    figures(events) {
      const all = [...byKind].map(([kind, e]) => ({ kind, perEvent: r2(e.n / events), msPerEvent: r2(e.ms / events) }));
      const top = process.env.BENCH_STORE_PROFILE ? all.sort((a, b) => b.msPerEvent - a.msPerEvent).slice(0, 25) : [];
      return {
        queriesPerEvent: r2(all.reduce((s, e) => s + e.perEvent, 0)),
        msPerEvent: r2(all.reduce((s, e) => s + e.msPerEvent, 0)),
        top,
      };
    },
  };
}

function parseArgs(argv: string[]): WebhookLatencyOptions & { stores: ('pglite' | 'postgres')[] } {
  const num = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${flag} needs a positive number`);
    return v;
  };
  const si = argv.indexOf('--store');
  const store = si >= 0 ? argv[si + 1] : 'both';
  if (store !== 'pglite' && store !== 'postgres' && store !== 'both') throw new Error('--store is pglite, postgres or both');
  const pt = argv.indexOf('--pglite-thread');
  const pgliteThread = pt >= 0 ? argv[pt + 1] : 'worker';
  if (pgliteThread !== 'worker' && pgliteThread !== 'main') throw new Error('--pglite-thread is worker or main');
  const wp = argv.indexOf('--worker-processes');
  const workerProcesses = wp >= 0 ? Number(argv[wp + 1]) : 0;
  if (!Number.isInteger(workerProcesses) || workerProcesses < 0) throw new Error('--worker-processes needs a whole number');
  return { rate: num('--rate'), seconds: num('--seconds'), warmupSeconds: num('--warmup'), workerProcesses, pgliteThread, pgliteMemory: argv.includes('--pglite-memory'), stores: store === 'both' ? (workerProcesses > 0 ? ['postgres'] : ['pglite', 'postgres']) : [store] };
}

/** Runs the bench for each store; PostgreSQL only when reachable (DATABASE_URL or the local default). */
export async function runWebhookLatencyBench(argv: string[] = []): Promise<WebhookLatencyFigures[]> {
  const { stores, ...o } = parseArgs(argv);
  const out: WebhookLatencyFigures[] = [];
  for (const store of stores) {
    if (store === 'postgres') {
      const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
      const { Client } = require('pg') as typeof import('pg');
      const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
      const reachable = await c.connect().then(() => true, () => false);
      await c.end().catch(() => undefined);
      if (!reachable) {
        console.log(`(PostgreSQL not reachable at DATABASE_URL or ${DEFAULT_DATABASE_URL}: skipped)`);
        continue;
      }
    }
    out.push(await benchWebhookLatency({ ...o, store }));
  }
  return out;
}

if (require.main === module) {
  const role = process.env.BENCH_WEBHOOK_LATENCY_ROLE;
  if (role === 'vendor' || role === 'worker') {
    (role === 'vendor' ? vendorMain() : workerMain()).catch((e: unknown) => {
      console.error(`${role} process failed: ${(e as Error).message}`);
      process.exit(1);
    });
  } else {
    runWebhookLatencyBench(process.argv.slice(2))
      .then(() => process.exit(0))
      .catch((e: unknown) => {
        console.error(e instanceof Error ? e.message : 'bench failed');
        process.exit(1);
      });
  }
}
