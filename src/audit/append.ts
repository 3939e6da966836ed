import { z } from 'zod';
import { IsoDateTime } from '../model';
import type { Store } from '../store';
import type { AuditLogTable } from '../store/schema';
import { chainOf, GENESIS_HASH, hashRow } from './chain';

/** Who did what to which record, and how it went. Ids, rule ids and counts only: never personal values. */
export const AuditEntry = z.object({
  actor: z.string().min(1),
  tenantId: z.string().min(1).nullable(),
  portalId: z.string().min(1).nullable().default(null),
  contactId: z.string().min(1).nullable().default(null),
  ruleId: z.string().min(1).nullable().default(null),
  action: z.string().min(1),
  result: z.string().min(1),
  detail: z.string().nullable().default(null),
  /** Defaults to now. */
  at: IsoDateTime.optional(),
});
export type AuditEntry = z.input<typeof AuditEntry>;

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  tenantId: string | null;
  portalId: string | null;
  contactId: string | null;
  ruleId: string | null;
  action: string;
  result: string;
  detail: string | null;
  prevHash: string;
  hash: string;
}

export function toAuditRow(r: AuditLogTable): AuditRow {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    tenantId: r.tenant_id,
    portalId: r.portal_id,
    contactId: r.contact_id,
    ruleId: r.rule_id,
    action: r.action,
    result: r.result,
    detail: r.detail,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/**
 * Appends one entry to its tenant's chain. The chain head row is locked (SELECT ... FOR UPDATE) inside
 * the transaction, so concurrent appends, from this process or others sharing a PostgreSQL database,
 * queue up and the chain never forks.
 */
export async function appendAudit(store: Store, entry: AuditEntry): Promise<AuditRow> {
  const e = AuditEntry.parse(entry);
  const chain = chainOf(e.tenantId);
  const at = e.at ?? new Date().toISOString();
  return store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('audit_head')
      .values({ chain, seq: 0, hash: GENESIS_HASH })
      .onConflict((oc) => oc.column('chain').doNothing())
      .execute();
    const head = await trx.selectFrom('audit_head').selectAll().where('chain', '=', chain).forUpdate().executeTakeFirstOrThrow();
    const fields = {
      chain,
      seq: head.seq + 1,
      at,
      actor: e.actor,
      tenant_id: e.tenantId,
      portal_id: e.portalId,
      contact_id: e.contactId,
      rule_id: e.ruleId,
      action: e.action,
      result: e.result,
      detail: e.detail,
      prev_hash: head.hash,
    };
    const row: AuditLogTable = { ...fields, hash: hashRow(fields) };
    await trx.insertInto('audit_log').values(row).execute();
    await trx.updateTable('audit_head').set({ seq: row.seq, hash: row.hash }).where('chain', '=', chain).execute();
    return toAuditRow(row);
  });
}
