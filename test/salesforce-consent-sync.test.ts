/**
 * Salesforce sync of an org with the consent objects, against the sandbox over real HTTP: the Individual's
 * flags arrive in the Contact/Lead query through the parent relationship, consent rows through range
 * semi-joins paged by queryMore; every contact's consents equal what Salesforce holds for it, on SOQL scans
 * (also with (SystemModstamp, Id) ties across range boundaries, resumed, incremental) and Bulk 2.0.
 */
import { createSalesforceConnector } from '../connectors/salesforce/connector';
import { INDIVIDUAL_FLAGS } from '../connectors/salesforce/fields';
import { consentFromSalesforce, type ConsentContext, type SfConsentRow, type SfRecord } from '../connectors/salesforce/mapping';
import { startSalesforceSandbox, type SalesforceSandbox } from '../connectors/salesforce/sandbox/server';
import { sfTime } from '../connectors/salesforce/sandbox/state';
import { consentRowsOfRun } from '../connectors/salesforce/sync';
import type { ContactPage } from '../connectors/types';
import type { Contact } from '../src/model';

const open: SalesforceSandbox[] = [];
afterAll(async () => {
  for (const sb of open.reverse()) await sb.close();
});
async function sandbox(count = 4_600): Promise<SalesforceSandbox> {
  const sb = await startSalesforceSandbox({ seed: { count, seed: 9 } });
  open.push(sb);
  return sb;
}
const connector = (sb: SalesforceSandbox, extra: Record<string, string> = {}) =>
  createSalesforceConnector({ vendor: 'salesforce', tenantId: 't1', baseUrl: sb.url, accessToken: sb.state.accessToken, options: { bulkPollIntervalMs: '10', ...extra } });
async function all(it: AsyncIterable<ContactPage>): Promise<{ contacts: Contact[]; pages: ContactPage[] }> {
  const pages: ContactPage[] = [];
  for await (const p of it) pages.push(p);
  return { contacts: pages.flatMap((p) => p.contacts), pages };
}
const people = (sb: SalesforceSandbox) => [...sb.state.live('Contact'), ...sb.state.live('Lead')];
/** Live consent rows of a person's Individual, straight from the org (indexed once per org state read). */
const rowIndex = new WeakMap<SalesforceSandbox, { at: number; byParty: Map<unknown, SfConsentRow[]> }>();
function rowsOf(sb: SalesforceSandbox, r: SfRecord): SfConsentRow[] {
  let ix = rowIndex.get(sb);
  if (!ix || ix.at !== sb.stats.requests) {
    const byParty = new Map<unknown, SfConsentRow[]>();
    for (const c of sb.state.live('ContactPointTypeConsent')) byParty.set(c.PartyId, [...(byParty.get(c.PartyId) ?? []), c as unknown as SfConsentRow]);
    ix = { at: sb.stats.requests, byParty };
    rowIndex.set(sb, ix);
  }
  return r.IndividualId ? (ix.byParty.get(r.IndividualId) ?? []) : [];
}
const byPurpose = <T extends { purpose: string }>(xs: readonly T[]) => [...xs].sort((a, b) => a.purpose.localeCompare(b.purpose));

/** Every streamed contact carries the consents and Individual flags the org holds for it. */
function expectFaithful(sb: SalesforceSandbox, contacts: readonly Contact[]): void {
  const ctx: ConsentContext = { hasConsentObjects: true, purposes: sb.state.live('DataUsePurpose').map((p) => ({ Id: p.Id, Name: String(p.Name) })) };
  const got = new Map(contacts.map((c) => [c.id, c]));
  let withRows = 0;
  for (const r of people(sb)) {
    const c = got.get(r.Id);
    expect(c).toBeDefined();
    const rows = rowsOf(sb, r);
    if (rows.length > 0) withRows++;
    const want = consentFromSalesforce(r, rows, ctx);
    expect([r.Id, byPurpose(c!.consents), byPurpose(c!.lawfulBasis)]).toEqual([r.Id, byPurpose(want.consents), byPurpose(want.lawfulBasis)]);
    const ind = r.IndividualId ? sb.state.get(r.IndividualId as string) : undefined;
    for (const f of INDIVIDUAL_FLAGS) expect([r.Id, f, c!.properties[`Individual.${f}`]?.value ?? null]).toEqual([r.Id, f, ind && ind.IsDeleted !== true ? String(ind[f]) : null]);
  }
  expect(withRows).toBeGreaterThan(100);
}

