/** Group commit per key: alone at once when idle, together when calls arrive during a batch. */
import { Batcher } from '../../src/runtime/batcher';

const tick = () => new Promise((r) => setImmediate(r));

test('a call on an idle key runs at once, alone', async () => {
  const batches: number[][] = [];
  const b = new Batcher<number, number>(async (_k, items) => {
    batches.push(items);
    return items.map((i) => i * 2);
  });
  expect(await b.submit('k', 1)).toBe(2);
  expect(batches).toEqual([[1]]);
});

test('calls arriving while a batch runs form the next batch; results go to their callers in order', async () => {
  const batches: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const b = new Batcher<number, string>(async (_k, items) => {
    batches.push(items);
    if (batches.length === 1) await gate;
    return items.map((i) => `r${i}`);
  });
  const first = b.submit('k', 1);
  await tick();
  const rest = [2, 3, 4].map((i) => b.submit('k', i));
  await tick();
  expect(batches).toEqual([[1]]);
  release();
  expect(await Promise.all([first, ...rest])).toEqual(['r1', 'r2', 'r3', 'r4']);
  expect(batches).toEqual([[1], [2, 3, 4]]);
});

test('keys do not wait for each other; maxBatch and maxInFlight are respected', async () => {
  const running = new Map<string, number>();
  let peak = 0;
  const sizes: number[] = [];
  const b = new Batcher<number, number>(
    async (k, items) => {
      running.set(k, (running.get(k) ?? 0) + 1);
      peak = Math.max(peak, running.get(k)!);
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 5));
      running.set(k, running.get(k)! - 1);
      return items;
    },
    { maxBatch: 3, maxInFlight: 2 },
  );
  const out = await Promise.all([...Array.from({ length: 10 }, (_, i) => b.submit('a', i)), b.submit('b', 99)]);
  expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99]);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
  expect(peak).toBe(2);
});

test('a failing batch fails its own callers only', async () => {
  const b = new Batcher<number, number>(async (_k, items) => {
    if (items.includes(13)) throw new Error('vendor down');
    return items;
  });
  const bad = b.submit('k', 13);
  await expect(bad).rejects.toThrow('vendor down');
  await expect(b.submit('k', 7)).resolves.toBe(7);
});
