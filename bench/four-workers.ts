/**
 * Benchmark (issue 5, reliability goal): four worker processes on one HubSpot portal share its rate
 * budget through Redis. Against the sandbox at HubSpot's limits (100 requests per rolling 10 s per
 * token, 150 ms latency): no 429 may reach a user, and together they must reach 90% or more of the
 * ceiling (10 requests/s).
 *
 * The whole runtime path, as in production:
 * - this process plays HubSpot (the sandbox, with its real rolling window and 429s) and runs the
 *   webhook server (the express app of `gdpr-crm serve`, store on PostgreSQL);
 * - four forked worker processes run the BullMQ workers with the real pipeline handlers, each with the
 *   default HubSpot budget (src/jobs/limits.ts) shared through Redis;
 * - a bulk import: every seeded contact is announced in signed v3 webhook deliveries (100 events each,
 *   as HubSpot batches them), so the workers check each contact (batch reads with notes), plan, and
 *   write back its cleanup task and status, as fast as the shared budget lets them.
 * Throughput is the sandbox's accepted requests per second while the workers have work (first to last
 * request of the run; the steady middle 80% is printed too).
 *
 *   npx tsx bench/four-workers.ts [--contacts 1000] [--workers 4] [--latency 150]
 * PostgreSQL at DATABASE_URL or postgres://postgres@127.0.0.1:5432/test (a fresh schema, dropped after).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { createConnector } from '../connectors';
import { HUBSPOT_LIMITS } from '../connectors/hubspot/limits';
import { startHubSpotSandbox } from '../connectors/hubspot/sandbox';
import { createMemoryRateBudget } from '../connectors/memory-rate-budget';
import type { RateBudget } from '../connectors/types';
import { defaultBudgetLimits } from '../src/jobs/limits';
import { openQueues } from '../src/jobs/queues';
import { assertRedisReachable, DEFAULT_REDIS_URL, deletePrefix } from '../src/jobs/redis';
import { silentLogger } from '../src/jobs/types';
import { startWorkers } from '../src/jobs/workers';
import type { Portal } from '../src/model';
import { runScan } from '../src/pipeline/scan';
import { compilePolicy } from '../src/policy/compile';
import { loadPolicy } from '../src/policy/load';
import { createPipelineHandlers, RUNTIME_CONCURRENCY } from '../src/runtime/pipeline-handlers';
import { createApp } from '../src/server/app';
import { openStore, type Store } from '../src/store';

const TOKEN = 'bench-four-workers-token';
const SECRET = 'bench-four-workers-app-secret';
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const FOUR_WORKERS_GOAL_PCT = 90;

export interface FourWorkersOptions {
  contacts?: number;
  workers?: number;
  latencyMs?: number;
  redisUrl?: string;
  databaseUrl?: string;
  print?: boolean;
}

export interface FourWorkersFigures {
  workers: number;
  contacts: number;
  latencyMs: number;
  /** HubSpot's ceiling: 100 requests per rolling 10 s. */
  ceilingPerSecond: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  percentOfCeiling: number;
  /** Middle 80% of the run's requests (start-up and the last batches left out). */
  steadyRequestsPerSecond: number;
  steadyPercentOfCeiling: number;
  /** 429s the sandbox answered (our budget should leave none) and 429s surfaced as failed jobs. */
  sandbox429: number;
  failedJobs: number;
  /** Requests made by each worker process (all must share the work). */
  requestsPerWorker: number[];
  contactsWrittenBack: number;
  goalMet: boolean;
}

interface WorkerEnv {
  sandboxUrl: string;
  databaseUrl: string;
  schema: string;
  masterKey: string;
  prefix: string;
  redisUrl: string;
}

function benchHandlers(store: Store, sandboxUrl: string, onRequest?: () => void) {
  const loaded = loadPolicy('avg-default');
  const connectorFor = (portal: Portal, budget: RateBudget) => {
    // Count this process's requests: every request takes a grant from the shared budget first.
    const counted: RateBudget = onRequest
      ? {
          ...budget,
          take: async (...args: Parameters<RateBudget['take']>) => {
            await budget.take(...args);
            onRequest();
          },
          backoff: (...args: Parameters<RateBudget['backoff']>) => budget.backoff(...args),
        }
      : budget;
    return createConnector({ vendor: 'hubspot', tenantId: portal.tenantId, baseUrl: sandboxUrl, accessToken: TOKEN, budget: counted, options: { anonymiseKey: 'bench' } });
  };
  return createPipelineHandlers({ store, policyFor: () => loaded, connectorFor, actor: 'bench', secretsFor: () => ({ hubspotClientSecret: SECRET }) });
}

// ---- a worker process ------------------------------------------------------------------------------

