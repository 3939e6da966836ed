/** The Zoho connector against its local sandbox over real HTTP (axios), no mocks. */
import axios from 'axios';
import { createZohoConnector } from '../connectors/zoho/connector';
import { startZohoSandbox, type ZohoSandbox, type ZohoSandboxOptions } from '../connectors/zoho/sandbox/server';
import { parseEvidence } from '../connectors/zoho/mapping';
import { REDACTED } from '../connectors/zoho/writeback';
import type { Action, Contact } from '../src/model';
import type { ContactPage } from '../connectors/types';

const CREDS = { clientId: '1000.SANDBOXCLIENT', clientSecret: 'sandbox-secret', refreshToken: '1000.sandbox.refresh' };
const open: { close(): Promise<void> }[] = [];

async function sandbox(o: ZohoSandboxOptions = {}): Promise<ZohoSandbox> {
  const sb = await startZohoSandbox({ limits: { tokensPer10Min: 1000 }, ...o });
  open.push(sb);
  return sb;
}
function connector(sb: ZohoSandbox, extra: Record<string, string> = {}) {
  const c = createZohoConnector({ vendor: 'zoho', tenantId: 't1', options: { ...CREDS, accountsUrl: sb.accountsUrl, apiDomain: sb.url, dataCentre: 'eu', ...extra } });
  open.push({ close: async () => c.close?.() });
  return c;
}
async function all(it: AsyncIterable<ContactPage>): Promise<{ contacts: Contact[]; pages: ContactPage[] }> {
  const pages: ContactPage[] = [];
  for await (const p of it) pages.push(p);
  return { contacts: pages.flatMap((p) => p.contacts), pages };
}
const base = { portalId: 'zoho:20099999001', tenantId: 't1', findingIds: ['f1'], ruleIds: ['r1'], dueAt: '2026-11-15T00:00:00.000Z', destructive: false };
let seq = 0;
const act = <T extends Action['type']>(type: T, contactId: string, extra: Record<string, unknown> = {}): Action => ({ ...base, id: `a${++seq}`, type, contactId, ...extra }) as Action;

afterAll(async () => {
  for (const o of open.reverse()) await o.close();
});

