import { sql } from 'kysely';
import type { Store } from '../../src/store';
import { appendAudit, listAudit, verifyAudit } from '../../src/audit';
import { encrypt, randomKey } from '../../src/crypto';
import { backends, TEST_ENV } from './backends';
import { clearAction, finding, OTHER_PORTAL, PORTAL } from './fixtures';

const T0 = '2030-03-01T10:00:00.000Z';
const T1 = '2030-03-05T10:00:00.000Z';
const T2 = '2030-03-09T10:00:00.000Z';
const plusDays = (iso: string, d: number) => new Date(Date.parse(iso) + d * 86_400_000).toISOString();

describe.each(backends().map((b) => [b.name, b] as const))('store on %s', (_name, backend) => {
  let store: Store;
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    store = await backend.open();
    await store.upsertPortal(PORTAL);
  });
  afterEach(() => backend.afterEach());

  describe('tenants', () => {
    it('creates 32-byte HMAC and data keys once, stores them only sealed, and returns the same keys later', async () => {
      const k1 = await store.ensureTenant('tenant-x');
      expect(k1.hmacKey).toHaveLength(32);
      expect(k1.dataKey).toHaveLength(32);
      expect(k1.hmacKey.equals(k1.dataKey)).toBe(false);
      const again = await store.ensureTenant('tenant-x');
      expect(again.hmacKey.equals(k1.hmacKey)).toBe(true);

      const row = (await sql<{ hmac_key_sealed: string; data_key_sealed: string }>`select * from tenants where tenant_id = 'tenant-x'`.execute(store.db)).rows[0];
      for (const sealed of [row.hmac_key_sealed, row.data_key_sealed]) {
        expect(sealed).toMatch(/^v1:/);
        expect(sealed).not.toContain(k1.hmacKey.toString('base64'));
        expect(sealed).not.toContain(k1.dataKey.toString('base64'));
      }
      const other = await store.ensureTenant('tenant-y');
      expect(other.hmacKey.equals(k1.hmacKey)).toBe(false);
    });

    it('refuses keys of an unknown tenant', async () => {
      await expect(store.getTenantKeys('nobody')).rejects.toThrow(/unknown tenant nobody/);
    });

    it('binds each sealed key to its tenant and purpose, and to the master key', async () => {
      const master = Buffer.from(TEST_ENV.GDPR_CRM_MASTER_KEY!, 'base64');
      const insert = (tenant: string, hmacSealed: string) =>
        sql`insert into tenants (tenant_id, hmac_key_sealed, data_key_sealed, created_at)
            values (${tenant}, ${hmacSealed}, ${encrypt(master, randomKey(), `tenant:${tenant}:data`)}, now())`.execute(store.db);
      await insert('right', encrypt(master, randomKey(), 'tenant:right:hmac'));
      await insert('swapped', encrypt(master, randomKey(), 'tenant:swapped:data'));
      await insert('copied', encrypt(master, randomKey(), 'tenant:right:hmac'));
      await insert('other-master', encrypt(randomKey(), randomKey(), 'tenant:other-master:hmac'));
      expect((await store.getTenantKeys('right')).hmacKey).toHaveLength(32);
      for (const t of ['swapped', 'copied', 'other-master']) await expect(store.getTenantKeys(t)).rejects.toThrow(/cannot unwrap the keys of tenant/);
    });
  });

  describe('portals', () => {
    it('upserts, gets and lists portals by tenant', async () => {
      await store.upsertPortal(OTHER_PORTAL);
      await store.upsertPortal({ ...PORTAL, region: 'na1', regionInEea: false });
      expect(await store.getPortal(PORTAL.id)).toEqual({ ...PORTAL, region: 'na1', regionInEea: false });
      expect(await store.getPortal('hubspot:404')).toBeNull();
      expect((await store.listPortals()).map((p) => p.id)).toEqual([PORTAL.id, OTHER_PORTAL.id]);
      expect((await store.listPortals('tenant-b')).map((p) => p.id)).toEqual([OTHER_PORTAL.id]);
      // The portal's tenant got its keys on the way.
      expect((await store.getTenantKeys('tenant-b')).hmacKey).toHaveLength(32);
    });

    it('refuses to move a portal to another tenant and rejects an invalid portal', async () => {
      await expect(store.upsertPortal({ ...PORTAL, tenantId: 'tenant-b' })).rejects.toThrow(/belongs to tenant tenant-a/);
      await expect(store.upsertPortal({ ...PORTAL, vendor: 'pipedrive' as never })).rejects.toThrow();
    });
  });

  describe('contacts and field inventory', () => {
    it('keeps ids and timestamps, updates on re-seen, and marks deletions', async () => {
      await store.upsertContactsSeen(PORTAL.id, [{ id: '1', modifiedAt: T0 }, { id: '2', modifiedAt: T0 }], T0);
      await store.upsertContactsSeen(PORTAL.id, [{ id: '2', modifiedAt: T1 }], T1);
      expect(await store.markDeleted(PORTAL.id, ['1', 'never-seen'])).toBe(1);
      expect(await store.listContactsInventory(PORTAL.id)).toEqual([
        { id: '1', modifiedAt: T0, lastSeenAt: T0, deleted: true },
        { id: '2', modifiedAt: T1, lastSeenAt: T1, deleted: false },
      ]);
      // Seen again after a restore: no longer deleted.
      await store.upsertContactsSeen(PORTAL.id, [{ id: '1', modifiedAt: T2 }], T2);
      expect((await store.listContactsInventory(PORTAL.id))[0]).toEqual({ id: '1', modifiedAt: T2, lastSeenAt: T2, deleted: false });
    });

    it('handles more contacts than one statement takes', async () => {
      const many = Array.from({ length: 2500 }, (_, i) => ({ id: `c${i}`, modifiedAt: T0 }));
      await store.upsertContactsSeen(PORTAL.id, many, T0);
      expect(await store.markDeleted(PORTAL.id, many.map((c) => c.id))).toBe(2500);
    });

    it('rejects rows for a portal it does not know', async () => {
      await expect(store.upsertContactsSeen('hubspot:404', [{ id: '1', modifiedAt: T0 }])).rejects.toThrow();
    });

    it('upserts the field inventory', async () => {
      await store.upsertFieldInventory(PORTAL.id, [
        { property: 'email', category: 'contact', filledCount: 10 },
        { property: 'bsn', category: 'national_id', filledCount: 2 },
      ]);
      await store.upsertFieldInventory(PORTAL.id, [{ property: 'bsn', category: 'national_id', filledCount: 0 }]);
      expect(await store.listFieldInventory(PORTAL.id)).toEqual([
        { property: 'bsn', category: 'national_id', filledCount: 0 },
        { property: 'email', category: 'contact', filledCount: 10 },
      ]);
      await expect(store.upsertFieldInventory(PORTAL.id, [{ property: 'x', category: 'nonsense' as never, filledCount: 1 }])).rejects.toThrow();
    });
  });

  describe('checkpoints', () => {
    it('saves, replaces and clears checkpoints per kind', async () => {
      expect(await store.getCheckpoint(PORTAL.id, 'full')).toBeNull();
      await store.saveCheckpoint(PORTAL.id, 'full', 'after=200');
      await store.saveCheckpoint(PORTAL.id, 'incremental', T1, T1);
      await store.saveCheckpoint(PORTAL.id, 'full', 'after=300');
      expect(await store.getCheckpoint(PORTAL.id, 'full')).toBe('after=300');
      expect((await store.getCheckpointRecord(PORTAL.id, 'incremental'))?.cursorTime).toBe(T1);
      await store.saveCheckpoint(PORTAL.id, 'full', '');
      expect(await store.getCheckpoint(PORTAL.id, 'full')).toBeNull();
      expect(await store.getCheckpoint(PORTAL.id, 'incremental')).toBe(T1);
    });
  });

  describe('findings', () => {
    it('keeps firstSeenAt from the first scan and computes dueAt from it', async () => {
      const f = finding({ contactId: '1' });
      const first = await store.recordFindings(PORTAL.id, T0, ['1'], [f]);
      expect(first.findings[0]).toMatchObject({ id: f.id, firstSeenAt: T0, dueAt: plusDays(T0, 14) });
      const second = await store.recordFindings(PORTAL.id, T1, ['1'], [{ ...f, firstSeenAt: T1, dueAt: T1, evidence: 'BSN ****.**.783' }]);
      expect(second.findings[0]).toMatchObject({ firstSeenAt: T0, dueAt: plusDays(T0, 14), evidence: 'BSN ****.**.783' });
      expect(second.resolved).toEqual([]);
      expect(await store.listOpenFindings(PORTAL.id)).toEqual(second.findings);
    });

    it('resolves open findings of scanned contacts that were not reported again, and only those', async () => {
      const a = finding({ contactId: '1' });
      const b = finding({ contactId: '2' });
      const c = finding({ contactId: '1', ruleId: 'special-category-note', field: 'note:9' });
      await store.recordFindings(PORTAL.id, T0, ['1', '2'], [a, b, c]);
      const r = await store.recordFindings(PORTAL.id, T1, ['1'], [c]);
      expect(r.resolved).toEqual([a.id]);
      expect((await store.listOpenFindings(PORTAL.id)).map((f) => f.id).sort()).toEqual([b.id, c.id].sort());
      // Resolved and then seen again: a new occurrence, its grace period starts again.
      const back = await store.recordFindings(PORTAL.id, T2, ['1'], [a, c]);
      expect(back.findings.find((f) => f.id === a.id)?.firstSeenAt).toBe(T2);
      expect(back.findings.find((f) => f.id === c.id)?.firstSeenAt).toBe(T0);
    });

    it("resolves portal-level findings only when null is among the scanned ids, everything with 'all'", async () => {
      const residency = finding({ contactId: null, ruleId: 'residency', kind: 'residency', field: null });
      const a = finding({ contactId: '1' });
      await store.recordFindings(PORTAL.id, T0, [null], [residency]);
      await store.recordFindings(PORTAL.id, T0, ['1'], [a]);
      expect((await store.recordFindings(PORTAL.id, T1, [], [])).resolved).toEqual([]);
      expect((await store.recordFindings(PORTAL.id, T1, ['1'], [])).resolved).toEqual([a.id]);
      await store.recordFindings(PORTAL.id, T1, ['1'], [a]);
      expect((await store.recordFindings(PORTAL.id, T1, [null], [])).resolved).toEqual([residency.id]);
      expect((await store.recordFindings(PORTAL.id, T2, 'all', [])).resolved).toEqual([a.id]);
      expect(await store.listOpenFindings(PORTAL.id)).toEqual([]);
    });

    it('rejects findings of another portal and tolerates duplicate ids', async () => {
      await expect(store.recordFindings(PORTAL.id, T0, ['1'], [finding({ contactId: '1', portalId: OTHER_PORTAL.id })])).rejects.toThrow(/belongs to portal/);
      const f = finding({ contactId: '1' });
      const r = await store.recordFindings(PORTAL.id, T0, ['1'], [f, f]);
      expect(r.findings).toHaveLength(1);
    });
  });

  describe('transaction', () => {
    it('commits every method run in it together, audit rows included', async () => {
      const f = finding({ contactId: '1' });
      const a = clearAction(f);
      const states = await store.transaction(async (tx) => {
        await tx.recordFindings(PORTAL.id, T0, ['1'], [f]);
        const saved = await tx.savePlannedActions(PORTAL.id, [a]); // a transaction of its own, run inside this one
        await tx.upsertContactsSeen(PORTAL.id, [{ id: '1', modifiedAt: T0 }], T0);
        await appendAudit(tx, { actor: 'test', tenantId: PORTAL.tenantId, portalId: PORTAL.id, contactId: '1', action: 'check', result: 'done' });
        return saved.states;
      });
      expect(states).toEqual(new Map([[a.id, 'planned']]));
      expect(await store.getActionState(a.id)).toBe('planned');
      expect((await store.listOpenFindings(PORTAL.id)).map((x) => x.id)).toEqual([f.id]);
      expect((await listAudit(store, { tenantId: PORTAL.tenantId })).map((r) => r.action)).toEqual(['check']);
      expect(await verifyAudit(store, { tenantId: PORTAL.tenantId })).toMatchObject({ ok: true });
    });

    it('writes nothing when it throws: no findings, actions, contacts or audit rows, and the audit chain goes on from where it was', async () => {
      await appendAudit(store, { actor: 'test', tenantId: PORTAL.tenantId, portalId: PORTAL.id, action: 'before', result: 'done' });
      const f = finding({ contactId: '1' });
      const a = clearAction(f);
      const err = await store
        .transaction(async (tx) => {
          await tx.recordFindings(PORTAL.id, T0, ['1'], [f]);
          await tx.savePlannedActions(PORTAL.id, [a]);
          await tx.upsertContactsSeen(PORTAL.id, [{ id: '1', modifiedAt: T0 }], T0);
          await appendAudit(tx, { actor: 'test', tenantId: PORTAL.tenantId, portalId: PORTAL.id, contactId: '1', action: 'check', result: 'done' });
          throw new Error('the check failed half-way');
        })
        .then(
          () => null,
          (e: Error) => e.message,
        );
      expect(err).toBe('the check failed half-way');
      expect(await store.getActionState(a.id)).toBeNull();
      expect(await store.listOpenFindings(PORTAL.id)).toEqual([]);
      expect(await store.listContactsInventory(PORTAL.id)).toEqual([]);
      expect((await listAudit(store, { tenantId: PORTAL.tenantId })).map((r) => r.action)).toEqual(['before']);
      await appendAudit(store, { actor: 'test', tenantId: PORTAL.tenantId, portalId: PORTAL.id, action: 'after', result: 'done' });
      expect((await listAudit(store, { tenantId: PORTAL.tenantId })).map((r) => [r.seq, r.action]).sort()).toEqual([
        [1, 'before'],
        [2, 'after'],
      ]);
      expect(await verifyAudit(store, { tenantId: PORTAL.tenantId })).toMatchObject({ ok: true });
    });
  });

  describe('actions', () => {
    it('moves planned -> running -> done, and a done action is never planned or run again', async () => {
      const f = (await store.recordFindings(PORTAL.id, T0, ['1'], [finding({ contactId: '1' })])).findings[0];
      const a = clearAction(f);
      expect(await store.savePlannedActions(PORTAL.id, [a])).toEqual({ planned: 1, unchanged: 0, states: new Map([[a.id, 'planned']]) });
      expect(await store.getActionState(a.id)).toBe('planned');
      expect(await store.listOpenActions(PORTAL.id)).toEqual([a]);
      expect(await store.markActionStarted(a.id)).toBe(true);
      expect(await store.getActionState(a.id)).toBe('running');
      expect(await store.markActionResult(a.id, { actionId: a.id, status: 'done', vendorRef: 'batch-1' })).toBe(true);
      expect(await store.getActionState(a.id)).toBe('done');

      expect(await store.savePlannedActions(PORTAL.id, [a])).toEqual({ planned: 0, unchanged: 1, states: new Map([[a.id, 'done']]) });
      expect(await store.getActionState(a.id)).toBe('done');
      expect(await store.markActionStarted(a.id)).toBe(false);
      expect(await store.markActionResult(a.id, { actionId: a.id, status: 'failed', detail: 'late duplicate' })).toBe(false);
      const rec = await store.getAction(a.id);
      expect(rec).toMatchObject({ state: 'done', attempts: 1, result: { status: 'done', vendorRef: 'batch-1' } });
      expect(await store.listOpenActions(PORTAL.id)).toEqual([]);
    });

    it('keeps failed actions open and plans them again', async () => {
      const f = (await store.recordFindings(PORTAL.id, T0, ['1'], [finding({ contactId: '1' })])).findings[0];
      const a = clearAction(f);
      await store.savePlannedActions(PORTAL.id, [a]);
      await store.markActionStarted(a.id);
      await store.markActionResult(a.id, { actionId: a.id, status: 'failed', detail: 'VALIDATION_ERROR' });
      expect((await store.listOpenActions(PORTAL.id)).map((x) => x.id)).toEqual([a.id]);
      await store.savePlannedActions(PORTAL.id, [a]);
      expect(await store.getActionState(a.id)).toBe('planned');
    });

    it('in one save, plans new and failed actions (with their findings) and leaves done and running ones as they are', async () => {
      const fs = (await store.recordFindings(PORTAL.id, T0, ['1', '2', '3', '4'], ['1', '2', '3', '4'].map((c) => finding({ contactId: c })))).findings;
      const [fresh, failed, done, running] = fs.map((f) => clearAction(f));
      await store.savePlannedActions(PORTAL.id, [failed!, done!, running!]);
      for (const a of [failed!, done!, running!]) await store.markActionStarted(a.id);
      await store.markActionResult(failed!.id, { actionId: failed!.id, status: 'failed', detail: 'VALIDATION_ERROR' });
      await store.markActionResult(done!.id, { actionId: done!.id, status: 'done' });
      // The same actions planned again, now also naming another finding.
      const extra = fs[0]!.id;
      const again = [fresh!, failed!, done!, running!].map((a) => ({ ...a, findingIds: [...new Set([...a.findingIds, extra])] }));
      const r = await store.savePlannedActions(PORTAL.id, again);
      expect(r.planned).toBe(2);
      expect(r.unchanged).toBe(2);
      expect(r.states).toEqual(new Map([[fresh!.id, 'planned'], [failed!.id, 'planned'], [done!.id, 'done'], [running!.id, 'running']]));
      const links = await store.db.selectFrom('action_findings').select(['action_id', 'finding_id']).execute();
      const linked = (id: string) => links.filter((l) => l.action_id === id).map((l) => l.finding_id).sort();
      expect(linked(fresh!.id)).toEqual([extra]);
      expect(linked(failed!.id)).toEqual([fs[1]!.id, extra].sort());
      expect(linked(done!.id)).toEqual([fs[2]!.id]);
      expect(linked(running!.id)).toEqual([fs[3]!.id]);
      expect((await store.getAction(running!.id))?.action.findingIds).toEqual([fs[3]!.id]);
    });

    it('refuses results for actions it never planned, and results for another action', async () => {
      await expect(store.markActionStarted('nope')).rejects.toThrow(/unknown action nope/);
      await expect(store.markActionResult('nope', { actionId: 'nope', status: 'done' })).rejects.toThrow(/unknown action/);
      await expect(store.markActionResult('x', { actionId: 'y', status: 'done' })).rejects.toThrow(/recorded against/);
    });

    it('cancels actions only when all their findings are resolved', async () => {
      const f1 = finding({ contactId: '1' });
      const f2 = finding({ contactId: '1', ruleId: 'special-category-note', field: 'note:9' });
      await store.recordFindings(PORTAL.id, T0, ['1'], [f1, f2]);
      const both = clearAction(f1, { id: 'anon-1', findingIds: [f1.id, f2.id] });
      const only1 = clearAction(f1, { id: 'clear-1' });
      const done1 = clearAction(f1, { id: 'done-1' });
      await store.savePlannedActions(PORTAL.id, [both, only1, done1]);
      await store.markActionResult('done-1', { actionId: 'done-1', status: 'done' });

      const r = await store.recordFindings(PORTAL.id, T1, ['1'], [f2]);
      expect(r.resolved).toEqual([f1.id]);
      expect(await store.cancelActionsForResolvedFindings(r.resolved)).toEqual(['clear-1']);
      expect(await store.getActionState('clear-1')).toBe('cancelled');
      expect(await store.getActionState('anon-1')).toBe('planned');
      expect(await store.getActionState('done-1')).toBe('done');

      // Cause back: the cancelled action is planned again.
      await store.recordFindings(PORTAL.id, T2, ['1'], [f1, f2]);
      await store.savePlannedActions(PORTAL.id, [only1]);
      expect(await store.getActionState('clear-1')).toBe('planned');
    });

    it('never stores the in-memory redacted note body', async () => {
      const f = finding({ contactId: '1', field: 'note:9' });
      const a = {
        ...clearAction(f),
        id: 'redact-9',
        type: 'redact_note' as const,
        noteId: '9',
        categories: ['health'],
        redactedBody: 'Patient heeft [verwijderd: health] SECRET-BODY',
      };
      await store.savePlannedActions(PORTAL.id, [a]);
      const raw = (await sql<{ action_json: string }>`select action_json from actions where action_id = 'redact-9'`.execute(store.db)).rows[0];
      expect(raw.action_json).not.toContain('SECRET-BODY');
      expect((await store.getAction('redact-9'))?.action).not.toHaveProperty('redactedBody');
    });
  });

  describe('disconnect', () => {
    it('deletes everything kept for the portal and nothing of other portals', async () => {
      await store.upsertPortal(OTHER_PORTAL);
      for (const p of [PORTAL, OTHER_PORTAL]) {
        await store.upsertContactsSeen(p.id, [{ id: '1', modifiedAt: T0 }]);
        await store.upsertFieldInventory(p.id, [{ property: 'email', category: 'contact', filledCount: 1 }]);
        await store.saveCheckpoint(p.id, 'full', 'after=1');
        const f = finding({ contactId: '1', portalId: p.id, tenantId: p.tenantId, id: `${p.id}/f` });
        await store.recordFindings(p.id, T0, ['1'], [f]);
        await store.savePlannedActions(p.id, [clearAction(f, { id: `${p.id}/a` })]);
      }
      await store.addSuppression(PORTAL.tenantId, { emails: ['gone@example.nl'] }, 'erasure', `${PORTAL.id}/1`);

      const counts = await store.deletePortalData(PORTAL.id);
      expect(counts).toEqual({ action_findings: 1, actions: 1, findings: 1, checkpoints: 1, field_inventory: 1, contacts: 1, portals: 1 });
      expect(await store.getPortal(PORTAL.id)).toBeNull();
      expect(await store.listContactsInventory(PORTAL.id)).toEqual([]);
      expect(await store.listOpenFindings(PORTAL.id)).toEqual([]);
      expect(await store.getActionState(`${PORTAL.id}/a`)).toBeNull();
      expect(await store.getCheckpoint(PORTAL.id, 'full')).toBeNull();
      for (const table of ['contacts', 'field_inventory', 'checkpoints', 'findings', 'actions', 'action_findings']) {
        const n = (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)} where portal_id = ${PORTAL.id}`.execute(store.db)).rows[0].n;
        expect([table, Number(n)]).toEqual([table, 0]);
      }
      // The other portal is untouched; the tenant's suppression hashes stay.
      expect(await store.getPortal(OTHER_PORTAL.id)).not.toBeNull();
      expect(await store.listOpenFindings(OTHER_PORTAL.id)).toHaveLength(1);
      expect(await store.matchSuppression(PORTAL.tenantId, { emails: ['gone@example.nl'] })).toBe(true);
    });
  });
});
