/**
 * The tasks we hand to people follow their findings. A task (create_task) names the findings a contact
 * had when it was made; once one of them resolves (its cause went away, the contact was deleted, or the
 * destructive action ran), the task is closed in the CRM with a comment through a close_task action, so
 * it goes through the same idempotent, audited apply as everything else. A finding that comes back
 * after its task was closed gets a new task; a close that has not run yet when the finding comes back
 * is cancelled instead.
 *
 * Both places that resolve findings use this: the scan (src/pipeline/scan.ts, per page and for deleted
 * contacts) and the webhook check (src/runtime/pipeline-handlers.ts).
 */
import { Action, ActionResult, Finding, type ActionOf } from '../model';
import { actionId } from '../policy/plan';
import type { Store } from '../store';

/** Statements stay small whatever a page resolves. */
const CHUNK = 1000;

function chunks<T>(xs: readonly T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

const day = (d: Date | string): string => (typeof d === 'string' ? new Date(d) : d).toISOString().slice(0, 10);
const words = (type: string): string => type.replace(/_/g, ' ');

/** The close_task for a vendor task: one per task, so planning it again is the same action. */
export function closeTaskId(portalId: string, contactId: string, vendorTaskId: string): string {
  return actionId(portalId, contactId, 'close_task', vendorTaskId);
}

function parseResult(json: string | null): ActionResult | null {
  if (!json) return null;
  const r = ActionResult.safeParse(JSON.parse(json));
  return r.success ? r.data : null;
}

/** A task exists in the CRM for this create_task: it was made (done) or found by its marker (skipped). */
function vendorTaskOf(state: string, resultJson: string | null): string | null {
  if (state !== 'done' && state !== 'skipped') return null;
  return parseResult(resultJson)?.vendorRef ?? null;
}

/** A close that we cancelled ourselves (the findings came back before it ran): the task is still open. */
const cancelledByUs = (state: string, resultJson: string | null): boolean =>
  state === 'cancelled' || (state === 'skipped' && (parseResult(resultJson)?.detail ?? '').startsWith('cancelled'));

export interface ResolvedFindingsOutcome {
  /** Planned or failed actions cancelled because every finding they served has resolved. */
  cancelled: string[];
  /** close_task actions planned (due now) for tasks that named a resolved finding. */
  closeTasks: Action[];
}

/**
 * What follows once findings resolve: their pending actions are cancelled (Store.cancelActionsForResolvedFindings),
 * a task not yet sent that names one of them is cancelled too (the scan plans one for what is left), and
 * every task already in the CRM that names one of them gets a close_task, due now.
 */
export async function settleResolvedFindings(store: Store, portalId: string, resolved: readonly string[], now: Date): Promise<ResolvedFindingsOutcome> {
  if (resolved.length === 0) return { cancelled: [], closeTasks: [] };
  const cancelled = await store.cancelActionsForResolvedFindings(resolved);

  // create_task actions naming a resolved finding.
  const tasks = new Map<string, { state: string; action: ActionOf<'create_task'>; result: string | null }>();
  for (const part of chunks([...new Set(resolved)])) {
    const rows = await store.db
      .selectFrom('action_findings as af')
      .innerJoin('actions as a', 'a.action_id', 'af.action_id')
      .select(['a.action_id', 'a.state', 'a.action_json', 'a.result_json'])
      .where('af.portal_id', '=', portalId)
      .where('af.finding_id', 'in', part)
      .where('a.type', '=', 'create_task')
      .execute();
    for (const r of rows) {
      if (tasks.has(r.action_id)) continue;
      const action = Action.parse(JSON.parse(r.action_json));
      if (action.type === 'create_task') tasks.set(r.action_id, { state: r.state, action, result: r.result_json });
    }
  }

  // Not sent yet and naming a finding that is gone: stale (the scan plans the task for what is left).
  for (const [id, t] of tasks) {
    if (t.state === 'planned' || t.state === 'failed') {
      await store.markActionResult(id, { actionId: id, status: 'skipped', detail: 'cancelled: a finding it names has resolved (what is left gets its own task)' });
    }
  }

  const inCrm = [...tasks.values()].flatMap((t) => {
    const taskId = vendorTaskOf(t.state, t.result);
    return taskId ? [{ action: t.action, taskId, closeId: closeTaskId(portalId, t.action.contactId, taskId) }] : [];
  });
  // A task closed before (by us, or found closed or deleted) is not closed again.
  const closedBefore = new Set<string>();
  for (const part of chunks(inCrm.map((t) => t.closeId))) {
    for (const r of await store.db.selectFrom('actions').select(['action_id', 'state', 'result_json']).where('action_id', 'in', part).execute()) {
      if (r.state === 'done' || r.state === 'running' || (r.state === 'skipped' && !cancelledByUs(r.state, r.result_json))) closedBefore.add(r.action_id);
    }
  }
  const toClose = inCrm.filter((t) => !closedBefore.has(t.closeId));
  if (toClose.length === 0) return { cancelled, closeTasks: [] };

  // The findings those tasks name (rule, kind, category, status) and the destructive actions behind them.
  const findingIds = [...new Set(toClose.flatMap((t) => t.action.findingIds))];
  const findings = new Map<string, { finding: Finding; open: boolean; resolvedAt: string | null }>();
  const behind = new Map<string, { type: string; state: string; dueAt: string; detail: string }[]>();
  for (const part of chunks(findingIds)) {
    const rows = await store.db
      .selectFrom('findings')
      .select(['finding_id', 'status', 'resolved_at', 'finding_json'])
      .where('portal_id', '=', portalId)
      .where('finding_id', 'in', part)
      .execute();
    for (const r of rows) {
      findings.set(r.finding_id, { finding: Finding.parse(JSON.parse(r.finding_json)), open: r.status === 'open', resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null });
    }
    const acts = await store.db
      .selectFrom('action_findings as af')
      .innerJoin('actions as a', 'a.action_id', 'af.action_id')
      .select(['af.finding_id', 'a.type', 'a.state', 'a.due_at', 'a.result_json'])
      .where('af.portal_id', '=', portalId)
      .where('af.finding_id', 'in', part)
      .where('a.destructive', '=', true)
      .execute();
    for (const a of acts) {
      const list = behind.get(a.finding_id) ?? [];
      list.push({ type: a.type, state: a.state, dueAt: new Date(a.due_at).toISOString(), detail: parseResult(a.result_json)?.detail ?? '' });
      behind.set(a.finding_id, list);
    }
  }

  const closeTasks: Action[] = [];
  for (const { action: task, taskId } of toClose) {
    const named = task.findingIds.map((id) => ({ id, ...findings.get(id) })).filter((f) => f.finding);
    const gone = named.filter((f) => !f.open);
    if (gone.length === 0) continue;
    const still = named.filter((f) => f.open);
    closeTasks.push({
      id: closeTaskId(portalId, task.contactId, taskId),
      portalId,
      tenantId: task.tenantId,
      contactId: task.contactId,
      findingIds: gone.map((f) => f.id),
      ruleIds: [...new Set(gone.map((f) => f.finding!.ruleId))],
      dueAt: now.toISOString(),
      destructive: false,
      type: 'close_task',
      taskId,
      taskActionId: task.id,
      comment: closingComment(
        now,
        gone.map((f) => ({ finding: f.finding!, resolvedAt: f.resolvedAt ?? now.toISOString(), actions: behind.get(f.id) ?? [] })),
        still.map((f) => f.finding!.ruleId),
      ),
    });
  }
  if (closeTasks.length > 0) await store.savePlannedActions(portalId, closeTasks);
  return { cancelled, closeTasks };
}

/**
 * The comment a closed task gets: rule ids, finding kinds and data categories, dates and action types.
 * Never evidence, field values or names.
 */
export function closingComment(
  now: Date,
  resolved: readonly { finding: Finding; resolvedAt: string; actions: readonly { type: string; state: string; dueAt: string; detail: string }[] }[],
  stillOpenRules: readonly string[],
): string {
  const isCancelled = (a: { state: string; detail: string }) => a.state === 'cancelled' || (a.state === 'skipped' && a.detail.startsWith('cancelled'));
  const lines = [`GDPR: closed automatically on ${day(now)}; the cause went away.`];
  const said = new Set<string>();
  let told = false;
  for (const r of resolved) {
    const f = r.finding;
    lines.push(`- ${f.ruleId} (${[f.kind, f.category].filter(Boolean).join(', ')}): resolved on ${day(r.resolvedAt)}`);
    for (const a of r.actions) {
      const line = isCancelled(a) ? `  pending action cancelled: ${words(a.type)} (was due ${day(a.dueAt)})` : a.state === 'done' ? `  action carried out: ${words(a.type)}` : null;
      if (!line) continue;
      told = true;
      if (!said.has(line)) lines.push(line);
      said.add(line);
    }
  }
  if (!told) lines.push('No automatic action is pending for it any more.');
  const still = [...new Set(stillOpenRules)].sort();
  if (still.length > 0) lines.push(`Still open: ${still.join(', ')} (a new GDPR task follows where it still needs you).`);
  return lines.join('\n');
}

/**
 * Before planned actions are saved: a task whose earlier incarnation we closed is made again under a new
 * id (the findings it names are open again, so someone must hear of it), and a close that has not run
 * yet for a task whose findings are all open again is cancelled. Returns the actions to save.
 */
export async function renewClosedTasks(store: Store, portalId: string, actions: readonly Action[]): Promise<Action[]> {
  let current = actions.filter((a): a is ActionOf<'create_task'> => a.type === 'create_task').map((a) => ({ orig: a.id, action: a }));
  if (current.length === 0) return [...actions];
  const replaced = new Map<string, Action>();
  // Each round follows one more close -> renewal; a chain is as long as the times a cause came back.
  for (let round = 0; current.length > 0 && round < 50; round++) {
    const states = new Map<string, { state: string; result: string | null }>();
    for (const part of chunks(current.map((c) => c.action.id))) {
      for (const r of await store.db.selectFrom('actions').select(['action_id', 'state', 'result_json']).where('action_id', 'in', part).execute()) {
        states.set(r.action_id, { state: r.state, result: r.result_json });
      }
    }
    const withTask = current.flatMap((c) => {
      const s = states.get(c.action.id);
      const taskId = s ? vendorTaskOf(s.state, s.result) : null;
      return taskId ? [{ ...c, taskId, closeId: closeTaskId(portalId, c.action.contactId, taskId) }] : [];
    });
    if (withTask.length === 0) break;
    const closes = new Map<string, { state: string; result: string | null }>();
    for (const part of chunks(withTask.map((c) => c.closeId))) {
      for (const r of await store.db.selectFrom('actions').select(['action_id', 'state', 'result_json']).where('action_id', 'in', part).execute()) {
        closes.set(r.action_id, { state: r.state, result: r.result_json });
      }
    }
    const next: typeof current = [];
    for (const c of withTask) {
      const close = closes.get(c.closeId);
      if (!close || cancelledByUs(close.state, close.result)) continue; // the task is still open: nothing to do
      if (close.state === 'planned' || close.state === 'failed') {
        await store.markActionResult(c.closeId, { actionId: c.closeId, status: 'skipped', detail: 'cancelled: the findings the task names are open again' });
        continue;
      }
      // Closed (done, or already closed or deleted in the CRM), or being closed: a new task.
      const renewed: ActionOf<'create_task'> = { ...c.action, id: actionId(portalId, c.action.contactId, 'create_task', `${c.action.id}\u0000after\u0000${c.taskId}`) };
      replaced.set(c.orig, renewed);
      next.push({ orig: c.orig, action: renewed });
    }
    current = next;
  }
  return actions.map((a) => replaced.get(a.id) ?? a);
}
