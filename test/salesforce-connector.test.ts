/** The Salesforce connector against its local sandbox: real jsforce over real HTTP, no mocks. */
import { Connection } from 'jsforce';
import { createSalesforceConnector } from '../connectors/salesforce/connector';
import { parseEvidence } from '../connectors/salesforce/mapping';
import { startSalesforceSandbox, type SalesforceSandbox, type SalesforceSandboxOptions } from '../connectors/salesforce/sandbox/server';
import { REDACTED } from '../connectors/salesforce/writeback';
import type { ContactPage } from '../connectors/types';
import type { Action, Contact } from '../src/model';

const open: { close(): Promise<void> }[] = [];
async function sandbox(o: SalesforceSandboxOptions = {}): Promise<SalesforceSandbox> {
  const sb = await startSalesforceSandbox(o);
  open.push(sb);
  return sb;
}
function connector(sb: SalesforceSandbox, extra: Record<string, string> = {}, token: string | null = sb.state.accessToken) {
  return createSalesforceConnector({ vendor: 'salesforce', tenantId: 't1', baseUrl: sb.url, ...(token ? { accessToken: token } : {}), options: { bulkPollIntervalMs: '20', ...extra } });
}
const refreshCreds = (sb: SalesforceSandbox) => ({ refreshToken: sb.state.refreshToken, clientId: sb.state.clientId, clientSecret: sb.state.clientSecret });
async function all(it: AsyncIterable<ContactPage>): Promise<{ contacts: Contact[]; pages: ContactPage[] }> {
  const pages: ContactPage[] = [];
  for await (const p of it) pages.push(p);
  return { contacts: pages.flatMap((p) => p.contacts), pages };
}
const base = { portalId: 'salesforce:00D000000000001AAA', tenantId: 't1', findingIds: ['f1'], ruleIds: ['r1'], dueAt: '2026-12-15T00:00:00.000Z', destructive: false };
let seq = 0;
const act = (type: Action['type'], contactId: string, extra: Record<string, unknown> = {}): Action => ({ ...base, id: `a${++seq}`, type, contactId, ...extra }) as Action;
const liveIds = (sb: SalesforceSandbox, obj: 'Contact' | 'Lead') => sb.state.live(obj).map((r) => r.Id);

afterAll(async () => {
  for (const o of open.reverse()) await o.close();
});

describe('the sandbox speaks Salesforce to the unmodified jsforce', () => {
  it('query with nextRecordsUrl, collections update, Bulk 2.0 query, MALFORMED_QUERY, Sforce-Limit-Info', async () => {
    const sb = await sandbox({ seed: { count: 120, seed: 3 }, limits: { dailyApiRequests: 15_000 } });
    const conn = new Connection({ instanceUrl: sb.url, accessToken: sb.state.accessToken, version: '62.0' });
    const first = await conn.query('SELECT Id, Email FROM Lead', { headers: { 'Sforce-Query-Options': 'batchSize=200' } } as never);
    expect(first.totalSize).toBe(sb.state.live('Lead').length);
    const q = await conn.query('SELECT Id FROM Contact ORDER BY Id', { autoFetch: true, maxFetch: 100_000, headers: { 'Sforce-Query-Options': 'batchSize=200' } } as never);
    expect(q.records.length).toBe(sb.state.live('Contact').length);
    expect(conn.limitInfo.apiUsage?.limit).toBe(15_000);
    const id = q.records[0]!.Id as string;
    const res = await conn.sobject('Contact').update([{ Id: id, Title: 'CTO' }]);
    expect(res).toEqual([{ id, success: true, errors: [] }]);
    expect(sb.state.get(id)?.Title).toBe('CTO');
    const rows: Record<string, string>[] = [];
    for await (const r of await conn.bulk2.query('SELECT Id, HasOptedOutOfEmail FROM Contact', { pollInterval: 10 })) rows.push(r as Record<string, string>);
    expect(rows.length).toBe(sb.state.live('Contact').length);
    // AND and OR mixed without parentheses is not SOQL (OR itself is: test/salesforce-sandbox-soql.test.ts).
    await expect(conn.query('SELECT Id FROM Contact WHERE Email = \'a\' AND Email = \'b\' OR Email = \'c\'')).rejects.toMatchObject({ errorCode: 'MALFORMED_QUERY' });
    await expect(conn.query('SELECT Nope__c FROM Contact')).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
  });
});