describe('Zoho sync', () => {
  let sb: ZohoSandbox;
  beforeAll(async () => {
    sb = await sandbox({ seed: { count: 2_300, seed: 7 } });
  });

  it('describes the portal from the org and the data centre (eu -> inside the EEA)', async () => {
    const p = await connector(sb).describePortal();
    expect(p).toEqual({ id: 'zoho:20099999001', vendor: 'zoho', vendorAccountId: '20099999001', tenantId: 't1', name: 'Sandbox BV', region: 'eu', regionInEea: true, transferMechanism: 'none' });
    const us = await connector(sb, { dataCentre: 'com' }).describePortal();
    expect(us.regionInEea).toBe(false);
  });

  it('streams every contact once past the 2,000-record page limit (page_token), with notes', async () => {
    const c = connector(sb);
    const props = (await c.listProperties()).map((p) => p.name);
    const { contacts, pages } = await all(c.streamContacts({ properties: props, includeNotes: true }));
    expect(contacts).toHaveLength(2_300);
    expect(new Set(contacts.map((x) => x.id))).toEqual(new Set(sb.state.contacts.keys()));
    expect(contacts.reduce((n, x) => n + x.notes.length, 0)).toBe(sb.state.notes.size);
    // 2,300 contacts fill 12 pages of 200. Concurrent cursors read Modified_Time ranges, and a range's
    // end cuts its last page short, so there may be one short page per range (never an oversized one).
    const ranges = (JSON.parse(pages[pages.length - 1]?.checkpoint ?? '{}') as { parts?: unknown[] }).parts?.length ?? 0;
    expect(ranges).toBeGreaterThanOrEqual(1);
    expect(pages.every((p) => p.contacts.length <= 200)).toBe(true);
    expect(pages.length).toBeGreaterThanOrEqual(12);
    expect(pages.length).toBeLessThanOrEqual(12 + ranges);
    expect(sb.stats.byRoute['GET /crm/v8/Contacts']).toBeGreaterThanOrEqual(12);
    // Every mapped contact carries the seed's consent evidence from the custom field.
    const withConsent = contacts.filter((x) => x.consents.length > 0);
    expect(withConsent.length).toBeGreaterThan(100);
    expect(withConsent.some((x) => x.consents.some((r) => r.preTicked === true))).toBe(true);
  });

  it('resumes from a checkpoint without losing or repeating contacts', async () => {
    const c = connector(sb);
    const it = c.streamContacts({ properties: ['Email'], includeNotes: false })[Symbol.asyncIterator]();
    const first = (await it.next()).value as ContactPage;
    const second = (await it.next()).value as ContactPage;
    await it.return?.(undefined);
    const rest = await all(c.streamContacts({ properties: ['Email'], includeNotes: false, checkpoint: second.checkpoint as string }));
    const ids = [...first.contacts, ...second.contacts, ...rest.contacts].map((x) => x.id);
    expect(ids).toHaveLength(2_300);
    expect(new Set(ids).size).toBe(2_300);
  });

  it('incremental: returns records modified at or after `since`, including one at exactly that second', async () => {
    const c = connector(sb);
    const t = Date.parse('2027-01-01T00:00:00Z');
    const ids = [...sb.state.contacts.keys()].slice(10, 13);
    sb.state.touch(ids[0] as string, t);
    sb.state.touch(ids[1] as string, t + 5_000);
    sb.state.touch(ids[2] as string, t - 1_000);
    const { contacts } = await all(c.streamContacts({ properties: ['Email'], includeNotes: false, since: new Date(t) }));
    expect(contacts.map((x) => x.id).sort()).toEqual([ids[0], ids[1]].sort());
    const none = await all(c.streamContacts({ properties: ['Email'], includeNotes: false, since: new Date(t + 60_000) }));
    expect(none.contacts).toEqual([]);
  });

  it('bulk read streams the same contacts, mapped the same, as the records API', async () => {
    const c = connector(sb);
    const props = (await c.listProperties()).map((p) => p.name);
    const bulk = await all(c.streamContacts({ properties: props, includeNotes: false, bulk: true }));
    expect(bulk.contacts).toHaveLength(2_300);
    expect(bulk.pages[0]?.total).toBe(2_300);
    const rec = await all(c.streamContacts({ properties: props, includeNotes: false }));
    const byId = new Map(rec.contacts.map((x) => [x.id, x]));
    for (const b of bulk.contacts.slice(0, 300)) {
      const r = byId.get(b.id) as Contact;
      expect({ consents: b.consents, lawfulBasis: b.lawfulBasis, marketing: b.marketing, lifecycle: b.lifecycle, ownerId: b.ownerId, identifiers: b.identifiers }).toEqual({
        consents: r.consents,
        lawfulBasis: r.lawfulBasis,
        marketing: r.marketing,
        lifecycle: r.lifecycle,
        ownerId: r.ownerId,
        identifiers: r.identifiers,
      });
    }
    expect(sb.stats.byRoute['POST /crm/bulk/v8/read']).toBeGreaterThanOrEqual(1);
  });

  it('bulk read with `since` filters on Modified_Time (criteria)', async () => {
    const c = connector(sb);
    const { contacts } = await all(c.streamContacts({ properties: ['Email'], includeNotes: false, bulk: true, since: new Date('2027-01-01T00:00:00Z') }));
    expect(contacts.length).toBe(2);
  });

  it('getContact returns the mapped contact with notes, and null for an unknown id', async () => {
    const c = connector(sb);
    const id = [...sb.state.notes.values()].map((n) => (n.Parent_Id as { id: string }).id)[0] as string;
    const got = await c.getContact(id, ['Email', 'First_Name']);
    expect(got?.id).toBe(id);
    expect(got?.notes.length).toBeGreaterThan(0);
    expect(got?.properties.First_Name?.category).toBe('identity');
    expect(await c.getContact('5725767000199999999', ['Email'])).toBeNull();
  });
});

