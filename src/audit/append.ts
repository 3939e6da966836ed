import type { Transaction } from 'kysely';
import { z } from 'zod';
import { IsoDateTime } from '../model';
import type { Store } from '../store';
import type { AuditLogTable, Database } from '../store/schema';
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
 * Appends one entry to its tenant's chain. The chain head row is locked inside the transaction, so
 * concurrent appends, from this process or others sharing a PostgreSQL database, queue up and the chain
 * never forks.
 */
export async function appendAudit(store: Store, entry: AuditEntry): Promise<AuditRow> {
  return (await appendAuditBatch(store, [entry]))[0]!;
}

/**
 * Appends several entries in one transaction: per chain one head lock, one multi-row insert and one head
 * update. The rows are the ones appendAudit would write one after another, in the given order.
 */
export async function appendAuditBatch(store: Store, entries: readonly AuditEntry[]): Promise<AuditRow[]> {
  const parsed = entries.map((e) => AuditEntry.parse(e));
  if (parsed.length === 0) return [];
  // In a Store.transaction the entries commit with the rest of it.
  if (store.db.isTransaction) return appendParsed(store.db as Transaction<Database>, parsed);
  return store.db.transaction().execute((trx) => appendParsed(trx, parsed));
}

/**
 * appendAuditBatch inside a transaction the caller runs, so the entries commit together with what they
 * record (e.g. Store.markActionResults(results, (trx) => appendAuditInTransaction(trx, entries))).
 */
export async function appendAuditInTransaction(trx: Transaction<Database>, entries: readonly AuditEntry[]): Promise<AuditRow[]> {
  const parsed = entries.map((e) => AuditEntry.parse(e));
  return parsed.length === 0 ? [] : appendParsed(trx, parsed);
}

async function appendParsed(trx: Transaction<Database>, entries: readonly z.output<typeof AuditEntry>[]): Promise<AuditRow[]> {
  const now = new Date().toISOString();
  const byChain = new Map<string, number[]>();
  entries.forEach((e, i) => {
    const chain = chainOf(e.tenantId);
    byChain.set(chain, [...(byChain.get(chain) ?? []), i]);
  });
  const out: AuditRow[] = new Array<AuditRow>(entries.length);
  // Heads locked in one global order: two batches over several chains never wait on each other in a circle.
  for (const chain of [...byChain.keys()].sort()) {
    // Creates the head on first use and locks it (an upsert takes the row lock); returns the head as committed.
    const head = await trx
      .insertInto('audit_head')
      .values({ chain, seq: 0, hash: GENESIS_HASH })
      .onConflict((oc) => oc.column('chain').doUpdateSet((eb) => ({ chain: eb.ref('excluded.chain') })))
      .returning(['seq', 'hash'])
      .executeTakeFirstOrThrow();
    let seq = head.seq;
    let prevHash = head.hash;
    const rows: AuditLogTable[] = [];
    for (const i of byChain.get(chain)!) {
      const e = entries[i]!;
      const fields = {
        chain,
        seq: seq + 1,
        at: e.at ?? now,
        actor: e.actor,
        tenant_id: e.tenantId,
        portal_id: e.portalId,
        contact_id: e.contactId,
        rule_id: e.ruleId,
        action: e.action,
        result: e.result,
        detail: e.detail,
        prev_hash: prevHash,
      };
      const row: AuditLogTable = { ...fields, hash: hashRow(fields) };
      rows.push(row);
      out[i] = toAuditRow(row);
      seq = row.seq;
      prevHash = row.hash;
    }
    // 13 parameters a row: 500 rows a statement stays far below PostgreSQL's 65,535. The last (usually
    // only) insert and the head update are one statement (a data-modifying WITH runs exactly once).
    let i = 0;
    for (; rows.length - i > 500; i += 500) await trx.insertInto('audit_log').values(rows.slice(i, i + 500)).execute();
    await trx
      .with('appended', (db) => db.insertInto('audit_log').values(rows.slice(i)))
      .updateTable('audit_head')
      .set({ seq, hash: prevHash })
      .where('chain', '=', chain)
      .execute();
  }
  return out;
}
