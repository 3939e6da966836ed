/**
 * Batches of actions and claims (what applyPlan uses): states of many actions in one read, an atomic
 * claim that two stores (two processes) never both win, a lease after which a dead holder's claim is
 * taken over, and results recorded in one statement that never overwrite done or another holder's run.
 */
import { sql } from 'kysely';
import type { ActionResult } from '../../src/model';
import type { Store } from '../../src/store';
import { backends } from './backends';
import { clearAction, finding, PORTAL } from './fixtures';

const T0 = '2030-03-01T10:00:00.000Z';

describe.each(backends().map((b) => [b.name, b] as const))('action claims on %s', (_name, backend) => {
  let store: Store;
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    store = await backend.open();
    await store.upsertPortal(PORTAL);
  });
  afterEach(() => backend.afterEach());

  /** `n` planned clear_property actions on contacts 1..n. */
  async function plan(n: number): Promise<string[]> {
    const fs = Array.from({ length: n }, (_, i) => finding({ contactId: String(i + 1) }));
    await store.recordFindings(PORTAL.id, T0, fs.map((f) => f.contactId), fs);
    const actions = fs.map((f) => clearAction(f));
    await store.savePlannedActions(PORTAL.id, actions);
    return actions.map((a) => a.id);
  }
  const done = (id: string): ActionResult => ({ actionId: id, status: 'done', vendorRef: 'v1' });
  const rows = async () =>
    new Map(
      (await sql<{ action_id: string; state: string; attempts: number; claimed_by: string | null }>`select action_id, state, attempts, claimed_by from actions`.execute(store.db)).rows.map((r) => [
        r.action_id,
        r,
      ]),
    );

  it('reads the states of many actions at once and knows which contacts still wait for a destructive action', async () => {
    const ids = await plan(3);
    await store.markActionResults([done(ids[0]!)]);
    const states = await store.getActionStates([...ids, 'unknown', ids[1]!]);
    expect(Object.fromEntries(states)).toEqual({ [ids[0]!]: 'done', [ids[1]!]: 'planned', [ids[2]!]: 'planned' });
    expect([...(await store.contactsWithOpenDestructiveActions(PORTAL.id, ['1', '2', '9']))].sort()).toEqual(['2']);
    expect(await store.getActionStates([])).toEqual(new Map());
  });

  it('with start, claims and marks started in one statement: only what it claimed gets an attempt', async () => {
    const ids = await plan(3);
    await store.markActionResults([done(ids[0]!)]);
    const started = await store.claimActions(ids, { start: true });
    expect([...started].sort()).toEqual([ids[1]!, ids[2]!].sort());
    const r = await rows();
    for (const id of started) expect(r.get(id)).toMatchObject({ state: 'running', claimed_by: store.claimOwner, attempts: 1 });
    expect(r.get(ids[0]!)).toMatchObject({ state: 'done', attempts: 0 });
    const startedAt = (await sql<{ action_id: string; started_at: unknown }>`select action_id, started_at from actions where started_at is not null`.execute(store.db)).rows.map((x) => x.action_id);
    expect(startedAt.sort()).toEqual([...started].sort());
    // Held by this apply: a second claim gets none of them; this store still holds every one it started.
    expect(await store.claimActions(ids, { start: true })).toEqual(new Set());
    expect(await store.markActionsStarted([...started])).toEqual(started);
  });

  it('claims planned and failed actions, never finished ones, and not twice while an apply holds them', async () => {
    const ids = await plan(5);
    await store.markActionResults([done(ids[0]!), { actionId: ids[1]!, status: 'failed', detail: 'VALIDATION_ERROR' }, { actionId: ids[2]!, status: 'skipped', detail: 'cancelled: the cause has gone away' }]);
    const claimed = await store.claimActions(ids);
    expect([...claimed].sort()).toEqual([ids[1]!, ids[3]!, ids[4]!].sort());
    const r = await rows();
    for (const id of claimed) expect(r.get(id)).toMatchObject({ state: 'running', claimed_by: store.claimOwner, attempts: 0 });
    expect(r.get(ids[0]!)!.state).toBe('done');
    // Held by a running apply of this store: a second apply here gets none of them.
    expect(await store.claimActions(ids)).toEqual(new Set());
    // That apply ended without recording (it threw): this store may take them again at once.
    store.releaseClaims([...claimed]);
    expect([...(await store.claimActions(ids))].sort()).toEqual([...claimed].sort());
  });

  it('marks claimed actions started and records their results in one call; done stays done', async () => {
    const ids = await plan(3);
    await store.claimActions(ids);
    expect([...(await store.markActionsStarted(ids))].sort()).toEqual([...ids].sort());
    const recorded = await store.markActionResults([done(ids[0]!), { actionId: ids[1]!, status: 'failed', detail: 'write-back failed: 500' }, done(ids[2]!), done(ids[2]!)]);
    expect([...recorded].sort()).toEqual([...ids].sort());
    const r = await rows();
    expect([ids.map((id) => r.get(id)!.state), ids.map((id) => r.get(id)!.attempts)]).toEqual([['done', 'failed', 'done'], [1, 1, 1]]);
    expect((await store.getAction(ids[1]!))!.result).toEqual({ actionId: ids[1]!, status: 'failed', detail: 'write-back failed: 500' });
    // A late result never undoes done; the failed one is claimable again and was ended in memory.
    expect(await store.markActionResults([{ actionId: ids[0]!, status: 'failed', detail: 'late duplicate' }])).toEqual(new Set());
    expect(await store.getActionState(ids[0]!)).toBe('done');
    expect(await store.claimActions(ids)).toEqual(new Set([ids[1]!]));
    await expect(store.markActionResults([{ actionId: ids[1]!, status: 'bogus' } as unknown as ActionResult])).rejects.toThrow();
  });

  it('commits results together with what runs in the same transaction, or neither', async () => {
    const ids = await plan(2);
    await store.claimActions(ids);
    await expect(
      store.markActionResults(ids.map(done), async (trx) => {
        await trx.selectFrom('actions').select('action_id').execute();
        throw new Error('audit append failed');
      }),
    ).rejects.toThrow(/audit append failed/);
    expect([...(await store.getActionStates(ids)).values()]).toEqual(['running', 'running']);
  });

  if (backend.name === 'postgres') {
    it('two processes claiming the same actions at the same instant never both get one', async () => {
      const ids = await plan(60);
      const other = await backend.openAgain!();
      for (let round = 0; round < 3; round++) {
        const [a, b] = await Promise.all([store.claimActions(ids), other.claimActions([...ids].reverse())]);
        expect([...a].filter((id) => b.has(id))).toEqual([]);
        expect(a.size + b.size).toBe(round === 0 ? ids.length : 0);
      }
      const holders = new Set([...(await rows()).values()].map((r) => r.claimed_by));
      expect(holders.size).toBeLessThanOrEqual(2);
      expect([...holders].every((h) => h === store.claimOwner || h === other.claimOwner)).toBe(true);
    });

    it('a claim older than the lease is taken over; the old holder then neither starts nor records it', async () => {
      const ids = await plan(2);
      const other = await backend.openAgain!();
      expect(await store.claimActions(ids)).toEqual(new Set(ids));
      expect(await other.claimActions(ids)).toEqual(new Set());
      // The holder went quiet (crashed) more than a lease ago.
      await sql`update actions set claimed_at = now() - interval '6 minutes' where action_id = ${ids[0]!}`.execute(store.db);
      expect(await other.claimActions(ids)).toEqual(new Set([ids[0]!]));
      expect(await other.claimActions([ids[1]!], { leaseMs: 10 * 60_000 })).toEqual(new Set());
      // The old holder comes back: it may not send ids[0] any more, and its result does not land.
      expect(await store.markActionsStarted(ids)).toEqual(new Set([ids[1]!]));
      expect(await store.markActionResults([done(ids[0]!), done(ids[1]!)])).toEqual(new Set([ids[1]!]));
      expect(await other.markActionsStarted([ids[0]!])).toEqual(new Set([ids[0]!]));
      expect(await other.markActionResults([{ actionId: ids[0]!, status: 'failed', detail: 'write-back failed: 502' }])).toEqual(new Set([ids[0]!]));
      expect(Object.fromEntries(await store.getActionStates(ids))).toEqual({ [ids[0]!]: 'failed', [ids[1]!]: 'done' });
    });
  } else {
    it('a claim made before this store was opened is taken over at once (one process opens PGlite at a time)', async () => {
      const ids = await plan(2);
      const sameTime = await backend.open(); // another store object over the same database, opened before the claim
      expect(await store.claimActions([ids[0]!])).toEqual(new Set([ids[0]!]));
      expect(await sameTime.claimActions(ids)).toEqual(new Set([ids[1]!]));
      await new Promise((r) => setTimeout(r, 5)); // opened strictly after the claims
      const restarted = await backend.open();
      expect(await restarted.claimActions(ids)).toEqual(new Set(ids));
      expect(await store.markActionsStarted(ids)).toEqual(new Set());
    });
  }

  it('matches the suppression list for several records in one read', async () => {
    await store.addSuppression(PORTAL.tenantId, { emails: ['gone@example.nl'] }, 'erasure', `${PORTAL.id}/1`);
    expect(await store.matchSuppressionMany(PORTAL.tenantId, [{ emails: ['x@example.nl'] }, { emails: ['GONE@example.nl'] }, {}])).toEqual([false, true, false]);
    expect(await store.matchSuppressionMany('no-such-tenant', [{ emails: ['gone@example.nl'] }])).toEqual([false]);
  });
});
