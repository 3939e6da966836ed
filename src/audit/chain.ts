import { sha256Hex } from '../crypto';
import type { AuditLogTable } from '../store/schema';

/** prev_hash of the first row of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Each tenant has its own chain, so one tenant's log can be verified (and handed over) on its own. */
export function chainOf(tenantId: string | null): string {
  return tenantId ?? '';
}

export type HashedFields = Omit<AuditLogTable, 'hash'>;

/**
 * sha256 over a canonical JSON of every stored field, prev_hash included: keys in a fixed (sorted)
 * order, no whitespace, nulls explicit. Changing any field, or moving a row, changes its hash.
 */
export function canonicalRow(r: HashedFields): string {
  return JSON.stringify({
    action: r.action,
    actor: r.actor,
    at: r.at,
    chain: r.chain,
    contact_id: r.contact_id,
    detail: r.detail,
    portal_id: r.portal_id,
    prev_hash: r.prev_hash,
    result: r.result,
    rule_id: r.rule_id,
    seq: r.seq,
    tenant_id: r.tenant_id,
  });
}

export function hashRow(r: HashedFields): string {
  return sha256Hex(canonicalRow(r));
}
