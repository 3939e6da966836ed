import { compilePolicy } from '../../src/policy/compile';
import { evaluateContact, evaluatePortal } from '../../src/policy/evaluate';
import { loadPolicy } from '../../src/policy/load';
import type { Finding } from '../../src/model';
import { contact, grantedNewsletter, newsletterSub, NOW } from '../helpers/contact';

const policy = compilePolicy(loadPolicy('avg-default').pack);
const rules = (fs: Finding[]) => fs.map((f) => f.ruleId).sort();
const evalC = (c: ReturnType<typeof contact>) => evaluateContact(c, policy, NOW);

describe('baseline', () => {
  it('a lawful, active customer has no findings', () => {
    expect(evalC(contact())).toEqual([]);
  });
  it('is deterministic: same input, same findings and ids', () => {
    const c = contact({ notes: [{ id: 'n1', createdAt: '2026-01-01T00:00:00.000Z', body: 'BSN 111222333, zit in de ziektewet' }] });
    expect(evalC(c)).toEqual(evalC(c));
  });
});

describe('unlawful fields', () => {
  it('special-category-field: a health property without explicit consent', () => {
    const c = contact({ properties: { ...contact().properties, health_notes: { value: 'diabetes', category: 'unknown', type: 'text' } } });
    const f = evalC(c).find((x) => x.ruleId === 'special-category-field');
    expect(f).toMatchObject({ field: 'health_notes', category: 'health', article: 'Art. 9(1) AVG', proposedAction: 'clear_property' });
    expect(JSON.stringify(f)).not.toContain('diabetes');
  });
  it('special-category-note: health and criminal data in a note (Art. 9 / Art. 10)', () => {
    const c = contact({ notes: [{ id: 'n7', createdAt: '2026-01-01T00:00:00.000Z', body: 'Klant belde, zit in de ziektewet ivm burn-out.' }] });
    const f = evalC(c).find((x) => x.ruleId === 'special-category-note');
    expect(f).toMatchObject({ field: 'note:n7', category: 'health', proposedAction: 'redact_note' });
    expect(f!.evidence).not.toContain('burn-out');
  });
  it('bsn-field: a valid BSN in a bsn property, redacted in evidence', () => {
    const c = contact({ properties: { ...contact().properties, bsn: { value: '111222333', category: 'unknown' } } });
    const f = evalC(c).find((x) => x.ruleId === 'bsn-field');
    expect(f).toMatchObject({ field: 'bsn', category: 'national_id', article: 'Art. 87 AVG, UAVG art. 46' });
    expect(f!.evidence).not.toContain('111222333');
  });
  it('bsn-note: a dotted BSN typed in a note', () => {
    const c = contact({ notes: [{ id: 'n2', createdAt: '2026-01-01T00:00:00.000Z', body: 'BSN 1112.22.333 doorgegeven' }] });
    const f = evalC(c).find((x) => x.ruleId === 'bsn-note');
    expect(f).toMatchObject({ field: 'note:n2', proposedAction: 'redact_note' });
    expect(f!.evidence).not.toMatch(/1112/);
  });
  it('other-identifier-note: an IBAN typed in a note, redacted in evidence', () => {
    const c = contact({ notes: [{ id: 'n3', createdAt: '2026-01-01T00:00:00.000Z', body: 'Rekening NL91 ABNA 0417 1643 00 voor de terugbetaling' }] });
    const f = evalC(c).find((x) => x.ruleId === 'other-identifier-note');
    expect(f).toMatchObject({ field: 'note:n3', proposedAction: 'redact_note' });
    expect(f!.evidence).not.toMatch(/0417\s?1643/);
  });
  it('subjective-note: a judgement about the person in a note gets a task, a product complaint does not', () => {
    const judged = contact({ notes: [{ id: 'n4', createdAt: '2026-01-01T00:00:00.000Z', body: 'Zeer onbeschofte klant, echt een zeurpiet.' }] });
    expect(evalC(judged).find((x) => x.ruleId === 'subjective-note')).toMatchObject({ field: 'note:n4', category: 'subjective_opinion', proposedAction: 'create_task' });
    const neutral = contact({ notes: [{ id: 'n5', createdAt: '2026-01-01T00:00:00.000Z', body: 'Klant klaagt dat de levering te laat was.' }] });
    expect(rules(evalC(neutral))).not.toContain('subjective-note');
  });
  it('bsn rules stay quiet when a purpose has a legal obligation for national ids', () => {
    const pack = loadPolicy('avg-default').pack;
    const withLaw = compilePolicy({
      ...pack,
      purposes: [
        ...pack.purposes,
        { ...pack.purposes[0]!, id: 'payroll', lawfulBasis: 'legal_obligation', legalObligation: { categories: ['national_id'], law: 'Wet LB 1964' }, appliesTo: undefined },
      ],
    });
    const c = contact({ properties: { ...contact().properties, bsn: { value: '111222333', category: 'unknown' } } });
    expect(rules(evaluateContact(c, withLaw, NOW))).not.toContain('bsn-field');
  });
  it('unneeded-field: a category no purpose needs (gender for a customer)', () => {
    const c = contact({ properties: { ...contact().properties, gender: { value: 'x', category: 'unknown' } } });
    expect(evalC(c).find((x) => x.ruleId === 'unneeded-field')).toMatchObject({ field: 'gender', category: 'demographic' });
  });
  it('unneeded-field: date of birth is needed for customers but not for leads', () => {
    const dob = { date_of_birth: { value: '1980-02-02', category: 'unknown' as const, type: 'date' as const } };
    expect(rules(evalC(contact({ properties: { ...contact().properties, ...dob } })))).not.toContain('unneeded-field');
    const lead = contact({ lifecycle: { stage: 'lead', relationshipEndedAt: null }, lawfulBasis: [{ purpose: '*', basis: 'legitimate_interest', recordedAt: null }], properties: { ...contact().properties, ...dob } });
    expect(rules(evalC(lead))).toContain('unneeded-field');
  });
});

