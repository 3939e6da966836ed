/**
 * The whole pipeline on one HubSpot portal, in process: the real SDK over HTTP against the sandbox
 * (~150 seeded contacts, no rate limits), a temporary PGlite data directory, and runScan / buildPlan /
 * applyPlan exactly as the CLI calls them. One story, in order:
 *   scan and plan at T0 -> a cause goes away before its grace ends (action cancelled) -> apply at T0+31d
 *   with injected failures (part fails) -> the same plan again finishes the rest, nothing twice ->
 *   the effects in the CRM -> the same plan a third time changes nothing -> re-scan resolves what was
 *   fixed -> a forgotten person re-created with the same e-mail is flagged and erased; the store holds
 *   only hashes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createConnector } from '../../connectors';
import { ANONYMISED_TEXT, taskMarker } from '../../connectors/hubspot/limits';
import { stripHtml } from '../../connectors/hubspot/mapping';
import { noteHtml, startHubSpotSandbox, type HubSpotSandbox } from '../../connectors/hubspot/sandbox';
import { createMemoryRateBudget } from '../../connectors/memory-rate-budget';
import { generatePeople } from '../../connectors/sandbox-seed/people';
import type { Connector } from '../../connectors/types';
import { STATUS_PROPERTIES } from '../../connectors/types';
import { verifyAudit } from '../../src/audit';
import { detect } from '../../src/detect';
import type { Action, Finding, Plan } from '../../src/model';
import { applyPlan, REDACTION_MARKER, type ApplySummary } from '../../src/pipeline/apply';
import { buildPlan } from '../../src/pipeline/plan';
import { runScan, type ScanSummary } from '../../src/pipeline/scan';
import { compilePolicy, type CompiledPolicy } from '../../src/policy/compile';
import { loadPolicy, type LoadedPolicy } from '../../src/policy/load';
import { openStore, type Store } from '../../src/store';

const DAY = 86_400_000;
const TOKEN = 'pat-eu1-e2e';
const TENANT = 'tenant-e2e';
const COUNT = 150;
const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);
const T1 = new Date(T0.getTime() + 31 * DAY); // past every grace period of avg-default (at most 30 days)
const SEED = { count: COUNT, seed: 42, now: T0.toISOString() };

let sb: HubSpotSandbox;
let store: Store;
let connector: Connector;
let dataDir: string;
let loaded: LoadedPolicy;
let policy: CompiledPolicy;
let portalId: string;

beforeAll(async () => {
  sb = await startHubSpotSandbox({ accessToken: TOKEN, seed: SEED, limits: false, latencyMs: 0 });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-e2e-'));
  // env: no DATABASE_URL, so this is PGlite in <dataDir>/db whatever the machine has set.
  store = await openStore({ dataDir, env: { GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64') } });
  connector = createConnector({
    vendor: 'hubspot',
    tenantId: TENANT,
    baseUrl: sb.url,
    accessToken: TOKEN,
    options: { anonymiseKey: 'e2e-anonymise-key' },
    budget: createMemoryRateBudget({ default: { points: 1_000, durationMs: 1_000 }, search: { points: 100, durationMs: 1_000 } }),
  });
  loaded = loadPolicy('avg-default');
  policy = compilePolicy(loaded.pack);
}, 60_000);

afterAll(async () => {
  await connector?.close?.();
  await store?.close();
  await sb?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const scan = (now: Date): Promise<ScanSummary> => runScan({ store, connector, policy, tenantId: TENANT, mode: 'full', now, actor: 'e2e' });
const apply = (plan: Plan, now: Date): Promise<ApplySummary> => applyPlan({ store, connector, policy, plan, now, actor: 'e2e' });

/** Everything a write could change in the sandbox, as comparable JSON. */
function snapshot(): string {
  const st = sb.state;
  const objects = Object.fromEntries(Object.entries(st.objects).map(([t, m]) => [t, [...m.values()].map((r) => JSON.stringify(r)).sort()]));
  const assoc = [...st.associations].map(([k, v]) => `${k}=${[...v].sort().join(',')}`).sort();
  const props = Object.fromEntries(Object.entries(st.properties).map(([t, m]) => [t, [...m.keys()].sort()]));
  const subs = [...st.subscriptionStatuses].map(([e, m]) => `${e}:${JSON.stringify([...m])}`).sort();
  return JSON.stringify({ objects, assoc, props, subs, gdprDeleted: [...st.gdprDeletedIds].sort() });
}

