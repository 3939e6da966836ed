/**
 * Executes exactly the actions of a plan, idempotently: an action recorded as done is never run
 * again, so running a plan twice changes nothing the second time, and running it again after a
 * failure half-way finishes the rest. Before a destructive action the contact is read again and
 * re-evaluated: if the cause has gone away (consent given, new activity) the action is cancelled.
 */
import { STATUS_PROPERTIES, type Connector } from '../../connectors/types';
import { detect } from '../detect';
import type { Action, ActionResult, Contact, Plan } from '../model';
import type { CompiledPolicy } from '../policy/compile';
import { evaluateContact } from '../policy/evaluate';
import { actionId } from '../policy/plan';
import type { Store } from '../store';
import { appendAudit } from '../audit';
import type { ProgressFn } from './progress';

export interface ApplyOptions {
  store: Store;
  connector: Connector;
  policy: CompiledPolicy;
  plan: Plan;
  now: Date;
  actor: string;
  dryRun?: boolean;
  batchSize?: number;
  onProgress?: ProgressFn;
}

export interface ApplySummary {
  total: number;
  done: number;
  skipped: number;
  failed: number;
  cancelled: number;
  alreadyDone: number;
  notDueYet: number;
  byType: Record<string, { done: number; failed: number; skipped: number; cancelled: number }>;
  dryRun: boolean;
  /** Contacts whose gdpr_status was moved on (anonymised / resolved) after their last pending action ran. */
  statusUpdates: number;
}

const FINISHED = new Set(['done', 'skipped', 'cancelled']);
export const REDACTION_MARKER = '[verwijderd]';

/**
 * Replaces detected spans with a neutral marker, from the end so offsets stay valid. The marker names
 * no category: "[removed: health]" would itself read as health data on the next scan.
 */
export function redactText(text: string, categories: readonly string[]): string {
  const wanted = new Set(categories);
  const spans = detect(text).filter((d) => wanted.size === 0 || wanted.has(d.category) || categoryFamily(d.category, wanted));
  let out = text;
  for (const d of [...spans].sort((a, b) => b.start - a.start)) {
    out = `${out.slice(0, d.start)}${REDACTION_MARKER}${out.slice(d.end)}`;
  }
  return out;
}
/** Findings name data categories (national_id); detectors name bsn. */
function categoryFamily(detector: string, wanted: ReadonlySet<string>): boolean {
  return (detector === 'bsn' && wanted.has('national_id')) || (detector === 'iban' && wanted.has('financial'));
}

/** Connector errors carry vendor codes and ids, never values; keep the first line only. */
function safeMessage(e: unknown): string {
  return ((e as Error)?.message ?? String(e)).split('\n')[0]!.slice(0, 300);
}