describe('stale records', () => {
  it('retention-no-activity: no activity for more than 3 years', () => {
    const c = contact({ lastActivityAt: '2023-06-01T00:00:00.000Z', createdAt: '2020-01-01T00:00:00.000Z' });
    expect(evalC(c).find((x) => x.ruleId === 'retention-no-activity')).toMatchObject({ kind: 'stale_record', article: 'Art. 5(1)(e) AVG', proposedAction: 'anonymise' });
  });
  it('retention-no-activity: falls back to created when there was never activity', () => {
    const c = contact({ lastActivityAt: null, createdAt: '2022-01-01T00:00:00.000Z' });
    expect(rules(evalC(c))).toContain('retention-no-activity');
  });
  it('not stale just under 3 years', () => {
    expect(rules(evalC(contact({ lastActivityAt: '2024-01-01T00:00:00.000Z' })))).not.toContain('retention-no-activity');
  });
  it('retention-purpose-expired: relationship ended more than 2 years ago', () => {
    const c = contact({ lifecycle: { stage: 'former_customer', relationshipEndedAt: '2024-06-01T00:00:00.000Z' } });
    expect(evalC(c).find((x) => x.ruleId === 'retention-purpose-expired')).toMatchObject({ purpose: 'customer_administration' });
  });
  it('not expired when another purpose (consented newsletter) still needs the record', () => {
    const c = contact({
      lifecycle: { stage: 'former_customer', relationshipEndedAt: '2024-06-01T00:00:00.000Z' },
      consents: [grantedNewsletter],
      marketing: { emailOptOut: false, subscriptions: [newsletterSub] },
    });
    expect(rules(evalC(c))).not.toContain('retention-purpose-expired');
  });
});

