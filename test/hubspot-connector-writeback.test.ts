/**
 * Write-back through the real @hubspot/api-client against the real sandbox: each action checked in the
 * sandbox's state, a second run changing nothing, and one bad record not failing its batch.
 */
import { createHubSpotConnector, type HubSpotConnector } from '../connectors/hubspot/connector';
import { LEGAL_BASIS_VALUES, REDACTED_NOTE_TEXT } from '../connectors/hubspot/limits';
import { stripHtml } from '../connectors/hubspot/mapping';
import { NEWSLETTER_SUBSCRIPTION_ID, startHubSpotSandbox, type HubSpotSandbox } from '../connectors/hubspot/sandbox';
import { STATUS_PROPERTIES } from '../connectors/types';
import { Action, type ActionResult } from '../src/model';

const TOKEN = 'pat-eu1-writeback';
let sb: HubSpotSandbox;
let hs: HubSpotConnector;

const base = (id: string, contactId: string, destructive = false) => ({
  id,
  portalId: `hubspot:${sb.state.portalId}`,
  tenantId: 'tenant-a',
  contactId,
  findingIds: [`f-${id}`],
  ruleIds: ['rule-x'],
  dueAt: '2026-12-24T09:00:00.000Z',
  destructive,
});

const contacts = () => [...sb.state.objects.contacts.values()].filter((r) => !r.archived).sort((a, b) => Number(a.id) - Number(b.id));
const byId = (rs: ActionResult[]) => new Map(rs.map((r) => [r.actionId, r]));

/** Everything the write-back can change, as comparable JSON. */
function snapshot(): string {
  const objects = (['contacts', 'notes', 'tasks'] as const).map((t) => [...sb.state.objects[t].values()].sort((a, b) => Number(a.id) - Number(b.id)));
  const subs = [...sb.state.subscriptionStatuses].map(([k, m]) => [k, [...m]]);
  return JSON.stringify({ objects, subs, props: [...sb.state.properties.contacts.keys()].sort(), deleted: [...sb.state.gdprDeletedIds].sort() });
}

beforeAll(async () => {
  sb = await startHubSpotSandbox({ accessToken: TOKEN, seed: { count: 60, seed: 11 }, limits: false });
  hs = createHubSpotConnector({ vendor: 'hubspot', tenantId: 'tenant-a', baseUrl: sb.url, accessToken: TOKEN, options: { anonymiseKey: 'test-anon-key' } });
});
afterAll(async () => {
  await sb.close();
});

describe('ensureStatusProperties', () => {
  it('creates the gdpr_status group and properties, tolerates a concurrent creator, and is idempotent', async () => {
    for (const n of Object.values(STATUS_PROPERTIES)) expect(sb.state.properties.contacts.has(n)).toBe(false);
    const other = createHubSpotConnector({ vendor: 'hubspot', tenantId: 'tenant-a', baseUrl: sb.url, accessToken: TOKEN, options: { consentPurposes: 'newsletter,research' } });
    const propsBefore = sb.state.properties.contacts.size;
    await Promise.all([hs.ensureStatusProperties(), other.ensureStatusProperties()]);
    // Both read the (empty) list first, so the shared names were POSTed twice: the losers got 409 and carried on.
    const posts = sb.stats.byRoute['POST /crm/v3/properties/:objectType'] ?? 0;
    expect(posts).toBeGreaterThan(sb.state.properties.contacts.size - propsBefore);
    expect(sb.state.groups.contacts.has('gdpr_status')).toBe(true);
    for (const n of Object.values(STATUS_PROPERTIES)) expect(sb.state.properties.contacts.get(n)!.groupName).toBe('gdpr_status');
    expect(sb.state.properties.contacts.get('consent_research_status')!.options.map((o) => o.value)).toEqual(['granted', 'withdrawn', 'denied']);
    const before = snapshot();
    await hs.ensureStatusProperties();
    expect(snapshot()).toBe(before);
  });
});