export async function applyPlan(opts: ApplyOptions): Promise<ApplySummary> {
  const { store, connector, policy, plan, now } = opts;
  const nowIso = now.toISOString();
  const summary: ApplySummary = { total: plan.actions.length, done: 0, skipped: 0, failed: 0, cancelled: 0, alreadyDone: 0, notDueYet: 0, byType: {}, dryRun: opts.dryRun === true, statusUpdates: 0 };
  const bump = (a: Action, k: 'done' | 'failed' | 'skipped' | 'cancelled') => {
    const t = (summary.byType[a.type] ??= { done: 0, failed: 0, skipped: 0, cancelled: 0 });
    t[k] += 1;
  };

  const finishedDestructive: { action: Action; done: boolean }[] = [];
  const runnable: Action[] = [];
  /** Tried by an earlier run that stopped or failed part-way: its effect may already be in place. */
  const interrupted = new Set<string>();
  for (const a of plan.actions) {
    if (a.portalId !== plan.portalId) throw new Error(`plan is inconsistent: action ${a.id} belongs to another portal`);
    if (a.dueAt > nowIso) {
      summary.notDueYet += 1; // a plan file edited or applied early: never act before the grace period ends
      continue;
    }
    const state = await store.getActionState(a.id);
    if (state && FINISHED.has(state)) {
      summary.alreadyDone += 1;
      continue;
    }
    if (state === 'running' || state === 'failed') interrupted.add(a.id);
    runnable.push(a);
  }
  if (opts.dryRun) {
    for (const a of runnable) bump(a, 'skipped');
    summary.skipped = runnable.length;
    return summary;
  }

  const record = async (a: Action, r: ActionResult) => {
    await store.markActionResult(a.id, r);
    // Finished one way or another (done, or its cause gone): the contact's status may move on.
    if (a.destructive && a.type !== 'gdpr_delete' && (r.status === 'done' || (r.status === 'skipped' && !r.detail?.startsWith('contact no longer exists')))) {
      finishedDestructive.push({ action: a, done: r.status === 'done' });
    }
    await appendAudit(store, {
      actor: opts.actor,
      tenantId: plan.tenantId,
      portalId: plan.portalId,
      contactId: a.contactId,
      ruleId: a.ruleIds.join(','),
      action: a.type,
      result: r.status,
      detail: r.detail ?? null,
    });
    if (r.status === 'done') summary.done += 1;
    else if (r.status === 'failed') summary.failed += 1;
    else if (r.detail?.startsWith('cancelled')) summary.cancelled += 1;
    else summary.skipped += 1;
    bump(a, r.status === 'skipped' && r.detail?.startsWith('cancelled') ? 'cancelled' : r.status);
  };

  // Our own status properties are created on first use (idempotent, cheap when they exist).
  if (runnable.some((a) => a.type === 'set_status')) await connector.ensureStatusProperties();

  // Destructive actions: re-read and re-check each contact once, just before acting.
  const fresh = new Map<string, Contact | null>();
  const properties = [...new Set(runnable.flatMap((a) => (a.type === 'anonymise' ? Object.keys(a.properties) : a.type === 'clear_property' ? [a.property] : [])))];
  const reread = async (ids: string[]) => {
    const todo = [...new Set(ids)].filter((id) => !fresh.has(id));
    if (todo.length === 0) return;
    if (connector.getContacts) {
      const got = await connector.getContacts(todo, properties);
      for (const id of todo) fresh.set(id, got.get(id) ?? null);
    } else {
      for (const id of todo) fresh.set(id, await connector.getContact(id, properties));
    }
  };
  const batchSize = opts.batchSize ?? 100;
  const pendingAtStart = new Set((await store.listOpenActions(plan.portalId)).filter((a) => a.destructive).map((a) => a.contactId));
  let processed = 0;
  for (let i = 0; i < runnable.length; i += batchSize) {
    const batch = runnable.slice(i, i + batchSize);
    try {
      await reread(batch.filter((a) => a.destructive).map((a) => a.contactId));
    } catch (e) {
      // A failed read fails this batch, not the run: the next apply retries these actions.
      for (const a of batch) await record(a, { actionId: a.id, status: 'failed', detail: `re-check read failed: ${safeMessage(e)}` });
      processed += batch.length;
      opts.onProgress?.({ phase: 'apply', done: processed, total: runnable.length, failed: summary.failed });
      continue;
    }
    const send: Action[] = [];
    for (const a of batch) {
      if (a.type === 'set_status' && a.values[STATUS_PROPERTIES.status] === 'action_pending' && !pendingAtStart.has(a.contactId)) {
        // Its destructive actions already ran (e.g. in an earlier, interrupted run): "pending" would be stale.
        await record(a, { actionId: a.id, status: 'skipped', detail: 'superseded: no destructive action is pending for this contact' });
        continue;
      }
      if (!a.destructive) {
        send.push(a);
        continue;
      }
      const c = fresh.get(a.contactId);
      if (!c) {
        await record(a, { actionId: a.id, status: 'skipped', detail: 'contact no longer exists in the CRM' });
        continue;
      }
      const stillThere = new Set(evaluateContact({ ...c, suppressionMatch: a.ruleIds.includes('suppressed-reappeared') }, policy, now.getTime()).map((f) => f.id));
      if (!a.findingIds.some((id) => stillThere.has(id))) {
        // After an interruption the cause is usually gone because this action already went out:
        // that is not a cancellation, and the audit must not say so.
        const detail = interrupted.has(a.id)
          ? 'cause no longer present after an earlier attempt (which may have sent this action)'
          : 'cancelled: the cause has gone away';
        await record(a, { actionId: a.id, status: 'skipped', detail });
        continue;
      }
      if (a.type === 'gdpr_delete' || a.type === 'anonymise') {
        // Keep only a keyed hash, so a re-imported forgotten person is recognised.
        await store.addSuppression(plan.tenantId, c.identifiers, a.ruleIds.join(','), `${plan.portalId}/${a.contactId}`);
      }
      if (a.type === 'redact_note') {
        const note = c.notes.find((n) => n.id === a.noteId);
        if (!note) {
          await record(a, { actionId: a.id, status: 'skipped', detail: 'note no longer exists' });
          continue;
        }
        send.push({ ...a, redactedBody: redactText(note.body, a.categories) });
        continue;
      }
      send.push(a);
    }
    for (const a of send) await store.markActionStarted(a.id);
    let results: ActionResult[] = [];
    try {
      results = send.length > 0 ? await connector.apply(send) : [];
    } catch (e) {
      const detail = `write-back failed: ${safeMessage(e)}`;
      results = send.map((a) => ({ actionId: a.id, status: 'failed' as const, detail }));
    }
    const byId = new Map(results.map((r) => [r.actionId, r]));
    for (const a of send) {
      await record(a, byId.get(a.id) ?? { actionId: a.id, status: 'failed', detail: 'connector returned no result' });
    }
    processed += batch.length;
    opts.onProgress?.({ phase: 'apply', done: processed, total: runnable.length, failed: summary.failed });
  }
  summary.statusUpdates = await moveStatusOn(opts, finishedDestructive);
  return summary;
}

