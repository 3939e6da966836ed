/**
 * Two processes apply the same plan at the same instant: two stores on one PostgreSQL schema (two
 * pools, as two processes have), each with its own HubSpot connector, against the sandbox. Every action
 * is claimed in the store before it is re-checked or sent, so each is sent once: counted at the
 * connectors and in the CRM (one task per task action), with one audit row per result on a chain that
 * verifies. A process that dies holding claims leaves its actions alone for the lease, then they are
 * taken over and sent once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { Client } from 'pg';
import { createConnector } from '../../connectors';
import { noteHtml, startHubSpotSandbox, type HubSpotSandbox } from '../../connectors/hubspot/sandbox';
import { createMemoryRateBudget } from '../../connectors/memory-rate-budget';
import type { Connector } from '../../connectors/types';
import { verifyAudit } from '../../src/audit';
import type { Action, Plan } from '../../src/model';
import { applyPlan } from '../../src/pipeline/apply';
import { buildPlan } from '../../src/pipeline/plan';
import { runScan } from '../../src/pipeline/scan';
import { compilePolicy, type CompiledPolicy } from '../../src/policy/compile';
import { loadPolicy, type LoadedPolicy } from '../../src/policy/load';
import { openStore, type Store } from '../../src/store';
import { TEST_DATABASE_URL } from '../store/backends';

const DAY = 86_400_000;
const TOKEN = 'pat-eu1-concurrent';
const TENANT = 'tenant-concurrent';
const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);
const T1 = new Date(T0.getTime() + 31 * DAY); // past every grace period: destructive actions are due too
const schema = `concurrent_${process.pid}_${randomBytes(3).toString('hex')}`;
const env = { GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64') };

let sb: HubSpotSandbox;
let dataDir: string;
let loaded: LoadedPolicy;
let policy: CompiledPolicy;
const stores: Store[] = [];
const connectors: Connector[] = [];

const openProcessStore = async () => {
  const s = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, dataDir, env });
  stores.push(s);
  return s;
};

/** A connector of its own (as another process has), counting every action it is asked to send. */
function countingConnector(sent: Map<string, number>): Connector {
  const c = createConnector({
    vendor: 'hubspot',
    tenantId: TENANT,
    baseUrl: sb.url,
    accessToken: TOKEN,
    options: { anonymiseKey: 'concurrent-key' },
    budget: createMemoryRateBudget({ default: { points: 10_000, durationMs: 1_000 }, search: { points: 1_000, durationMs: 1_000 } }),
  });
  connectors.push(c);
  const counting = Object.create(c) as Connector;
  counting.apply = async (actions: Action[]) => {
    for (const a of actions) sent.set(a.id, (sent.get(a.id) ?? 0) + 1);
    return c.apply(actions);
  };
  return counting;
}

