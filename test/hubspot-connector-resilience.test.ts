/**
 * Limits and failures: 429 Retry-After honoured through the shared budget and never surfaced, 5xx and
 * 477 retried, the daily limit surfaced, errors free of personal data. Real SDK, real sandbox.
 */
import { createHubSpotConnector } from '../connectors/hubspot/connector';
import { HubSpotError } from '../connectors/hubspot/client';
import { startHubSpotSandbox, type HubSpotSandbox } from '../connectors/hubspot/sandbox';
import { createMemoryRateBudget } from '../connectors/memory-rate-budget';
import type { RateBudget } from '../connectors/types';
import { Action } from '../src/model';

const TOKEN = 'pat-eu1-resilience';
let sb: HubSpotSandbox;

/** The real in-memory budget, recording what the connector asked of it. */
function recordingBudget() {
  const inner = createMemoryRateBudget({ default: { points: 1000, durationMs: 10_000 }, search: { points: 50, durationMs: 1_000 } });
  const backoffs: { ms: number; bucket: string | undefined }[] = [];
  const takes: Record<string, number> = {};
  const budget: RateBudget = {
    take: (bucket) => {
      takes[bucket ?? 'default'] = (takes[bucket ?? 'default'] ?? 0) + 1;
      return inner.take(bucket);
    },
    backoff: (ms, bucket) => {
      backoffs.push({ ms, bucket });
      inner.backoff(ms, bucket);
    },
  };
  return { budget, backoffs, takes };
}

function connector(budget: RateBudget) {
  return createHubSpotConnector({ vendor: 'hubspot', tenantId: 't', baseUrl: sb.url, accessToken: TOKEN, budget });
}

const idsOf = async (it: AsyncIterable<{ contacts: { id: string }[] }>) => {
  const ids: string[] = [];
  for await (const p of it) ids.push(...p.contacts.map((c) => c.id));
  return ids;
};

beforeAll(async () => {
  sb = await startHubSpotSandbox({ accessToken: TOKEN, seed: { count: 250, seed: 5 }, limits: false });
});
afterAll(async () => {
  await sb.close();
});

describe('rate limits and retries', () => {
  it('a 429 with Retry-After pauses the whole budget for that long and never reaches the caller', async () => {
    const { budget, backoffs } = recordingBudget();
    const c = connector(budget);
    sb.failNext({ method: 'GET', path: '/crm/v3/objects/contacts', status: 429, count: 2, retryAfterSeconds: 1 });
    const before = sb.stats.rejected429;
    const ids = await idsOf(c.streamContacts({ properties: ['email'], includeNotes: false }));
    expect(sb.stats.rejected429 - before).toBe(2);
    expect(new Set(ids).size).toBe(250);
    expect(c.stats.rateLimited).toBe(2);
    expect(backoffs).toEqual([
      { ms: 1000, bucket: 'default' },
      { ms: 1000, bucket: 'default' },
    ]);
  });

  it('a search 429 (secondly limit) backs off the search bucket only', async () => {
    const { budget, backoffs, takes } = recordingBudget();
    const c = connector(budget);
    sb.failNext({ method: 'POST', path: /\/search$/, status: 429, count: 1, policy: 'SECONDLY', retryAfterSeconds: 1 });
    const ids = await idsOf(c.streamContacts({ properties: ['email'], includeNotes: false, since: new Date(0) }));
    expect(new Set(ids).size).toBe(250);
    expect(backoffs).toEqual([{ ms: 1000, bucket: 'search' }]);
    expect(takes.search).toBeGreaterThanOrEqual(3);
  });

  it('5xx answers are retried with backoff', async () => {
    const { budget } = recordingBudget();
    const c = connector(budget);
    sb.failNext({ method: 'POST', path: '/crm/v3/objects/contacts/batch/read', status: 503, count: 2 });
    const id = [...sb.state.objects.contacts.values()].find((r) => r.properties.city)!.id;
    const results = await c.apply([
      Action.parse({ id: 'x-1', portalId: 'hubspot:1', tenantId: 't', contactId: id, findingIds: ['f'], ruleIds: ['r'], dueAt: '2026-01-01T00:00:00.000Z', destructive: false, type: 'clear_property', property: 'city' }),
    ]);
    expect(results[0]!.status).toBe('done');
    expect(c.stats.serverErrors).toBe(2);
    expect(sb.state.objects.contacts.get(id)!.properties.city ?? '').toBe('');
  });

  it('477 (migration in progress) waits out its Retry-After', async () => {
    const { budget, backoffs } = recordingBudget();
    const c = connector(budget);
    sb.failNext({ method: 'GET', path: '/crm/v3/properties/contacts', status: 477, count: 1, retryAfterSeconds: 1 });
    const defs = await c.listProperties();
    expect(defs.length).toBeGreaterThan(10);
    expect(backoffs).toEqual([{ ms: 1000, bucket: 'default' }]);
  });

  it('the daily limit (Retry-After until midnight) is not waited out: it surfaces as a HubSpotError', async () => {
    const { budget, backoffs } = recordingBudget();
    const c = connector(budget);
    sb.failNext({ method: 'GET', path: '/crm/v3/properties/contacts', status: 429, count: 1, policy: 'DAILY', retryAfterSeconds: 3600 });
    const err = await c.listProperties().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HubSpotError);
    expect((err as HubSpotError).status).toBe(429);
    expect(backoffs).toEqual([]);
    expect((await c.listProperties()).length).toBeGreaterThan(10); // a later call works again
  });

  it('errors carry status, category and correlation id, never the vendor message or body', async () => {
    const { budget } = recordingBudget();
    const c = createHubSpotConnector({ vendor: 'hubspot', tenantId: 't', baseUrl: sb.url, accessToken: 'wrong-token', budget });
    const err = await c.listProperties().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HubSpotError);
    const e = err as HubSpotError;
    expect(e.status).toBe(401);
    expect(e.category).toBe('INVALID_AUTHENTICATION');
    expect(e.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.message).not.toContain('Authentication credentials');
    expect(JSON.stringify(e)).not.toContain('Authentication credentials');
  });
});