describe('Salesforce sync', () => {
  let sb: SalesforceSandbox;
  beforeAll(async () => {
    sb = await sandbox({ seed: { count: 4_600, seed: 7 } });
  });

  it('describes the org and its residency from the instance name (EU45 -> EEA; NA -> not)', async () => {
    expect(await connector(sb).describePortal()).toEqual({ id: 'salesforce:00D000000000001AAA', vendor: 'salesforce', vendorAccountId: '00D000000000001AAA', tenantId: 't1', name: 'Sandbox BV', region: 'eu45', regionInEea: true, transferMechanism: 'none' });
    const us = await sandbox({ instanceName: 'USA644' });
    expect((await connector(us).describePortal()).regionInEea).toBe(false);
  });

  it('streams every Contact and Lead once over SOQL pages past 2,000, with notes and consent objects', async () => {
    const c = connector(sb);
    const { contacts, pages } = await all(c.streamContacts({ properties: ['Title'], includeNotes: true }));
    const expected = new Set([...liveIds(sb, 'Contact'), ...liveIds(sb, 'Lead')]);
    expect(contacts).toHaveLength(expected.size);
    expect(new Set(contacts.map((x) => x.id))).toEqual(expected);
    expect(pages.length).toBeGreaterThanOrEqual(4);
    expect(contacts.filter((x) => x.objectType === 'lead').length).toBe(liveIds(sb, 'Lead').length);
    expect(contacts.reduce((n, x) => n + x.notes.length, 0)).toBe(sb.state.live('ContentNote').length);
    // A note longer than the 255-character preview arrives whole.
    const long = sb.state.live('ContentNote').find((n) => String(n.Content).length > 255);
    if (long) expect(contacts.flatMap((x) => x.notes).find((n) => n.id === long.Id)?.body.length).toBe(String(long.Content).length);
    // Consent rows from ContactPointTypeConsent plus the evidence JSON (pre-ticked lives only there).
    expect(contacts.filter((x) => x.consents.length > 0).length).toBeGreaterThan(500);
    expect(contacts.some((x) => x.consents.some((r) => r.preTicked === true))).toBe(true);
    expect(sb.stats.byRoute['GET /query/{locator}']).toBeGreaterThanOrEqual(2);
  });

  it('resumes from a checkpoint without losing or repeating records, also when the cursor expired', async () => {
    const c = connector(sb);
    const it = c.streamContacts({ properties: [], includeNotes: false })[Symbol.asyncIterator]();
    const first = (await it.next()).value as ContactPage;
    await it.return?.(undefined);
    const rest = await all(c.streamContacts({ properties: [], includeNotes: false, checkpoint: first.checkpoint as string }));
    const ids = [...first.contacts, ...rest.contacts].map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(liveIds(sb, 'Contact').length + liveIds(sb, 'Lead').length);
    // An unknown locator (expired cursor) falls back to the (SystemModstamp, ids) keyset.
    const cp = JSON.parse(Buffer.from(first.checkpoint as string, 'base64url').toString());
    cp.next = '/services/data/v62.0/query/01gEXPIRED-2000';
    const again = await all(c.streamContacts({ properties: [], includeNotes: false, checkpoint: Buffer.from(JSON.stringify(cp)).toString('base64url') }));
    const ids2 = [...first.contacts, ...again.contacts].map((x) => x.id);
    expect(new Set(ids2).size).toBe(ids2.length);
    expect(ids2.length).toBe(ids.length);
  });

  it('incremental: SystemModstamp >= since, including a record stamped exactly at since', async () => {
    const t = Date.parse('2027-01-01T00:00:00Z');
    const [a, b] = liveIds(sb, 'Contact');
    const [l] = liveIds(sb, 'Lead');
    sb.state.touch(a!, t);
    sb.state.touch(b!, t + 1500);
    sb.state.touch(l!, t);
    const { contacts } = await all(connector(sb).streamContacts({ properties: [], includeNotes: false, since: new Date(t) }));
    expect(contacts.map((x) => x.id).sort()).toEqual([a, b, l].sort());
  });

  it('Bulk API 2.0: full scan paged by Sforce-Locator, records typed back from CSV', async () => {
    const c = connector(sb, { bulkPageRecords: '700' });
    const { contacts } = await all(c.streamContacts({ properties: [], includeNotes: false, bulk: true }));
    expect(new Set(contacts.map((x) => x.id)).size).toBe(liveIds(sb, 'Contact').length + liveIds(sb, 'Lead').length);
    expect(contacts.length).toBe(new Set(contacts.map((x) => x.id)).size);
    expect(sb.stats.byRoute['GET /jobs/query/{id}/results']).toBeGreaterThanOrEqual(7);
    const optedOut = sb.state.live('Contact').filter((r) => r.HasOptedOutOfEmail === true).map((r) => r.Id);
    expect(contacts.filter((x) => x.objectType === 'contact' && x.marketing.emailOptOut === true).map((x) => x.id).sort()).toEqual(optedOut.sort());
  });

  it('switches a full scan to Bulk 2.0 above the threshold, and resumes a bulk scan mid-page', async () => {
    const before = sb.stats.byRoute['POST /jobs/query'] ?? 0;
    const c = connector(sb, { bulkThreshold: '1000', bulkPageRecords: '3000' });
    const it = c.streamContacts({ properties: [], includeNotes: false })[Symbol.asyncIterator]();
    const first = (await it.next()).value as ContactPage;
    await it.return?.(undefined);
    expect((sb.stats.byRoute['POST /jobs/query'] ?? 0) - before).toBe(1);
    const rest = await all(c.streamContacts({ properties: [], includeNotes: false, checkpoint: first.checkpoint as string }));
    const ids = [...first.contacts, ...rest.contacts].map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(liveIds(sb, 'Contact').length + liveIds(sb, 'Lead').length);
  });

  it('sees deletions through queryAll IsDeleted, and getContact returns null for them', async () => {
    const id = liveIds(sb, 'Contact')[5]!;
    const since = new Date(Date.now() - 1000);
    sb.state.delete(id);
    const c = connector(sb);
    expect(await c.listDeletedSince(since)).toEqual([id]);
    expect(await c.getContact(id, [])).toBeNull();
    const other = liveIds(sb, 'Lead')[3]!;
    expect((await c.getContact(other, ['Company']))?.properties.Company).toBeDefined();
  });
});

