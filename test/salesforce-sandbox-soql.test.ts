/**
 * The Salesforce sandbox's SOQL beyond plain filters, as real Salesforce answers it, through the unmodified
 * jsforce over real HTTP: parent-relationship fields (nested JSON, `null` for an empty lookup, Bulk 2.0 CSV
 * columns), semi-/anti-joins with their rules, OR and parentheses, and the error bodies for what is not SOQL.
 */
import { Connection } from 'jsforce';
import { startSalesforceSandbox, type SalesforceSandbox } from '../connectors/salesforce/sandbox/server';
import { parseSoql } from '../connectors/salesforce/sandbox/soql';
import { sfTime } from '../connectors/salesforce/sandbox/state';

const open: SalesforceSandbox[] = [];
afterAll(async () => {
  for (const sb of open.reverse()) await sb.close();
});
async function org(hasConsentObjects = true, count = 400): Promise<{ sb: SalesforceSandbox; conn: Connection }> {
  const sb = await startSalesforceSandbox({ seed: { count, seed: 21 }, hasConsentObjects });
  open.push(sb);
  return { sb, conn: new Connection({ instanceUrl: sb.url, accessToken: sb.state.accessToken, version: '62.0' }) };
}
type Rec = Record<string, unknown> & { Id: string };
async function all(conn: Connection, soql: string, batchSize = 2000): Promise<Rec[]> {
  const q = await conn.query(soql, { autoFetch: true, maxFetch: 1_000_000, headers: { 'Sforce-Query-Options': `batchSize=${batchSize}` } } as never);
  return q.records as Rec[];
}
async function rejects(conn: Connection, soql: string): Promise<{ errorCode: string; message: string }> {
  try {
    await conn.query(soql);
  } catch (e) {
    return { errorCode: (e as { errorCode: string }).errorCode, message: (e as Error).message };
  }
  throw new Error(`accepted: ${soql}`);
}

