/**
 * Pages from concurrent cursors to one consumer, each cursor's pages in its own order; bounded, so a
 * cursor waits (back-pressure) while the consumer is behind. Shared by the HubSpot and Zoho scans.
 */
export class PageQueue<P extends { records: readonly unknown[] }> {
  private items: P[] = [];
  private takers: (() => void)[] = [];
  private space: (() => void)[] = [];
  closed = false;
  error: unknown = null;
  constructor(private readonly max: number) {}

  /** False once the consumer has stopped (finished early, failed or aborted): the cursor stops too. */
  async push(p: P): Promise<boolean> {
    while (this.items.length >= this.max && !this.closed) await new Promise<void>((r) => this.space.push(r));
    if (this.closed) return false;
    this.items.push(p);
    for (const w of this.takers.splice(0)) w();
    return true;
  }

  /** Up to `maxRecords` records' worth of pages (at least one); waits for a page unless closed. */
  async take(maxRecords: number): Promise<P[]> {
    while (this.items.length === 0 && !this.closed) await new Promise<void>((r) => this.takers.push(r));
    const out: P[] = [];
    let n = 0;
    while (this.items.length > 0 && (out.length === 0 || n + this.items[0]!.records.length <= maxRecords)) {
      const p = this.items.shift()!;
      n += p.records.length;
      out.push(p);
    }
    for (const w of this.space.splice(0)) w();
    return out;
  }

  /** The next page; null once closed and drained. */
  async takeOne(): Promise<P | null> {
    return (await this.take(0))[0] ?? null;
  }

  /** Stops the cursors and wakes the consumer; an error given is kept for the consumer to throw. */
  close(err?: unknown): void {
    if (err !== undefined && this.error === null) this.error = err ?? new Error('sync failed');
    this.closed = true;
    for (const w of this.takers.splice(0)) w();
    for (const w of this.space.splice(0)) w();
  }
}
