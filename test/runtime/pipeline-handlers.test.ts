/**
 * The real PipelineHandlers against the HubSpot sandbox (real SDK over HTTP) and a PGlite store: one
 * contact re-checked after a change, the re-import guard, a cause that goes away, deletions, due
 * actions applied once, the digest, portal resolution with secrets from the environment.
 */
import { randomUUID } from 'node:crypto';
import { stripHtml } from '../../connectors/hubspot/mapping';
import type { ChangeEvent, Portal } from '../../src/model';
import { secretsFromEnv, accountEnvSuffix } from '../../src/runtime/pipeline-handlers';
import { addContact, BSN, openRuntimeFixture, setNote, tasksOf, TENANT, type RuntimeFixture } from './fixtures';

const DAY = 86_400_000;
let fx: RuntimeFixture;
let clockMs = Date.now();

beforeAll(async () => {
  fx = await openRuntimeFixture({ handlers: { now: () => clockMs, scheduleFor: () => ({ incremental: '30 1 * * *' }) } });
}, 60_000);
afterAll(async () => {
  await fx?.close();
});

const ev = (objectId: string, kind: ChangeEvent['kind'] = 'updated'): ChangeEvent => ({
  vendor: 'hubspot',
  vendorAccountId: String(fx.sb.state.portalId),
  eventId: randomUUID(),
  objectId,
  kind,
  occurredAt: new Date(clockMs).toISOString(),
});

const actionsOf = async (contactId: string) => {
  const rows = await fx.store.db.selectFrom('actions').select(['action_id', 'type', 'state', 'due_at']).where('contact_id', '=', contactId).execute();
  return rows.map((r) => ({ id: r.action_id, type: r.type, state: r.state, dueAt: new Date(r.due_at).toISOString() }));
};
const openFindingRules = async (contactId: string) => (await fx.store.listOpenFindings(fx.portal.id)).filter((f) => f.contactId === contactId).map((f) => f.ruleId).sort();

