import { intakeEvents, jobIds, openQueues, type QueueSet } from '../../src/jobs/queues';
import { assertRedisReachable } from '../../src/jobs/redis';
import { removePortalSchedules, schedulerId, syncPortalSchedules, enqueueScheduledRun } from '../../src/jobs/schedules';
import { silentLogger } from '../../src/jobs/types';
import { startWorkers, type WorkerRuntime } from '../../src/jobs/workers';
import type { ChangeEvent } from '../../src/model';
import { deletePrefix, eventually, recordingHandlers, requireRedis, uniquePrefix, type PortalEntry } from './helpers';

const portals: PortalEntry[] = [{ vendor: 'hubspot', account: '1', portalId: 'hubspot:1', secrets: {} }];
const ev = (id: string, objectId = `c-${id}`): ChangeEvent => ({
  vendor: 'hubspot',
  vendorAccountId: '1',
  eventId: id,
  objectId,
  kind: 'updated',
  occurredAt: '2026-01-01T00:00:00.000Z',
});

const prefixes: string[] = [];
const running: { close(): Promise<void> }[] = [];
async function setup(label: string, handlers: ReturnType<typeof recordingHandlers>, extra: Partial<Parameters<typeof startWorkers>[0]> = {}): Promise<WorkerRuntime> {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  const rt = await startWorkers({ handlers, prefix, logger: silentLogger, limitsFor: () => ({ default: { points: 1000, durationMs: 1000 } }), ...extra });
  running.push(rt);
  return rt;
}

beforeAll(async () => {
  await requireRedis();
});
afterAll(async () => {
  for (const r of running) await r.close();
  for (const p of prefixes) await deletePrefix(p);
});