describe('connections', () => {
  const until = async (cond: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    return cond();
  };

  it('SDK calls reuse kept-alive connections, and close() releases them at once', async () => {
    const { budget } = recordingBudget();
    const c = connector(budget);
    const ids = [...sb.state.objects.contacts.keys()].slice(0, 5);
    // The first call also reads the portal's settings, three requests at once (three connections).
    expect((await c.getContacts!(ids, ['email'])).size).toBe(5);
    const before = sb.stats.connections;
    const open = sb.stats.openConnections;
    for (let i = 0; i < 10; i++) expect((await c.getContacts!(ids, ['email'])).size).toBe(5);
    expect(sb.stats.connections - before).toBe(0);
    await c.close!();
    // The sandbox keeps idle sockets 5 s (fetch's pool 4 s): only the client closing its sockets ends them sooner.
    expect(await until(() => sb.stats.openConnections < open, 1_000)).toBe(true);
  });

  it('a read whose connection is dropped without an answer is retried on a new one', async () => {
    const { budget } = recordingBudget();
    const c = connector(budget);
    sb.failNext({ method: 'POST', path: '/crm/v3/objects/contacts/batch/read', status: 'reset', count: 1 });
    const ids = [...sb.state.objects.contacts.keys()].slice(0, 3);
    const before = sb.stats.connections;
    expect((await c.getContacts!(ids, ['email'])).size).toBe(3);
    expect(c.stats.retries).toBe(1);
    expect(sb.stats.connections - before).toBe(2);
    await c.close!();
  });

  it('a task create whose connection is dropped is not retried blindly: the action fails and a later run finds or makes the task', async () => {
    const { budget } = recordingBudget();
    const c = connector(budget);
    const id = [...sb.state.objects.contacts.keys()][7]!;
    const task = Action.parse({ id: 'x-reset-task', portalId: 'hubspot:1', tenantId: 't', contactId: id, findingIds: ['f'], ruleIds: ['r'], dueAt: '2026-01-01T00:00:00.000Z', destructive: false, type: 'create_task', subject: 'GDPR: check', body: 'check it', ownerId: null });
    sb.failNext({ method: 'POST', path: '/crm/v3/objects/tasks/batch/create', status: 'reset', count: 1 });
    const [first] = await c.apply([task]);
    expect(first!.status).toBe('failed');
    expect(first!.detail).toMatch(/NETWORK/);
    const [second] = await c.apply([task]);
    expect(second!.status).toBe('done');
    await c.close!();
  });
});

describe('config', () => {
  it('refuses a config without an access token, naming the field', () => {
    expect(() => createHubSpotConnector({ vendor: 'hubspot', tenantId: 't', baseUrl: sb.url })).toThrow(/accessToken/);
  });
});

describe('memory rate budget (the connector default)', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.parse('2026-11-25T10:00:00.000Z') }));
  afterEach(() => jest.useRealTimers());
  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('grants `points` per rolling window, then serves waiters first-in first-out as slots free', async () => {
    const b = createMemoryRateBudget({ default: { points: 3, durationMs: 1000 } }, { edgeMarginMs: 0 });
    const order: number[] = [];
    for (let i = 0; i < 5; i++) void b.take().then(() => order.push(i));
    await flush();
    expect(order).toEqual([0, 1, 2]);
    await jest.advanceTimersByTimeAsync(999);
    expect(order).toEqual([0, 1, 2]);
    await jest.advanceTimersByTimeAsync(1);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(b.granted.default).toBe(5);
  });

  it('rolling, not fixed: a window never holds more than `points` grants', async () => {
    const b = createMemoryRateBudget({ default: { points: 2, durationMs: 1000 } }, { edgeMarginMs: 0 });
    const at: number[] = [];
    await b.take();
    at.push(Date.now());
    await jest.advanceTimersByTimeAsync(900);
    for (let i = 0; i < 3; i++) void b.take().then(() => at.push(Date.now()));
    await jest.advanceTimersByTimeAsync(3000);
    const t0 = at[0]!;
    expect(at.map((t) => t - t0)).toEqual([0, 900, 1000, 1900]);
  });

  it('backoff holds a bucket (and only that bucket) for the given time', async () => {
    const b = createMemoryRateBudget({ default: { points: 100, durationMs: 1000 }, search: { points: 5, durationMs: 1000 } });
    b.backoff(2000, 'default');
    let dflt = false;
    let search = false;
    void b.take('default').then(() => (dflt = true));
    void b.take('search').then(() => (search = true));
    await flush();
    expect([dflt, search]).toEqual([false, true]);
    await jest.advanceTimersByTimeAsync(1999);
    expect(dflt).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(dflt).toBe(true);
    expect(b.backoffMs).toBe(2000);
  });
});
