import { isValidBsn } from '../connectors/sandbox-seed/bsn';
import { DEFAULT_SEED_NOW, generatePeople, iteratePeople, PROBLEM_SCENARIOS } from '../connectors/sandbox-seed/people';
import type { SeedPerson } from '../connectors/sandbox-seed/types';

const NOW = '2026-11-01T00:00:00Z';
const people = generatePeople({ count: 3000, seed: 42, now: NOW });
const withScenario = (s: string): SeedPerson[] => people.filter((p) => p.scenarios.includes(s as never));

/** Whole years between an ISO date and `now` (calendar arithmetic, as a birthday works). */
function ageAt(dob: string, now: string): number {
  const b = new Date(`${dob}T00:00:00Z`);
  const n = new Date(now);
  let age = n.getUTCFullYear() - b.getUTCFullYear();
  if (n.getUTCMonth() < b.getUTCMonth() || (n.getUTCMonth() === b.getUTCMonth() && n.getUTCDate() < b.getUTCDate())) age--;
  return age;
}

const BSN_IN_TEXT = /\b\d{3,4}[ .]?\d{2,3}[ .]?\d{3}\b/;

describe('sandbox seed people', () => {
  test('same options give identical people; another seed gives others', () => {
    expect(generatePeople({ count: 500, seed: 42, now: NOW })).toEqual(people.slice(0, 500));
    const other = generatePeople({ count: 500, seed: 7, now: NOW });
    expect(other.map((p) => p.email)).not.toEqual(people.slice(0, 500).map((p) => p.email));
  });

  test('the streaming variant yields the same sequence', () => {
    const streamed: SeedPerson[] = [];
    for (const p of iteratePeople({ count: 200, seed: 42, now: NOW })) streamed.push(p);
    expect(streamed).toEqual(people.slice(0, 200));
  });

  test('defaults: seed 42 and the documented now', () => {
    expect(generatePeople({ count: 50 })).toEqual(generatePeople({ count: 50, seed: 42, now: DEFAULT_SEED_NOW }));
  });

  test('about 25-35% are clean and every scenario occurs several times', () => {
    const clean = withScenario('clean').length / people.length;
    expect(clean).toBeGreaterThanOrEqual(0.25);
    expect(clean).toBeLessThanOrEqual(0.35);
    for (const s of PROBLEM_SCENARIOS) expect(withScenario(s).length).toBeGreaterThanOrEqual(20);
    // Even a small seed covers every scenario.
    const small = generatePeople({ count: 40, seed: 1, now: NOW });
    for (const s of PROBLEM_SCENARIOS) expect(small.some((p) => p.scenarios.includes(s))).toBe(true);
  });

  test('e-mails are unique', () => {
    expect(new Set(people.map((p) => p.email.toLowerCase())).size).toBe(people.length);
  });

  test('Dutch and English people, with tussenvoegsels, +31 and +44 phones', () => {
    const nl = people.filter((p) => p.locale === 'nl');
    const en = people.filter((p) => p.locale === 'en');
    expect(nl.length).toBeGreaterThan(people.length * 0.4);
    expect(en.length).toBeGreaterThan(people.length * 0.2);
    expect(nl.some((p) => /^(van der|van den|van|de|ter) /.test(p.lastName))).toBe(true);
    for (const p of nl) if (p.phone) expect(p.phone).toMatch(/^\+31\d{9}$/);
    for (const p of en) if (p.phone) expect(p.phone).toMatch(/^\+44\d{10}$/);
  });

  test('BSNs in fields and notes pass the elfproef', () => {
    expect(isValidBsn('111222333')).toBe(true);
    expect(isValidBsn('1234.56.782')).toBe(true);
    expect(isValidBsn('123456789')).toBe(false);
    const inField = withScenario('bsn_in_field');
    for (const p of inField) expect(isValidBsn(p.bsn as string)).toBe(true);
    for (const p of people) if (!p.scenarios.includes('bsn_in_field')) expect(p.bsn).toBeNull();
    for (const p of withScenario('bsn_in_note')) {
      const found = p.notes.map((n) => BSN_IN_TEXT.exec(n.body)?.[0]).filter((x): x is string => !!x);
      expect(found.length).toBeGreaterThan(0);
      for (const f of found) expect(isValidBsn(f)).toBe(true);
    }
  });

  test('clean people carry no sensitive notes, a lawful basis and recent activity', () => {
    const sensitive = /bsn|sofinummer|ziek|burn-out|zwanger|diabetes|moslim|moskee|gelovig|joods|strafblad|veroordeeld|criminal|convicted|cancer|depress|catholic|shabbat|sabbat/i;
    const now = Date.parse(NOW);
    for (const p of withScenario('clean')) {
      expect(p.scenarios).toEqual(['clean']);
      for (const n of p.notes) expect(n.body).not.toMatch(sensitive);
      expect(p.lawfulBasis.length).toBeGreaterThan(0);
      expect(now - Date.parse(p.lastActivityAt as string)).toBeLessThan(2 * 365 * 86_400_000);
      if (p.newsletterSubscribed) expect(p.consents.some((c) => c.purpose === 'newsletter' && c.status === 'granted' && c.evidenceRef && !c.preTicked)).toBe(true);
    }
  });

  test('special-category notes are present for their scenarios', () => {
    expect(withScenario('health_in_note').every((p) => p.notes.some((n) => /ziek|burn-out|zwanger|diabetes|hernia|depress|hartinfarct|antidepressiva|covid|cancer|MS|medical/i.test(n.body)))).toBe(true);
    expect(withScenario('religion_in_note').every((p) => p.notes.some((n) => /moslim|moskee|christen|joods|catholic|shabbat|jehovah/i.test(n.body)))).toBe(true);
    expect(withScenario('criminal_in_note').every((p) => p.notes.some((n) => /strafblad|vast|veroordeeld|taakstraf|criminal|convicted|did time/i.test(n.body)))).toBe(true);
  });

  test('minors are under 16 at now and lack parental consent', () => {
    const minors = withScenario('minor_without_parental_consent');
    expect(minors.length).toBeGreaterThan(0);
    for (const p of minors) {
      const age = ageAt(p.dateOfBirth as string, NOW);
      expect(age).toBeLessThan(16);
      expect(age).toBeGreaterThanOrEqual(12);
      expect(p.newsletterSubscribed).toBe(true);
      const c = p.consents.find((x) => x.purpose === 'newsletter');
      expect(c?.parentalConsent).not.toBe(true);
    }
    for (const p of people) if (!p.scenarios.includes('minor_without_parental_consent') && p.dateOfBirth) expect(ageAt(p.dateOfBirth, NOW)).toBeGreaterThanOrEqual(18);
  });

  test('stale people have no activity for more than 3 years; timestamps are ordered and not in the future', () => {
    const now = Date.parse(NOW);
    const threeYears = 3 * 365.25 * 86_400_000;
    for (const p of withScenario('stale_no_activity')) {
      expect(now - Date.parse(p.lastActivityAt as string)).toBeGreaterThan(threeYears);
      expect(now - Date.parse(p.modifiedAt)).toBeGreaterThan(threeYears);
    }
    for (const p of people) {
      expect(Date.parse(p.createdAt)).toBeLessThanOrEqual(Date.parse(p.modifiedAt));
      expect(Date.parse(p.modifiedAt)).toBeLessThanOrEqual(now);
      for (const n of p.notes) expect(Date.parse(n.createdAt)).toBeLessThanOrEqual(now);
    }
  });

  test('consent scenarios have the flaw they are named after', () => {
    const nl = (p: SeedPerson) => p.consents.find((c) => c.purpose === 'newsletter');
    for (const p of withScenario('no_consent_but_subscribed')) expect([p.newsletterSubscribed, nl(p)]).toEqual([true, undefined]);
    for (const p of withScenario('consent_without_evidence')) expect(nl(p)?.evidenceRef).toBeNull();
    for (const p of withScenario('pre_ticked_consent')) expect(nl(p)?.preTicked).toBe(true);
    for (const p of withScenario('withdrawn_still_subscribed')) {
      expect(nl(p)?.status).toBe('withdrawn');
      expect(p.newsletterSubscribed).toBe(true);
    }
    for (const p of withScenario('optout_contradicts_consent')) {
      expect(nl(p)?.status).toBe('granted');
      expect(p.emailOptOut).toBe(true);
    }
    for (const p of withScenario('no_lawful_basis')) expect(p.lawfulBasis).toEqual([]);
    for (const p of withScenario('existing_customer_legitimate_interest')) {
      expect(p.lifecycle).toBe('customer');
      expect(p.lawfulBasis).toContainEqual({ purpose: 'marketing_existing_customers', basis: 'legitimate_interest' });
    }
    for (const p of withScenario('relationship_ended')) {
      expect(p.lifecycle).toBe('former_customer');
      expect(Date.parse(NOW) - Date.parse(p.relationshipEndedAt as string)).toBeGreaterThan(2 * 365 * 86_400_000);
    }
  });
});
