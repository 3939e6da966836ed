import IORedis from 'ioredis';
import { BLOCK_READ_TTL_MS, BudgetWaitTooLong, createRedisRateBudget } from '../../src/jobs/rate-budget';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './helpers';

let a: IORedis;
let b: IORedis;
const prefix = uniquePrefix('budget');

beforeAll(async () => {
  await requireRedis();
  // Two connections stand for two worker processes.
  a = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  b = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await a.quit();
  await b.quit();
  await deletePrefix(prefix);
});

/** Largest number of grants inside any window of `ms` (a rolling window, as the vendor counts). */
function maxInWindow(times: number[], ms: number): number {
  const t = [...times].sort((x, y) => x - y);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

test('two processes sharing one portal budget never exceed the limit in any rolling window', async () => {
  const limits = { default: { points: 5, durationMs: 1000 } };
  const p1 = createRedisRateBudget(a, 'hubspot:1', limits, { keyPrefix: prefix, marginMs: 20 });
  const p2 = createRedisRateBudget(b, 'hubspot:1', limits, { keyPrefix: prefix, marginMs: 20 });
  const times: number[] = [];
  const take = async (p: typeof p1) => {
    await p.take();
    times.push(Date.now());
  };
  await Promise.all([...Array.from({ length: 8 }, () => take(p1)), ...Array.from({ length: 8 }, () => take(p2))]);
  expect(times).toHaveLength(16);
  expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(5);
  // Both processes got turns (the budget is shared, not split or monopolised).
  expect(p1.granted.default).toBe(8);
  expect(p2.granted.default).toBe(8);
  // Another portal has its own budget.
  const other = createRedisRateBudget(a, 'hubspot:2', limits, { keyPrefix: prefix });
  const t0 = Date.now();
  await other.take();
  expect(maxInWindow([t0, Date.now()], 1000)).toBe(2);
});

test('a backoff asked for in one process holds the other back', async () => {
  const limits = { default: { points: 100, durationMs: 1000 } };
  const p1 = createRedisRateBudget(a, 'hubspot:3', limits, { keyPrefix: prefix });
  const p2 = createRedisRateBudget(b, 'hubspot:3', limits, { keyPrefix: prefix });
  await p1.take();
  const asked = Date.now();
  p1.backoff(1000);
  // backoff() writes to Redis asynchronously; a vendor 429 is followed by other work first anyway.
  await new Promise((r) => setTimeout(r, 200));
  await p2.take();
  // The block is written after it was asked for and lasts whole seconds, so p2 cannot go before the asked
  // second has passed (counted from the ask, not from p2's call: a late timer on a loaded machine moves the call).
  expect(Date.now() - asked).toBeGreaterThanOrEqual(950);
});

test("a bucket's backoff mark is read from Redis about once per BLOCK_READ_TTL_MS, and a block set elsewhere is seen after that", async () => {
  const c = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  try {
    // No pacers: the only Redis call a take makes is the read of the backoff mark (a MULTI of GET and PTTL).
    const p1 = createRedisRateBudget(a, 'hubspot:5', {}, { keyPrefix: prefix });
    const p2 = createRedisRateBudget(c, 'hubspot:5', {}, { keyPrefix: prefix });
    const reads = jest.spyOn(c, 'multi');
    for (let i = 0; i < 20; i++) await p2.take();
    expect(reads.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(reads.mock.calls.length).toBeLessThanOrEqual(3); // one per take would be 20
    const asked = Date.now();
    p1.backoff(1000);
    await new Promise((r) => setTimeout(r, BLOCK_READ_TTL_MS + 100)); // p2's last read is stale by now
    await p2.take();
    expect(Date.now() - asked).toBeGreaterThanOrEqual(950); // held until the asked second has passed (counted from the ask)
  } finally {
    await c.quit();
  }
});

test('a wait longer than maxWaitMs rejects with BudgetWaitTooLong (the job is parked instead)', async () => {
  const p = createRedisRateBudget(a, 'hubspot:4', { default: { points: 10, durationMs: 1000 } }, { keyPrefix: prefix, maxWaitMs: 100 });
  p.backoff(5000);
  const err = await p.take().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BudgetWaitTooLong);
  expect((err as BudgetWaitTooLong).retryAfterMs).toBeGreaterThan(4000);
  // Another bucket of the same portal is not blocked.
  await expect(p.take('search')).resolves.toBeUndefined();
});

test('a daily quota (long window) is counted across processes', async () => {
  const limits = { default: [{ points: 50, durationMs: 1000 }, { points: 3, durationMs: 86_400_000 }] };
  const p1 = createRedisRateBudget(a, 'zoho:5', limits, { keyPrefix: prefix, maxWaitMs: 1000 });
  const p2 = createRedisRateBudget(b, 'zoho:5', limits, { keyPrefix: prefix, maxWaitMs: 1000 });
  await p1.take();
  await p2.take();
  await p1.take();
  await expect(p2.take()).rejects.toBeInstanceOf(BudgetWaitTooLong);
});

test('invalid limits are refused', () => {
  const p = createRedisRateBudget(a, 'x', { default: { points: 1, durationMs: 1000 } }, { keyPrefix: prefix });
  expect(() => p.take()).toThrow(/at least 2 points/);
});
