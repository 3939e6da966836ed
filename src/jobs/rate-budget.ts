/**
 * One RateBudget per portal, shared by every worker process through Redis with rate-limiter-flexible.
 *
 * Vendors count rolling windows (HubSpot: 100 per rolling 10 s). A fixed window lets up to twice the
 * limit through around its edge, and RateLimiterRedis only keeps whole-second TTLs, so short windows
 * are paced instead: time is cut into slots of `(window + margin) / (points - 1)` ms and
 * RateLimiterRedis grants one request per slot key across all processes. Any rolling window then
 * holds at most `points` grants, and the long-run rate is (points - 1) / (window + margin), about 97%
 * of HubSpot's ceiling. Long windows (daily quotas) use RateLimiterRedis's fixed window as is.
 * backoff() (429 Retry-After, 423, 477) blocks the bucket in Redis, so every process waits it out (each
 * process re-reads that mark at most every BLOCK_READ_TTL_MS, 100 ms, rather than before every request).
 * Callers wait (never fail) for their turn; a wait longer than `maxWaitMs` (a daily quota, an hours-long
 * 477) rejects with BudgetWaitTooLong so the job can be parked as delayed instead of holding a worker.
 */
import type IORedis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { BucketLimit } from '../../connectors/memory-rate-budget';
import type { RateBudget } from '../../connectors/types';

export type BudgetLimits = Record<string, BucketLimit | BucketLimit[]>;

export class BudgetWaitTooLong extends Error {
  constructor(
    readonly bucket: string,
    readonly retryAfterMs: number,
  ) {
    super(`rate budget bucket ${bucket} is exhausted for ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'BudgetWaitTooLong';
  }
}

export interface RedisRateBudgetOptions {
  /** Key namespace, e.g. the queue prefix; the portal id is appended. */
  keyPrefix: string;
  /** Extra spacing so jitter between grant and arrival at the vendor cannot crowd a window (default 100 ms). */
  marginMs?: number;
  /** Longest wait take() sits out before rejecting with BudgetWaitTooLong (default 60 s). */
  maxWaitMs?: number;
}

export interface RedisRateBudget extends RateBudget {
  /** Grants made by this process, per bucket. */
  readonly granted: Readonly<Record<string, number>>;
}

const LONG_WINDOW_MS = 60_000;
/** How long a read of a bucket's backoff mark is reused by this process (see blockedFor). */
export const BLOCK_READ_TTL_MS = 100;

interface Pacer {
  slotMs: number;
  limiter: RateLimiterRedis;
}

interface BucketState {
  pacers: Pacer[];
  windows: RateLimiterRedis[];
  /** Serialises this process's waiters: one contender per bucket per process, FIFO. */
  chain: Promise<unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export function createRedisRateBudget(redis: IORedis, portalId: string, limits: BudgetLimits, opts: RedisRateBudgetOptions): RedisRateBudget {
  const margin = opts.marginMs ?? 100;
  const maxWait = opts.maxWaitMs ?? 60_000;
  const ns = `${opts.keyPrefix}:budget:${portalId}`;
  const granted: Record<string, number> = {};
  const buckets = new Map<string, BucketState>();
  // Backoff marks: one point consumed = blocked; block() sets the TTL.
  const blocker = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${ns}:backoff`, points: 1, duration: 1 });

