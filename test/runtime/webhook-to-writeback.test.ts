/**
 * End to end on real parts: a signed HubSpot v3 webhook reaches the express server, is queued durably in
 * Redis, a BullMQ worker runs the real pipeline handlers (HubSpot SDK against the sandbox over HTTP,
 * PGlite store), and the cleanup task lands in the sandbox for that contact. A redelivery is processed once.
 */
import { createHmac } from 'node:crypto';
import type { RunningServer } from '../../src/server';
import { startServer } from '../../src/server';
import { silentLogger, type PipelineHandlers } from '../../src/jobs/types';
import { startWorkers, type WorkerRuntime } from '../../src/jobs/workers';
import { deletePrefix, eventually, requireRedis, uniquePrefix } from '../jobs/helpers';
import { addContact, BSN, openRuntimeFixture, tasksOf, type RuntimeFixture } from './fixtures';

const SECRET = 'hs-app-secret-e2e';
let fx: RuntimeFixture;
let prefix: string;
let workers: WorkerRuntime;
let server: RunningServer;
const checks: { eventId: string; contactId: string }[] = [];

beforeAll(async () => {
  await requireRedis();
  prefix = uniquePrefix('e2e');
  fx = await openRuntimeFixture({ secrets: () => ({ hubspotClientSecret: SECRET }) });
  // The real handlers, with a record of which events reached the pipeline.
  const handlers: PipelineHandlers = {
    ...fx.handlers,
    checkContact: async (portalId, contactId, event, budget) => {
      checks.push({ eventId: event.eventId, contactId });
      return fx.handlers.checkContact(portalId, contactId, event, budget);
    },
  };
  workers = await startWorkers({ handlers, prefix, logger: silentLogger, limitsFor: () => ({}) });
  server = await startServer({ handlers, prefix, port: 0, logger: silentLogger });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await workers?.close();
  await fx?.close();
  if (prefix) await deletePrefix(prefix);
});

function deliver(events: Record<string, unknown>[]) {
  const body = JSON.stringify(events);
  const ts = String(Date.now());
  const sig = createHmac('sha256', SECRET).update(`POST${server.url}/webhooks/hubspot${body}${ts}`).digest('base64');
  return fetch(`${server.url}/webhooks/hubspot`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts },
  });
}

const hsEvent = (eventId: number, objectId: string, type: string, occurredAt: number, extra: Record<string, unknown> = {}) => ({
  eventId,
  subscriptionId: 4001,
  portalId: fx.sb.state.portalId,
  appId: 77,
  occurredAt,
  subscriptionType: type,
  objectId: Number(objectId),
  attemptNumber: 0,
  ...extra,
});

const queueIdle = async () => {
  const counts = await Promise.all([workers.queues.evaluate, workers.queues.apply].map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
  return counts.every((c) => Object.values(c).every((n) => n === 0));
};

test('a BSN in a new contact\'s note: webhook -> queue -> worker -> task in HubSpot for that contact; a redelivery is processed once', async () => {
  const id = addContact(fx.sb, { email: 'e2e.contact@example.nl', firstname: 'Eva', lastname: 'Jansen' }, [`Vraag over toeslag, BSN ${BSN} doorgegeven.`]);
  const occurredAt = Date.now();
  const created = hsEvent(9001, id, 'contact.creation', occurredAt);

  const first = await deliver([created]);
  expect(first.status).toBe(200);
  expect(await first.json()).toMatchObject({ ok: true, queued: 1, duplicates: 0 });
  // HubSpot redelivers when it did not see our 200 in time: same event, next attempt.
  const again = await deliver([{ ...created, attemptNumber: 1 }]);
  expect(again.status).toBe(200);
  expect(await again.json()).toMatchObject({ ok: true, queued: 0, duplicates: 1 });

  await eventually(() => tasksOf(fx.sb, id).length > 0, 'a task in the sandbox for the contact');
  await eventually(queueIdle, 'queues drained');
  const tasks = tasksOf(fx.sb, id);
  expect(tasks).toHaveLength(1);
  expect(tasks[0]!.properties.hs_task_body).toContain('bsn-note');
  expect(tasks[0]!.properties.hs_task_subject).toContain(`contact ${id}`);
  expect(fx.sb.state.get('contacts', id)!.properties.gdpr_status).toBe('action_pending');
  const forEvent = checks.filter((c) => c.contactId === id);
  expect(forEvent).toHaveLength(1);
  const evaluateJobs = await workers.queues.evaluate.getJobCounts('completed', 'failed');
  expect(evaluateJobs).toEqual({ completed: 1, failed: 0 });
  expect((await workers.queues.apply.getJobCounts('completed', 'failed'))).toEqual({ completed: 1, failed: 0 });
});

test('a later change to the same contact is checked again but writes no second task', async () => {
  const id = checks[0]!.contactId;
  expect(tasksOf(fx.sb, id)).toHaveLength(1);
  const res = await deliver([hsEvent(9002, id, 'contact.propertyChange', Date.now(), { propertyName: 'jobtitle', propertyValue: 'x' })]);
  expect(await res.json()).toMatchObject({ queued: 1 });
  await eventually(() => checks.length === 2, 'second event checked');
  await eventually(queueIdle, 'queues drained');
  expect(tasksOf(fx.sb, id)).toHaveLength(1);
  expect((await workers.queues.evaluate.getJobCounts('failed')).failed).toBe(0);
});

test('our own status writes and events of unknown portals are not queued', async () => {
  const id = checks[0]!.contactId;
  const own = await deliver([hsEvent(9003, id, 'contact.propertyChange', Date.now(), { propertyName: 'gdpr_status' })]);
  expect(await own.json()).toMatchObject({ queued: 0, skipped: { own_write: 1 } });
  const unknown = await deliver([{ ...hsEvent(9004, id, 'contact.creation', Date.now()), portalId: 1 }]);
  expect(unknown.status).toBe(404);
  expect(checks).toHaveLength(2);
});
