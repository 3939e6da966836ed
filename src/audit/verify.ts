import type { Store } from '../store';
import { chainOf, GENESIS_HASH, hashRow } from './chain';

export type VerifyResult =
  | { ok: true; rows: number }
  | { ok: false; rows: number; firstBrokenSeq: number; reason: string; tenantId: string | null };

const PAGE = 5000;

/**
 * Walks each tenant's chain in seq order and recomputes every hash. Finds altered rows (hash mismatch),
 * removed rows (seq gap, or fewer rows than the chain head records), and reordered or re-linked rows
 * (prev_hash not the previous row's hash). `rows` counts the rows checked before stopping.
 * Limit: someone who can rewrite the head row together with the log can cut rows off the end unnoticed;
 * publishing the head hash elsewhere now and then closes that gap.
 */
export async function verifyAudit(store: Store, opts: { tenantId?: string | null } = {}): Promise<VerifyResult> {
  const chains =
    opts.tenantId !== undefined
      ? [chainOf(opts.tenantId)]
      : [
          ...new Set([
            ...(await store.db.selectFrom('audit_head').select('chain').execute()).map((r) => r.chain),
            ...(await store.db.selectFrom('audit_log').select('chain').distinct().execute()).map((r) => r.chain),
          ]),
        ].sort();

  let rows = 0;
  for (const chain of chains) {
    const tenantId = chain === '' ? null : chain;
    const fail = (firstBrokenSeq: number, reason: string): VerifyResult => ({
      ok: false,
      rows,
      firstBrokenSeq,
      reason: `${tenantId === null ? 'chain without tenant' : `tenant ${tenantId}`}: ${reason}`,
      tenantId,
    });
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    for (;;) {
      const page = await store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('chain', '=', chain)
        .where('seq', '>=', expectedSeq)
        .orderBy('seq')
        .limit(PAGE)
        .execute();
      for (const r of page) {
        if (r.seq !== expectedSeq) {
          return fail(expectedSeq, r.seq > expectedSeq ? `row ${expectedSeq} is missing (next row is ${r.seq})` : `row ${r.seq} is out of order`);
        }
        if (r.prev_hash !== prevHash) return fail(r.seq, `row ${r.seq} does not link to row ${r.seq - 1} (prev_hash mismatch: removed, inserted or reordered rows)`);
        const { hash, ...fields } = r;
        if (hashRow(fields) !== hash) return fail(r.seq, `row ${r.seq} was altered (its hash does not match its contents)`);
        rows += 1;
        prevHash = hash;
        expectedSeq += 1;
      }
      if (page.length < PAGE) break;
    }
    const head = await store.db.selectFrom('audit_head').selectAll().where('chain', '=', chain).executeTakeFirst();
    const lastSeq = expectedSeq - 1;
    if (head && head.seq > lastSeq) return fail(lastSeq + 1, `rows ${lastSeq + 1}..${head.seq} are missing from the end of the log`);
    if (head && head.seq === lastSeq && head.hash !== prevHash) return fail(lastSeq, `row ${lastSeq} does not match the recorded chain head`);
    if (!head && lastSeq > 0) return fail(1, 'the chain head record is missing');
  }
  return { ok: true, rows };
}