describe('Zoho token, limits and failures', () => {
  it('refreshes an expired access token transparently (401 INVALID_TOKEN once)', async () => {
    const sb = await sandbox({ seed: { count: 50 } });
    const c = connector(sb);
    await c.describePortal();
    expect(sb.stats.tokensIssued).toBe(1);
    sb.state.expireTokens();
    const { contacts } = await all(c.streamContacts({ properties: ['Email'], includeNotes: false }));
    expect(contacts).toHaveLength(50);
    expect(sb.stats.tokensIssued).toBe(2);
    expect(sb.stats.rejected401).toBe(1);
  });

  it('refreshes before the token lapses when expires_in is short', async () => {
    const sb = await sandbox({ seed: { count: 10 }, accessTokenTtlMs: 30_000 });
    const c = connector(sb);
    await c.describePortal();
    await c.listProperties();
    // 30 s < the 60 s safety margin: every call refreshes first, so no call ever meets a 401.
    expect(sb.stats.rejected401).toBe(0);
    expect(sb.stats.tokensIssued).toBe(2);
  });

  it('fails clearly on a revoked refresh token', async () => {
    const sb = await sandbox();
    await expect(connector(sb, { refreshToken: 'revoked' }).describePortal()).rejects.toThrow(/invalid_code/);
  });

  it('accepts the token request as query, urlencoded and multipart', async () => {
    const sb = await sandbox();
    const p = { grant_type: 'refresh_token', ...{ client_id: CREDS.clientId, client_secret: CREDS.clientSecret, refresh_token: CREDS.refreshToken } };
    const q = await axios.post(`${sb.accountsUrl}/oauth/v2/token`, null, { params: p });
    const u = await axios.post(`${sb.accountsUrl}/oauth/v2/token`, new URLSearchParams(p).toString(), { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    const fd = new FormData();
    for (const [k, v] of Object.entries(p)) fd.append(k, v);
    const m = await axios.post(`${sb.accountsUrl}/oauth/v2/token`, fd);
    for (const r of [q, u, m]) expect(r.data).toMatchObject({ access_token: expect.stringMatching(/^1000\./), api_domain: sb.url, token_type: 'Bearer', expires_in: 3600 });
    const api = await axios.get(`${sb.url}/crm/v8/org`, { headers: { Authorization: `Bearer ${q.data.access_token}` }, validateStatus: () => true });
    expect(api.status).toBe(401);
    expect(api.data).toEqual({ code: 'AUTHENTICATION_FAILURE', details: {}, message: 'Authentication failed', status: 'error' });
  });

  it('backs off and retries on 429 TOO_MANY_REQUESTS', async () => {
    const sb = await sandbox({ seed: { count: 300 }, failures: [{ status: 429, count: 3, path: '/Contacts' }] });
    const c = connector(sb);
    const { contacts } = await all(c.streamContacts({ properties: ['Email'], includeNotes: false }));
    expect(contacts).toHaveLength(300);
    expect(sb.stats.injected).toBe(3);
    expect(c.client.stats.throttled).toBe(3);
  });

  it('retries 5xx on reads and completes', async () => {
    const sb = await sandbox({ seed: { count: 300 }, failures: [{ status: 500, count: 1, path: '/Contacts' }, { status: 503, count: 1, path: '/Notes' }] });
    const c = connector(sb);
    const { contacts } = await all(c.streamContacts({ properties: ['Email'], includeNotes: true }));
    expect(contacts).toHaveLength(300);
    expect(sb.stats.injected).toBe(2);
    expect(c.client.stats.retries).toBe(2);
  });

  it('never resends a task creation after a 5xx (not idempotent) and reports it failed', async () => {
    const sb = await sandbox({ seed: { count: 5 }, failures: [{ status: 500, count: 1, method: 'POST', path: '/Tasks' }] });
    const c = connector(sb);
    const id = [...sb.state.contacts.keys()][0] as string;
    const [r] = await c.apply([act('create_task', id, { subject: 'Review', body: 'Check consent', ownerId: null })]);
    expect(r?.status).toBe('failed');
    expect(r?.detail).toMatch(/INTERNAL_ERROR/);
    expect(sb.state.tasks.size).toBe(0);
  });

  it('stays under the org concurrency limit and answers over-limit with 429', async () => {
    const sb = await sandbox({ seed: { count: 400 }, latencyMs: 5, limits: { concurrency: 4, tokensPer10Min: 100 } });
    const c = connector(sb, { concurrency: '4' });
    const { contacts } = await all(c.streamContacts({ properties: ['Email'], includeNotes: true }));
    expect(contacts).toHaveLength(400);
    expect(sb.stats.maxConcurrent).toBeLessThanOrEqual(4);
    expect(sb.stats.rejected429).toBe(0);
    const over = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const t = await c.client.token();
        return axios.get(`${sb.url}/crm/v8/org`, { headers: { Authorization: `Zoho-oauthtoken ${t}` }, validateStatus: () => true });
      }),
    );
    expect(over.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(over.find((r) => r.status === 429)?.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', status: 'error' });
  });

  it('answers credit exhaustion with 429 and X-API-CREDITS-REMAINING past half', async () => {
    const sb = await sandbox({ limits: { credits: 4, tokensPer10Min: 100 } });
    const c = connector(sb);
    const t = await c.client.token();
    const get = () => axios.get(`${sb.url}/crm/v8/org`, { headers: { Authorization: `Zoho-oauthtoken ${t}` }, validateStatus: () => true });
    const rs = [];
    for (let i = 0; i < 5; i++) rs.push(await get());
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200, 429]);
    expect(rs[1]?.headers['x-api-credits-remaining']).toBe('2');
    expect(rs[0]?.headers['x-api-credits-remaining']).toBeUndefined();
  });

  it('lists are refused without fields, and beyond page 10 without page_token', async () => {
    const sb = await sandbox({ seed: { count: 5 } });
    const t = await connector(sb).client.token();
    const h = { headers: { Authorization: `Zoho-oauthtoken ${t}` }, validateStatus: () => true };
    const a = await axios.get(`${sb.url}/crm/v8/Contacts`, h);
    expect(a.status).toBe(400);
    expect(a.data.code).toBe('REQUIRED_PARAM_MISSING');
    const b = await axios.get(`${sb.url}/crm/v8/Contacts?fields=Email&page=11`, h);
    expect(b.data.code).toBe('DISCRETE_PAGINATION_LIMIT_EXCEEDED');
    const e = await axios.get(`${sb.url}/crm/v8/Contacts/deleted`, h);
    expect(e.status).toBe(204);
    expect(e.data).toBe('');
  });
});

