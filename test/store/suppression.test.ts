import { sql } from 'kysely';
import { hmacSha256 } from '../../src/crypto';
import { normaliseEmail, normaliseIdentifiers, normalisePhone, type Store } from '../../src/store';
import { backends } from './backends';

describe('identifier normalisation', () => {
  it('lower-cases and trims e-mails and drops non-addresses', () => {
    expect(normaliseEmail('  Jan.de.Vries@Example.NL ')).toBe('jan.de.vries@example.nl');
    expect(normaliseEmail('   ')).toBeNull();
    expect(normaliseEmail('not an address')).toBeNull();
  });

  it.each([
    ['06-12345678', '31612345678'],
    ['06 1234 5678', '31612345678'],
    ['+31 6 12345678', '31612345678'],
    ['0031612345678', '31612345678'],
    ['+31 (0)6 1234 5678', '31612345678'],
    ['+44 20 7946 0958', '442079460958'],
    ['020-1234567', '0201234567'],
  ])('phone %s -> %s', (raw, want) => {
    expect(normalisePhone(raw)).toBe(want);
  });

  it('drops numbers too short to identify anyone and deduplicates', () => {
    expect(normalisePhone('112')).toBeNull();
    expect(normaliseIdentifiers({ emails: ['A@x.nl', 'a@x.nl '], phones: ['0612345678', '+31612345678', '12'] })).toEqual([
      { kind: 'email', value: 'a@x.nl' },
      { kind: 'phone', value: '31612345678' },
    ]);
  });
});

describe.each(backends().map((b) => [b.name, b] as const))('suppression on %s', (_name, backend) => {
  let store: Store;
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(() => backend.afterEach());

  it('recognises a forgotten person however the CRM writes their e-mail or phone', async () => {
    expect(await store.addSuppression('tenant-a', { emails: ['Jan@Example.nl'], phones: ['06-12345678'] }, 'erasure-request', 'hubspot:1/501')).toBe(2);
    expect(await store.matchSuppression('tenant-a', { emails: [' jan@example.NL'] })).toBe(true);
    expect(await store.matchSuppression('tenant-a', { phones: ['+31 6 1234 5678'] })).toBe(true);
    expect(await store.matchSuppression('tenant-a', { emails: ['piet@example.nl'], phones: ['0687654321'] })).toBe(false);
    expect(await store.matchSuppression('tenant-a', {})).toBe(false);
  });

  it('keeps suppression per tenant', async () => {
    await store.addSuppression('tenant-a', { emails: ['jan@example.nl'] }, 'erasure', 'hubspot:1/501');
    await store.ensureTenant('tenant-b');
    expect(await store.matchSuppression('tenant-b', { emails: ['jan@example.nl'] })).toBe(false);
    expect(await store.matchSuppression('tenant-unknown', { emails: ['jan@example.nl'] })).toBe(false);
    expect((await store.loadSuppressionSet('tenant-b'))({ emails: ['jan@example.nl'] })).toBe(false);
  });

  it('stores only HMACs under the tenant key, nothing of the identifier itself', async () => {
    await store.addSuppression('tenant-a', { emails: ['jan@example.nl'], phones: ['0612345678'] }, 'erasure', 'hubspot:1/501');
    await store.addSuppression('tenant-a', { emails: ['JAN@example.nl'] }, 'again', 'hubspot:1/777');
    const rows = (await sql<{ identifier_hash: string; kind: string; contact_ref: string }>`select * from suppression order by kind`.execute(store.db)).rows;
    const { hmacKey } = await store.getTenantKeys('tenant-a');
    expect(rows.map((r) => [r.kind, r.identifier_hash, r.contact_ref])).toEqual([
      ['email', hmacSha256(hmacKey, 'email:jan@example.nl'), 'hubspot:1/501'],
      ['phone', hmacSha256(hmacKey, 'phone:31612345678'), 'hubspot:1/501'],
    ]);
    const dump = JSON.stringify(rows);
    for (const plain of ['jan@example.nl', 'jan', '612345678']) expect(dump).not.toContain(plain);
  });

  it('loads the set once for matching a whole scan in memory', async () => {
    await store.addSuppression('tenant-a', { emails: ['jan@example.nl'] }, 'erasure', 'hubspot:1/501');
    const isSuppressed = await store.loadSuppressionSet('tenant-a');
    await store.addSuppression('tenant-a', { emails: ['later@example.nl'] }, 'erasure', 'hubspot:1/502');
    expect(isSuppressed({ emails: ['other@example.nl', 'JAN@example.nl'] })).toBe(true);
    expect(isSuppressed({ emails: ['other@example.nl'], phones: [] })).toBe(false);
    // A snapshot: added after loading, seen on the next load.
    expect(isSuppressed({ emails: ['later@example.nl'] })).toBe(false);
    expect((await store.loadSuppressionSet('tenant-a'))({ emails: ['later@example.nl'] })).toBe(true);
  });

  it('keeps nothing when there is nothing to recognise', async () => {
    expect(await store.addSuppression('tenant-a', { emails: [], phones: ['12'] }, 'erasure', 'hubspot:1/501')).toBe(0);
    expect(Number((await sql<{ n: string | number }>`select count(*) as n from suppression`.execute(store.db)).rows[0].n)).toBe(0);
  });
});
