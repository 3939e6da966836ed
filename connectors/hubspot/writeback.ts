/**
 * Write-back: executes actions in HubSpot-sized batches, idempotently.
 *
 * Idempotence comes from reading first and writing only differences: contacts' current values are
 * batch-read, notes are checked for existence, tasks are looked up by the `[gdpr:<actionId>]` marker
 * in their subject. A second run of the same actions therefore sends no writes and reports `skipped`.
 * One record's validation error never fails its batch: HubSpot answers 400 for a whole batch update
 * when one input is invalid, so such a batch is bisected until the bad record stands alone.
 */
import type { ActionOf, Action, ActionResult } from '../../src/model';
import type { PropertyDefinition } from '../types';
import { associatedIds } from './associations';
import { describeError, HubSpotError, type HubSpotApi } from './client';
import { HUBSPOT_LIMITS, REDACTED_NOTE_TEXT, TASK_STATUS, taskMarker, UNSUBSCRIBE_LEGAL_BASIS } from './limits';
import {
  addLegalBasisValue,
  anonymiseUpdates,
  closedTaskBody,
  hubSpotLegalBasisValue,
  optOutProperty,
  propertiesToReadFor,
  redactedNoteBody,
  statusUpdates,
  stripHtml,
  taskCreateInput,
  textToNoteHtml,
  unsubscribeBody,
} from './mapping';
import { HsBatchResponse, type HsBatchError, type HsRecord } from './vendor-schema';

export interface WriteContext {
  api: HubSpotApi;
  portalId: string;
  defs: () => Promise<ReadonlyMap<string, PropertyDefinition>>;
  /** Secret for keyed hashes / replacement e-mails. */
  anonymiseKey: string;
}

type Status = ActionResult['status'];