describe('Zoho write-back', () => {
  let sb: ZohoSandbox;
  let c: ReturnType<typeof connector>;
  const ids = (): string[] => [...sb.state.contacts.keys()];
  beforeEach(async () => {
    sb = await sandbox({ seed: { count: 40, seed: 3 } });
    c = connector(sb, { hashKey: 'a-test-key-of-enough-length' });
  });

  it('ensureStatusProperties creates the GDPR fields once', async () => {
    const bare = await sandbox({ seed: { count: 2 }, withProjectFields: false });
    const bc = connector(bare);
    expect((await bc.listProperties()).some((p) => p.name === 'GDPR_Status')).toBe(false);
    await bc.ensureStatusProperties();
    const names = (await bc.listProperties()).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['GDPR_Status', 'GDPR_Next_Action_At', 'GDPR_Last_Scan_At', 'GDPR_Rule_Ids', 'GDPR_Consent_Evidence']));
    const before = bare.state.fields.length;
    await bc.ensureStatusProperties();
    expect(bare.state.fields.length).toBe(before);
  });

  it('anonymise overwrites personal fields, deletes notes; a re-run changes nothing', async () => {
    const id = [...sb.state.notes.values()].map((n) => (n.Parent_Id as { id: string }).id)[0] as string;
    const a = act('anonymise', id, { properties: { First_Name: 'fixed_text', Last_Name: 'clear', Email: 'unique_email', Mobile: 'clear', Phone: 'clear', Mailing_City: 'keyed_hash', Date_of_Birth: 'clear', Account_Name: 'clear' }, notes: 'delete' });
    const [r] = await c.apply([a]);
    expect(r).toMatchObject({ actionId: a.id, status: 'done' });
    const rec = sb.state.contacts.get(id) as Record<string, unknown>;
    expect(rec).toMatchObject({ First_Name: 'Anonymised', Last_Name: 'Anonymised', Email: `anon-${id}@anonymised.invalid`, Mobile: null, Phone: null, Date_of_Birth: null, Account_Name: null });
    if (rec.Mailing_City !== null) expect(rec.Mailing_City).toMatch(/^h-[0-9a-f]{16}$/);
    expect([...sb.state.notes.values()].filter((n) => (n.Parent_Id as { id: string }).id === id)).toEqual([]);
    const snapshot = JSON.stringify(rec);
    const writes = sb.stats.writes;
    const [again] = await c.apply([a]);
    expect(again?.status).toBe('skipped');
    expect(sb.stats.writes).toBe(writes);
    expect(JSON.stringify(sb.state.contacts.get(id))).toBe(snapshot);
  });

  it('anonymise with notes: redact keeps the notes with redacted content', async () => {
    const id = [...sb.state.notes.values()].map((n) => (n.Parent_Id as { id: string }).id)[0] as string;
    const [r] = await c.apply([act('anonymise', id, { properties: { First_Name: 'fixed_text' }, notes: 'redact' })]);
    expect(r?.status).toBe('done');
    const notes = [...sb.state.notes.values()].filter((n) => (n.Parent_Id as { id: string }).id === id);
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.every((n) => n.Note_Content === REDACTED)).toBe(true);
  });

  it('gdpr_delete deletes, purges the recycle bin, shows up in listDeletedSince; a re-run is skipped', async () => {
    const [id1, id2] = ids() as [string, string];
    const since = new Date(Date.now() - 2_000);
    const res = await c.apply([act('gdpr_delete', id1), act('gdpr_delete', id2)]);
    expect(res.map((r) => r.status)).toEqual(['done', 'done']);
    expect(sb.state.contacts.has(id1)).toBe(false);
    expect(sb.state.deleted.filter((d) => d.id === id1 || d.id === id2).map((d) => d.type)).toEqual(['permanent', 'permanent']);
    expect((await c.listDeletedSince(since)).sort()).toEqual([id1, id2].sort());
    expect(await c.listDeletedSince(new Date(Date.now() + 60_000))).toEqual([]);
    const writes = sb.stats.writes;
    const again = await c.apply([act('gdpr_delete', id1)]);
    expect(again[0]?.status).toBe('skipped');
    expect(sb.stats.writes).toBe(writes);
  });

  it('clear_property clears a field; clearing the mandatory Last_Name fails with the vendor message and no personal value', async () => {
    const id = ids()[1] as string;
    const lastName = (sb.state.contacts.get(id) as Record<string, unknown>).Last_Name as string;
    const [ok, bad] = await c.apply([act('clear_property', id, { property: 'Mailing_City' }), act('clear_property', id, { property: 'Last_Name' })]);
    expect(ok?.status).toBe('done');
    expect(sb.state.contacts.get(id)?.Mailing_City).toBeNull();
    expect(bad?.status).toBe('failed');
    expect(bad?.detail).toBe('MANDATORY_NOT_FOUND: required field not found (field Last_Name)');
    expect(bad?.detail).not.toContain(lastName);
    expect(sb.state.contacts.get(id)?.Last_Name).toBe(lastName);
  });

  it('a vendor validation error fails that record only, not the batch', async () => {
    const [a, b] = ids() as [string, string];
    const res = await c.apply([
      act('set_status', a, { values: { gdpr_status: 'pending_review', gdpr_next_action_at: 'not-a-date' } }),
      act('set_status', b, { values: { gdpr_status: 'pending_review', gdpr_next_action_at: '2026-12-01T00:00:00.000Z' } }),
    ]);
    expect(res[0]).toMatchObject({ status: 'failed', detail: 'INVALID_DATA: invalid data (field GDPR_Next_Action_At) expected datetime' });
    expect(res[0]?.detail).not.toContain('not-a-date');
    expect(res[1]?.status).toBe('done');
    expect(sb.state.contacts.get(b)).toMatchObject({ GDPR_Status: 'pending_review', GDPR_Next_Action_At: '2026-12-01T00:00:00+00:00' });
    expect(sb.state.contacts.get(a)?.GDPR_Status).toBeNull();
    const again = await c.apply([act('set_status', b, { values: { gdpr_status: 'pending_review', gdpr_next_action_at: '2026-12-01T00:00:00.000Z' } })]);
    expect(again[0]?.status).toBe('skipped');
  });

  it('set_lawful_basis writes Data_Processing_Basis and the per-purpose evidence; says what Zoho cannot express', async () => {
    const id = ids()[2] as string;
    const rec = sb.state.contacts.get(id) as Record<string, unknown>;
    rec.Data_Processing_Basis = 'Not Applicable';
    rec.Data_Processing_Basis_Details = null;
    rec.GDPR_Consent_Evidence = null;
    const a = act('set_lawful_basis', id, { purpose: 'sales_prospecting', basis: 'legitimate_interest' });
    const [r] = await c.apply([a]);
    expect(r?.status).toBe('done');
    expect(r?.detail).toBe('Zoho cannot express lawfulBasis:sales_prospecting (kept in GDPR_Consent_Evidence)');
    expect(rec.Data_Processing_Basis).toBe('Legitimate Interests');
    expect(parseEvidence(rec.GDPR_Consent_Evidence)?.bases).toEqual([{ purpose: 'sales_prospecting', basis: 'legitimate_interest', recordedAt: expect.any(String) }]);
    const got = await c.getContact(id, []);
    expect(got?.lawfulBasis).toEqual([{ purpose: 'sales_prospecting', basis: 'legitimate_interest', recordedAt: expect.any(String) }]);
    const writes = sb.stats.writes;
    expect((await c.apply([a]))[0]?.status).toBe('skipped');
    expect(sb.stats.writes).toBe(writes);
  });

  it('unsubscribe clears the newsletter checkbox, or sets Email_Opt_Out', async () => {
    const [a, b] = ids() as [string, string];
    sb.state.contacts.get(a)!.Newsletter_Subscribed = true;
    sb.state.contacts.get(b)!.Email_Opt_Out = false;
    const res = await c.apply([
      act('unsubscribe', a, { subscriptionId: 'Newsletter_Subscribed', purpose: 'newsletter' }),
      act('unsubscribe', b, { subscriptionId: 'Email_Opt_Out', purpose: 'newsletter' }),
      act('unsubscribe', b, { subscriptionId: 'Unknown_List', purpose: 'newsletter' }),
    ]);
    expect(res.map((r) => r.status)).toEqual(['done', 'done', 'failed']);
    expect(sb.state.contacts.get(a)?.Newsletter_Subscribed).toBe(false);
    expect(sb.state.contacts.get(b)?.Email_Opt_Out).toBe(true);
  });

  it('create_task creates one task for the record owner (Who_Id), once', async () => {
    const id = ids()[3] as string;
    const owner = (sb.state.contacts.get(id)?.Owner as { id: string }).id;
    const a = act('create_task', id, { subject: 'GDPR: review contact', body: 'Consent cannot be proven.', ownerId: owner });
    const [r] = await c.apply([a]);
    expect(r?.status).toBe('done');
    const task = sb.state.tasks.get(r?.vendorRef as string);
    expect(task).toMatchObject({ Subject: 'GDPR: review contact', Due_Date: '2026-11-15', Status: 'Not Started', Who_Id: { id }, Owner: { id: owner }, Send_Notification_Email: false });
    const [again] = await c.apply([a]);
    expect(again).toMatchObject({ status: 'skipped', vendorRef: r?.vendorRef });
    expect(sb.state.tasks.size).toBe(1);
  });

  it('redact_note and delete_note change the notes; re-runs are skipped', async () => {
    const [n1, n2] = [...sb.state.notes.keys()] as [string, string];
    const parent = (sb.state.notes.get(n1)?.Parent_Id as { id: string }).id;
    const actions = [act('redact_note', parent, { noteId: n1, categories: ['bsn'], redactedBody: 'BSN [redacted]' }), act('delete_note', parent, { noteId: n2 })];
    expect((await c.apply(actions)).map((r) => r.status)).toEqual(['done', 'done']);
    expect(sb.state.notes.get(n1)?.Note_Content).toBe('BSN [redacted]');
    expect(sb.state.notes.has(n2)).toBe(false);
    expect((await c.apply(actions)).map((r) => r.status)).toEqual(['skipped', 'skipped']);
  });

  it('batches updates at 100 records a call', async () => {
    const big = await sandbox({ seed: { count: 250 } });
    const bc = connector(big);
    const actions = [...big.state.contacts.keys()].map((id) => act('set_status', id, { values: { gdpr_status: 'scanned' } }));
    const res = await bc.apply(actions);
    expect(res.every((r) => r.status === 'done')).toBe(true);
    expect(big.stats.byRoute['PUT /crm/v8/Contacts']).toBe(3);
  });

  it('actions on a contact that no longer exists are skipped', async () => {
    const res = await c.apply([act('clear_property', '5725767000199999999', { property: 'Email' }), act('create_task', '5725767000199999999', { subject: 'x', body: 'y', ownerId: null })]);
    expect(res.map((r) => r.status)).toEqual(['skipped', 'skipped']);
  });
});