describe('checkContact and applyDue', () => {
  let id: string;
  let due: string[];

  it('a BSN pasted into a note: finding recorded, redaction planned after the grace period, task and status due now', async () => {
    id = addContact(fx.sb, { email: 'pieter.bakker@example.nl', firstname: 'Pieter', lastname: 'Bakker' }, [`Belde over zijn aanvraag, BSN ${BSN} voor de controle.`]);
    const r = await fx.handlers.checkContact(fx.portal.id, id, ev(id, 'created'), fx.budget);
    expect(await openFindingRules(id)).toContain('bsn-note');
    expect(r.findings).toBe((await openFindingRules(id)).length);
    const actions = await actionsOf(id);
    const redact = actions.find((a) => a.type === 'redact_note')!;
    expect(redact.state).toBe('planned');
    expect(Date.parse(redact.dueAt)).toBeGreaterThan(clockMs + 6 * DAY);
    due = r.dueActionIds ?? [];
    const dueTypes = actions.filter((a) => due.includes(a.id)).map((a) => a.type).sort();
    expect(dueTypes).toEqual(expect.arrayContaining(['create_task', 'set_status']));
    expect(dueTypes).not.toContain('redact_note');
    expect(tasksOf(fx.sb, id)).toHaveLength(0); // nothing written before apply
  });

  it('applyDue with those ids writes the task for the owner and the status, with no personal values in the task', async () => {
    const r = await fx.handlers.applyDue(fx.portal.id, fx.budget, { actionIds: due });
    expect(r).toEqual({ done: due.length, failed: 0, skipped: 0 });
    const tasks = tasksOf(fx.sb, id);
    expect(tasks).toHaveLength(1);
    const t = tasks[0]!.properties;
    expect(t.hs_task_body).toContain('bsn-note');
    expect(`${t.hs_task_subject} ${t.hs_task_body}`).not.toMatch(/111222333|1112\.22\.333|Pieter|Bakker|pieter\.bakker/);
    expect(t.hubspot_owner_id).toBe(fx.sb.state.owners[0]!.id);
    const c = fx.sb.state.get('contacts', id)!.properties;
    expect(c.gdpr_status).toBe('action_pending');
    expect(c.gdpr_rule_ids).toContain('bsn-note');
    // The note is untouched until the grace period ends.
    expect(stripHtml(fx.sb.state.get('notes', fx.sb.state.associatedIds('contacts', id, 'notes')[0]!)!.properties.hs_note_body!)).toContain(BSN);
  });

  it('the same change again (a redelivery or another property event): nothing new is due, nothing written twice', async () => {
    const requests = fx.sb.stats.requests;
    const r = await fx.handlers.checkContact(fx.portal.id, id, ev(id), fx.budget);
    expect(r.dueActionIds).toEqual([]);
    const again = await fx.handlers.applyDue(fx.portal.id, fx.budget, { actionIds: due });
    expect(again).toEqual({ done: 0, failed: 0, skipped: due.length });
    expect(tasksOf(fx.sb, id)).toHaveLength(1);
    // The re-check read the contact; the repeated apply sent nothing.
    const afterCheck = fx.sb.stats.requests;
    expect(afterCheck).toBeGreaterThan(requests);
    await fx.handlers.applyDue(fx.portal.id, fx.budget, { actionIds: due });
    expect(fx.sb.stats.requests).toBe(afterCheck);
  });

  it('the cause goes away (note cleaned by a person): the finding resolves, the pending redaction is cancelled, and the task is closed with a comment', async () => {
    const [task] = tasksOf(fx.sb, id);
    expect(task!.properties.hs_task_status).toBe('NOT_STARTED');
    setNote(fx.sb, id, 'Belde over zijn aanvraag, nummer gecontroleerd.');
    const r = await fx.handlers.checkContact(fx.portal.id, id, ev(id), fx.budget);
    expect(await openFindingRules(id)).not.toContain('bsn-note');
    const actions = await actionsOf(id);
    expect(actions.find((a) => a.type === 'redact_note')!.state).toBe('cancelled');
    // The close is planned by the webhook check and due now, so its apply job runs it.
    const close = actions.find((a) => a.type === 'close_task')!;
    expect(close.state).toBe('planned');
    expect(r.dueActionIds).toContain(close.id);
    expect((await fx.store.getAction(close.id))!.action).toMatchObject({ type: 'close_task', taskId: task!.id });

    const applied = await fx.handlers.applyDue(fx.portal.id, fx.budget, { actionIds: r.dueActionIds });
    expect(applied.failed).toBe(0);
    expect((await fx.store.getAction(close.id))!.state).toBe('done');
    const t = fx.sb.state.get('tasks', task!.id)!.properties;
    expect(t.hs_task_status).toBe('COMPLETED');
    expect(t.hs_task_body).toMatch(/closed automatically on \d{4}-\d{2}-\d{2}; the cause went away/);
    expect(t.hs_task_body).toContain('- bsn-note (unlawful_field, national_id): resolved on');
    expect(t.hs_task_body).toMatch(/pending action cancelled: redact note \(was due \d{4}-\d{2}-\d{2}\)/);
    expect(t.hs_task_body).not.toMatch(/111222333|1112\.22\.333|Pieter|Bakker|pieter\.bakker/);

    // A redelivery of the same event: nothing new to close, nothing sent.
    const again = await fx.handlers.checkContact(fx.portal.id, id, ev(id), fx.budget);
    expect(again.dueActionIds).not.toContain(close.id);
    const requests = fx.sb.stats.requests;
    expect(await fx.handlers.applyDue(fx.portal.id, fx.budget, { actionIds: [close.id] })).toEqual({ done: 0, failed: 0, skipped: 1 });
    expect(fx.sb.stats.requests).toBe(requests);
    expect(fx.sb.state.get('tasks', task!.id)!.properties.hs_task_body).toBe(t.hs_task_body);
  });

  it('the cause comes back after its task was closed: a new task for the owner', async () => {
    setNote(fx.sb, id, `Belde opnieuw, BSN ${BSN} weer genoteerd.`);
    const r = await fx.handlers.checkContact(fx.portal.id, id, ev(id), fx.budget);
    expect(await openFindingRules(id)).toContain('bsn-note');
    await fx.handlers.applyDue(fx.portal.id, fx.budget, { actionIds: r.dueActionIds });
    const tasks = tasksOf(fx.sb, id);
    expect(tasks.map((t) => t.properties.hs_task_status).sort()).toEqual(['COMPLETED', 'NOT_STARTED']);
    expect((await actionsOf(id)).find((a) => a.type === 'redact_note')!.state).toBe('planned');
  });

  it('after the grace period the scheduled applyDue (no ids) redacts a note that still holds a BSN', async () => {
    const other = addContact(fx.sb, { email: 'an.devries@example.nl', firstname: 'An', lastname: 'de Vries' }, [`Klantnummer en BSN ${BSN} genoteerd.`]);
    const r = await fx.handlers.checkContact(fx.portal.id, other, ev(other, 'created'), fx.budget);
    await fx.handlers.applyDue(fx.portal.id, fx.budget, { actionIds: r.dueActionIds });
    const before = clockMs;
    clockMs = before + 8 * DAY;
    try {
      const s = await fx.handlers.applyDue(fx.portal.id, fx.budget, {});
      expect(s.failed).toBe(0);
      expect(s.done).toBeGreaterThanOrEqual(1);
      expect((await actionsOf(other)).find((a) => a.type === 'redact_note')!.state).toBe('done');
      const body = stripHtml(fx.sb.state.get('notes', fx.sb.state.associatedIds('contacts', other, 'notes')[0]!)!.properties.hs_note_body!);
      expect(body).not.toContain(BSN);
      // Running the hourly job again does nothing more.
      const again = await fx.handlers.applyDue(fx.portal.id, fx.budget, {});
      expect(again.done).toBe(0);
    } finally {
      clockMs = before;
    }
  });
});

