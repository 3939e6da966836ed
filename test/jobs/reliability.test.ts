/**
 * Reliability with real Redis and real processes: a worker killed mid-apply, Redis killed and restarted
 * while webhooks arrive, and four worker processes sharing one portal's budget against the HubSpot sandbox.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startHubSpotSandbox } from '../../connectors/hubspot/sandbox';
import { openQueues, type QueueSet } from '../../src/jobs/queues';
import { assertRedisReachable } from '../../src/jobs/redis';
import { silentLogger } from '../../src/jobs/types';
import { startWorkers } from '../../src/jobs/workers';
import { startServer } from '../../src/server';
import { deletePrefix, eventually, recordingHandlers, requireRedis, uniquePrefix } from './helpers';

const FIXTURE = path.join(__dirname, 'fixtures/worker-process.ts');
const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];

interface Spawned {
  child: ChildProcess;
  messages: { type: string; [k: string]: unknown }[];
  waitFor(type: string): Promise<{ type: string; [k: string]: unknown }>;
}

function spawnWorker(env: Record<string, string>): Spawned {
  const child = fork(FIXTURE, [], {
    execArgv: ['--require', require.resolve('tsx/cjs')],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const messages: Spawned['messages'] = [];
  const waiters: { type: string; resolve: (m: Spawned['messages'][number]) => void }[] = [];
  child.on('message', (m: Spawned['messages'][number]) => {
    messages.push(m);
    for (const w of waiters.filter((x) => x.type === m.type)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  return {
    child,
    messages,
    waitFor: (type) => {
      const seen = messages.find((m) => m.type === type);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ type, resolve });
        child.once('exit', (code) => reject(new Error(`worker exited (${code}) before '${type}'`)));
      });
    },
  };
}

async function stopWorker(s: Spawned): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.send('stop');
  await exited;
}

beforeAll(async () => {
  await requireRedis();
});
afterAll(async () => {
  // Close clients, workers and servers while their Redis is still up (a worker closing against a dead
  // Redis waits for it forever), and only then kill what is left of the child processes.
  const bounded = (p: Promise<void>) => Promise.race([p.catch(() => undefined), new Promise<void>((r) => setTimeout(r, 10_000).unref())]);
  for (const c of cleanups.reverse()) await bounded(c());
  for (const c of children) c.kill('SIGKILL');
}, 120_000);

test('a worker killed mid-apply: another worker finishes the job and no action is written twice', async () => {
  const prefix = uniquePrefix('kill');
  cleanups.push(() => deletePrefix(prefix));
  const records = new Map<string, number>();
  const vendor: Server = createServer((req, res) => {
    const id = decodeURIComponent((req.url ?? '').split('/')[2] ?? '');
    req.resume();
    req.on('end', () => {
      if (req.method === 'PUT') records.set(id, (records.get(id) ?? 0) + 1);
      res.writeHead(req.method === 'PUT' || records.has(id) ? 200 : 404).end();
    });
  });
  await new Promise<void>((r) => vendor.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => vendor.close(() => r())));
  const env = { PREFIX: prefix, ROLE: 'ledger', VENDOR_URL: `http://127.0.0.1:${(vendor.address() as AddressInfo).port}` };

  const a = spawnWorker({ ...env, PAUSE_AFTER_WRITE: '2' });
  await a.waitFor('ready');
  const qs: QueueSet = await openQueues({ prefix });
  cleanups.push(() => qs.close());
  await qs.apply.add('apply', { portalId: 'hubspot:1', actionIds: ['a1', 'a2', 'a3'] }, { jobId: 'apply-kill-1' });
  const paused = await a.waitFor('paused');
  // a2 is written at the vendor but not yet recorded as done: the worst moment to die.
  expect(paused.actionId).toBe('a2');
  const died = new Promise((r) => a.child.once('exit', r));
  a.child.kill('SIGKILL');
  await died;

  const b = spawnWorker(env);
  await b.waitFor('ready');
  await eventually(async () => (await (await qs.apply.getJob('apply-kill-1'))?.getState()) === 'completed', 'job completed on the second worker', 30_000);
  const job = (await qs.apply.getJob('apply-kill-1'))!;
  expect(job.returnvalue).toEqual({ done: 1, failed: 0, skipped: 2 });
  expect(Object.fromEntries(records)).toEqual({ a1: 1, a2: 1, a3: 1 });
  await stopWorker(b);
}, 60_000);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

test('Redis killed and restarted while webhooks arrive: every acknowledged event is processed', async () => {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  // Our own Redis (never the machine's shared one). Durable acknowledgement needs the AOF fsynced on
  // every write, as production Redis for this must be configured.
  const startRedis = async () => {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], { stdio: 'ignore' });
    children.add(p);
    p.on('exit', () => children.delete(p));
    await eventually(() => assertRedisReachable(url, 200).then(() => true, () => false), 'redis up', 10_000);
    return p;
  };
  const url = `redis://127.0.0.1:${port}`;
  let redis = await startRedis();
  cleanups.push(async () => {
    redis.kill('SIGKILL');
  });

  const prefix = 'restart';
  const handlers = recordingHandlers([{ vendor: 'hubspot', account: '62515', portalId: 'hubspot:62515', secrets: { hubspotClientSecret: 's3cret' } }]);
  const rt = await startWorkers({ handlers, redisUrl: url, prefix, queues: ['evaluate'], lockDurationMs: 1000, stalledIntervalMs: 500, logger: silentLogger, limitsFor: () => ({}) });
  cleanups.push(() => rt.close());
  const server = await startServer({ handlers, redisUrl: url, prefix, port: 0, logger: silentLogger, enqueueTimeoutMs: 1000 });
  cleanups.push(() => server.close());
  // Queues report each failed reconnect as an 'error' event (console noise during the outage the test makes).
  for (const qs of [rt.queues, server.queues]) for (const q of [qs.sync, qs.evaluate, qs.apply, qs.notify]) q.on('error', () => undefined);

  const total = 60;
  const acked = new Set<string>();
  let refused = 0;
  const deliver = async (i: number) => {
    const body = JSON.stringify([{ eventId: i, subscriptionId: 1, portalId: 62515, appId: 1, occurredAt: 1_760_000_000_000 + i, subscriptionType: 'contact.creation', objectId: 1000 + i, attemptNumber: 0 }]);
    // Like HubSpot: redeliver until a 2xx (signed afresh each attempt).
    for (let attempt = 0; ; attempt++) {
      const ts = String(Date.now());
      const sig = createHmac('sha256', 's3cret').update(`POST${server.url}/webhooks/hubspot${body}${ts}`).digest('base64');
      const res = await fetch(`${server.url}/webhooks/hubspot`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts } }).catch(() => null);
      if (res?.ok) {
        acked.add(`1:${i}:${1_760_000_000_000 + i}`);
        return;
      }
      refused++;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    sends.push(deliver(i));
    if (i === 20) {
      redis.kill('SIGKILL');
      await new Promise((r) => redis.once('exit', r));
    }
    if (i === 35) redis = await startRedis();
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(sends);
  expect(acked.size).toBe(total);
  // The outage was real: deliveries were refused (503) while Redis was down and redelivered later.
  expect(refused).toBeGreaterThan(0);
  await eventually(() => acked.size === new Set(handlers.recorded.checks.map((c) => c.eventId)).size, 'all acknowledged events processed', 30_000);
  expect(new Set(handlers.recorded.checks.map((c) => c.eventId))).toEqual(acked);
}, 90_000);

test('four worker processes on one portal share its budget: no 429 from the HubSpot sandbox', async () => {
  const sandbox = await startHubSpotSandbox({ accessToken: 'load-token', limits: { tenSecondly: 50 } });
  cleanups.push(() => sandbox.close());
  const prefix = uniquePrefix('load');
  cleanups.push(() => deletePrefix(prefix));
  const env = { PREFIX: prefix, ROLE: 'load', VENDOR_URL: sandbox.url, VENDOR_TOKEN: 'load-token', LIMIT_POINTS: '50', LIMIT_MS: '10000', REQUESTS_PER_JOB: '2', CONCURRENCY: '2' };
  const workers = [spawnWorker(env), spawnWorker(env), spawnWorker(env), spawnWorker(env)];
  await Promise.all(workers.map((w) => w.waitFor('ready')));
  const qs = await openQueues({ prefix });
  cleanups.push(() => qs.close());
  const jobs = 40; // 80 requests: more than one 10-second window's worth (50)
  await qs.apply.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'apply', data: { portalId: 'hubspot:62515' }, opts: { jobId: `load-${i}` } })));
  await eventually(async () => (await qs.apply.getJobCounts('completed')).completed === jobs, 'all load jobs completed', 60_000);
  expect(sandbox.stats.rejected429).toBe(0);
  const perWorker = workers.map((w) => w.messages.filter((m) => m.type === 'request').length);
  expect(perWorker.reduce((a, b) => a + b, 0)).toBe(jobs * 2);
  for (const n of perWorker) expect(n).toBeGreaterThan(0);
  expect(workers.every((w) => !w.messages.some((m) => m.type === '429'))).toBe(true);
  await Promise.all(workers.map(stopWorker));
}, 90_000);
