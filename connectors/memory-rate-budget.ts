/**
 * In-process RateBudget (CLI, tests, benchmarks). Workers share a Redis-backed one (src/jobs).
 *
 * Vendors count a *rolling* window (HubSpot: "ten_secondly_rolling"). rate-limiter-flexible's
 * RateLimiterMemory counts fixed windows, which lets up to 2x the limit through around a window
 * edge, so this keeps a sliding log of grant times per bucket instead: a request is granted only
 * when fewer than `points` grants lie in the last `durationMs` (+ a small margin for the time the
 * request spends in flight before the vendor counts it). Waiters are served strictly FIFO.
 */
import type { RateBudget } from './types';

export interface BucketLimit {
  points: number;
  durationMs: number;
}

export interface MemoryRateBudget extends RateBudget {
  /** Requests granted so far, per bucket. */
  readonly granted: Readonly<Record<string, number>>;
  /** Total ms the vendor asked us to back off. */
  readonly backoffMs: number;
}

/** Extra spacing so a request granted at the window's edge still arrives after the vendor's window moved. */
const EDGE_MARGIN_MS = 200;

interface Bucket {
  limit: BucketLimit | null;
  /** Grant times (ms), oldest first; only the last `points` matter. */
  log: number[];
  blockedUntil: number;
  queue: (() => void)[];
  timer: NodeJS.Timeout | null;
}

export function createMemoryRateBudget(limits: { [bucket: string]: BucketLimit }, opts: { edgeMarginMs?: number } = {}): MemoryRateBudget {
  for (const [name, l] of Object.entries(limits)) {
    if (!(l.points > 0) || !(l.durationMs > 0)) throw new Error(`rate budget ${name}: points and durationMs must be positive`);
  }
  const margin = opts.edgeMarginMs ?? EDGE_MARGIN_MS;
  const buckets = new Map<string, Bucket>();
  const granted: Record<string, number> = {};
  let backoffTotal = 0;

  const bucketOf = (name: string): Bucket => {
    let b = buckets.get(name);
    if (!b) {
      b = { limit: limits[name] ?? null, log: [], blockedUntil: 0, queue: [], timer: null };
      buckets.set(name, b);
    }
    return b;
  };

  /** ms until the next grant is possible (0 = now). */
  const waitFor = (b: Bucket, now: number): number => {
    let wait = Math.max(0, b.blockedUntil - now);
    if (b.limit && b.log.length >= b.limit.points) {
      const oldest = b.log[b.log.length - b.limit.points]!;
      wait = Math.max(wait, oldest + b.limit.durationMs + margin - now);
    }
    return wait;
  };

  const pump = (name: string, b: Bucket) => {
    if (b.timer) return;
    while (b.queue.length > 0) {
      const now = Date.now();
      const wait = waitFor(b, now);
      if (wait > 0) {
        b.timer = setTimeout(() => {
          b.timer = null;
          pump(name, b);
        }, wait);
        return;
      }
      b.log.push(now);
      if (b.limit && b.log.length > b.limit.points * 2) b.log.splice(0, b.log.length - b.limit.points);
      granted[name] = (granted[name] ?? 0) + 1;
      b.queue.shift()!();
    }
  };

  return {
    take(bucket = 'default') {
      const b = bucketOf(bucket);
      return new Promise<void>((resolve) => {
        b.queue.push(resolve);
        pump(bucket, b);
      });
    },
    backoff(ms, bucket = 'default') {
      if (!(ms > 0)) return;
      const b = bucketOf(bucket);
      const until = Date.now() + ms;
      if (until > b.blockedUntil) {
        backoffTotal += until - Math.max(b.blockedUntil, Date.now());
        b.blockedUntil = until;
      }
      // A waiting timer may fire too early now; pump re-checks and re-arms.
    },
    get granted() {
      return { ...granted };
    },
    get backoffMs() {
      return backoffTotal;
    },
  };
}