const liveTasksOf = (contactId: string) => sb.state.associatedIds('contacts', contactId, 'tasks').map((id) => sb.state.get('tasks', id)!);
const noteText = (noteId: string) => stripHtml(sb.state.get('notes', noteId)?.properties.hs_note_body ?? '');
const bsnSpans = (text: string) => detect(text).filter((d) => d.category === 'bsn').map((d) => text.slice(d.start, d.end));

async function actionRows() {
  const rows = await store.db.selectFrom('actions').select(['action_id', 'contact_id', 'type', 'state', 'attempts']).where('portal_id', '=', portalId).execute();
  return new Map(rows.map((r) => [r.action_id, r]));
}

// Shared between the steps of the story.
let first: ScanSummary;
let planT0: Plan;
let cancelled: { contactId: string; actionIds: string[]; findingId: string };
let planT1: Plan;
let before: { contacts: Map<string, Record<string, string | null>>; notes: Map<string, string> };

describe('scan -> plan -> apply -> re-scan on the HubSpot sandbox', () => {
  it('(a) a scan finds several rules; the plan at T0 has tasks due now and destructive actions waiting their grace', async () => {
    first = await scan(T0);
    portalId = first.portal.id;
    expect(first.contacts).toBe(COUNT);
    const rules = Object.keys(first.byRule);
    expect(rules.length).toBeGreaterThanOrEqual(6);
    expect(rules).toEqual(expect.arrayContaining(['bsn-note', 'special-category-note', 'retention-no-activity', 'consent-missing']));
    expect(first.plannedActions).toBeGreaterThan(0);

    planT0 = await buildPlan(store, portalId, loaded, T0);
    const nowIso = T0.toISOString();
    const dueTypes = new Set(planT0.actions.map((a) => a.type));
    expect(dueTypes).toContain('create_task');
    expect(dueTypes).toContain('set_status');
    expect(planT0.actions.every((a) => a.dueAt <= nowIso)).toBe(true);
    // Destructive actions wait: none of the anonymise / redact / clear actions is due yet.
    expect(planT0.actions.filter((a) => ['anonymise', 'redact_note', 'clear_property', 'gdpr_delete'].includes(a.type))).toEqual([]);
    const pendingTypes = new Set(planT0.pending.map((a) => a.type));
    for (const t of ['anonymise', 'redact_note']) expect(pendingTypes).toContain(t);
    expect(planT0.pending.every((a) => a.destructive && a.dueAt > nowIso)).toBe(true);
    // Every contact with a waiting destructive action has a task due now that says when it will happen.
    const tasked = new Set(planT0.actions.filter((a) => a.type === 'create_task').map((a) => a.contactId));
    for (const a of planT0.pending) expect(tasked).toContain(a.contactId);
    // Nothing has been written to the CRM by scanning and planning.
    for (const c of sb.state.objects.contacts.values()) expect(liveTasksOf(c.id)).toHaveLength(0);
  });

  it('(f) a cause that goes away during the grace period cancels its actions on the next scan', async () => {
    // A contact whose only finding is a BSN in a note: the owner removes the BSN before the redaction is due.
    const open = await store.listOpenFindings(portalId);
    const byContact = new Map<string, Finding[]>();
    for (const f of open) if (f.contactId) byContact.set(f.contactId, [...(byContact.get(f.contactId) ?? []), f]);
    const candidate = [...byContact].find(([, fs]) => fs.length === 1 && fs[0]!.ruleId === 'bsn-note');
    expect(candidate).toBeDefined();
    const [contactId, [finding]] = candidate as [string, Finding[]];
    const noteId = finding!.field!.replace(/^note:/, '');
    expect(bsnSpans(noteText(noteId)).length).toBeGreaterThan(0);
    const actionIds = [...planT0.actions, ...planT0.pending].filter((a) => a.contactId === contactId).map((a) => a.id);
    expect(actionIds.length).toBeGreaterThanOrEqual(2); // the redaction, its task and the status
    cancelled = { contactId, actionIds, findingId: finding!.id };

    sb.state.update('notes', sb.state.get('notes', noteId)!, { hs_note_body: noteHtml('Gebeld over de offerte; stuurt de gegevens via het portaal.') });
    sb.state.touch('contacts', sb.state.get('contacts', contactId)!);

    const again = await scan(new Date(T0.getTime() + DAY));
    expect(again.resolvedFindings).toBeGreaterThanOrEqual(1);
    expect((await store.listOpenFindings(portalId)).map((f) => f.id)).not.toContain(finding!.id);
    const rows = await actionRows();
    for (const id of actionIds) expect(rows.get(id)?.state).toBe('cancelled');
  });

  it('(d) apply past the grace period with failures half-way; the same plan again finishes the rest and runs nothing twice', async () => {
    planT1 = await buildPlan(store, portalId, loaded, T1);
    expect(planT1.pending).toEqual([]);
    const types = new Set(planT1.actions.map((a) => a.type));
    for (const t of ['create_task', 'set_status', 'anonymise', 'redact_note', 'clear_property', 'unsubscribe']) expect(types).toContain(t);
    // The cancelled actions are not in the plan.
    expect(planT1.actions.map((a) => a.id).filter((id) => cancelled.actionIds.includes(id))).toEqual([]);
    // At most one task action per contact.
    const taskActions = planT1.actions.filter((a) => a.type === 'create_task');
    expect(new Set(taskActions.map((a) => a.contactId)).size).toBe(taskActions.length);
    expect(planT1.actions.length).toBeGreaterThan(200); // more than two apply batches

    before = {
      contacts: new Map([...sb.state.objects.contacts.values()].map((c) => [c.id, { ...c.properties }])),
      notes: new Map([...sb.state.objects.notes.values()].map((n) => [n.id, stripHtml(n.properties.hs_note_body ?? '')])),
    };

    // The first tasks batch fails (a 500 on a create: never resent), and after the first apply batch a
    // batch read is refused for longer than we wait (477, retry after 10 min): the run stops there.
    sb.failNext({ method: 'POST', path: '/crm/v3/objects/tasks/batch/create', status: 500, count: 1 });
    let batches = 0;
    const crashed = await applyPlan({
      store,
      connector,
      policy,
      plan: planT1,
      now: T1,
      actor: 'e2e',
      onProgress: () => {
        batches += 1;
        if (batches === 1) sb.failNext({ method: 'POST', path: '/crm/v4/associations/contacts/tasks/batch/read', status: 477, retryAfterSeconds: 600, count: 1 });
      },
    }).then(
      (s) => s,
      (e: Error) => e,
    );
    const afterFirst = await actionRows();
    const states1 = planT1.actions.map((a) => afterFirst.get(a.id)!.state);
    const doneFirst = planT1.actions.filter((a) => afterFirst.get(a.id)!.state === 'done').map((a) => a.id);
    expect(doneFirst.length).toBeGreaterThan(0);
    expect(states1.filter((s) => !['done', 'skipped', 'cancelled'].includes(s)).length).toBeGreaterThan(0);
    if (!(crashed instanceof Error)) expect(crashed.failed).toBeGreaterThan(0);
    // The failed task batch created nothing.
    const tasksAfterFirst = sb.state.objects.tasks.size;
    expect(tasksAfterFirst).toBeLessThan(taskActions.length);

    const second = await apply(planT1, T1);
    expect(second.failed).toBe(0);
    expect(second.notDueYet).toBe(0);
    // No cause went away between the runs: what the interrupted run had already sent must not be
    // reported (and audited) as cancelled for a vanished cause.
    expect(second.cancelled).toBe(0);
    expect(second.alreadyDone).toBeGreaterThanOrEqual(doneFirst.length);
    expect(second.done + second.skipped + second.cancelled + second.alreadyDone).toBe(planT1.actions.length);

    const afterSecond = await actionRows();
    for (const a of planT1.actions) expect(['done', 'skipped', 'cancelled']).toContain(afterSecond.get(a.id)!.state);
    // What the interrupted or failed batch had sent is not recorded as cancelled either (a failed
    // read or write fails its batch and the run goes on, so these are 'failed' rather than 'running').
    const wasRunning = planT1.actions.filter((a) => ['running', 'failed'].includes(afterFirst.get(a.id)!.state));
    expect(wasRunning.length).toBeGreaterThan(0);
    for (const a of wasRunning) expect((await store.getAction(a.id))!.result?.detail ?? '').not.toMatch(/^cancelled/);
    // What was done the first time was not started again.
    for (const id of doneFirst) expect(afterSecond.get(id)!.attempts).toBe(afterFirst.get(id)!.attempts);
    // One task per task action, each exactly once, on the right contact; no contact has two.
    for (const a of taskActions) {
      const withMarker = liveTasksOf(a.contactId).filter((t) => (t.properties.hs_task_subject ?? '').includes(taskMarker(a.id)));
      expect(withMarker).toHaveLength(1);
      expect(liveTasksOf(a.contactId)).toHaveLength(1);
    }
    expect(sb.state.objects.tasks.size).toBe(taskActions.length);
  });

  it('(b) the CRM shows the effects: notes redacted without the BSN, contacts anonymised, tasks and status properties created', async () => {
    const rows = await actionRows();
    const doneOf = <T extends Action['type']>(t: T) => planT1.actions.filter((a): a is Extract<Action, { type: T }> => a.type === t && rows.get(a.id)?.state === 'done');

    // Notes with a BSN: the BSN is gone, the rest of the note stays, a neutral marker sits in its place.
    const redacted = doneOf('redact_note').filter((a) => a.ruleIds.includes('bsn-note'));
    expect(redacted.length).toBeGreaterThan(0);
    for (const a of redacted) {
      const was = before.notes.get(a.noteId)!;
      const bsns = bsnSpans(was);
      expect(bsns.length).toBeGreaterThan(0);
      const now = noteText(a.noteId);
      for (const b of bsns) expect(now).not.toContain(b);
      expect(bsnSpans(now)).toEqual([]);
      expect(now).toContain(REDACTION_MARKER);
      expect(sb.state.get('notes', a.noteId)!.archived).toBe(false);
    }

    // Anonymised contacts: personal properties overwritten, their notes removed; the record remains.
    const anonymised = doneOf('anonymise');
    expect(anonymised.length).toBeGreaterThan(0);
    for (const a of anonymised) {
      const c = sb.state.get('contacts', a.contactId)!;
      const old = before.contacts.get(a.contactId)!;
      expect(c.archived).toBe(false);
      expect(c.properties.email ?? '').not.toBe(old.email);
      if (old.firstname) expect(c.properties.firstname).toBe(ANONYMISED_TEXT);
      if (old.lastname) expect(c.properties.lastname).toBe(ANONYMISED_TEXT);
      if (old.phone) expect(c.properties.phone ?? '').toBe('');
      expect(sb.state.associatedIds('contacts', a.contactId, 'notes')).toEqual([]);
      // The status no longer says an action is pending.
      expect(c.properties.gdpr_status).toBe('anonymised');
    }

    // Cleared properties are empty.
    const cleared = doneOf('clear_property');
    expect(cleared.length).toBeGreaterThan(0);
    for (const a of cleared) expect(sb.state.get('contacts', a.contactId)!.properties[a.property] ?? '').toBe('');

    // Unsubscribed: HubSpot mirrors the status into the contact's opt-out property.
    const unsubscribed = doneOf('unsubscribe');
    expect(unsubscribed.length).toBeGreaterThan(0);
    for (const a of unsubscribed) expect(sb.state.get('contacts', a.contactId)!.properties[`hs_email_optout_${a.subscriptionId}`]).toBe('true');

    // Tasks for the owner, naming rules and ids only.
    for (const a of doneOf('create_task')) {
      const [t] = liveTasksOf(a.contactId);
      expect(t!.properties.hubspot_owner_id).toBe(a.ownerId);
      const old = before.contacts.get(a.contactId)!;
      const text = `${t!.properties.hs_task_subject} ${t!.properties.hs_task_body}`;
      for (const v of [old.email, old.firstname && old.lastname ? `${old.firstname} ${old.lastname}` : null]) if (v) expect(text).not.toContain(v);
    }

    // Status properties were created in the portal on first use and set on the contacts.
    for (const p of [STATUS_PROPERTIES.status, STATUS_PROPERTIES.nextActionAt, STATUS_PROPERTIES.ruleIds]) expect(sb.state.properties.contacts.has(p)).toBe(true);
    const statuses = doneOf('set_status');
    expect(statuses.length).toBeGreaterThan(0);
    // Written as planned, then moved on once the contact's last destructive action ran: no stale "pending".
    const openDestructive = new Set((await store.listOpenActions(planT1.portalId)).filter((x) => x.destructive).map((x) => x.contactId));
    for (const a of statuses) {
      const shown = sb.state.get('contacts', a.contactId)!.properties[STATUS_PROPERTIES.status];
      if (openDestructive.has(a.contactId)) expect(shown).toBe(a.values[STATUS_PROPERTIES.status]);
      else expect(['anonymised', 'resolved']).toContain(shown);
    }

    // The contact whose cause went away was left alone.
    expect(liveTasksOf(cancelled.contactId)).toEqual([]);
    expect(sb.state.get('contacts', cancelled.contactId)!.properties[STATUS_PROPERTIES.status] ?? null).toBeNull();
  });

  it('(c) applying the same plan again changes nothing', async () => {
    const snap = snapshot();
    const writesBefore = writeRequests();
    const third = await apply(planT1, T1);
    expect(third).toMatchObject({ total: planT1.actions.length, alreadyDone: planT1.actions.length, done: 0, failed: 0, skipped: 0, cancelled: 0 });
    expect(snapshot()).toBe(snap);
    expect(writeRequests()).toEqual(writesBefore);
  });

  it('(f) a re-scan after apply resolves the fixed findings and leaves no action serving only resolved findings', async () => {
    const openBefore = (await store.listOpenFindings(portalId)).length;
    const s = await scan(T1);
    const open = await store.listOpenFindings(portalId);
    expect(s.resolvedFindings).toBeGreaterThan(0);
    expect(open.length).toBeLessThan(openBefore);
    expect(open.length).toBeLessThan(first.findings / 2);
    const rows = await actionRows();
    const openIds = new Set(open.map((f) => f.id));
    const done = planT1.actions.filter((a) => rows.get(a.id)?.state === 'done');
    // Fixed causes are no longer open: BSNs redacted, anonymised contacts, cleared fields, unsubscribed.
    for (const a of done.filter((x) => ['redact_note', 'anonymise', 'clear_property', 'unsubscribe'].includes(x.type))) {
      for (const fid of a.findingIds) expect(openIds.has(fid)).toBe(false);
    }
    // No planned or failed action is left whose findings are all resolved, but the closing of their tasks.
    const links = await store.db
      .selectFrom('action_findings as af')
      .innerJoin('actions as a', 'a.action_id', 'af.action_id')
      .innerJoin('findings as f', (j) => j.onRef('f.portal_id', '=', 'af.portal_id').onRef('f.finding_id', '=', 'af.finding_id'))
      .select(['a.action_id', 'f.status'])
      .where('a.portal_id', '=', portalId)
      .where('a.state', 'in', ['planned', 'failed'])
      .where('a.type', '!=', 'close_task')
      .execute();
    const anyOpen = new Map<string, boolean>();
    for (const l of links) anyOpen.set(l.action_id, (anyOpen.get(l.action_id) ?? false) || l.status === 'open');
    for (const [id, ok] of anyOpen) expect({ id, anyOpenFinding: ok }).toEqual({ id, anyOpenFinding: true });
    // Every task in the CRM that names a finding fixed by apply is to be closed (a close_task, due now, for its vendor task).
    expect(s.tasksToClose).toBeGreaterThan(0);
    const closes = (await store.listOpenActions(portalId)).filter((a): a is Extract<Action, { type: 'close_task' }> => a.type === 'close_task');
    expect(closes).toHaveLength(s.tasksToClose);
    for (const a of doneOf(planT1, rows, 'create_task').filter((t) => t.findingIds.some((id) => !openIds.has(id)))) {
      const vendorTask = (await store.getAction(a.id))!.result!.vendorRef!;
      expect(closes.find((c) => c.taskId === vendorTask)).toMatchObject({ contactId: a.contactId, taskActionId: a.id, dueAt: T1.toISOString() });
      expect(sb.state.get('tasks', vendorTask)!.properties.hs_task_status).toBe('NOT_STARTED'); // closed by apply, not by the scan
    }
  });

  it('(e) a forgotten person re-created with the same e-mail is flagged on the next scan and erased; the store keeps only hashes', async () => {
    const rows = await actionRows();
    const anonymisedIds = planT1.actions.filter((a) => a.type === 'anonymise' && rows.get(a.id)?.state === 'done').map((a) => a.contactId);
    const forgotten = anonymisedIds.map((id) => ({ id, email: before.contacts.get(id)!.email })).find((x) => x.email);
    expect(forgotten).toBeDefined();
    // Re-created through a form or an import, spelled with other capitals.
    const reborn = sb.state.insert('contacts', { email: forgotten!.email!.toUpperCase(), firstname: 'Re', lastname: 'Imported', lifecyclestage: 'lead', hubspot_owner_id: sb.state.owners[0]!.id });

    const s = await scan(new Date(T1.getTime() + 60_000));
    expect(s.byRule['suppressed-reappeared']).toBeGreaterThanOrEqual(1);
    const flagged = (await store.listOpenFindings(portalId)).filter((f) => f.ruleId === 'suppressed-reappeared');
    expect(flagged.map((f) => f.contactId)).toContain(reborn.id);
    for (const f of flagged) expect(f.evidence).not.toContain('@');

    // The suppression table holds keyed hashes and ids, no e-mail address.
    const supp = await store.db.selectFrom('suppression').selectAll().execute();
    expect(supp.length).toBeGreaterThanOrEqual(anonymisedIds.length);
    for (const r of supp) {
      expect(r.identifier_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.contact_ref).toMatch(/^[^@\s]+\/\d+$/);
      expect(`${r.reason} ${r.contact_ref}`).not.toContain('@');
    }
    // No table holds any seeded e-mail address or BSN in plain text.
    const people = generatePeople(SEED);
    const secrets = [...people.map((p) => p.email.toLowerCase()), ...people.flatMap((p) => (p.bsn ? [p.bsn] : [])), ...[...before.notes.values()].flatMap(bsnSpans)];
    expect(secrets.length).toBeGreaterThan(COUNT);
    const tables = ['tenants', 'portals', 'contacts', 'field_inventory', 'checkpoints', 'findings', 'actions', 'action_findings', 'suppression', 'audit_log', 'audit_head'];
    for (const t of tables) {
      const dump = (await sql<{ j: string }>`select row_to_json(x)::text as j from ${sql.table(t)} x`.execute(store.db)).rows.map((r) => r.j.toLowerCase()).join('\n');
      const leaked = secrets.filter((v) => dump.includes(v.toLowerCase()));
      expect({ table: t, leaked: leaked.length }).toEqual({ table: t, leaked: 0 });
    }

    // Its erasure waits out the grace period, then the re-created record is gone for good.
    const later = new Date(T1.getTime() + 15 * DAY);
    const plan = await buildPlan(store, portalId, loaded, later);
    const erase = plan.actions.filter((a) => a.type === 'gdpr_delete');
    expect(erase.map((a) => a.contactId)).toContain(reborn.id);
    const r = await apply(plan, later);
    expect(r.failed).toBe(0);
    expect(sb.state.get('contacts', reborn.id)).toBeUndefined();
    expect(sb.state.gdprDeletedIds.has(reborn.id)).toBe(true);

    const audit = await verifyAudit(store, { tenantId: TENANT });
    expect(audit.ok).toBe(true);
  });

  it('(g) a task in the CRM whose cause is removed during the grace period: the re-scan cancels the action, the next apply closes the task with a comment, once', async () => {
    const T2 = new Date(T1.getTime() + 16 * DAY);
    const BSN = '111222333';
    const c = sb.state.insert('contacts', { email: 'taak.sluiten@example.nl', firstname: 'Taak', lastname: 'Sluiten', lifecyclestage: 'customer', hubspot_owner_id: sb.state.owners[0]!.id });
    const note = sb.state.insert('notes', { hs_note_body: noteHtml(`Belde over de offerte, BSN ${BSN} genoteerd.`), hs_timestamp: sb.state.stamp() });
    sb.state.associate('notes', note.id, 'contacts', c.id);

    await scan(T2);
    const plan = await buildPlan(store, portalId, loaded, T2);
    const taskAction = plan.actions.find((a): a is Extract<Action, { type: 'create_task' }> => a.type === 'create_task' && a.contactId === c.id)!;
    expect(taskAction).toBeDefined();
    const redact = plan.pending.find((a) => a.type === 'redact_note' && a.contactId === c.id)!;
    expect(redact).toBeDefined();
    expect((await apply(plan, T2)).failed).toBe(0);
    const vendorTask = (await store.getAction(taskAction.id))!.result!.vendorRef!;
    expect(liveTasksOf(c.id).map((t) => t.id)).toEqual([vendorTask]);

    // The owner removes the BSN from the note before the redaction is due.
    sb.state.update('notes', note, { hs_note_body: noteHtml('Belde over de offerte, nummer gecontroleerd.') });
    sb.state.touch('contacts', c);
    const T3 = new Date(T2.getTime() + DAY);
    const s = await scan(T3);
    expect(s.tasksToClose).toBeGreaterThanOrEqual(1);
    expect((await store.getAction(redact.id))!.state).toBe('cancelled');
    const later = await buildPlan(store, portalId, loaded, T3);
    const close = later.actions.find((a): a is Extract<Action, { type: 'close_task' }> => a.type === 'close_task' && a.taskId === vendorTask)!;
    expect(close).toMatchObject({ contactId: c.id, taskActionId: taskAction.id, destructive: false });
    expect(sb.state.get('tasks', vendorTask)!.properties.hs_task_status).toBe('NOT_STARTED');

    const r = await apply(later, T3);
    expect(r.failed).toBe(0);
    expect(r.byType.close_task?.done).toBeGreaterThanOrEqual(1);
    expect((await store.getAction(close.id))!.state).toBe('done');
    const t = sb.state.get('tasks', vendorTask)!.properties;
    expect(t.hs_task_status).toBe('COMPLETED');
    expect(t.hs_task_body).toContain(taskAction.body); // the original text stays, the comment follows it
    const comment = t.hs_task_body!.slice(taskAction.body.length);
    expect(comment).toContain(`closed automatically on ${T3.toISOString().slice(0, 10)}; the cause went away`);
    expect(comment).toMatch(/- bsn-note \(unlawful_field, national_id\): resolved on \d{4}-\d{2}-\d{2}/);
    expect(comment).toContain(`pending action cancelled: redact note (was due ${redact.dueAt.slice(0, 10)})`);
    for (const v of [BSN, '1112', 'Taak', 'Sluiten', 'example.nl']) expect(comment).not.toContain(v);
    // Audited like every action.
    const audit = await store.db.selectFrom('audit_log').select(['action', 'result', 'contact_id']).where('action', '=', 'close_task').where('contact_id', '=', c.id).execute();
    expect(audit).toEqual([{ action: 'close_task', result: 'done', contact_id: c.id }]);

    // Applying the same plan again sends nothing.
    const snap = snapshot();
    const writes = writeRequests();
    const again = await apply(later, T3);
    expect(again).toMatchObject({ done: 0, failed: 0, alreadyDone: later.actions.length });
    expect(snapshot()).toBe(snap);
    expect(writeRequests()).toEqual(writes);

    // By now every task whose findings were fixed or went away is closed in the CRM, and only those.
    const rows = await store.db.selectFrom('actions').select(['action_id', 'state', 'result_json']).where('portal_id', '=', portalId).where('type', '=', 'create_task').where('state', '=', 'done').execute();
    const open = new Set((await store.listOpenFindings(portalId)).map((f) => f.id));
    let closed = 0;
    for (const row of rows) {
      const a = (await store.getAction(row.action_id))!;
      const vt = sb.state.get('tasks', a.result!.vendorRef!);
      if (!vt) continue; // erased with its contact (GDPR delete)
      const anyResolved = a.action.findingIds.some((id) => !open.has(id));
      expect({ task: a.action.id, completed: vt.properties.hs_task_status === 'COMPLETED' }).toEqual({ task: a.action.id, completed: anyResolved });
      if (anyResolved) closed++;
    }
    expect(closed).toBeGreaterThan(1);
  });
});

const doneOf = <T extends Action['type']>(plan: Plan, rows: Map<string, { state: string }>, t: T) =>
  plan.actions.filter((a): a is Extract<Action, { type: T }> => a.type === t && rows.get(a.id)?.state === 'done');

/** Write requests the sandbox has answered so far (everything but reads and searches). */
function writeRequests(): Record<string, number> {
  return Object.fromEntries(
    Object.entries(sb.stats.byRoute).filter(([k]) => !k.startsWith('GET ') && !/\/batch\/read$|\/search$/.test(k)),
  );
}
