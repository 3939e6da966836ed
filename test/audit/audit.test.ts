import { sql } from 'kysely';
import { appendAudit, appendAuditBatch, appendAuditInTransaction, GENESIS_HASH, hashRow, listAudit, verifyAudit, type AuditEntry } from '../../src/audit';
import type { Store } from '../../src/store';
import { backends } from '../store/backends';

const entry = (i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  actor: 'cli:test',
  tenantId: 'tenant-a',
  portalId: 'hubspot:1001',
  contactId: String(500 + i),
  ruleId: 'bsn-without-law',
  action: 'clear_property',
  result: 'done',
  detail: `batch=${i}`,
  ...over,
});

async function appendN(store: Store, n: number, over: Partial<AuditEntry> = {}): Promise<void> {
  for (let i = 1; i <= n; i++) await appendAudit(store, entry(i, over));
}

describe.each(backends().map((b) => [b.name, b] as const))('audit log on %s', (_name, backend) => {
  let store: Store;
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(() => backend.afterEach());

  it('chains rows: seq from 1, each prev_hash is the previous hash, each hash covers the row', async () => {
    const r1 = await appendAudit(store, entry(1));
    const r2 = await appendAudit(store, entry(2, { contactId: null, ruleId: null, detail: null, action: 'scan:full' }));
    expect([r1.seq, r2.seq]).toEqual([1, 2]);
    expect(r1.prevHash).toBe(GENESIS_HASH);
    expect(r2.prevHash).toBe(r1.hash);
    expect(r1.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(
      hashRow({
        chain: 'tenant-a', seq: 1, at: r1.at, actor: 'cli:test', tenant_id: 'tenant-a', portal_id: 'hubspot:1001',
        contact_id: '501', rule_id: 'bsn-without-law', action: 'clear_property', result: 'done', detail: 'batch=1', prev_hash: GENESIS_HASH,
      }),
    ).toBe(r1.hash);
    expect(await verifyAudit(store)).toEqual({ ok: true, rows: 2 });
    expect((await listAudit(store, { tenantId: 'tenant-a' })).map((r) => r.seq)).toEqual([2, 1]);
  });

  it('rejects entries that are not well-formed', async () => {
    await expect(appendAudit(store, { ...entry(1), actor: '' })).rejects.toThrow();
    await expect(appendAudit(store, { ...entry(1), at: 'yesterday' })).rejects.toThrow();
  });

  it('keeps one chain per tenant and verifies one tenant on its own', async () => {
    await appendN(store, 3);
    await appendN(store, 2, { tenantId: 'tenant-b', portalId: 'zoho:9' });
    await appendAudit(store, entry(1, { tenantId: null, portalId: null, action: 'master-key:rotated' }));
    expect(await verifyAudit(store)).toEqual({ ok: true, rows: 6 });
    expect(await verifyAudit(store, { tenantId: 'tenant-b' })).toEqual({ ok: true, rows: 2 });
    await sql`update audit_log set result = 'failed' where chain = 'tenant-b' and seq = 2`.execute(store.db);
    expect(await verifyAudit(store, { tenantId: 'tenant-a' })).toEqual({ ok: true, rows: 3 });
    expect(await verifyAudit(store, { tenantId: 'tenant-b' })).toMatchObject({ ok: false, firstBrokenSeq: 2, tenantId: 'tenant-b', rows: 1 });
  });

  it('catches an altered row at its seq', async () => {
    await appendN(store, 5);
    await sql`update audit_log set detail = 'batch=99' where seq = 3`.execute(store.db);
    const r = await verifyAudit(store, { tenantId: 'tenant-a' });
    expect(r).toMatchObject({ ok: false, rows: 2, firstBrokenSeq: 3 });
    expect(r.ok === false && r.reason).toMatch(/row 3 was altered/);
  });

  it('catches an altered row even when its hash was recomputed (the next link breaks)', async () => {
    await appendN(store, 5);
    const row = (await sql<Record<string, unknown>>`select * from audit_log where seq = 3`.execute(store.db)).rows[0];
    const forged = { ...(row as never as Parameters<typeof hashRow>[0]), result: 'skipped' };
    await sql`update audit_log set result = 'skipped', hash = ${hashRow(forged)} where seq = 3`.execute(store.db);
    const r = await verifyAudit(store);
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: 4 });
    expect(r.ok === false && r.reason).toMatch(/row 4 does not link to row 3/);
  });

  it('catches a removed row in the middle, at the missing seq', async () => {
    await appendN(store, 5);
    await sql`delete from audit_log where seq = 2`.execute(store.db);
    const r = await verifyAudit(store);
    expect(r).toMatchObject({ ok: false, rows: 1, firstBrokenSeq: 2 });
    expect(r.ok === false && r.reason).toMatch(/row 2 is missing/);
  });

  it('catches a removed row renumbered to hide the gap', async () => {
    await appendN(store, 5);
    await sql`delete from audit_log where seq = 2`.execute(store.db);
    await sql`update audit_log set seq = seq - 1 where seq > 2`.execute(store.db);
    const r = await verifyAudit(store);
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: 2 });
  });

  it('catches rows removed from the end and the first row removed', async () => {
    await appendN(store, 5);
    await sql`delete from audit_log where seq >= 4`.execute(store.db);
    const r = await verifyAudit(store);
    expect(r).toMatchObject({ ok: false, rows: 3, firstBrokenSeq: 4 });
    expect(r.ok === false && r.reason).toMatch(/rows 4\.\.5 are missing from the end/);

    await sql`delete from audit_log where seq = 1`.execute(store.db);
    expect(await verifyAudit(store)).toMatchObject({ ok: false, rows: 0, firstBrokenSeq: 1 });
  });

  it('catches reordered rows', async () => {
    await appendN(store, 5);
    // Swap the contents of rows 2 and 3, keeping seq in place.
    await sql`update audit_log set seq = -2 where seq = 2`.execute(store.db);
    await sql`update audit_log set seq = 2 where seq = 3`.execute(store.db);
    await sql`update audit_log set seq = 3 where seq = -2`.execute(store.db);
    const r = await verifyAudit(store);
    expect(r).toMatchObject({ ok: false, rows: 1, firstBrokenSeq: 2 });
  });

  it('continues the chain after a verify and across many rows', async () => {
    await appendN(store, 30);
    expect(await verifyAudit(store)).toEqual({ ok: true, rows: 30 });
    await appendAudit(store, entry(31));
    expect(await verifyAudit(store)).toEqual({ ok: true, rows: 31 });
  });

  it('appends a batch as the same chain of rows, across tenants, between single appends', async () => {
    await appendAudit(store, entry(1));
    const rows = await appendAuditBatch(store, [entry(2), entry(1, { tenantId: 'tenant-b', portalId: 'zoho:9' }), entry(3), entry(4, { detail: null })]);
    await appendAudit(store, entry(5));
    expect(rows.map((r) => [r.tenantId, r.seq])).toEqual([['tenant-a', 2], ['tenant-b', 1], ['tenant-a', 3], ['tenant-a', 4]]);
    expect(rows[2]!.prevHash).toBe(rows[0]!.hash);
    expect(rows[1]!.prevHash).toBe(GENESIS_HASH);
    for (const r of rows) {
      const { hash, prevHash, tenantId, portalId, contactId, ruleId, ...rest } = r;
      expect(hashRow({ ...rest, chain: tenantId ?? '', tenant_id: tenantId, portal_id: portalId, contact_id: contactId, rule_id: ruleId, prev_hash: prevHash })).toBe(hash);
    }
    expect(await verifyAudit(store)).toEqual({ ok: true, rows: 6 });
    const seqs = (await sql<{ seq: number }>`select seq from audit_log where chain = 'tenant-a' order by seq`.execute(store.db)).rows.map((r) => r.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(await appendAuditBatch(store, [])).toEqual([]);
  });

  it('catches tampering with rows written as a batch', async () => {
    await appendAuditBatch(store, Array.from({ length: 6 }, (_, i) => entry(i + 1)));
    expect(await verifyAudit(store)).toEqual({ ok: true, rows: 6 });
    await sql`update audit_log set detail = 'batch=99' where seq = 4`.execute(store.db);
    expect(await verifyAudit(store)).toMatchObject({ ok: false, rows: 3, firstBrokenSeq: 4 });
  });

  it('writes nothing of a batch whose transaction fails (no gap, no half chain)', async () => {
    await appendAudit(store, entry(1));
    await expect(
      store.db.transaction().execute(async (trx) => {
        await appendAuditInTransaction(trx, [entry(2), entry(3)]);
        throw new Error('the results this batch records failed to commit');
      }),
    ).rejects.toThrow(/failed to commit/);
    await expect(appendAuditBatch(store, [entry(2), { ...entry(3), actor: '' }])).rejects.toThrow();
    expect(await verifyAudit(store)).toEqual({ ok: true, rows: 1 });
    expect((await appendAudit(store, entry(2))).seq).toBe(2);
    expect(await verifyAudit(store)).toEqual({ ok: true, rows: 2 });
  });

  if (backend.name === 'postgres') {
    it('never forks the chain when two processes append batches and single rows at the same time', async () => {
      const other = await backend.openAgain!();
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => appendAuditBatch(store, [entry(i), entry(i + 50), entry(i, { tenantId: 'tenant-b' })])),
        ...Array.from({ length: 10 }, (_, i) => appendAuditBatch(other, [entry(i, { tenantId: 'tenant-b' }), entry(100 + i)])),
        ...Array.from({ length: 10 }, (_, i) => appendAudit(other, entry(200 + i))),
      ]);
      expect(await verifyAudit(store)).toEqual({ ok: true, rows: 60 });
      const seqs = (await sql<{ seq: number }>`select seq from audit_log where chain = 'tenant-a' order by seq`.execute(store.db)).rows.map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it('never forks the chain when two processes append at the same time', async () => {
      const other = await backend.openAgain!();
      await Promise.all([
        ...Array.from({ length: 25 }, (_, i) => appendAudit(store, entry(i))),
        ...Array.from({ length: 25 }, (_, i) => appendAudit(other, entry(100 + i))),
      ]);
      expect(await verifyAudit(store)).toEqual({ ok: true, rows: 50 });
      const seqs = (await sql<{ seq: number }>`select seq from audit_log order by seq`.execute(store.db)).rows.map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });
  } else {
    it('serialises concurrent appends from one process', async () => {
      await Promise.all(Array.from({ length: 25 }, (_, i) => appendAudit(store, entry(i))));
      expect(await verifyAudit(store)).toEqual({ ok: true, rows: 25 });
    });
  }
});