describe('apply', () => {
  let actions: Action[];
  let first: ActionResult[];
  let ids: Record<string, string>;
  let noteToRedact: string;
  let noteToDelete: string;
  let anonNotes: string[];
  let before: string;

  beforeAll(async () => {
    // Distinct contacts per action, each in the state its action changes.
    const used = new Set<string>();
    const pick = (ok: (r: ReturnType<typeof contacts>[number]) => boolean): string => {
      const r = contacts().find((x) => !used.has(x.id) && ok(x))!;
      used.add(r.id);
      return r.id;
    };
    const hasNotes = (r: { id: string }, n = 1) => sb.state.associatedIds('contacts', r.id, 'notes').length >= n;
    ids = {
      del: pick(() => true),
      anon: pick((r) => hasNotes(r) && !!r.properties.jobtitle),
      clear: pick((r) => !!r.properties.city),
      basis: pick((r) => !r.properties.hs_legal_basis),
      unsub: pick((r) => r.properties[`hs_email_optout_${NEWSLETTER_SUBSCRIPTION_ID}`] === 'false'),
      status: pick(() => true),
      task: pick(() => true),
      notes: pick((r) => hasNotes(r, 2)),
    };
    anonNotes = sb.state.associatedIds('contacts', ids.anon!, 'notes');
    const noteIds = sb.state.associatedIds('contacts', ids.notes!, 'notes');
    noteToRedact = noteIds[0]!;
    noteToDelete = noteIds[1]!;
    actions = [
      { ...base('a-del', ids.del!, true), type: 'gdpr_delete' },
      { ...base('a-anon', ids.anon!, true), type: 'anonymise', properties: { email: 'unique_email', firstname: 'clear', lastname: 'fixed_text', jobtitle: 'keyed_hash', notes_last_updated: 'clear' }, notes: 'delete' },
      { ...base('a-clear', ids.clear!), type: 'clear_property', property: 'city' },
      { ...base('a-redact', ids.notes!), type: 'redact_note', noteId: noteToRedact, categories: ['health'] },
      { ...base('a-delnote', ids.notes!), type: 'delete_note', noteId: noteToDelete },
      { ...base('a-basis', ids.basis!), type: 'set_lawful_basis', purpose: 'marketing_existing_customers', basis: 'legitimate_interest' },
      { ...base('a-unsub', ids.unsub!), type: 'unsubscribe', subscriptionId: NEWSLETTER_SUBSCRIPTION_ID, purpose: 'newsletter' },
      { ...base('a-status', ids.status!), type: 'set_status', values: { [STATUS_PROPERTIES.status]: 'review', [STATUS_PROPERTIES.nextActionAt]: '2026-12-24T09:00:00.000Z' } },
      { ...base('a-task', ids.task!), type: 'create_task', subject: 'GDPR: review contact', body: 'Rule rule-x (Art. 5(1)(e)).', ownerId: '102' },
    ].map((a) => Action.parse(a));
    before = snapshot();
    first = await hs.apply(actions);
  });

  it('reports every action done', () => {
    expect(first.map((r) => [r.actionId, r.status])).toEqual(actions.map((a) => [a.id, 'done']));
  });

  it('gdpr_delete removes the contact permanently (not the recycle bin)', () => {
    expect(sb.state.objects.contacts.has(ids.del!)).toBe(false);
    expect(sb.state.gdprDeletedIds.has(ids.del!)).toBe(true);
  });

  it('anonymise overwrites personal properties, never read-only ones, and deletes the notes', () => {
    const r = sb.state.objects.contacts.get(ids.anon!)!;
    expect(r.properties.email).toMatch(/^anon-[0-9a-f]{20}@anonymised\.invalid$/);
    expect(r.properties.firstname ?? '').toBe('');
    expect(r.properties.lastname).toBe('[geanonimiseerd / anonymised]');
    expect(r.properties.jobtitle).toMatch(/^h1:[0-9a-f]{32}$/);
    expect(byId(first).get('a-anon')!.detail).toContain('read-only properties left as they are: notes_last_updated');
    for (const n of anonNotes) expect(sb.state.objects.notes.get(n)?.archived ?? true).toBe(true);
  });

  it('clear_property empties the property', () => {
    expect(sb.state.objects.contacts.get(ids.clear!)!.properties.city ?? '').toBe('');
  });

  it('redact_note replaces the body; delete_note archives the note', () => {
    expect(stripHtml(sb.state.objects.notes.get(noteToRedact)!.properties.hs_note_body ?? '')).toBe(REDACTED_NOTE_TEXT);
    expect(sb.state.objects.notes.get(noteToDelete)!.archived).toBe(true);
  });

  it('set_lawful_basis writes the exact hs_legal_basis option (EN DASH)', () => {
    expect(sb.state.objects.contacts.get(ids.basis!)!.properties.hs_legal_basis).toBe(LEGAL_BASIS_VALUES.liCustomer);
    expect(LEGAL_BASIS_VALUES.liCustomer).toContain('\u2013');
  });

  it('unsubscribe goes through communication preferences with a legal basis', () => {
    const email = sb.state.objects.contacts.get(ids.unsub!)!.properties.email!.toLowerCase();
    const st = sb.state.subscriptionStatuses.get(email)!.get(NEWSLETTER_SUBSCRIPTION_ID)!;
    expect(st.status).toBe('NOT_SUBSCRIBED');
    expect(st.legalBasis).toBe('LEGITIMATE_INTEREST_OTHER');
    expect(sb.state.objects.contacts.get(ids.unsub!)!.properties[`hs_email_optout_${NEWSLETTER_SUBSCRIPTION_ID}`]).toBe('true');
  });

  it('set_status writes our status properties', () => {
    const p = sb.state.objects.contacts.get(ids.status!)!.properties;
    expect(p.gdpr_status).toBe('review');
    expect(Date.parse(p.gdpr_next_action_at!)).toBe(Date.parse('2026-12-24T09:00:00.000Z'));
  });

  it('create_task makes one task due at dueAt for the owner, associated with the contact', () => {
    const taskIds = sb.state.associatedIds('contacts', ids.task!, 'tasks');
    expect(taskIds).toHaveLength(1);
    const t = sb.state.objects.tasks.get(taskIds[0]!)!;
    expect(t.properties.hs_task_subject).toBe('GDPR: review contact [gdpr:a-task]');
    expect(Date.parse(t.properties.hs_timestamp!)).toBe(Date.parse('2026-12-24T09:00:00.000Z'));
    expect(t.properties.hubspot_owner_id).toBe('102');
    expect(byId(first).get('a-task')!.vendorRef).toBe(t.id);
  });

  it('applying the same actions again changes nothing and reports skipped', async () => {
    expect(snapshot()).not.toBe(before);
    const after = snapshot();
    const second = await hs.apply(actions);
    expect(snapshot()).toBe(after);
    expect(second.map((r) => [r.actionId, r.status])).toEqual(actions.map((a) => [a.id, 'skipped']));
    expect(byId(second).get('a-del')!.detail).toMatch(/already deleted/);
    expect(byId(second).get('a-task')!.detail).toBe('task already exists');
  });
});