  const bucketOf = (name: string): BucketState => {
    let b = buckets.get(name);
    if (b) return b;
    const list = limits[name] === undefined ? [] : ([] as BucketLimit[]).concat(limits[name]!);
    b = { pacers: [], windows: [], chain: Promise.resolve() };
    for (const [i, l] of list.entries()) {
      if (!(l.points >= 1) || !(l.durationMs > 0)) throw new Error(`rate budget ${name}: points and durationMs must be positive`);
      if (l.durationMs >= LONG_WINDOW_MS) {
        b.windows.push(new RateLimiterRedis({ storeClient: redis, keyPrefix: `${ns}:${name}:w${i}`, points: l.points, duration: Math.ceil(l.durationMs / 1000) }));
        continue;
      }
      if (l.points < 2) throw new Error(`rate budget ${name}: a short window needs at least 2 points`);
      const slotMs = Math.ceil((l.durationMs + Math.min(margin, l.durationMs / 50)) / (l.points - 1));
      // One point per slot key; the key's TTL only cleans up (whole seconds, at least one slot).
      b.pacers.push({ slotMs, limiter: new RateLimiterRedis({ storeClient: redis, keyPrefix: `${ns}:${name}:p${i}`, points: 1, duration: Math.ceil(slotMs / 1000) + 1 }) });
    }
    buckets.set(name, b);
    return b;
  };

  /**
   * ms the bucket is blocked by a backoff (0 = not blocked). A read is trusted for BLOCK_READ_TTL_MS, so a
   * busy process does not ask Redis before every request: a block another process sets is seen within that
   * (vendors' backoffs last seconds). `fresh` always asks Redis.
   */
  const blockReads = new Map<string, { at: number; until: number }>();
  const blockedFor = async (name: string, fresh = false): Promise<number> => {
    const hit = blockReads.get(name);
    if (!fresh && hit && Date.now() - hit.at < BLOCK_READ_TTL_MS) return Math.max(0, hit.until - Date.now());
    const res = await blocker.get(name);
    const ms = res && res.consumedPoints > 1 ? res.msBeforeNext : 0;
    const at = Date.now();
    blockReads.set(name, { at, until: at + ms });
    return ms;
  };

  /** Backoffs this process asked for, effective before the Redis block is written. */
  const localBlockedUntil = new Map<string, number>();

  const acquire = async (name: string, b: BucketState): Promise<void> => {
    let waited = 0;
    const wait = async (ms: number) => {
      if (ms > maxWait || waited + ms > maxWait * 2) throw new BudgetWaitTooLong(name, ms);
      waited += ms;
      await sleep(ms);
    };
    // Long windows (daily quotas) count once per request.
    for (const w of b.windows) {
      for (;;) {
        try {
          await w.consume('w');
          break;
        } catch (e) {
          if (!(e instanceof RateLimiterRes)) throw e;
          await wait(e.msBeforeNext);
        }
      }
    }
    for (;;) {
      const blocked = Math.max(await blockedFor(name), (localBlockedUntil.get(name) ?? 0) - Date.now());
      if (blocked > 0) {
        await wait(blocked);
        continue;
      }
      let retryIn = 0;
      for (const p of b.pacers) {
        const now = Date.now();
        const slot = Math.floor(now / p.slotMs);
        try {
          await p.limiter.consume(String(slot));
        } catch (e) {
          if (!(e instanceof RateLimiterRes)) throw e;
          retryIn = Math.max(retryIn, (slot + 1) * p.slotMs - now);
        }
      }
      if (retryIn === 0) break;
      // With several pacers a slot won on one may be wasted while another waits; buckets rarely have two.
      await wait(retryIn);
    }
    granted[name] = (granted[name] ?? 0) + 1;
  };

  return {
    take(bucket = 'default') {
      const b = bucketOf(bucket);
      const turn = b.chain.then(() => acquire(bucket, b));
      b.chain = turn.catch(() => undefined);
      return turn;
    },
    backoff(ms, bucket = 'default') {
      if (!(ms > 0)) return;
      localBlockedUntil.set(bucket, Math.max(localBlockedUntil.get(bucket) ?? 0, Date.now() + ms));
      // RateLimiterRedis blocks in whole seconds: round up, and never shorten a longer block.
      void blockedFor(bucket, true)
        .then((current) => (current >= ms ? undefined : blocker.block(bucket, Math.ceil(ms / 1000))))
        .catch(() => undefined);
    },
    get granted() {
      return { ...granted };
    },
  };
}