describe.each([true, false])('Salesforce write-back (consent objects: %s)', (hasConsentObjects) => {
  let sb: SalesforceSandbox;
  let c: ReturnType<typeof connector>;
  beforeAll(async () => {
    sb = await sandbox({ seed: { count: 300, seed: 11 }, hasConsentObjects });
    c = connector(sb);
    await c.ensureStatusProperties();
  });

  it('ensureStatusProperties creates the GDPR fields once (Tooling API CustomField)', async () => {
    expect(sb.state.customFieldsCreated.filter((f) => f.startsWith('Contact.GDPR_Status__c'))).toHaveLength(1);
    await c.ensureStatusProperties();
    expect(sb.state.customFieldsCreated.filter((f) => f.startsWith('Contact.GDPR_Status__c'))).toHaveLength(1);
  });

  it('applies every action, verified in the org, and a second apply changes nothing', async () => {
    const contacts = sb.state.live('Contact').filter((r) => sb.state.notesOf(r.Id).length > 0);
    const [c1, c2, c3, c4, c5] = contacts.map((r) => r.Id);
    const lead = sb.state.live('Lead').find((r) => r.Newsletter_Subscribed__c === true)!.Id;
    const withOptIn = hasConsentObjects ? sb.state.live('Contact').find((r) => sb.state.live('ContactPointTypeConsent').some((x) => x.PartyId === r.IndividualId && x.PrivacyConsentStatus === 'OptIn' && x.DataUsePurposeId === sb.state.purposeIds.get('newsletter')))!.Id : c5!;
    const note1 = sb.state.notesOf(c4!)[0]!.Id;
    const ind2 = sb.state.get(c2!)?.IndividualId as string | undefined;
    const actions: Action[] = [
      act('set_status', c1!, { values: { gdpr_status: 'review', gdpr_next_action_at: '2026-12-15T00:00:00.000Z' } }),
      act('clear_property', c1!, { property: 'Title' }),
      act('gdpr_delete', c2!),
      act('anonymise', c3!, { properties: { Email: 'unique_email', FirstName: 'clear', LastName: 'clear', Phone: 'clear' }, notes: 'redact' }),
      act('delete_note', c4!, { noteId: note1 }),
      act('create_task', c4!, { subject: 'GDPR: review contact', body: 'Stale record, please review', ownerId: null }),
      act('unsubscribe', withOptIn, { subscriptionId: 'HasOptedOutOfEmail', purpose: 'newsletter' }),
      act('unsubscribe', lead, { subscriptionId: 'Newsletter_Subscribed__c', purpose: 'newsletter' }),
      act('set_lawful_basis', c5!, { purpose: 'analytics', basis: 'legitimate_interest' }),
    ];
    const res = await c.apply(actions);
    expect(res.map((r) => [r.status, r.detail?.slice(0, 40)])).toEqual(res.map((r) => ['done', r.detail?.slice(0, 40)]));

    expect(sb.state.get(c1!)).toMatchObject({ GDPR_Status__c: 'review', GDPR_Next_Action_At__c: '2026-12-15T00:00:00.000+0000', Title: null });
    expect(sb.state.get(c2!)?.IsDeleted).toBe(true);
    expect(sb.state.notesOf(c2!)).toEqual([]);
    if (ind2) expect(sb.state.get(ind2)?.IsDeleted).toBe(true);
    expect(res[2]!.detail).toMatch(/Recycle Bin/);
    const anon = sb.state.get(c3!)!;
    expect(anon).toMatchObject({ Email: `anon-${c3!.toLowerCase()}@anonymised.invalid`, FirstName: null, LastName: 'Anonymised', Phone: null });
    expect(sb.state.notesOf(c3!).every((n) => n.Content === REDACTED)).toBe(true);
    if (hasConsentObjects) expect(sb.state.get(anon.IndividualId as string)).toMatchObject({ FirstName: null, LastName: 'Anonymised', BirthDate: null });
    expect(sb.state.get(note1)?.IsDeleted).toBe(true);
    const task = sb.state.live('Task').find((t) => t.WhoId === c4);
    expect(task).toMatchObject({ Subject: 'GDPR: review contact', OwnerId: sb.state.get(c4!)!.OwnerId, ActivityDate: '2026-12-15', Status: 'Not Started' });
    expect(sb.state.get(withOptIn)?.HasOptedOutOfEmail).toBe(true);
    if (hasConsentObjects) {
      const ind = sb.state.get(withOptIn)!.IndividualId as string;
      expect(sb.state.get(ind)?.HasOptedOutSolicit).toBe(true);
      const row = sb.state.live('ContactPointTypeConsent').find((x) => x.PartyId === ind && x.DataUsePurposeId === sb.state.purposeIds.get('newsletter'))!;
      expect(row.PrivacyConsentStatus).toBe('OptOut');
      expect(row.EffectiveTo).not.toBeNull();
    }
    expect(sb.state.get(lead)?.Newsletter_Subscribed__c).toBe(false);
    expect(parseEvidence(sb.state.get(c5!)?.GDPR_Consent_Evidence__c)?.bases).toContainEqual({ purpose: 'analytics', basis: 'legitimate_interest', recordedAt: expect.any(String) });
    expect(res[8]!.detail).toMatch(/cannot express lawfulBasis:analytics/);

    // The read-back model reflects the withdrawal (consent row or opt-out flag).
    const back = (await c.getContact(withOptIn, []))!;
    expect(back.marketing.emailOptOut).toBe(true);
    if (hasConsentObjects) expect(back.consents.find((x) => x.purpose === 'newsletter')?.status).toBe('withdrawn');

    const writes = () => (sb.stats.byRoute['PATCH /composite/sobjects'] ?? 0) + (sb.stats.byRoute['POST /composite/sobjects'] ?? 0) + (sb.stats.byRoute['DELETE /composite/sobjects'] ?? 0);
    const before = writes();
    const again = await c.apply(actions);
    expect(again.every((r) => r.status === 'skipped')).toBe(true);
    expect(writes()).toBe(before);
    expect(sb.state.live('Task').filter((t) => t.WhoId === c4)).toHaveLength(1);
  });

  it("surfaces the vendor's validation error per record, with no personal values, without failing the batch", async () => {
    const [a, b, d] = liveIds(sb, 'Contact').slice(-3);
    const email = 'not an address jan.smit@example.nl';
    const res = await c.apply([
      act('clear_property', a!, { property: 'LastName' }),
      act('set_status', b!, { values: { Email: email } }),
      act('set_status', d!, { values: { gdpr_status: 'ok' } }),
    ]);
    expect(res[0]).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^REQUIRED_FIELD_MISSING: Required fields are missing: \[LastName\]/) });
    expect(res[1]).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^INVALID_EMAIL_ADDRESS: Email: invalid email address: \[value\]/) });
    expect(res[1]!.detail).not.toContain('jan.smit');
    expect(res[2]!.status).toBe('done');
    expect(sb.state.get(a!)?.LastName).not.toBeNull();
  });
});

