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
import type { ActionState, Store } from '../store';
import { appendAuditInTransaction, type AuditEntry } from '../audit';
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
  /** How long this run's claim on an action keeps other processes off it (default: the store's, 5 min). */
  claimLeaseMs?: number;
  /**
   * States the caller read a moment ago (e.g. with the plan): when every due action is in it, the read
   * before claiming is skipped. The claim still decides: an action finished or taken meanwhile is not sent.
   */
  knownStates?: ReadonlyMap<string, ActionState>;
}

export interface ApplySummary {
  total: number;
  done: number;
  skipped: number;
  failed: number;
  cancelled: number;
  alreadyDone: number;
  notDueYet: number;
  /** Held by another apply running now (another process, or another run in this one): left to it. */
  claimedElsewhere: number;
  byType: Record<string, { done: number; failed: number; skipped: number; cancelled: number }>;
  dryRun: boolean;
  /** Contacts whose gdpr_status was moved on (anonymised / resolved) after their last pending action ran. */
  statusUpdates: number;
  /** The result this run recorded for each plan action it recorded one for (not for the status follow-ups). */
  outcomes: Map<string, ActionResult['status']>;
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

/**
 * Every action is claimed in the store (Store.claimActions) before it is re-checked or sent, so two
 * processes applying the same plan at once send each action once; results and their audit rows are
 * written per batch, in one transaction.
 */
export async function applyPlan(opts: ApplyOptions): Promise<ApplySummary> {
  const claims: string[] = [];
  try {
    return await runPlan(opts, claims);
  } finally {
    // Recorded claims are ended already; one left by a throw stays 'running' and this store may take it again.
    opts.store.releaseClaims(claims);
  }
}

async function runPlan(opts: ApplyOptions, claims: string[]): Promise<ApplySummary> {
  const { store, connector, policy, plan, now } = opts;
  const nowIso = now.toISOString();
  const summary: ApplySummary = { total: plan.actions.length, done: 0, skipped: 0, failed: 0, cancelled: 0, alreadyDone: 0, notDueYet: 0, claimedElsewhere: 0, byType: {}, dryRun: opts.dryRun === true, statusUpdates: 0, outcomes: new Map() };
  const bump = (a: Action, k: 'done' | 'failed' | 'skipped' | 'cancelled') => {
    const t = (summary.byType[a.type] ??= { done: 0, failed: 0, skipped: 0, cancelled: 0 });
    t[k] += 1;
  };

  const finishedDestructive: { action: Action; done: boolean }[] = [];
  const runnable: Action[] = [];
  /** Tried by an earlier run that stopped or failed part-way: its effect may already be in place. */
  const interrupted = new Set<string>();
  const due: Action[] = [];
  for (const a of plan.actions) {
    if (a.portalId !== plan.portalId) throw new Error(`plan is inconsistent: action ${a.id} belongs to another portal`);
    if (a.dueAt > nowIso) {
      summary.notDueYet += 1; // a plan file edited or applied early: never act before the grace period ends
      continue;
    }
    due.push(a);
  }
  const known = opts.knownStates;
  const states = known && due.every((a) => known.has(a.id)) ? known : await store.getActionStates(due.map((a) => a.id));
  for (const a of due) {
    const state = states.get(a.id) ?? null;
    if (state === null && !opts.dryRun) throw new Error(`unknown action ${a.id}: it was not planned in this store`);
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

  // A batch's results are kept until flush(), which writes them and their audit rows in one transaction.
  let recorded: { a: Action; r: ActionResult }[] = [];
  const record = async (a: Action, r: ActionResult) => {
    recorded.push({ a, r });
  };
  const flush = async () => {
    const batch = recorded;
    recorded = [];
    if (batch.length === 0) return;
    const entries: AuditEntry[] = batch.map(({ a, r }) => ({
      actor: opts.actor,
      tenantId: plan.tenantId,
      portalId: plan.portalId,
      contactId: a.contactId,
      ruleId: a.ruleIds.join(','),
      action: a.type,
      result: r.status,
      detail: r.detail ?? null,
    }));
    await store.markActionResults(batch.map((b) => b.r), (trx) => appendAuditInTransaction(trx, entries));
    for (const { a, r } of batch) {
      summary.outcomes.set(a.id, r.status);
      // Finished one way or another (done, or its cause gone): the contact's status may move on.
      if (a.destructive && a.type !== 'gdpr_delete' && (r.status === 'done' || (r.status === 'skipped' && !r.detail?.startsWith('contact no longer exists')))) {
        finishedDestructive.push({ action: a, done: r.status === 'done' });
      }
      if (r.status === 'done') summary.done += 1;
      else if (r.status === 'failed') summary.failed += 1;
      else if (r.detail?.startsWith('cancelled')) summary.cancelled += 1;
      else summary.skipped += 1;
      bump(a, r.status === 'skipped' && r.detail?.startsWith('cancelled') ? 'cancelled' : r.status);
    }
  };
  /**
   * Claims a slice in the store; what another apply holds now (or finished meanwhile) is left to it. With
   * `start`, the claimed actions are marked as being sent in the same statement.
   */
  const claimBatch = async (slice: Action[], start: boolean): Promise<Action[]> => {
    const claimed = await store.claimActions(slice.map((a) => a.id), { leaseMs: opts.claimLeaseMs, start });
    claims.push(...claimed);
    const missed = slice.filter((a) => !claimed.has(a.id));
    if (missed.length > 0) {
      const after = await store.getActionStates(missed.map((a) => a.id));
      for (const a of missed) {
        const s = after.get(a.id);
        if (s && FINISHED.has(s)) summary.alreadyDone += 1;
        else summary.claimedElsewhere += 1;
      }
    }
    return slice.filter((a) => claimed.has(a.id));
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
  const pendingStatus = (a: Action) => a.type === 'set_status' && a.values[STATUS_PROPERTIES.status] === 'action_pending';
  const pendingAtStart = runnable.some(pendingStatus) ? await store.contactsWithOpenDestructiveActions(plan.portalId, runnable.map((a) => a.contactId)) : new Set<string>();
  /** A status saying "pending" for a contact whose destructive actions already ran: recorded as skipped, not sent. */
  const superseded = (a: Action) => pendingStatus(a) && !pendingAtStart.has(a.contactId);
  let processed = 0;
  for (let i = 0; i < runnable.length; i += batchSize) {
    const slice = runnable.slice(i, i + batchSize);
    // Nothing to re-check or skip in this slice: every action claimed is sent, so claim and mark started at once.
    const sendAsClaimed = slice.every((a) => !a.destructive && !superseded(a));
    const batch = await claimBatch(slice, sendAsClaimed);
    try {
      await reread(batch.filter((a) => a.destructive).map((a) => a.contactId));
    } catch (e) {
      // A failed read fails this batch, not the run: the next apply retries these actions.
      for (const a of batch) await record(a, { actionId: a.id, status: 'failed', detail: `re-check read failed: ${safeMessage(e)}` });
      await flush();
      processed += slice.length;
      opts.onProgress?.({ phase: 'apply', done: processed, total: runnable.length, failed: summary.failed });
      continue;
    }
    const send: Action[] = [];
    for (const a of batch) {
      if (superseded(a)) {
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
    // Still held (a lapsed claim may have been taken over meanwhile: that apply sends it, not this one).
    const started = sendAsClaimed ? new Set(batch.map((a) => a.id)) : send.length > 0 ? await store.markActionsStarted(send.map((a) => a.id)) : new Set<string>();
    const sending = send.filter((a) => started.has(a.id));
    summary.claimedElsewhere += send.length - sending.length;
    let results: ActionResult[] = [];
    try {
      results = sending.length > 0 ? await connector.apply(sending) : [];
    } catch (e) {
      const detail = `write-back failed: ${safeMessage(e)}`;
      results = sending.map((a) => ({ actionId: a.id, status: 'failed' as const, detail }));
    }
    const byId = new Map(results.map((r) => [r.actionId, r]));
    for (const a of sending) {
      await record(a, byId.get(a.id) ?? { actionId: a.id, status: 'failed', detail: 'connector returned no result' });
    }
    await flush();
    processed += slice.length;
    opts.onProgress?.({ phase: 'apply', done: processed, total: runnable.length, failed: summary.failed });
  }
  summary.statusUpdates = await moveStatusOn(opts, finishedDestructive, claims);
  return summary;
}

/**
 * The CRM showed "action_pending" with a date while a destructive action waited; once the last one for
 * a contact has run, say so there too ("anonymised" or "resolved"), or the owner sees stale work. These
 * follow-ups are recorded and audited like planned actions, but kept out of the plan's counts.
 */
async function moveStatusOn(opts: ApplyOptions, finished: readonly { action: Action; done: boolean }[], claims: string[]): Promise<number> {
  if (finished.length === 0) return 0;
  const { store, connector, plan } = opts;
  const stillPending = await store.contactsWithOpenDestructiveActions(plan.portalId, finished.map((f) => f.action.contactId));
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
    // Sent as soon as claimed: claimed and marked started in one statement.
    const started = await store.claimActions(follow.slice(i, i + 100).map((a) => a.id), { leaseMs: opts.claimLeaseMs, start: true });
    claims.push(...started);
    const part = follow.slice(i, i + 100).filter((a) => started.has(a.id));
    if (part.length === 0) continue;
    let results: ActionResult[];
    try {
      results = await connector.apply(part);
    } catch (e) {
      results = part.map((a) => ({ actionId: a.id, status: 'failed' as const, detail: `write-back failed: ${safeMessage(e)}` }));
    }
    const byId = new Map(results.map((r) => [r.actionId, r]));
    const got = part.map((a) => byId.get(a.id) ?? { actionId: a.id, status: 'failed' as const, detail: 'connector returned no result' });
    const entries: AuditEntry[] = part.map((a, j) => ({ actor: opts.actor, tenantId: plan.tenantId, portalId: plan.portalId, contactId: a.contactId, ruleId: a.ruleIds.join(','), action: 'set_status', result: got[j]!.status, detail: got[j]!.detail ?? null }));
    await store.markActionResults(got, (trx) => appendAuditInTransaction(trx, entries));
    updated += got.filter((r) => r.status === 'done').length;
  }
  return updated;
}