describe('SOQL scan with the consent objects', () => {
  it('reads the Individual through the relationship and consent rows by range semi-joins over batches of records (ending inside pages), rows exactly once', async () => {
    const sb = await sandbox();
    // Whole-hour stamps: many (SystemModstamp) ties, so run boundaries fall inside ties and the Id part of the key decides.
    for (const r of people(sb)) r.SystemModstamp = sfTime(Math.floor(Date.parse(String(r.SystemModstamp).replace('+0000', 'Z')) / 3_600_000) * 3_600_000);
    // An Individual shared by a Contact and a Lead, a contact without one, one whose Individual is in the Recycle Bin.
    const [a, none, recycled] = sb.state.live('Contact');
    sb.state.live('Lead')[0]!.IndividualId = a!.IndividualId;
    none!.IndividualId = null;
    sb.state.delete(recycled!.IndividualId as string);
    const q0 = { ...sb.stats.queriesByObject };
    // Batches of 700 to 1,400 records: their ends fall inside the 2,000-record pages, so pages wait for two batches.
    const { contacts } = await all(connector(sb, { consentRangeRecords: '700' }).streamContacts({ properties: [], includeNotes: false }));
    expectFaithful(sb, contacts);
    const queries = (o: string) => (sb.stats.queriesByObject[o] ?? 0) - (q0[o] ?? 0);
    expect(queries('Individual')).toBe(0);
    // Batches are sized to fill whole result pages (up to twice the setting) and the tail of each object is one batch.
    const [nc, nl] = [sb.state.live('Contact').length, sb.state.live('Lead').length];
    expect(queries('ContactPointTypeConsent')).toBeGreaterThanOrEqual(Math.ceil(nc / 1400) + Math.ceil(nl / 1400));
    expect(queries('ContactPointTypeConsent')).toBeLessThanOrEqual(Math.ceil(nc / 700) + Math.ceil(nl / 700));
    // Each consent row of a live person's Individual came once (the shared one once for each object).
    const expectedRows = people(sb).reduce((n, r) => n + rowsOf(sb, r).length, 0);
    expect(sb.stats.recordsByObject.ContactPointTypeConsent).toBe(expectedRows);
  });

  it('spends about one request per 2,000 consent rows: close to the fewest requests the data needs, nothing per contact', async () => {
    const sb = await sandbox(12_000);
    const c = connector(sb);
    await c.describePortal();
    await c.listProperties();
    const calls0 = sb.stats.apiCalls;
    const q0 = { ...sb.stats.queriesByObject };
    const { contacts } = await all(c.streamContacts({ properties: [], includeNotes: false }));
    expectFaithful(sb, contacts);
    // The fewest requests that can carry the data: per object ceil(records / 2,000) + ceil(consent rows / 2,000).
    // Each consent batch after an object's first may cost at most one partial page more.
    let fewest = 0;
    for (const obj of ['Contact', 'Lead'] as const) {
      const recs = sb.state.live(obj);
      fewest += Math.ceil(recs.length / 2000) + Math.ceil(recs.reduce((n, r) => n + rowsOf(sb, r).length, 0) / 2000);
    }
    const batches = (sb.stats.queriesByObject.ContactPointTypeConsent ?? 0) - (q0.ContactPointTypeConsent ?? 0);
    expect(batches).toBeGreaterThanOrEqual(2);
    expect(sb.stats.apiCalls - calls0).toBeGreaterThanOrEqual(fewest);
    expect(sb.stats.apiCalls - calls0).toBeLessThanOrEqual(fewest + batches - 2);
  });

  it('resumes from any page checkpoint (mid-run) with the same consents, and incremental runs read consent rows too', async () => {
    const sb = await sandbox();
    const c = connector(sb, { consentRangeRecords: '4000' });
    const it = c.streamContacts({ properties: [], includeNotes: false })[Symbol.asyncIterator]();
    const first = (await it.next()).value as ContactPage;
    await it.return?.(undefined);
    const rest = await all(c.streamContacts({ properties: [], includeNotes: false, checkpoint: first.checkpoint as string }));
    const contacts = [...first.contacts, ...rest.contacts];
    expect(new Set(contacts.map((x) => x.id)).size).toBe(contacts.length);
    expectFaithful(sb, contacts);

    const t = Date.parse('2027-03-01T00:00:00Z');
    const touched = [...sb.state.live('Contact').slice(0, 30), ...sb.state.live('Lead').slice(0, 30)];
    touched.forEach((r, i) => sb.state.touch(r.Id, t + i * 250));
    const inc = await all(c.streamContacts({ properties: [], includeNotes: false, since: new Date(t) }));
    expect(inc.contacts.map((x) => x.id).sort()).toEqual(touched.map((r) => r.Id).sort());
    const ctx: ConsentContext = { hasConsentObjects: true, purposes: sb.state.live('DataUsePurpose').map((p) => ({ Id: p.Id, Name: String(p.Name) })) };
    for (const x of inc.contacts) expect(byPurpose(x.consents)).toEqual(byPurpose(consentFromSalesforce(sb.state.get(x.id)!, rowsOf(sb, sb.state.get(x.id)!), ctx).consents));
  });

  it('a record outside its run\'s key range (changed while the cursor was read) still gets its consent rows, by id', async () => {
    const sb = await sandbox(600);
    const c = connector(sb);
    await c.listProperties();
    const recs = sb.state.live('Contact').filter((r) => rowsOf(sb, r).length > 0).sort((x, y) => String(x.SystemModstamp).localeCompare(String(y.SystemModstamp))).slice(0, 12) as SfRecord[];
    const ctx = { client: c.client, consent: { hasConsentObjects: true, purposes: [] } };
    // The middle record was modified later than the run's last record.
    const moved: SfRecord = { ...recs[5]!, SystemModstamp: '2030-01-01T00:00:00.000+0000' };
    const run = [...recs.slice(0, 5), moved, ...recs.slice(6)];
    const rows = await consentRowsOfRun(ctx, 'Contact', run);
    for (const r of run) expect([r.Id, (rows.get(r.IndividualId as string) ?? []).length]).toEqual([r.Id, rowsOf(sb, r).length]);
    // First after last (both changed): id lists for all.
    const inverted = await consentRowsOfRun(ctx, 'Contact', [{ ...recs[0]!, SystemModstamp: '2030-01-01T00:00:00.000+0000' }, ...recs.slice(1)]);
    for (const r of recs) expect((inverted.get(r.IndividualId as string) ?? []).length).toBe(rowsOf(sb, r).length);
  });
});

