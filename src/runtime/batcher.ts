/**
 * Group commit per key: calls that arrive while the batches for their key are running wait and then
 * run together as the next batch. At low load a call runs alone at once (no timer, no added latency);
 * under load batches grow, so one vendor batch request and one store transaction serve many webhook
 * events, the way a scan serves a page of contacts. Up to `maxInFlight` batches of one key run at once.
 */
interface Waiting<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export interface BatcherOptions {
  /** Items per batch (default 100: the vendors' batch sizes). */
  maxBatch?: number;
  /** Batches of one key running at the same time (default 1). */
  maxInFlight?: number;
}

export class Batcher<I, R> {
  private readonly queues = new Map<string, { items: Waiting<I, R>[]; inFlight: number; scheduled: boolean }>();
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    /** Runs one batch; returns one result per item, in order. A throw fails every item of the batch. */
    private readonly run: (key: string, items: I[]) => Promise<R[]>,
    opts: BatcherOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 100;
    this.maxInFlight = opts.maxInFlight ?? 1;
  }

  submit(key: string, item: I): Promise<R> {
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = { items: [], inFlight: 0, scheduled: false }));
    const p = new Promise<R>((resolve, reject) => q!.items.push({ item, resolve, reject }));
    // Calls made in the same turn (several jobs taken at once) join one batch.
    if (q.inFlight < this.maxInFlight && !q.scheduled) {
      q.scheduled = true;
      setImmediate(() => this.pump(key));
    }
    return p;
  }

  private pump(key: string): void {
    const q = this.queues.get(key);
    if (!q) return;
    q.scheduled = false;
    while (q.items.length > 0 && q.inFlight < this.maxInFlight) {
      const batch = q.items.splice(0, this.maxBatch);
      q.inFlight++;
      void this.runBatch(key, batch).finally(() => {
        q.inFlight--;
        if (q.items.length > 0) this.pump(key);
        else if (q.inFlight === 0 && !q.scheduled) this.queues.delete(key);
      });
    }
  }

  private async runBatch(key: string, batch: Waiting<I, R>[]): Promise<void> {
    try {
      const results = await this.run(key, batch.map((b) => b.item));
      if (results.length !== batch.length) throw new Error(`batch returned ${results.length} results for ${batch.length} items`);
      batch.forEach((b, i) => b.resolve(results[i]!));
    } catch (e) {
      for (const b of batch) b.reject(e);
    }
  }
}