async function workerMain(): Promise<void> {
  const w = JSON.parse(process.env.BENCH_FOUR_WORKERS_ENV ?? '{}') as WorkerEnv;
  const store = await openStore({ databaseUrl: w.databaseUrl, schema: w.schema, dataDir: os.tmpdir(), env: { GDPR_CRM_MASTER_KEY: w.masterKey } });
  let requests = 0;
  const handlers = benchHandlers(store, w.sandboxUrl, () => requests++);
  // HubSpot's default budget (100 per rolling 10 s), shared by every process through Redis.
  const rt = await startWorkers({ handlers, redisUrl: w.redisUrl, prefix: w.prefix, logger: silentLogger, limitsFor: (portalId) => defaultBudgetLimits(portalId.split(':')[0] ?? ''), concurrency: RUNTIME_CONCURRENCY, schedules: false });
  process.on('message', (m) => {
    if (m === 'count') {
      process.send?.({ type: 'count', requests });
      return;
    }
    if (m !== 'stop') return;
    void rt
      .close()
      .then(() => handlers.close())
      .then(() => store.close())
      .finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready' });
}

function forkWorker(env: WorkerEnv): ChildProcess {
  return fork(__filename, [], {
    execArgv: ['--require', require.resolve('tsx/cjs')],
    env: { ...process.env, BENCH_FOUR_WORKERS_ENV: JSON.stringify(env) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function waitFor<T extends { type: string }>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: T) => {
      if (m.type !== type) return;
      child.off('message', onMsg);
      resolve(m);
    };
    child.on('message', onMsg);
    child.once('exit', (code) => reject(new Error(`a worker process exited (${code}) before '${type}'`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.send('stop');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  child.kill('SIGKILL');
}

// ---- the runtime and vendor process --------------------------------------------------------------------

export async function benchFourWorkers(opts: FourWorkersOptions = {}): Promise<FourWorkersFigures> {
  const count = opts.contacts ?? 1000;
  const workerCount = opts.workers ?? 4;
  const latencyMs = opts.latencyMs ?? 150;
  const redisUrl = opts.redisUrl ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  await assertRedisReachable(redisUrl);
  const prefix = `bench-four-${process.pid}-${randomBytes(3).toString('hex')}`;
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const { points, durationMs } = HUBSPOT_LIMITS.burst;
    const sb = await startHubSpotSandbox({ accessToken: TOKEN, seed: { count, seed: 5 }, latencyMs, limits: { tenSecondly: points } });
    cleanups.push(() => sb.close());
    // Request arrival times at the sandbox (accepted or not).
    const arrivals: number[] = [];
    const storeEnv = { GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64') };
    const store = await openStore({ databaseUrl, schema, dataDir: os.tmpdir(), env: storeEnv });
    cleanups.push(async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db).catch(() => undefined);
      await store.close();
    });

    // Install: the first full scan, paced like HubSpot's window so the sandbox answers no 429.
    const install = createConnector({ vendor: 'hubspot', tenantId: 'bench', baseUrl: sb.url, accessToken: TOKEN, budget: createMemoryRateBudget({ default: { points: 1, durationMs: (durationMs + 200) / (points - 1) } }) });
    const t0 = performance.now();
    await runScan({ store, connector: install, policy: compilePolicy(loadPolicy('avg-default').pack), tenantId: 'bench', mode: 'full', now: new Date(), actor: 'bench' });
    const installSeconds = (performance.now() - t0) / 1000;
    // Let the sandbox's rolling window empty before the workers start.
    await new Promise((r) => setTimeout(r, durationMs + 500));
    const portal = (await store.listPortals())[0];
    if (!portal) throw new Error('install scan created no portal');

    const env: WorkerEnv = { sandboxUrl: sb.url, databaseUrl, schema, masterKey: storeEnv.GDPR_CRM_MASTER_KEY, prefix, redisUrl };
    const kids = Array.from({ length: workerCount }, () => forkWorker(env));
    cleanups.push(() => Promise.all(kids.map(stopChild)));
    await Promise.all(kids.map((k) => waitFor(k, 'ready')));

    const handlers = benchHandlers(store, sb.url);
    cleanups.push(() => handlers.close());
    const queues = await openQueues({ redisUrl, prefix });
    cleanups.push(() => queues.close());
    const app = createApp({ queues, handlers, logger: silentLogger });
    const server: Server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
    );
    const webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot`;

    // Sample the sandbox's request counter while the workers run.
    const before = { requests: sb.stats.requests, rejected: sb.stats.rejected429 };
    const sampler = setInterval(() => {
      const n = sb.stats.requests - before.requests;
      while (arrivals.length < n) arrivals.push(performance.now());
    }, 20);
    cleanups.push(async () => clearInterval(sampler));

    // The bulk import's webhooks: 100 events a delivery, signed v3.
    const ids = [...sb.state.objects.contacts.keys()];
    const occurredAt = Date.now();
    for (let i = 0; i < ids.length; i += 100) {
      const body = JSON.stringify(
        ids.slice(i, i + 100).map((id, j) => ({ eventId: 500_000 + i + j, subscriptionId: 1, portalId: sb.state.portalId, appId: 1, occurredAt: occurredAt + i + j, subscriptionType: 'contact.creation', objectId: Number(id), attemptNumber: 0 })),
      );
      const ts = String(Date.now());
      const sig = createHmac('sha256', SECRET).update(`POST${webhookUrl}${body}${ts}`).digest('base64');
      const res = await fetch(webhookUrl, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`webhook delivery answered ${res.status}`);
    }

    // Wait until every check and every apply it queued has finished.
    const drained = async () => {
      const [e, a] = await Promise.all([queues.evaluate.getJobCounts('waiting', 'active', 'delayed', 'prioritized'), queues.apply.getJobCounts('waiting', 'active', 'delayed', 'prioritized')]);
      return Object.values(e).every((n) => n === 0) && Object.values(a).every((n) => n === 0);
    };
    const deadline = performance.now() + 15 * 60_000;
    while (!(await drained())) {
      if (performance.now() > deadline) throw new Error('the workers did not finish within 15 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
    clearInterval(sampler);
    const n = sb.stats.requests - before.requests;
    while (arrivals.length < n) arrivals.push(performance.now());

    const failedJobs = (await queues.evaluate.getJobCounts('failed')).failed + (await queues.apply.getJobCounts('failed')).failed;
    const requestsPerWorker = await Promise.all(
      kids.map((k) => {
        const p = waitFor<{ type: 'count'; requests: number }>(k, 'count');
        k.send('count');
        return p.then((m) => m.requests);
      }),
    );
    const writtenBack = [...sb.state.objects.contacts.values()].filter((c) => typeof c.properties?.gdpr_status === 'string' && c.properties.gdpr_status !== '').length;

    const ceiling = points / (durationMs / 1000);
    const span = arrivals.length > 1 ? (arrivals[arrivals.length - 1]! - arrivals[0]!) / 1000 : NaN;
    // n requests arrive over n - 1 gaps.
    const rate = (arrivals.length - 1) / span;
    const lo = Math.floor(arrivals.length * 0.1);
    const hi = Math.ceil(arrivals.length * 0.9) - 1;
    const steady = (hi - lo) / ((arrivals[hi]! - arrivals[lo]!) / 1000);
    const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
    const figures: FourWorkersFigures = {
      workers: workerCount,
      contacts: count,
      latencyMs,
      ceilingPerSecond: ceiling,
      requests: arrivals.length,
      seconds: round(span),
      requestsPerSecond: round(rate, 2),
      percentOfCeiling: round((rate / ceiling) * 100),
      steadyRequestsPerSecond: round(steady, 2),
      steadyPercentOfCeiling: round((steady / ceiling) * 100),
      sandbox429: sb.stats.rejected429 - before.rejected,
      failedJobs,
      requestsPerWorker,
      contactsWrittenBack: writtenBack,
      goalMet: false,
    };
    figures.goalMet = figures.percentOfCeiling >= FOUR_WORKERS_GOAL_PCT && figures.failedJobs === 0 && requestsPerWorker.every((r) => r > 0);
    if (opts.print !== false) {
      console.log(
        [
          `four workers: ${workerCount} worker processes, one HubSpot portal (${count} contacts, install scan ${round(installSeconds)} s), sandbox at ${points} requests / ${durationMs / 1000} s rolling, latency ${latencyMs} ms; real Redis, PostgreSQL store`,
          `  ${figures.requests} requests in ${figures.seconds} s = ${figures.requestsPerSecond}/s; ceiling ${ceiling}/s: ${figures.percentOfCeiling}% (steady middle 80%: ${figures.steadyRequestsPerSecond}/s, ${figures.steadyPercentOfCeiling}%)`,
          `  requests per worker process: ${requestsPerWorker.join(', ')}; 429s answered by the sandbox ${figures.sandbox429}, failed jobs ${failedJobs}; contacts with gdpr_status written ${writtenBack}/${count}`,
          `  goal: >= ${FOUR_WORKERS_GOAL_PCT}% of the ceiling, no 429 reaching a user: ${figures.goalMet ? 'PASS' : 'FAIL'}`,
        ].join('\n'),
      );
    }
    return figures;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await deletePrefix(prefix, redisUrl);
  }
}

function parseArgs(argv: string[]): FourWorkersOptions {
  const num = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} needs a number >= 0`);
    return v;
  };
  return { contacts: num('--contacts'), workers: num('--workers'), latencyMs: num('--latency') };
}

if (process.env.BENCH_FOUR_WORKERS_ENV) {
  void workerMain().catch((e: unknown) => {
    process.stderr.write(`four-workers worker failed: ${(e as Error).message}\n`);
    process.exit(1);
  });
} else if (require.main === module) {
  benchFourWorkers(parseArgs(process.argv.slice(2))).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