describe('parent-relationship fields', () => {
  let sb: SalesforceSandbox;
  let conn: Connection;
  beforeAll(async () => ({ sb, conn } = await org()));

  it('nest under the relationship name with attributes, in SELECT order; an empty lookup is null', async () => {
    const [withInd, cleared, recycled] = sb.state.live('Contact').slice(0, 3);
    sb.state.get(withInd!.IndividualId as string)!.ShouldForget = true;
    cleared!.IndividualId = null;
    sb.state.delete(recycled!.IndividualId as string);
    const ids = [withInd!.Id, cleared!.Id, recycled!.Id];
    const recs = await all(conn, `SELECT Id, individual.shouldforget, Email, Individual.BirthDate FROM Contact WHERE Id IN ('${ids.join("','")}') ORDER BY Id`);
    const byId = new Map(recs.map((r) => [r.Id, r]));
    const ind = sb.state.get(withInd!.IndividualId as string)!;
    expect(byId.get(withInd!.Id)).toEqual({
      attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${withInd!.Id}` },
      Id: withInd!.Id,
      Individual: { attributes: { type: 'Individual', url: `/services/data/v62.0/sobjects/Individual/${ind.Id}` }, ShouldForget: true, BirthDate: ind.BirthDate },
      Email: withInd!.Email,
    });
    expect(Object.keys(byId.get(withInd!.Id)!)).toEqual(['attributes', 'Id', 'Individual', 'Email']);
    expect(byId.get(cleared!.Id)!.Individual).toBeNull();
    expect(byId.get(recycled!.Id)!.Individual).toBeNull();
  });

  it('work on Leads, in WHERE and in ORDER BY', async () => {
    const lead = sb.state.live('Lead')[0]!;
    sb.state.get(lead.IndividualId as string)!.HasOptedOutProcessing = true;
    const flagged = (obj: string) => sb.state.live(obj).filter((r) => sb.state.get(r.IndividualId as string)?.HasOptedOutProcessing === true).map((r) => r.Id).sort();
    const recs = await all(conn, 'SELECT Id, Individual.HasOptedOutProcessing FROM Lead WHERE Individual.HasOptedOutProcessing = true');
    expect(recs.map((r) => r.Id).sort()).toEqual(flagged('Lead'));
    expect(recs.every((r) => (r.Individual as Record<string, unknown>).HasOptedOutProcessing === true)).toBe(true);
    const ordered = await all(conn, 'SELECT Id, Individual.BirthDate FROM Contact ORDER BY Individual.BirthDate DESC, Id', 200);
    const dates = ordered.map((r) => (r.Individual as { BirthDate?: string | null } | null)?.BirthDate ?? null).filter((d): d is string => d !== null);
    expect(dates.length).toBeGreaterThan(10);
    expect([...dates].sort().reverse()).toEqual(dates);
  });

  it('come out of Bulk API 2.0 as Parent.Field columns, empty when the lookup is', async () => {
    const rows: Record<string, string>[] = [];
    for await (const r of await conn.bulk2.query('SELECT Id, IndividualId, Individual.ShouldForget FROM Contact', { pollInterval: 10 })) rows.push(r as Record<string, string>);
    expect(rows.length).toBe(sb.state.live('Contact').length);
    for (const r of rows) {
      const ind = sb.state.get(r.IndividualId ?? '');
      expect(r['Individual.ShouldForget']).toBe(ind && ind.IsDeleted !== true ? String(ind.ShouldForget) : '');
    }
    expect(rows.some((r) => r['Individual.ShouldForget'] === '')).toBe(true);
  });

  it('unknown relationships and parent fields are INVALID_FIELD, as is Individual in an org without the consent objects', async () => {
    expect(await rejects(conn, 'SELECT Id, Person.Name FROM Contact')).toEqual({ errorCode: 'INVALID_FIELD', message: expect.stringMatching(/^Didn't understand relationship 'Person' in field path/) });
    expect(await rejects(conn, 'SELECT Id, Individual.Nope FROM Contact')).toEqual({ errorCode: 'INVALID_FIELD', message: expect.stringMatching(/^No such column 'Nope' on entity 'Individual'/) });
    const plain = await org(false);
    expect((await rejects(plain.conn, 'SELECT Id, Individual.ShouldForget FROM Contact')).errorCode).toBe('INVALID_FIELD');
  });
});

describe('semi-joins and anti-joins', () => {
  let sb: SalesforceSandbox;
  let conn: Connection;
  beforeAll(async () => ({ sb, conn } = await org(true, 1_500)));
  const cptcOf = (parties: Set<unknown>) => sb.state.live('ContactPointTypeConsent').filter((r) => parties.has(r.PartyId)).map((r) => r.Id).sort();

  it('PartyId IN (SELECT IndividualId FROM Contact WHERE ...) returns the consent rows of those contacts, paged by queryMore', async () => {
    const cut = sb.state.live('Contact').map((r) => String(r.SystemModstamp)).sort()[30]!;
    const lit = new Date(Date.parse(cut.replace('+0000', 'Z'))).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const recs = await all(conn, `SELECT Id, PartyId FROM ContactPointTypeConsent WHERE PartyId IN (SELECT IndividualId FROM Contact WHERE SystemModstamp >= ${lit})`, 200);
    const parties = new Set(sb.state.live('Contact').filter((r) => Date.parse(String(r.SystemModstamp).replace('+0000', 'Z')) >= Date.parse(lit)).map((r) => r.IndividualId));
    expect(recs.map((r) => r.Id).sort()).toEqual(cptcOf(parties));
    expect(recs.length).toBeGreaterThan(200);
    // Anti-join: the rest.
    const anti = await all(conn, `SELECT Id FROM ContactPointTypeConsent WHERE PartyId NOT IN (SELECT IndividualId FROM Contact WHERE SystemModstamp >= ${lit})`);
    expect(anti.length + recs.length).toBe(sb.state.live('ContactPointTypeConsent').length);
  });

  it('a keyset range with OR and parentheses in the sub-select selects exactly the contacts between two (SystemModstamp, Id) keys', async () => {
    const cs = sb.state.live('Contact').sort((a, b) => a.Id.localeCompare(b.Id));
    // Two contacts share each boundary instant, so the Id part of the key decides there.
    const t1 = Date.parse('2026-05-05T10:00:00Z');
    const t2 = Date.parse('2026-06-05T10:00:00Z');
    for (const r of [cs[10]!, cs[11]!]) r.SystemModstamp = sfTime(t1);
    for (const r of [cs[20]!, cs[21]!]) r.SystemModstamp = sfTime(t2);
    const [lo, hi] = [cs[11]!, cs[20]!];
    const key = (x: Rec) => [Date.parse(String(x.SystemModstamp).replace('+0000', 'Z')), x.Id] as const;
    const between = sb.state.live('Contact').filter((r) => {
      const [a, b, c] = [key(lo), key(r), key(hi)];
      return (b[0] > a[0] || (b[0] === a[0] && b[1] >= a[1])) && (b[0] < c[0] || (b[0] === c[0] && b[1] <= c[1]));
    });
    expect(between.map((r) => r.Id)).toEqual(expect.arrayContaining([lo.Id, hi.Id]));
    expect(between.map((r) => r.Id)).not.toEqual(expect.arrayContaining([cs[10]!.Id]));
    expect(between.map((r) => r.Id)).not.toEqual(expect.arrayContaining([cs[21]!.Id]));
    const sub = `SELECT IndividualId FROM Contact WHERE (SystemModstamp > 2026-05-05T10:00:00Z OR (SystemModstamp = 2026-05-05T10:00:00Z AND Id >= '${lo.Id}')) AND (SystemModstamp < 2026-06-05T10:00:00Z OR (SystemModstamp = 2026-06-05T10:00:00Z AND Id <= '${hi.Id}'))`;
    const recs = await all(conn, `SELECT Id FROM ContactPointTypeConsent WHERE PartyId IN (${sub})`);
    expect(recs.map((r) => r.Id).sort()).toEqual(cptcOf(new Set(between.map((r) => r.IndividualId))));
    const direct = await all(conn, sub.replace('SELECT IndividualId', 'SELECT Id'));
    expect(direct.map((r) => r.Id).sort()).toEqual(between.map((r) => r.Id).sort());
  });

  it('follows the Salesforce rules, with MALFORMED_QUERY bodies', async () => {
    const cases: [string, RegExp][] = [
      ['SELECT Id FROM ContactPointTypeConsent WHERE PartyId IN (SELECT Email FROM Contact)', /^semi join sub selects can only query id fields, cannot use: 'Email'/],
      ['SELECT Id FROM ContactPointTypeConsent WHERE PartyId IN (SELECT Individual.Id FROM Contact)', /can only query id fields/],
      ['SELECT Id FROM ContactPointTypeConsent WHERE PartyId IN (SELECT IndividualId, Id FROM Contact)', /one field/],
      ['SELECT Id FROM ContactPointTypeConsent WHERE PartyId IN (SELECT IndividualId FROM Contact ORDER BY Id)', /ORDER BY/],
      ['SELECT Id FROM ContactPointTypeConsent WHERE PartyId IN (SELECT IndividualId FROM Contact LIMIT 5)', /LIMIT/],
      ['SELECT Id FROM ContactPointTypeConsent WHERE PartyId IN (SELECT IndividualId FROM Contact WHERE Id IN (SELECT WhoId FROM Task))', /^Nesting of semi join sub-selects is not supported/],
      ["SELECT Id FROM ContactPointTypeConsent WHERE Name = 'x' OR PartyId IN (SELECT IndividualId FROM Contact)", /^Semi join sub-selects are only allowed at the top level WHERE expressions/],
      ['SELECT Id FROM Contact WHERE Id IN (SELECT WhoId FROM Task) AND Id IN (SELECT WhoId FROM Task) AND Id NOT IN (SELECT WhoId FROM Task)', /At most 2/],
      ['SELECT Id FROM ContactPointTypeConsent WHERE Name IN (SELECT IndividualId FROM Contact)', /only supported on id and reference fields/],
      ["SELECT Id FROM Contact WHERE Email = 'a' AND Email = 'b' OR Email = 'c'", /mixing AND and OR/],
    ];
    for (const [soql, message] of cases) expect([soql, await rejects(conn, soql)]).toEqual([soql, { errorCode: 'MALFORMED_QUERY', message: expect.stringMatching(message) }]);
    // Two semi-joins are allowed, and OR works outside them.
    const whoIds = new Set(sb.state.live('Task').map((t) => t.WhoId));
    expect((await all(conn, 'SELECT Id FROM Contact WHERE Id IN (SELECT WhoId FROM Task) AND Id NOT IN (SELECT WhoId FROM Task)')).length).toBe(0);
    expect((await all(conn, "SELECT Id FROM Contact WHERE (LeadSource = 'Web' OR LeadSource = 'API') AND Id NOT IN (SELECT WhoId FROM Task)")).map((r) => r.Id).sort()).toEqual(
      sb.state.live('Contact').filter((r) => (r.LeadSource === 'Web' || r.LeadSource === 'API') && !whoIds.has(r.Id)).map((r) => r.Id).sort(),
    );
  });

  it('parses into a sub-query node and condition groups', () => {
    const q = parseSoql("SELECT Id FROM ContactPointTypeConsent WHERE PartyId IN (SELECT IndividualId FROM Contact WHERE (A = 1 OR (B = 2 AND C = 'x'))) AND D != null");
    expect(q.where).toEqual([
      {
        field: 'PartyId',
        op: 'IN',
        sub: {
          fields: ['IndividualId'],
          from: 'Contact',
          where: [{ op: 'OR', terms: [{ field: 'A', op: '=', value: { k: 'num', v: 1 } }, { op: 'AND', terms: [{ field: 'B', op: '=', value: { k: 'num', v: 2 } }, { field: 'C', op: '=', value: { k: 'str', v: 'x' } }] }] }],
          orderBy: [],
          limit: null,
        },
      },
      { field: 'D', op: '!=', value: { k: 'null' } },
    ]);
  });
});
