import type { Store } from '../store';
import { chainOf } from './chain';
import { toAuditRow, type AuditRow } from './append';

/** Audit rows, newest first, for the CLI and dashboard. */
export async function listAudit(store: Store, opts: { tenantId?: string | null; portalId?: string; limit?: number } = {}): Promise<AuditRow[]> {
  let q = store.db.selectFrom('audit_log').selectAll().orderBy('at', 'desc').orderBy('seq', 'desc').limit(opts.limit ?? 100);
  if (opts.tenantId !== undefined) q = q.where('chain', '=', chainOf(opts.tenantId));
  if (opts.portalId !== undefined) q = q.where('portal_id', '=', opts.portalId);
  return (await q.execute()).map(toAuditRow);
}