describe('Salesforce limits, faults and sessions', () => {
  it('429 with Retry-After and 503 are retried (GET and idempotent PATCH); a 500 on POST is not resent', async () => {
    const sb = await sandbox({ seed: { count: 40, seed: 5 } });
    const c = connector(sb);
    await c.ensureStatusProperties();
    sb.addFailure({ method: 'GET', path: /^\/query/, status: 429, retryAfterSec: 1, times: 1 });
    sb.addFailure({ method: 'GET', path: /^\/query/, status: 503, times: 1 });
    const { contacts } = await all(c.streamContacts({ properties: [], includeNotes: false }));
    expect(contacts.length).toBe(40);
    expect(c.client.retries).toBe(2);
    const id = liveIds(sb, 'Contact')[0]!;
    sb.addFailure({ method: 'PATCH', path: /^\/composite\/sobjects/, status: 503, times: 2 });
    expect((await c.apply([act('set_status', id, { values: { gdpr_status: 'x' } })]))[0]!.status).toBe('done');
    sb.addFailure({ method: 'POST', path: /^\/composite\/sobjects/, status: 500, times: 1 });
    const task = act('create_task', id, { subject: 'Review', body: 'b', ownerId: null });
    const r1 = await c.apply([task]);
    expect(r1[0]).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^UNKNOWN_EXCEPTION/) });
    expect(sb.state.live('Task')).toHaveLength(0);
    expect((await c.apply([task]))[0]!.status).toBe('done');
    expect(sb.state.live('Task')).toHaveLength(1);
  });

  it('a 5xx that does not go away fails with the vendor code after bounded retries', async () => {
    const sb = await sandbox({ seed: { count: 5 } });
    sb.addFailure({ method: 'GET', status: 500, times: 100 });
    const c = connector(sb);
    await expect(c.describePortal()).rejects.toMatchObject({ errorCode: 'UNKNOWN_EXCEPTION', status: 500 });
    expect(sb.stats.requests).toBe(6);
  });

  it('the daily API allocation running out fails fast with REQUEST_LIMIT_EXCEEDED; Sforce-Limit-Info is read', async () => {
    const sb = await sandbox({ seed: { count: 5 }, limits: { dailyApiRequests: 3 } });
    const c = connector(sb);
    await c.describePortal();
    expect(c.client.limitInfo).toEqual({ used: 1, limit: 3 });
    const before = sb.stats.requests;
    await expect(c.listProperties()).rejects.toMatchObject({ errorCode: 'REQUEST_LIMIT_EXCEEDED', status: 403 });
    // Two more allowed calls (global describe, Contact describe), then one refused: no retry of an exhausted allocation.
    expect(sb.stats.requests - before).toBe(3);
    expect(c.client.retries).toBe(0);
  });

  it('an expired session is refreshed once through the token endpoint and the call replayed', async () => {
    const sb = await sandbox({ seed: { count: 30 } });
    const c = connector(sb, refreshCreds(sb));
    await c.describePortal();
    sb.state.expireToken();
    const { contacts } = await all(c.streamContacts({ properties: [], includeNotes: false }));
    expect(contacts).toHaveLength(30);
    expect(sb.state.tokenRefreshes).toBe(1);
    expect(c.client.refreshes).toBe(1);
  });

  it('without refresh credentials, or with a refresh token the org rejects, the call fails with INVALID_SESSION_ID', async () => {
    const sb = await sandbox({ seed: { count: 3 } });
    const stale = connector(sb, {}, 'stale-token');
    await expect(stale.describePortal()).rejects.toMatchObject({ errorCode: 'INVALID_SESSION_ID', status: 401 });
    const bad = connector(sb, { ...refreshCreds(sb), refreshToken: 'revoked' }, 'stale-token');
    await expect(bad.describePortal()).rejects.toMatchObject({ errorCode: 'INVALID_SESSION_ID' });
    expect(sb.state.tokenRefreshes).toBe(0);
  });
});