/**
 * The CRM showed "action_pending" with a date while a destructive action waited; once the last one for
 * a contact has run, say so there too ("anonymised" or "resolved"), or the owner sees stale work. These
 * follow-ups are recorded and audited like planned actions, but kept out of the plan's counts.
 */
async function moveStatusOn(opts: ApplyOptions, finished: readonly { action: Action; done: boolean }[]): Promise<number> {
  if (finished.length === 0) return 0;
  const { store, connector, plan } = opts;
  const stillPending = new Set((await store.listOpenActions(plan.portalId)).filter((a) => a.destructive).map((a) => a.contactId));
  const byContact = new Map<string, Action[]>();
  const anonymised = new Set(finished.filter((f) => f.done && f.action.type === 'anonymise').map((f) => f.action.contactId));
  for (const { action: a } of finished) if (!stillPending.has(a.contactId)) byContact.set(a.contactId, [...(byContact.get(a.contactId) ?? []), a]);
  const follow: Action[] = [...byContact].map(([contactId, as]) => {
    const values = { [STATUS_PROPERTIES.status]: anonymised.has(contactId) ? 'anonymised' : 'resolved' };
    const ids = as.map((a) => a.id).sort();
    return {
      id: actionId(plan.portalId, contactId, 'set_status', `after:${ids.join(',')}`),
      portalId: plan.portalId,
      tenantId: plan.tenantId,
      contactId,
      findingIds: [...new Set(as.flatMap((a) => a.findingIds))],
      ruleIds: [...new Set(as.flatMap((a) => a.ruleIds))],
      dueAt: opts.now.toISOString(),
      destructive: false,
      type: 'set_status' as const,
      values,
    };
  });
  await store.savePlannedActions(plan.portalId, follow);
  let updated = 0;
  for (let i = 0; i < follow.length; i += 100) {
    const part = follow.slice(i, i + 100);
    for (const a of part) await store.markActionStarted(a.id);
    let results: ActionResult[];
    try {
      results = await connector.apply(part);
    } catch (e) {
      results = part.map((a) => ({ actionId: a.id, status: 'failed' as const, detail: `write-back failed: ${safeMessage(e)}` }));
    }
    const byId = new Map(results.map((r) => [r.actionId, r]));
    for (const a of part) {
      const r = byId.get(a.id) ?? { actionId: a.id, status: 'failed' as const, detail: 'connector returned no result' };
      await store.markActionResult(a.id, r);
      await appendAudit(store, { actor: opts.actor, tenantId: plan.tenantId, portalId: plan.portalId, contactId: a.contactId, ruleId: a.ruleIds.join(','), action: 'set_status', result: r.status, detail: r.detail ?? null });
      if (r.status === 'done') updated += 1;
    }
  }
  return updated;
}
