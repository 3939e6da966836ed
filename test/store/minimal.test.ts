import { sql } from 'kysely';
import { appendAudit } from '../../src/audit';
import type { Store } from '../../src/store';
import { contact } from '../helpers/contact';
import { backends } from './backends';
import { clearAction, finding, PORTAL } from './fixtures';

const ALL_TABLES = ['tenants', 'portals', 'contacts', 'field_inventory', 'checkpoints', 'findings', 'actions', 'action_findings', 'suppression', 'audit_log', 'audit_head'];

describe.each(backends().map((b) => [b.name, b] as const))('the store keeps the minimum, on %s', (_name, backend) => {
  let store: Store;
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(() => backend.afterEach());

  it('holds no personal value after a whole scan-plan-apply cycle', async () => {
    const c = contact({
      portalId: PORTAL.id,
      tenantId: PORTAL.tenantId,
      id: '501',
      identifiers: { emails: ['Jan.Vermeulen@example.nl'], phones: ['06-98765432'] },
      properties: {
        email: { value: 'Jan.Vermeulen@example.nl', category: 'contact', type: 'email' },
        lastname: { value: 'Vermeulen', category: 'identity', type: 'text' },
        bsn: { value: '111222333', category: 'national_id', type: 'text' },
      },
      notes: [{ id: '9', createdAt: '2026-01-01T00:00:00.000Z', body: 'Diabetes type 2, BSN 111222333' }],
    });
    const secrets = ['jan.vermeulen', 'Vermeulen', '98765432', '111222333', 'Diabetes'];

    await store.upsertPortal(PORTAL);
    await store.upsertContactsSeen(PORTAL.id, [{ id: c.id, modifiedAt: c.modifiedAt }]);
    await store.upsertFieldInventory(PORTAL.id, Object.entries(c.properties).map(([property, v]) => ({ property, category: v.category, filledCount: 1 })));
    await store.saveCheckpoint(PORTAL.id, 'full', 'after=501');
    const f = finding({ contactId: c.id, field: 'bsn', evidence: 'BSN ****.**.333' });
    const [stored] = (await store.recordFindings(PORTAL.id, '2030-01-01T00:00:00.000Z', [c.id], [f])).findings;
    const redact = { ...clearAction(stored), id: 'redact-9', type: 'redact_note' as const, noteId: '9', categories: ['health'], redactedBody: c.notes[0].body };
    await store.savePlannedActions(PORTAL.id, [clearAction(stored), redact]);
    await store.markActionResult('redact-9', { actionId: 'redact-9', status: 'done' });
    await store.addSuppression(PORTAL.tenantId, c.identifiers, 'bsn-without-law', `${PORTAL.id}/${c.id}`);
    await appendAudit(store, { actor: 'cli:test', tenantId: PORTAL.tenantId, portalId: PORTAL.id, contactId: c.id, ruleId: f.ruleId, action: 'gdpr_delete', result: 'done', detail: null });

    let rowsSeen = 0;
    for (const table of ALL_TABLES) {
      const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db)).rows;
      rowsSeen += rows.length;
      const dump = JSON.stringify(rows).toLowerCase();
      for (const s of secrets) expect([table, dump.includes(s.toLowerCase())]).toEqual([table, false]);
    }
    expect(rowsSeen).toBeGreaterThanOrEqual(ALL_TABLES.length);
    // ...and the forgotten person is still recognised from the keyed hashes alone.
    expect(await store.matchSuppression(PORTAL.tenantId, { phones: ['+31 6 98765432'] })).toBe(true);
  });
});