describe('re-import guard', () => {
  it('a contact whose e-mail matches a forgotten person is flagged and set for deletion after the grace period, with a task now', async () => {
    await fx.store.addSuppression(TENANT, { emails: ['forgotten.person@example.com'] }, 'test', 'hubspot:old/1');
    const id = addContact(fx.sb, { email: 'Forgotten.Person@Example.com ', firstname: 'F', lastname: 'P' });
    const r = await fx.handlers.checkContact(fx.portal.id, id, ev(id, 'created'), fx.budget);
    expect(await openFindingRules(id)).toContain('suppressed-reappeared');
    const actions = await actionsOf(id);
    const del = actions.find((a) => a.type === 'gdpr_delete')!;
    expect(del.state).toBe('planned');
    expect(Date.parse(del.dueAt)).toBeGreaterThan(clockMs + 13 * DAY);
    const task = actions.find((a) => a.type === 'create_task')!;
    expect(r.dueActionIds).toContain(task.id);
    expect(r.dueActionIds).not.toContain(del.id);
  });

  it('a contact with other identifiers is not flagged', async () => {
    const id = addContact(fx.sb, { email: 'someone.else@example.com', firstname: 'S', lastname: 'E' });
    await fx.handlers.checkContact(fx.portal.id, id, ev(id, 'created'), fx.budget);
    expect(await openFindingRules(id)).not.toContain('suppressed-reappeared');
  });
});

describe('deletions', () => {
  it('a deletion event resolves the contact\'s findings and cancels its pending actions', async () => {
    const id = addContact(fx.sb, { email: 'weg@example.nl', firstname: 'W', lastname: 'E' }, [`BSN ${BSN}`]);
    await fx.handlers.checkContact(fx.portal.id, id, ev(id, 'created'), fx.budget);
    expect(await openFindingRules(id)).toContain('bsn-note');
    const r = await fx.handlers.checkContact(fx.portal.id, id, ev(id, 'deleted'), fx.budget);
    expect(r).toEqual({ findings: 0, dueActionIds: [] });
    expect(await openFindingRules(id)).toEqual([]);
    expect((await actionsOf(id)).find((a) => a.type === 'redact_note')!.state).toBe('cancelled');
    expect((await fx.store.listContactsInventory(fx.portal.id)).find((c) => c.id === id)?.deleted).toBe(true);
  });

  it('a contact that no longer exists in the CRM is treated as deleted', async () => {
    const r = await fx.handlers.checkContact(fx.portal.id, '99999999', ev('99999999'), fx.budget);
    expect(r).toEqual({ findings: 0, dueActionIds: [] });
  });
});

describe('syncPortal, digest, portals', () => {
  it('an incremental sync finds what changed since the install scan', async () => {
    const id = addContact(fx.sb, { email: 'nieuw@example.nl', firstname: 'N', lastname: 'W' }, [`BSN: ${BSN}`]);
    const r = await fx.handlers.syncPortal(fx.portal.id, 'incremental', fx.budget);
    expect(r.contacts).toBeGreaterThanOrEqual(1);
    expect(await openFindingRules(id)).toContain('bsn-note');
  });

  it('the digest gives counts per rule and dates, and no personal values', async () => {
    const { text } = await fx.handlers.digest(fx.portal.id);
    expect(text).toContain(`GDPR digest for portal ${fx.portal.id}`);
    expect(text).toMatch(/bsn-note\s+\S.*\s\d+\s+\d+\s+\d{4}-\d{2}-\d{2}/);
    expect(text).toContain('Scheduled actions');
    expect(text).toMatch(/gdpr delete\s+1\s/);
    for (const secret of [BSN, '1112.22.333', 'example.nl', 'example.com', 'Pieter', 'Vries', 'forgotten']) expect(text).not.toContain(secret);
  });

  it('resolvePortal finds stored portals by vendor and account, with secrets; unknown accounts resolve to null', async () => {
    const r = await fx.handlers.resolvePortal('hubspot', String(fx.sb.state.portalId));
    expect(r).toEqual({ portalId: fx.portal.id, secrets: { hubspotClientSecret: 'unused' } });
    expect(await fx.handlers.resolvePortal('hubspot', '1')).toBeNull();
    expect(await fx.handlers.resolvePortal('zoho', String(fx.sb.state.portalId))).toBeNull();
  });

  it('listPortals gives the stored portals with their schedule settings', async () => {
    expect(await fx.handlers.listPortals()).toEqual([{ portalId: fx.portal.id, schedule: { incremental: '30 1 * * *' } }]);
  });
});