/** Collects the parts of each action's outcome; failed beats done beats skipped. */
class Outcomes {
  private readonly m = new Map<string, { status: Status; details: string[]; vendorRef?: string }>();
  constructor(actions: readonly Action[]) {
    for (const a of actions) this.m.set(a.id, { status: 'skipped', details: [] });
  }
  private put(a: Action, status: Status, detail?: string, vendorRef?: string): void {
    const o = this.m.get(a.id)!;
    const rank = { skipped: 0, done: 1, failed: 2 } as const;
    if (rank[status] >= rank[o.status]) o.status = status;
    if (detail && !o.details.includes(detail)) o.details.push(detail);
    if (vendorRef) o.vendorRef = vendorRef;
  }
  done(a: Action, detail?: string, vendorRef?: string) {
    this.put(a, 'done', detail, vendorRef);
  }
  skip(a: Action, detail: string, vendorRef?: string) {
    this.put(a, 'skipped', detail, vendorRef);
  }
  fail(a: Action, detail: string) {
    this.put(a, 'failed', detail);
  }
  touched(a: Action): boolean {
    const o = this.m.get(a.id)!;
    return o.status !== 'skipped' || o.details.length > 0;
  }
  results(actions: readonly Action[]): ActionResult[] {
    return actions.map((a) => {
      const o = this.m.get(a.id)!;
      const r: ActionResult = { actionId: a.id, status: o.status };
      if (o.details.length) r.detail = o.details.join('; ');
      if (o.vendorRef) r.vendorRef = o.vendorRef;
      return r;
    });
  }
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Runs fn over items with at most `n` at a time (the budget still decides when each request goes). */
async function eachLimited<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

function batchErrorDetail(e: HsBatchError): string {
  const codes = (e.errors ?? []).map((x) => `${x.code ?? 'ERROR'}${x.context?.propertyName ? ` on ${x.context.propertyName.join(',')}` : ''}`).join('; ');
  return `${e.category ?? 'ERROR'}${codes ? ` (${codes})` : ''}`;
}

// ---------------------------------------------------------------- reads

async function readContacts(api: HubSpotApi, ids: readonly string[], properties: readonly string[]): Promise<Map<string, HsRecord>> {
  const out = new Map<string, HsRecord>();
  await Promise.all(
    chunk(ids, HUBSPOT_LIMITS.batchReadSize).map(async (part) => {
      const raw = await api.call('contacts.batchRead', () =>
        api.sdk.crm.contacts.batchApi.readWithHttpInfo({ inputs: part.map((id) => ({ id })), properties: [...properties], propertiesWithHistory: [] }, false),
      );
      for (const r of HsBatchResponse.parse(raw).results) out.set(r.id, r);
    }),
  );
  return out;
}

async function readObjects(api: HubSpotApi, type: 'notes' | 'tasks', ids: readonly string[], properties: string[]): Promise<Map<string, HsRecord>> {
  const out = new Map<string, HsRecord>();
  const batch = type === 'notes' ? api.sdk.crm.objects.notes.batchApi : api.sdk.crm.objects.tasks.batchApi;
  await Promise.all(
    chunk(ids, HUBSPOT_LIMITS.batchReadSize).map(async (part) => {
      const raw = await api.call(`${type}.batchRead`, () => batch.readWithHttpInfo({ inputs: part.map((id) => ({ id })), properties, propertiesWithHistory: [] }, false));
      for (const r of HsBatchResponse.parse(raw).results) out.set(r.id, r);
    }),
  );
  return out;
}

// ---------------------------------------------------------------- batch writes

interface UpdateInput {
  id: string;
  properties: Record<string, string>;
}

/**
 * Batch update with per-record outcomes: ids in the answer succeeded; 207 errors name the ids that
 * failed; a 400 for the whole batch is bisected so only the invalid record fails.
 */
async function updateRecords(api: HubSpotApi, type: 'contacts' | 'notes' | 'tasks', inputs: UpdateInput[]): Promise<Map<string, string | null>> {
  const outcome = new Map<string, string | null>(); // id -> null (ok) or error detail
  const batch = type === 'contacts' ? api.sdk.crm.contacts.batchApi : type === 'notes' ? api.sdk.crm.objects.notes.batchApi : api.sdk.crm.objects.tasks.batchApi;
  const run = async (part: UpdateInput[]): Promise<void> => {
    try {
      const raw = await api.call(`${type}.batchUpdate`, () => batch.updateWithHttpInfo({ inputs: part.map((i) => ({ id: i.id, objectWriteTraceId: i.id, properties: i.properties })) }));
      const res = HsBatchResponse.parse(raw);
      const ok = new Set(res.results.map((r) => r.id));
      for (const i of part) outcome.set(i.id, ok.has(i.id) ? null : 'not confirmed by HubSpot');
      for (const e of res.errors ?? []) {
        const ids = [...(e.context?.ids ?? []), ...(e.context?.objectWriteTraceId ?? [])];
        for (const id of ids) if (outcome.has(id) && !ok.has(id)) outcome.set(id, batchErrorDetail(e));
      }
    } catch (err) {
      if (err instanceof HubSpotError && err.status === 400 && part.length > 1) {
        const mid = Math.ceil(part.length / 2);
        await Promise.all([run(part.slice(0, mid)), run(part.slice(mid))]);
        return;
      }
      const detail = describeError(err);
      for (const i of part) outcome.set(i.id, detail);
    }
  };
  await Promise.all(chunk(inputs, HUBSPOT_LIMITS.batchUpdateSize).map(run));
  return outcome;
}

async function archiveNotes(api: HubSpotApi, ids: readonly string[]): Promise<string | null> {
  try {
    for (const part of chunk(ids, HUBSPOT_LIMITS.batchArchiveSize)) {
      await api.call('notes.batchArchive', () => api.sdk.crm.objects.notes.batchApi.archiveWithHttpInfo({ inputs: part.map((id) => ({ id })) }));
    }
    return null;
  } catch (err) {
    return describeError(err);
  }
}

// ---------------------------------------------------------------- apply

export async function applyActions(ctx: WriteContext, actions: readonly Action[]): Promise<ActionResult[]> {
  const { api } = ctx;
  const out = new Outcomes(actions);
  const of = <T extends Action['type']>(t: T) => actions.filter((a): a is ActionOf<T> => a.type === t);
  const defs = await ctx.defs();

  // 1. Current values of every contact a property-level action touches.
  const contactActions = actions.filter((a) => propertiesToReadFor(a).length > 0 || (a.type === 'anonymise' && a.notes !== 'keep'));
  const readProps = [...new Set(contactActions.flatMap(propertiesToReadFor))];
  const current = contactActions.length ? await readContacts(api, [...new Set(contactActions.map((a) => a.contactId))], readProps.length ? readProps : ['hs_object_id']) : new Map<string, HsRecord>();
  const gone = (a: Action) => {
    if (current.has(a.contactId)) return false;
    out.skip(a, 'contact no longer exists in HubSpot');
    return true;
  };

  // 2. Property writes, merged per contact (a batch may not name one id twice).
  const writes = new Map<string, { properties: Record<string, string>; actions: Action[] }>();
  const write = (a: Action, props: Record<string, string>) => {
    if (Object.keys(props).length === 0) return;
    const w = writes.get(a.contactId) ?? { properties: {}, actions: [] };
    Object.assign(w.properties, props);
    w.actions.push(a);
    writes.set(a.contactId, w);
  };
  for (const a of of('anonymise')) {
    if (gone(a)) continue;
    const u = anonymiseUpdates(a, current.get(a.contactId)!.properties, defs, { key: ctx.anonymiseKey, portalId: ctx.portalId, contactId: a.contactId });
    if (u.readOnly.length) out.skip(a, `read-only properties left as they are: ${u.readOnly.join(', ')}`);
    if (u.unknown.length) out.skip(a, `properties not in this portal: ${u.unknown.join(', ')}`);
    if (Object.keys(u.properties).length === 0) out.skip(a, 'properties already anonymised');
    write(a, u.properties);
  }
  for (const a of of('clear_property')) {
    if (gone(a)) continue;
    const def = defs.get(a.property);
    if (!def) out.skip(a, `property ${a.property} does not exist in this portal`);
    else if (def.readOnly) out.fail(a, `property ${a.property} is read-only in HubSpot`);
    else if (!current.get(a.contactId)!.properties[a.property]) out.skip(a, 'property already empty');
    else write(a, { [a.property]: '' });
  }
  for (const a of of('set_lawful_basis')) {
    if (gone(a)) continue;
    const value = hubSpotLegalBasisValue(a.purpose, a.basis);
    if (!value) {
      out.fail(a, `hs_legal_basis has no option for ${a.basis}`);
      continue;
    }
    const next = addLegalBasisValue(current.get(a.contactId)!.properties.hs_legal_basis, value);
    if (next === null) out.skip(a, 'legal basis already recorded');
    else write(a, { hs_legal_basis: next });
  }
  for (const a of of('set_status')) {
    if (gone(a)) continue;
    const u = statusUpdates(a, current.get(a.contactId)!.properties);
    if (u.refused.length) out.fail(a, `not a status property: ${u.refused.join(', ')}`);
    else if (Object.keys(u.properties).length === 0) out.skip(a, 'status already set');
    else write(a, u.properties);
  }
  if (writes.size > 0) {
    const result = await updateRecords(api, 'contacts', [...writes].map(([id, w]) => ({ id, properties: w.properties })));
    for (const [id, w] of writes) {
      const err = result.get(id);
      for (const a of w.actions) {
        if (err) out.fail(a, err);
        else out.done(a);
      }
    }
  }

  // 3. Subscriptions (per e-mail and subscription; HubSpot has no batch for this outside Enterprise).
  await eachLimited(of('unsubscribe'), 4, async (a) => {
    if (gone(a)) return;
    const props = current.get(a.contactId)!.properties;
    if (!props.email) return out.skip(a, 'contact has no e-mail address');
    if (props[optOutProperty(a.subscriptionId)] === 'true') return out.skip(a, 'already unsubscribed');
    try {
      await api.call('commPrefs.unsubscribe', () => api.sdk.communicationPreferences.statusApi.unsubscribeWithHttpInfo(unsubscribeBody(a, props.email!, UNSUBSCRIBE_LEGAL_BASIS) as never));
      out.done(a);
    } catch (err) {
      const msg = err instanceof HubSpotError ? String((err.vendorBody as { message?: unknown } | undefined)?.message ?? '') : '';
      if (err instanceof HubSpotError && err.status === 400 && /already unsubscribed/i.test(msg)) out.skip(a, 'already unsubscribed');
      else out.fail(a, describeError(err));
    }
  });

  // 4. Notes: delete/redact single notes, and all notes of anonymised contacts.
  const anonNotes = of('anonymise').filter((a) => a.notes !== 'keep' && current.has(a.contactId));
  const noteIdsOf = anonNotes.length ? await associatedIds(api, 'notes', [...new Set(anonNotes.map((a) => a.contactId))]) : new Map<string, string[]>();
  const singleNotes = [...of('delete_note'), ...of('redact_note')];
  const noteIds = [...new Set([...singleNotes.map((a) => a.noteId), ...anonNotes.filter((a) => a.notes === 'redact').flatMap((a) => noteIdsOf.get(a.contactId) ?? [])])];
  const notes = noteIds.length ? await readObjects(api, 'notes', noteIds, ['hs_note_body']) : new Map<string, HsRecord>();

  const toArchive = new Map<string, Action[]>();
  const toRewrite = new Map<string, { body: string; actions: Action[] }>();
  for (const a of of('delete_note')) {
    if (!notes.has(a.noteId)) out.skip(a, 'note already deleted');
    else toArchive.set(a.noteId, [...(toArchive.get(a.noteId) ?? []), a]);
  }
  for (const a of of('redact_note')) {
    const n = notes.get(a.noteId);
    const body = redactedNoteBody(a, REDACTED_NOTE_TEXT);
    if (!n) out.skip(a, 'note no longer exists');
    else if (body === null) out.skip(a, 'nothing to redact');
    else if (stripHtml(n.properties.hs_note_body ?? '') === body) out.skip(a, 'note already redacted');
    else toRewrite.set(a.noteId, { body, actions: [...(toRewrite.get(a.noteId)?.actions ?? []), a] });
  }
  for (const a of anonNotes) {
    const ids = noteIdsOf.get(a.contactId) ?? [];
    if (a.notes === 'delete') {
      if (ids.length === 0 && !out.touched(a)) out.skip(a, 'no notes left');
      for (const id of ids) toArchive.set(id, [...(toArchive.get(id) ?? []), a]);
    } else {
      for (const id of ids) {
        const n = notes.get(id);
        if (n && stripHtml(n.properties.hs_note_body ?? '') !== REDACTED_NOTE_TEXT) toRewrite.set(id, { body: REDACTED_NOTE_TEXT, actions: [...(toRewrite.get(id)?.actions ?? []), a] });
      }
    }
  }
  if (toArchive.size) {
    const err = await archiveNotes(api, [...toArchive.keys()]);
    for (const as of toArchive.values()) for (const a of as) (err ? out.fail(a, err) : out.done(a));
  }
  if (toRewrite.size) {
    const result = await updateRecords(api, 'notes', [...toRewrite].map(([id, r]) => ({ id, properties: { hs_note_body: textToNoteHtml(r.body) } })));
    for (const [id, r] of toRewrite) {
      const err = result.get(id);
      for (const a of r.actions) (err ? out.fail(a, err) : out.done(a));
    }
  }

  // 5. Tasks: skip those whose marker already sits on a task of the contact.
  const tasks = of('create_task');
  if (tasks.length) {
    const taskIdsOf = await associatedIds(api, 'tasks', [...new Set(tasks.map((a) => a.contactId))]);
    const allTaskIds = [...new Set([...taskIdsOf.values()].flat())];
    const existing = allTaskIds.length ? await readObjects(api, 'tasks', allTaskIds, ['hs_task_subject']) : new Map<string, HsRecord>();
    const create: ActionOf<'create_task'>[] = [];
    for (const a of tasks) {
      const found = (taskIdsOf.get(a.contactId) ?? []).find((id) => (existing.get(id)?.properties.hs_task_subject ?? '').includes(taskMarker(a.id)));
      if (found) out.skip(a, 'task already exists', found);
      else create.push(a);
    }
    for (const part of chunk(create, HUBSPOT_LIMITS.batchCreateSize)) {
      try {
        // Not idempotent: retried only on answers that prove nothing was created (429/423/477).
        const raw = await api.call(
          'tasks.batchCreate',
          () => api.sdk.crm.objects.tasks.batchApi.createWithHttpInfo({ inputs: part.map((a) => taskCreateInput(a)) as never }),
          { idempotent: false },
        );
        const res = HsBatchResponse.parse(raw);
        const byMarker = new Map(res.results.map((r) => [r.properties.hs_task_subject ?? '', r.id]));
        for (const a of part) {
          const id = [...byMarker].find(([subject]) => subject.includes(taskMarker(a.id)))?.[1];
          if (id) out.done(a, undefined, id);
          else out.fail(a, (res.errors ?? []).map(batchErrorDetail).join('; ') || 'task not confirmed by HubSpot');
        }
      } catch (err) {
        for (const a of part) out.fail(a, describeError(err));
      }
    }
  }

  // 6. Close our tasks whose cause went away: completed, with the comment appended to the task body.
  //    A task already completed or deleted (by a user, or by an earlier run) is nothing to do.
  const closes = of('close_task');
  if (closes.length) {
    const found = await readObjects(api, 'tasks', [...new Set(closes.map((a) => a.taskId))], ['hs_task_status', 'hs_task_body']);
    const toClose = new Map<string, { body: string; actions: Action[] }>();
    for (const a of closes) {
      const t = found.get(a.taskId);
      if (!t) out.skip(a, 'task no longer exists');
      else if (t.properties.hs_task_status === TASK_STATUS.completed) out.skip(a, 'task already closed');
      else {
        const prev = toClose.get(a.taskId);
        const body = closedTaskBody(prev?.body ?? t.properties.hs_task_body ?? '', a.comment);
        toClose.set(a.taskId, { body, actions: [...(prev?.actions ?? []), a] });
      }
    }
    if (toClose.size) {
      const result = await updateRecords(api, 'tasks', [...toClose].map(([id, c]) => ({ id, properties: { hs_task_status: TASK_STATUS.completed, hs_task_body: c.body } })));
      for (const [id, c] of toClose) {
        const err = result.get(id);
        for (const a of c.actions) {
          if (!err) out.done(a, undefined, id);
          // Deleted between the read and the write: nothing left to close.
          else if (/^OBJECT_NOT_FOUND/.test(err)) out.skip(a, 'task no longer exists');
          else out.fail(a, err);
        }
      }
    }
  }

  // 7. GDPR deletes last: nothing else can run on a contact after it is gone.
  await eachLimited(of('gdpr_delete'), 4, async (a) => {
    try {
      await api.call('contacts.gdprDelete', () => api.sdk.crm.contacts.basicApi.purgeWithHttpInfo({ objectId: a.contactId }));
      out.done(a, 'permanently deleted with HubSpot GDPR delete');
    } catch (err) {
      if (err instanceof HubSpotError && err.status === 404) out.skip(a, 'contact already deleted (404)');
      else out.fail(a, describeError(err));
    }
  });

  return out.results(actions);
}