test('a missing Redis fails fast with a clear message', async () => {
  await expect(assertRedisReachable('redis://127.0.0.1:1', 1000)).rejects.toThrow('Redis is not reachable at redis://127.0.0.1:1 (ECONNREFUSED). Start Redis or set REDIS_URL.');
  await expect(openQueues({ redisUrl: 'redis://:secret@127.0.0.1:1', prefix: 'never' })).rejects.toThrow(/redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
});

test('a change event is checked; due actions are applied once even when the event and its actions arrive twice', async () => {
  const h = recordingHandlers(portals, { check: async (_p, contactId) => ({ findings: 1, dueActionIds: [`task-${contactId}`] }) });
  const rt = await setup('flow', h);
  const r1 = await intakeEvents(rt.queues, 'hubspot:1', [ev('e1'), ev('e1'), ev('e2')]);
  // The same event twice in one delivery: the second SET NX sees the first.
  expect(r1).toEqual({ queued: 2, duplicates: 1, importSyncQueued: false });
  await eventually(async () => (await rt.queues.apply.getJobCounts('completed')).completed === 2, 'two applies');
  const r2 = await intakeEvents(rt.queues, 'hubspot:1', [ev('e1')]);
  expect(r2.duplicates).toBe(1);
  // The same due actions again (e.g. a retried check): the derived job id makes it a no-op.
  await rt.queues.apply.add('apply', { portalId: 'hubspot:1', actionIds: ['task-c-e1'] }, { jobId: jobIds.apply('hubspot:1', ['task-c-e1']) });
  await new Promise((r) => setTimeout(r, 200));
  expect(h.recorded.checks.map((c) => c.eventId).sort()).toEqual(['e1', 'e2']);
  expect(h.recorded.applies.map((a) => a.actionIds).sort()).toEqual([['task-c-e1'], ['task-c-e2']]);
});

test('failures retry with exponential backoff; exhausted jobs stay in the failed set', async () => {
  let calls = 0;
  const h = recordingHandlers(portals, {
    check: async (_p, contactId) => {
      calls++;
      if (contactId === 'flaky' && calls < 3) throw new Error('vendor 503 (category SERVER_ERROR)');
      if (contactId === 'broken') throw new Error('vendor 500 (category INTERNAL_ERROR)');
      return { findings: 0 };
    },
  });
  const rt = await setup('retry', h);
  const retry = { attempts: 3, backoff: { type: 'exponential', delay: 50 } };
  await rt.queues.evaluate.add('check', { portalId: 'hubspot:1', event: ev('f1', 'flaky') }, { jobId: 'flaky-1', ...retry });
  await eventually(async () => (await rt.queues.evaluate.getJob('flaky-1'))?.finishedOn !== undefined, 'flaky job finished');
  const flaky = (await rt.queues.evaluate.getJob('flaky-1'))!;
  expect(await flaky.getState()).toBe('completed');
  expect(flaky.attemptsMade).toBe(3);
  await rt.queues.evaluate.add('check', { portalId: 'hubspot:1', event: ev('b1', 'broken') }, { jobId: 'broken-1', ...retry });
  await eventually(async () => (await rt.queues.evaluate.getJob('broken-1'))?.finishedOn !== undefined, 'broken job failed');
  const broken = (await rt.queues.evaluate.getJob('broken-1'))!;
  expect(await broken.getState()).toBe('failed');
  expect(broken.failedReason).toBe('vendor 500 (category INTERNAL_ERROR)');
  expect((await rt.queues.evaluate.getFailed()).map((j) => j.id)).toContain('broken-1');
});

test('job data is validated at the boundary', async () => {
  const h = recordingHandlers(portals);
  const rt = await setup('invalid', h);
  await rt.queues.sync.add('sync', { portalId: 'hubspot:1', mode: 'sideways' } as never, { jobId: 'bad-sync', attempts: 1 });
  await eventually(async () => (await rt.queues.sync.getJob('bad-sync'))?.finishedOn !== undefined, 'bad job finished');
  const job = (await rt.queues.sync.getJob('bad-sync'))!;
  expect(await job.getState()).toBe('failed');
  expect(job.failedReason).toMatch(/mode/);
  expect(h.recorded.syncs).toEqual([]);
});

test('a job whose budget is out for long is parked as delayed, not failed', async () => {
  const h = recordingHandlers(portals);
  const rt = await setup('parked', h);
  // The vendor said "come back in 10 minutes" (e.g. 477 with Retry-After 600).
  rt.budgetFor('hubspot:1').backoff(600_000);
  await rt.queues.sync.add('sync', { portalId: 'hubspot:1', mode: 'full' }, { jobId: 'parked-1' });
  await eventually(async () => (await rt.queues.sync.getJob('parked-1'))?.delay !== 0 && (await rt.queues.sync.getJob('parked-1'))!.getState().then((s) => s === 'delayed'), 'job delayed');
  const job = (await rt.queues.sync.getJob('parked-1'))!;
  expect(job.attemptsMade).toBe(0);
  expect(h.recorded.syncs).toEqual([]);
});

test('per-portal schedules become job schedulers; re-upsert replaces; removal clears', async () => {
  const prefix = uniquePrefix('sched');
  prefixes.push(prefix);
  const qs: QueueSet = await openQueues({ prefix });
  running.push(qs);
  await syncPortalSchedules(qs, 'hubspot:1', { incremental: '30 1 * * *', tz: 'Europe/Amsterdam' });
  await syncPortalSchedules(qs, 'zoho:9', {});
  const sync = await qs.sync.getJobSchedulers();
  const byKey = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
  expect(sync.map((s) => [s.key, s.pattern, s.tz ?? null]).sort(byKey)).toEqual([
    [schedulerId('hubspot:1', 'full'), '0 3 * * 0', 'Europe/Amsterdam'],
    [schedulerId('hubspot:1', 'incremental'), '30 1 * * *', 'Europe/Amsterdam'],
    [schedulerId('zoho:9', 'full'), '0 3 * * 0', null],
    [schedulerId('zoho:9', 'incremental'), '0 2 * * *', null],
  ].sort(byKey));
  expect((await qs.apply.getJobSchedulers()).map((s) => s.pattern)).toEqual(['15 * * * *', '15 * * * *']);
  expect((await qs.notify.getJobSchedulers()).length).toBe(2);
  // The scheduled job carries the portal and mode.
  const next = await qs.sync.getJobs(['delayed']);
  expect(next.map((j) => j.data)).toContainEqual({ portalId: 'hubspot:1', mode: 'incremental' });
  await syncPortalSchedules(qs, 'hubspot:1', { incremental: '45 1 * * *' });
  expect((await qs.sync.getJobScheduler(schedulerId('hubspot:1', 'incremental')))?.pattern).toBe('45 1 * * *');
  await removePortalSchedules(qs, 'hubspot:1');
  await syncPortalSchedules(qs, 'zoho:9', { enabled: false });
  expect(await qs.sync.getJobSchedulers()).toEqual([]);
  // The Lambda-style trigger: one run per portal per period, repeated triggers add nothing.
  const now = Date.UTC(2026, 0, 1, 10, 5);
  expect(await enqueueScheduledRun(qs, ['hubspot:1', 'zoho:9'], 'applyDue', now)).toBe(2);
  await enqueueScheduledRun(qs, ['hubspot:1', 'zoho:9'], 'applyDue', now + 60_000);
  expect((await qs.apply.getJobCounts('waiting')).waiting).toBe(2);
});

test('shutdown lets an in-flight job finish', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started = false;
  const h = recordingHandlers(portals, {
    apply: async () => {
      started = true;
      await gate;
      return { done: 1, failed: 0, skipped: 0 };
    },
  });
  const rt = await setup('graceful', h, { graceMs: 30_000 });
  await rt.queues.apply.add('apply', { portalId: 'hubspot:1', actionIds: ['a1'] }, { jobId: 'grace-1' });
  await eventually(() => started, 'apply started');
  const closing = rt.close();
  setTimeout(release, 100);
  await closing;
  const qs = await openQueues({ prefix: prefixes[prefixes.length - 1] });
  running.push(qs);
  expect(await (await qs.apply.getJob('grace-1'))!.getState()).toBe('completed');
});

test('shutdown past its grace returns the in-flight job to the queue without using an attempt', async () => {
  let started = false;
  const h = recordingHandlers(portals, {
    apply: async () => {
      started = true;
      await new Promise((r) => setTimeout(r, 5000).unref());
      return { done: 1, failed: 0, skipped: 0 };
    },
  });
  const rt = await setup('returned', h, { graceMs: 50 });
  await rt.queues.apply.add('apply', { portalId: 'hubspot:1', actionIds: ['a1'] }, { jobId: 'return-1' });
  await eventually(() => started, 'apply started');
  await rt.close();
  const qs = await openQueues({ prefix: prefixes[prefixes.length - 1] });
  running.push(qs);
  const job = (await qs.apply.getJob('return-1'))!;
  expect(['delayed', 'waiting']).toContain(await job.getState());
  expect(job.attemptsMade).toBe(0);
});