describe('secretsFromEnv', () => {
  const portal = (vendor: Portal['vendor'], account: string): Portal => ({ id: `${vendor}:${account}`, vendor, vendorAccountId: account, tenantId: 't', region: 'eu', regionInEea: true, transferMechanism: 'none' });

  it('reads shared secrets and per-account overrides', () => {
    const s = secretsFromEnv({ HUBSPOT_CLIENT_SECRET: 'app-secret', HUBSPOT_CLIENT_SECRET_777: 'other-app', ZOHO_CHANNEL_TOKEN: 'tok', ZOHO_CHANNEL_ID_20001: '1000000068001' });
    expect(s(portal('hubspot', '62515'))).toEqual({ hubspotClientSecret: 'app-secret' });
    expect(s(portal('hubspot', '777'))).toEqual({ hubspotClientSecret: 'other-app' });
    expect(s(portal('zoho', '20001'))).toEqual({ zohoChannelToken: 'tok', zohoChannelId: '1000000068001' });
    expect(accountEnvSuffix('00D5g000004XyZa')).toBe('00D5G000004XYZA');
  });

  it('allows a Salesforce org only when SALESFORCE_ORG_IDS lists it (15 or 18 characters)', () => {
    const s = secretsFromEnv({ SALESFORCE_ORG_IDS: '00D5g000004XyZa, 00D000000000001AAA' });
    expect(s(portal('salesforce', '00D5g000004XyZaEAK'))).toEqual({ salesforceOrgId: '00D5g000004XyZa' });
    expect(s(portal('salesforce', '00D5g000009QqQqEAK'))).toEqual({ salesforceOrgId: undefined });
    expect(secretsFromEnv({})(portal('hubspot', '1'))).toEqual({ hubspotClientSecret: undefined });
  });

  it('refuses a malformed SALESFORCE_ORG_IDS naming the variable', () => {
    expect(() => secretsFromEnv({ SALESFORCE_ORG_IDS: 'not-an-org' })).toThrow(/SALESFORCE_ORG_IDS/);
  });
});

describe('webhook checks under load', () => {
  it('checks arriving together share one vendor read and one store pass, with the right result per contact', async () => {
    const ids = [0, 1, 2, 3, 4].map((i) => addContact(fx.sb, { email: `load.${i}@example.nl`, firstname: 'L', lastname: `${i}` }, i % 2 === 0 ? [`BSN ${BSN}`] : ['Belde terug.']));
    const before = { ...fx.sb.stats.byRoute };
    const results = await Promise.all(ids.map((id) => fx.handlers.checkContact(fx.portal.id, id, ev(id, 'created'), fx.budget)));
    const sent = (route: string) => (fx.sb.stats.byRoute[route] ?? 0) - (before[route] ?? 0);
    // One batch read of the five contacts (and one of their notes), no single reads.
    expect(sent('GET /crm/v3/objects/:objectType/:objectId')).toBe(0);
    expect(sent('POST /crm/v3/objects/:objectType/batch/read')).toBe(2);
    for (const [i, id] of ids.entries()) {
      const rules = await openFindingRules(id);
      expect(rules.includes('bsn-note')).toBe(i % 2 === 0);
      expect(results[i]!.findings).toBe(rules.length);
      const own = (await actionsOf(id)).map((a) => a.id);
      expect(results[i]!.dueActionIds!.every((a) => own.includes(a))).toBe(true);
    }
    // Their applies, arriving together, run as one write-back: one batch of tasks for all of them.
    const creates = sent('POST /crm/v3/objects/:objectType/batch/create');
    const applied = await Promise.all(results.map((r) => fx.handlers.applyDue(fx.portal.id, fx.budget, { actionIds: r.dueActionIds })));
    applied.forEach((a, i) => expect(a).toEqual({ done: results[i]!.dueActionIds!.length, failed: 0, skipped: 0 }));
    expect(sent('POST /crm/v3/objects/:objectType/batch/create') - creates).toBe(1);
    for (const [i, id] of ids.entries()) {
      if (i % 2 === 0) expect(tasksOf(fx.sb, id)).toHaveLength(1);
      else expect(tasksOf(fx.sb, id).length).toBeLessThanOrEqual(1);
    }
  });
});