describe('consent', () => {
  const lead = { lifecycle: { stage: 'lead' as const, relationshipEndedAt: null }, lawfulBasis: [{ purpose: '*', basis: 'legitimate_interest' as const, recordedAt: null }] };
  it('consent-missing: a lead subscribed to the newsletter with no consent record', () => {
    const c = contact({ ...lead, marketing: { emailOptOut: false, subscriptions: [newsletterSub] } });
    expect(evalC(c).find((x) => x.ruleId === 'consent-missing')).toMatchObject({ purpose: 'newsletter', article: 'Art. 6(1)(a) AVG', proposedAction: 'unsubscribe' });
  });
  it('no consent finding for an existing customer: legitimate interest (Telecommunicatiewet) covers it', () => {
    const c = contact({ marketing: { emailOptOut: false, subscriptions: [newsletterSub] } });
    expect(rules(evalC(c)).filter((r) => r.startsWith('consent'))).toEqual([]);
  });
  it('consent-no-evidence: granted but no evidence reference', () => {
    const c = contact({ ...lead, consents: [{ ...grantedNewsletter, evidenceRef: null }], marketing: { emailOptOut: false, subscriptions: [newsletterSub] } });
    expect(rules(evalC(c))).toContain('consent-no-evidence');
  });
  it('consent-pre-ticked: a pre-ticked box is not consent', () => {
    const c = contact({ ...lead, consents: [{ ...grantedNewsletter, preTicked: true }], marketing: { emailOptOut: false, subscriptions: [newsletterSub] } });
    expect(rules(evalC(c))).toContain('consent-pre-ticked');
  });
  it('consent-withdrawn-still-used: withdrawn yet still subscribed, even for a customer', () => {
    const c = contact({
      consents: [{ ...grantedNewsletter, status: 'withdrawn', withdrawnAt: '2026-05-01T00:00:00.000Z' }],
      marketing: { emailOptOut: false, subscriptions: [newsletterSub] },
    });
    expect(evalC(c).find((x) => x.ruleId === 'consent-withdrawn-still-used')).toMatchObject({ article: 'Art. 7(3) AVG', graceDays: 0 });
  });
  it('consent-minor-no-parental: under 16 without parental consent', () => {
    const c = contact({ ...lead, birthDate: '2012-04-01', consents: [grantedNewsletter], marketing: { emailOptOut: false, subscriptions: [newsletterSub] } });
    expect(rules(evalC(c))).toContain('consent-minor-no-parental');
    const ok = contact({ ...lead, birthDate: '2012-04-01', consents: [{ ...grantedNewsletter, parentalConsent: true }], marketing: { emailOptOut: false, subscriptions: [newsletterSub] } });
    expect(rules(evalC(ok))).not.toContain('consent-minor-no-parental');
    const adult = contact({ ...lead, birthDate: '2010-11-24', consents: [grantedNewsletter], marketing: { emailOptOut: false, subscriptions: [newsletterSub] } });
    expect(rules(evalC(adult))).not.toContain('consent-minor-no-parental');
  });
  it('consent-optout-contradiction: e-mail opt-out with a granted marketing consent', () => {
    const c = contact({ ...lead, consents: [grantedNewsletter], marketing: { emailOptOut: true, subscriptions: [] } });
    expect(evalC(c).find((x) => x.ruleId === 'consent-optout-contradiction')).toMatchObject({ article: 'Art. 21(3) AVG' });
  });
  it('profiling without consent is flagged from the lead-score property', () => {
    const c = contact({ properties: { ...contact().properties, hubspotscore: { value: '55', category: 'unknown', type: 'number' } } });
    expect(evalC(c).find((x) => x.ruleId === 'consent-missing')).toMatchObject({ purpose: 'profiling' });
  });
  it('a valid consent with evidence gives no consent finding', () => {
    const c = contact({ ...lead, consents: [grantedNewsletter], marketing: { emailOptOut: false, subscriptions: [newsletterSub] } });
    expect(rules(evalC(c)).filter((r) => r.startsWith('consent'))).toEqual([]);
  });
  it('no-lawful-basis: nothing recorded and no consent', () => {
    const c = contact({ lawfulBasis: [] });
    expect(evalC(c).find((x) => x.ruleId === 'no-lawful-basis')).toMatchObject({ kind: 'no_lawful_basis', article: 'Art. 6(1) AVG' });
    expect(rules(evalC(contact({ lawfulBasis: [], consents: [grantedNewsletter] })))).not.toContain('no-lawful-basis');
  });
});

describe('residency and suppression', () => {
  const portal = { id: 'hubspot:1', vendor: 'hubspot' as const, vendorAccountId: '1', tenantId: 't1', region: 'na1', regionInEea: false, transferMechanism: 'none' as const };
  it('residency-no-transfer-mechanism: US-hosted portal without a mechanism', () => {
    expect(evaluatePortal(portal, policy, NOW)).toEqual([expect.objectContaining({ ruleId: 'residency-no-transfer-mechanism', contactId: null })]);
  });
  it('no residency finding with SCCs recorded or in the EU', () => {
    expect(evaluatePortal({ ...portal, transferMechanism: 'scc' }, policy, NOW)).toEqual([]);
    expect(evaluatePortal({ ...portal, region: 'eu1', regionInEea: true }, policy, NOW)).toEqual([]);
  });
  it('suppressed-reappeared: a forgotten person re-imported', () => {
    expect(evalC(contact({ suppressionMatch: true })).find((x) => x.ruleId === 'suppressed-reappeared')).toMatchObject({ proposedAction: 'gdpr_delete', article: 'Art. 17 AVG' });
  });
});

describe('findings', () => {
  it('carry due = first seen + grace, and a stable id', () => {
    const c = contact({ lawfulBasis: [] });
    const [f] = evalC(c);
    expect(Date.parse(f!.dueAt) - Date.parse(f!.firstSeenAt)).toBe(f!.graceDays * 86_400_000);
    expect(evaluateContact(c, policy, NOW + 1000)[0]!.id).toBe(f!.id);
  });
  it('a disabled rule produces nothing', () => {
    const pack = loadPolicy('avg-default').pack;
    const off = compilePolicy({ ...pack, rules: { ...pack.rules, 'no-lawful-basis': { ...pack.rules['no-lawful-basis']!, enabled: false } } });
    expect(evaluateContact(contact({ lawfulBasis: [] }), off, NOW)).toEqual([]);
  });
});