describe('per-record failures', () => {
  it('a validation error on one record fails that action only; the rest of the batch is written', async () => {
    const cs = contacts().slice(20, 30);
    const actions = cs.map((r, i) =>
      Action.parse({
        ...base(`v-${i}`, r.id),
        type: 'set_status',
        values: { [STATUS_PROPERTIES.status]: 'checked', [STATUS_PROPERTIES.nextActionAt]: i === 4 ? 'not-a-date' : '2027-01-01T00:00:00.000Z' },
      }),
    );
    const results = await hs.apply(actions);
    const bad = results.find((r) => r.actionId === 'v-4')!;
    expect(bad.status).toBe('failed');
    expect(bad.detail).toMatch(/VALIDATION_ERROR/);
    expect(bad.detail).not.toContain('not-a-date'); // vendor messages may echo values: never copied
    expect(results.filter((r) => r.status === 'done')).toHaveLength(9);
    cs.forEach((r, i) => expect(sb.state.objects.contacts.get(r.id)!.properties.gdpr_status ?? null).toBe(i === 4 ? null : 'checked'));
  });

  it('actions on a contact that no longer exists are skipped', async () => {
    const results = await hs.apply([Action.parse({ ...base('gone-1', '987654321'), type: 'clear_property', property: 'city' })]);
    expect(results).toEqual([{ actionId: 'gone-1', status: 'skipped', detail: 'contact no longer exists in HubSpot' }]);
  });

  it('a lawful basis HubSpot cannot express fails with a clear reason', async () => {
    const results = await hs.apply([Action.parse({ ...base('lb-1', contacts()[9]!.id), type: 'set_lawful_basis', purpose: 'tax', basis: 'legal_obligation' })]);
    expect(results[0]).toMatchObject({ status: 'failed', detail: 'hs_legal_basis has no option for legal_obligation' });
  });
});

describe('note redaction variants', () => {
  it('redact_note writes the span-level redaction the pipeline supplies', async () => {
    const owner = contacts().find((r) => sb.state.associatedIds('contacts', r.id, 'notes').length > 0 && !r.properties.gdpr_status)!;
    const noteId = sb.state.associatedIds('contacts', owner.id, 'notes')[0]!;
    const a = Action.parse({ ...base('rn-1', owner.id), type: 'redact_note', noteId, categories: ['national_id'], redactedBody: 'BSN [verwijderd: bsn] <script>' });
    expect((await hs.apply([a]))[0]!.status).toBe('done');
    const html = sb.state.objects.notes.get(noteId)!.properties.hs_note_body ?? '';
    expect(stripHtml(html)).toBe('BSN [verwijderd: bsn] <script>');
    expect(html).not.toContain('<script>'); // written escaped
    expect((await hs.apply([a]))[0]).toMatchObject({ status: 'skipped', detail: 'note already redacted' });
  });

  it('anonymise with notes: redact overwrites every note of the contact and keeps them', async () => {
    const owner = contacts().find((r) => sb.state.associatedIds('contacts', r.id, 'notes').length >= 2 && !r.properties.gdpr_status)!;
    const noteIds = sb.state.associatedIds('contacts', owner.id, 'notes');
    const a = Action.parse({ ...base('an-r', owner.id, true), type: 'anonymise', properties: { firstname: 'clear' }, notes: 'redact' });
    expect((await hs.apply([a]))[0]!.status).toBe('done');
    expect(sb.state.associatedIds('contacts', owner.id, 'notes')).toEqual(noteIds);
    for (const id of noteIds) expect(stripHtml(sb.state.objects.notes.get(id)!.properties.hs_note_body ?? '')).toBe(REDACTED_NOTE_TEXT);
    expect((await hs.apply([a]))[0]!.status).toBe('skipped');
  });
});
