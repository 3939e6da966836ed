/**
 * Closing our CRM tasks when their findings resolve (src/pipeline/tasks.ts), on PGlite and PostgreSQL:
 * the vendor task id kept in the create_task result, the close_task planned with its comment, the
 * cancellation of a close or a stale task, and a new task when a cause comes back after its task closed.
 */
import { Action, type ActionOf, type Finding } from '../../src/model';
import { closeTaskId, renewClosedTasks, settleResolvedFindings } from '../../src/pipeline/tasks';
import type { Store } from '../../src/store';
import { backends } from './backends';
import { clearAction, finding, PORTAL } from './fixtures';

const T0 = '2030-03-01T10:00:00.000Z';
const T1 = '2030-03-05T10:00:00.000Z';
const T2 = '2030-03-09T10:00:00.000Z';

function task(contactId: string, fs: Finding[], over: Partial<ActionOf<'create_task'>> = {}): ActionOf<'create_task'> {
  return Action.parse({
    id: `task/${contactId}/${fs.map((f) => f.id).join(',')}`,
    portalId: PORTAL.id,
    tenantId: PORTAL.tenantId,
    contactId,
    findingIds: fs.map((f) => f.id),
    ruleIds: fs.map((f) => f.ruleId),
    dueAt: T0,
    destructive: false,
    type: 'create_task',
    subject: 'GDPR review',
    body: 'Found by the GDPR scan.',
    ownerId: null,
    ...over,
  }) as ActionOf<'create_task'>;
}