beforeAll(async () => {
  const c = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${TEST_DATABASE_URL} (${(e as Error).message}): this test needs it (two processes share one database)`);
  } finally {
    await c.end().catch(() => undefined);
  }
  sb = await startHubSpotSandbox({ accessToken: TOKEN, seed: { count: 60, seed: 7, now: T0.toISOString() }, limits: false, latencyMs: 0 });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-concurrent-'));
  loaded = loadPolicy('avg-default');
  policy = compilePolicy(loaded.pack);
}, 60_000);

afterAll(async () => {
  for (const c of connectors) await c.close?.();
  if (stores[0]) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(stores[0].db).catch(() => undefined);
  for (const s of stores) await s.close();
  await sb?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('two processes applying the same plan at once send each action once', async () => {
  const a = await openProcessStore();
  const b = await openProcessStore();
  const sent = new Map<string, number>();
  const connA = countingConnector(sent);
  const connB = countingConnector(sent);
  const scan = await runScan({ store: a, connector: connA, policy, tenantId: TENANT, mode: 'full', now: T0, actor: 'scan' });
  const plan: Plan = await buildPlan(a, scan.portal.id, loaded, T1);
  const taskActions = plan.actions.filter((x) => x.type === 'create_task');
  expect(taskActions.length).toBeGreaterThan(5);
  expect(plan.actions.some((x) => x.destructive)).toBe(true);
  expect(sb.state.objects.tasks.size).toBe(0);

  // The same plan, at the same instant, in small batches so the two runs interleave.
  const [ra, rb] = await Promise.all([
    applyPlan({ store: a, connector: connA, policy, plan, now: T1, actor: 'process-a', batchSize: 8 }),
    applyPlan({ store: b, connector: connB, policy, plan, now: T1, actor: 'process-b', batchSize: 8 }),
  ]);

  // Each action (and each status follow-up) went to the CRM once, by one of the two.
  const twice = [...sent].filter(([, n]) => n > 1).map(([id]) => id);
  expect(twice).toEqual([]);
  expect(sb.state.objects.tasks.size).toBe(taskActions.length);
  for (const t of taskActions) expect(sb.state.associatedIds('contacts', t.contactId, 'tasks')).toHaveLength(1);
  // Every action of the plan is finished, counted by exactly one of the runs.
  const states = await a.getActionStates(plan.actions.map((x) => x.id));
  for (const x of plan.actions) expect(['done', 'skipped', 'cancelled']).toContain(states.get(x.id));
  const handled = (r: typeof ra) => r.done + r.skipped + r.cancelled + r.failed;
  expect(handled(ra) + handled(rb)).toBe(plan.actions.length);
  expect(ra.failed + rb.failed).toBe(0);
  for (const r of [ra, rb]) expect(handled(r) + r.alreadyDone + r.claimedElsewhere + r.notDueYet).toBe(plan.actions.length);
  // One audit row per result, on one chain that both processes appended to.
  const rows = (await sql<{ n: string }>`select count(*) as n from audit_log where actor in ('process-a', 'process-b') and action <> 'set_status'`.execute(a.db)).rows[0]!;
  expect(Number(rows.n)).toBe(plan.actions.filter((x) => x.type !== 'set_status').length);
  expect(await verifyAudit(a, { tenantId: TENANT })).toMatchObject({ ok: true });

  // The same plan once more, from either process: nothing is sent again.
  const before = sent.size;
  const again = await applyPlan({ store: b, connector: connB, policy, plan, now: T1, actor: 'process-b' });
  expect(again.alreadyDone).toBe(plan.actions.length);
  expect(sent.size).toBe(before);
}, 120_000);

test('a process that dies holding claims: its actions wait out the lease, then another process sends them once', async () => {
  const a = stores[0]!;
  const sent = new Map<string, number>();
  const conn = countingConnector(sent);
  const portalId = (await a.listPortals(TENANT))[0]!.id;
  // A new contact with its task and status due now.
  const c = sb.state.insert('contacts', { email: 'late.arrival@example.nl', firstname: 'Late', lastname: 'Arrival', lifecyclestage: 'lead', hubspot_owner_id: sb.state.owners[0]?.id ?? null });
  const n = sb.state.insert('notes', { hs_note_body: noteHtml('Gebeld, BSN 111222333 doorgegeven.'), hs_timestamp: sb.state.stamp() });
  sb.state.associate('notes', n.id, 'contacts', c.id);
  const later = new Date(T1.getTime() + DAY);
  await runScan({ store: a, connector: conn, policy, tenantId: TENANT, mode: 'full', now: later, actor: 'scan' });
  const plan = await buildPlan(a, portalId, loaded, later);
  expect(plan.actions.length).toBeGreaterThan(0);
  const ids = plan.actions.map((x) => x.id);

  // Process "dead" claims everything, then dies before sending or recording anything.
  const dead = await openProcessStore();
  expect((await dead.claimActions(ids)).size).toBe(ids.length);
  const b = await openProcessStore();
  const within = await applyPlan({ store: b, connector: conn, policy, plan, now: later, actor: 'process-b' });
  expect(within).toMatchObject({ done: 0, claimedElsewhere: ids.length });
  expect(sent.size).toBe(0);

  // Past the lease: taken over, each sent once (an earlier attempt is assumed, so nothing reads as cancelled).
  await sql`update actions set claimed_at = now() - interval '6 minutes' where action_id in (${sql.join(ids)})`.execute(a.db);
  const after = await applyPlan({ store: b, connector: conn, policy, plan, now: later, actor: 'process-b' });
  expect(after.claimedElsewhere).toBe(0);
  expect(after.done).toBeGreaterThan(0);
  expect(after.cancelled).toBe(0);
  expect([...sent.values()].every((k) => k === 1)).toBe(true);
  const states = await b.getActionStates(ids);
  expect([...sent.keys()].sort()).toEqual(ids.filter((id) => states.get(id) === 'done').sort());
  expect(plan.actions.some((x) => x.contactId === c.id && x.type === 'create_task' && states.get(x.id) === 'done')).toBe(true);
}, 120_000);
