/** Batching rules shared by the connectors' write-back. */
/**
 * Splits writes into rounds that hold each record at most once (a vendor batch may not name a record
 * twice); later writes to the same record go to later rounds, in order.
 */
export function roundsByRecord<T extends { id: string | null }>(writes: readonly T[]): T[][] {
  const rounds: T[][] = [];
  for (const w of writes) {
    let r = rounds.find((x) => !x.some((y) => y.id === w.id));
    if (!r) rounds.push((r = []));
    r.push(w);
  }
  return rounds;
}