describe('Bulk API 2.0 scan and single reads with the consent objects', () => {
  it('Bulk: Individual.<flag> CSV columns fold into the Individual; consent rows by id lists; no Individual queries', async () => {
    const sb = await sandbox();
    sb.state.get(sb.state.live('Contact')[3]!.IndividualId as string)!.ShouldForget = true;
    const q0 = sb.stats.queriesByObject.Individual ?? 0;
    const { contacts } = await all(connector(sb, { bulkPageRecords: '1500' }).streamContacts({ properties: [], includeNotes: false, bulk: true }));
    expectFaithful(sb, contacts);
    expect((sb.stats.queriesByObject.Individual ?? 0) - q0).toBe(0);
    expect(contacts.filter((x) => x.properties['Individual.ShouldForget']?.value === 'true').length).toBeGreaterThanOrEqual(1);
  });

  it('getContact: the Individual in the same query, consent rows in one more', async () => {
    const sb = await sandbox(300);
    const c = connector(sb);
    await c.listProperties();
    await c.describePortal();
    const r = sb.state.live('Lead').find((x) => rowsOf(sb, x).length > 0)!;
    const q0 = { ...sb.stats.queriesByObject };
    const got = (await c.getContact(r.Id, []))!;
    expect(got.consents.length).toBeGreaterThan(0);
    const ctx: ConsentContext = { hasConsentObjects: true, purposes: sb.state.live('DataUsePurpose').map((p) => ({ Id: p.Id, Name: String(p.Name) })) };
    expect(byPurpose(got.consents)).toEqual(byPurpose(consentFromSalesforce(r, rowsOf(sb, r), ctx).consents));
    const queries = (o: string) => (sb.stats.queriesByObject[o] ?? 0) - (q0[o] ?? 0);
    expect([queries('Lead'), queries('Individual'), queries('ContactPointTypeConsent')]).toEqual([1, 0, 1]);
  });
});