describe.each(backends().map((b) => [b.name, b] as const))('closing tasks on %s', (_name, backend) => {
  let store: Store;
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    store = await backend.open();
    await store.upsertPortal(PORTAL);
  });
  afterEach(() => backend.afterEach());

  const state = async (id: string) => (await store.getAction(id))?.state ?? null;
  /** Records the findings at T0, plans the actions, and creates the task in the "CRM" (done, vendorRef). */
  async function seed(contactId: string, fs: Finding[], extra: Action[] = [], taskResult: 'done' | 'skipped' | 'failed' | null = 'done') {
    await store.recordFindings(PORTAL.id, T0, [contactId], fs);
    const t = task(contactId, fs);
    await store.savePlannedActions(PORTAL.id, [t, ...extra]);
    if (taskResult) {
      await store.markActionStarted(t.id);
      await store.markActionResult(t.id, { actionId: t.id, status: taskResult, ...(taskResult === 'failed' ? { detail: 'HTTP 500' } : { vendorRef: `vt-${contactId}` }) });
    }
    return t;
  }

  it('keeps the vendor task id with the create_task result', async () => {
    const f = finding({ contactId: 'c1' });
    const t = await seed('c1', [f]);
    expect((await store.getAction(t.id))!.result).toEqual({ actionId: t.id, status: 'done', vendorRef: 'vt-c1' });
  });

  it('a resolved cause cancels the pending action and plans a close_task for the task, with a comment of rule, kind, category and dates only', async () => {
    const f = finding({ contactId: 'c1' });
    const clear = clearAction(f);
    const t = await seed('c1', [f], [clear]);
    const r = await store.recordFindings(PORTAL.id, T1, ['c1'], []);
    expect(r.resolved).toEqual([f.id]);

    const out = await settleResolvedFindings(store, PORTAL.id, r.resolved, new Date(T1));
    expect(out.cancelled).toEqual([clear.id]);
    expect(out.closeTasks).toHaveLength(1);
    const close = out.closeTasks[0] as ActionOf<'close_task'>;
    expect(close).toMatchObject({ id: closeTaskId(PORTAL.id, 'c1', 'vt-c1'), type: 'close_task', taskId: 'vt-c1', taskActionId: t.id, contactId: 'c1', findingIds: [f.id], ruleIds: [f.ruleId], dueAt: T1, destructive: false });
    expect(close.comment).toContain('2030-03-05');
    expect(close.comment).toContain(`${f.ruleId} (unlawful_field, national_id): resolved on 2030-03-05`);
    expect(close.comment).toContain('pending action cancelled: clear property (was due 2030-01-15)');
    expect(close.comment).not.toContain(f.evidence);
    expect(close.comment).not.toContain('****');
    // Planned in the store, due now, with the rest of the portal's open actions.
    expect(await state(close.id)).toBe('planned');
    expect((await store.listOpenActions(PORTAL.id)).map((a) => a.id)).toEqual([close.id]);
    expect((await store.getAction(close.id))!.action).toEqual(close);

    // Done once: resolving again (another scan of the same contact) plans nothing more.
    await store.markActionStarted(close.id);
    await store.markActionResult(close.id, { actionId: close.id, status: 'done', vendorRef: 'vt-c1' });
    await store.recordFindings(PORTAL.id, T2, ['c1'], []);
    expect((await settleResolvedFindings(store, PORTAL.id, [f.id], new Date(T2))).closeTasks).toEqual([]);
    expect(await state(close.id)).toBe('done');
  });

  it('a task found by its marker (skipped with the vendor id) is closed too; a task never created is not', async () => {
    const f1 = finding({ contactId: 'c2' });
    const f3 = finding({ contactId: 'c3' });
    await seed('c2', [f1], [], 'skipped');
    await seed('c3', [f3], [], 'failed');
    const r = await store.recordFindings(PORTAL.id, T1, ['c2', 'c3'], []);
    const out = await settleResolvedFindings(store, PORTAL.id, r.resolved, new Date(T1));
    expect(out.closeTasks.map((a) => (a as ActionOf<'close_task'>).taskId)).toEqual(['vt-c2']);
    // The failed create of c3 served only resolved findings: cancelled, nothing to close.
    expect(await state(task('c3', [f3]).id)).toBe('cancelled');
  });

  it('one of two findings resolves: the task is closed naming what is still open; a task not yet sent is cancelled instead', async () => {
    const a = finding({ contactId: 'c4', ruleId: 'bsn-without-law' });
    const b = finding({ contactId: 'c4', ruleId: 'consent-missing', kind: 'missing_consent', category: null, field: null });
    const sent = await seed('c4', [a, b]);
    const a5 = finding({ contactId: 'c5', ruleId: 'bsn-without-law' });
    const b5 = finding({ contactId: 'c5', ruleId: 'consent-missing', kind: 'missing_consent', category: null, field: null });
    const unsent = await seed('c5', [a5, b5], [], null);

    const r = await store.recordFindings(PORTAL.id, T1, ['c4', 'c5'], [b, b5]);
    expect(r.resolved.sort()).toEqual([a.id, a5.id].sort());
    const out = await settleResolvedFindings(store, PORTAL.id, r.resolved, new Date(T1));
    expect(out.closeTasks).toHaveLength(1);
    const close = out.closeTasks[0] as ActionOf<'close_task'>;
    expect(close).toMatchObject({ taskActionId: sent.id, findingIds: [a.id] });
    expect(close.comment).toContain('No automatic action is pending for it any more.');
    expect(close.comment).toContain('Still open: consent-missing');
    const u = (await store.getAction(unsent.id))!;
    expect(u.state).toBe('skipped');
    expect(u.result?.detail).toMatch(/^cancelled: a finding it names has resolved/);
  });

  it('a cause back before its close ran: the close is cancelled and the task left open', async () => {
    const f = finding({ contactId: 'c6' });
    const t = await seed('c6', [f]);
    const r = await store.recordFindings(PORTAL.id, T1, ['c6'], []);
    const [close] = (await settleResolvedFindings(store, PORTAL.id, r.resolved, new Date(T1))).closeTasks;

    await store.recordFindings(PORTAL.id, T2, ['c6'], [f]);
    const renewed = await renewClosedTasks(store, PORTAL.id, [t]);
    expect(renewed).toEqual([t]);
    const c = (await store.getAction(close!.id))!;
    expect(c.state).toBe('skipped');
    expect(c.result?.detail).toMatch(/^cancelled: /);
    expect((await store.listOpenActions(PORTAL.id)).map((a) => a.id)).not.toContain(close!.id);

    // Resolved again later: the same close is planned again.
    const again = await store.recordFindings(PORTAL.id, T2, ['c6'], []);
    const out = await settleResolvedFindings(store, PORTAL.id, again.resolved, new Date(T2));
    expect(out.closeTasks.map((a) => a.id)).toEqual([close!.id]);
    expect(await state(close!.id)).toBe('planned');
  });

  it('a cause back after its task was closed: a new task under a new id (and again after that one closes)', async () => {
    const f = finding({ contactId: 'c7' });
    const t = await seed('c7', [f]);
    const closeOnce = async (taskId: string, at: string) => {
      const r = await store.recordFindings(PORTAL.id, at, ['c7'], []);
      const out = await settleResolvedFindings(store, PORTAL.id, r.resolved, new Date(at));
      const close = out.closeTasks.find((a) => (a as ActionOf<'close_task'>).taskId === taskId)!;
      await store.markActionStarted(close.id);
      await store.markActionResult(close.id, { actionId: close.id, status: 'done', vendorRef: taskId });
    };
    await closeOnce('vt-c7', T1);

    await store.recordFindings(PORTAL.id, T2, ['c7'], [f]);
    const [renewed] = await renewClosedTasks(store, PORTAL.id, [t]);
    expect(renewed!.id).not.toBe(t.id);
    expect(renewed).toEqual({ ...t, id: renewed!.id });
    // Deterministic: the next scan renews it to the same id.
    expect((await renewClosedTasks(store, PORTAL.id, [t]))[0]!.id).toBe(renewed!.id);
    await store.savePlannedActions(PORTAL.id, [renewed!]);
    await store.markActionStarted(renewed!.id);
    await store.markActionResult(renewed!.id, { actionId: renewed!.id, status: 'done', vendorRef: 'vt-c7-2' });
    // Other actions pass through untouched.
    const clear = clearAction(f);
    expect((await renewClosedTasks(store, PORTAL.id, [clear, t]))).toEqual([clear, renewed]);

    // The second task closes when the cause goes again; the first is not closed twice.
    const r = await store.recordFindings(PORTAL.id, '2030-03-10T10:00:00.000Z', ['c7'], []);
    const out = await settleResolvedFindings(store, PORTAL.id, r.resolved, new Date('2030-03-10T10:00:00.000Z'));
    expect(out.closeTasks.map((a) => (a as ActionOf<'close_task'>).taskId)).toEqual(['vt-c7-2']);
    await store.markActionStarted(out.closeTasks[0]!.id);
    await store.markActionResult(out.closeTasks[0]!.id, { actionId: out.closeTasks[0]!.id, status: 'done' });
    await store.recordFindings(PORTAL.id, '2030-03-11T10:00:00.000Z', ['c7'], [f]);
    const [third] = await renewClosedTasks(store, PORTAL.id, [t]);
    expect([t.id, renewed!.id]).not.toContain(third!.id);
  });
});
