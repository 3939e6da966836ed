/**
 * Applies actions to Salesforce through sObject Collections (200 records a call, allOrNone=false): every
 * update is diffed against the record as it is now, so a re-run writes nothing; one record's vendor error
 * is that action's failed result (vendor statusCode and message, values cut out), never a failed batch.
 * Consent goes to the Individual and ContactPointTypeConsent rows where the org has them, to the opt-out
 * fields where it does not; whatever Salesforce cannot hold is named in the result's detail.
 */
import { roundsByRecord } from '../batching';
import { z } from 'zod';
import type { Action, ActionResult } from '../../src/model';
import { CollectionResults, safeMessage, type SalesforceClient } from './client';
import { CUSTOM, EMAIL_OPT_OUT, MANDATORY_FIELDS, STATUS_FIELDS, SUBSCRIPTION_FIELDS, type SfObject } from './fields';
import { COLLECTIONS, KEY_PREFIX, objectOfId, QUERY } from './limits';
import {
  ANONYMISED_TEXT,
  anonymisedValue,
  parseEvidence,
  consentToSalesforce,
  EMAIL_PURPOSES,
  noteContent,
  purposeKey,
  sfDateTime,
  toIso,
  withBasis,
  type ConsentContext,
  type SfConsentRow,
  type SfIndividual,
  type SfRecord,
  type Strategy,
} from './mapping';
import { isSalesforceId, select } from './soql';
import { fetchNotes, loadConsentObjects, queryAll } from './sync';

export interface WritebackContext {
  client: SalesforceClient;
  fieldTypes: Record<SfObject, Readonly<Record<string, string>>>;
  readOnly: Record<SfObject, ReadonlySet<string>>;
  consent: ConsentContext;
  hashKey: string;
  notes: 'content' | 'legacy' | 'both';
  now?: () => Date;
}

export const REDACTED = '[redacted under GDPR policy]';
const TASK_MARKER = (id: string): string => `[gdpr-action:${id}]`;

const chunk = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

function sameValue(a: unknown, b: unknown): boolean {
  const empty = (v: unknown) => v === null || v === undefined || v === '';
  if (empty(a) && empty(b)) return true;
  if (typeof a === 'string' && typeof b === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(a) && /^\d{4}-\d{2}-\d{2}T/.test(b)) return toIso(a) === toIso(b);
  return a === b;
}

interface Write {
  action: Action;
  type: string;
  /** Record id (update) or null (create). */
  id: string | null;
  fields: Record<string, unknown>;
  note?: string;
}

type Current = { obj: SfObject; rec: SfRecord; individual: SfIndividual | null; rows: SfConsentRow[] };

export async function applyActions(ctx: WritebackContext, actions: readonly Action[]): Promise<ActionResult[]> {
  const now = (ctx.now ?? (() => new Date()))();
  const results = new Map<string, ActionResult>();
  const set = (a: Action, status: ActionResult['status'], detail?: string, vendorRef?: string): void => {
    const prev = results.get(a.id);
    if (prev && prev.status === 'failed') return;
    if (prev && prev.status === 'done' && status === 'skipped') return;
    const r: ActionResult = { actionId: a.id, status };
    if (detail !== undefined) r.detail = detail;
    else if (prev?.detail && status === 'done') r.detail = prev.detail;
    if (vendorRef !== undefined) r.vendorRef = vendorRef;
    results.set(a.id, r);
  };

  const valid: Action[] = [];
  for (const a of actions) {
    if (!isSalesforceId(a.contactId) || !objectOfId(a.contactId)) set(a, 'failed', 'not a Salesforce Contact or Lead id');
    else valid.push(a);
  }
  const current = await readCurrent(ctx, valid);

  // 1. Field writes (Contact/Lead, Individual, consent rows), diffed against now.
  const updates: Write[] = [];
  const creates: Write[] = [];
  for (const a of valid) {
    if (!['anonymise', 'clear_property', 'set_lawful_basis', 'unsubscribe', 'set_status'].includes(a.type)) continue;
    const cur = current.get(a.contactId);
    if (!cur) {
      set(a, 'skipped', 'contact does not exist (deleted)');
      continue;
    }
    let plan: { writes: Write[]; note?: string };
    try {
      plan = targetWrites(ctx, a, cur, now);
    } catch (e) {
      set(a, 'failed', (e as Error).message);
      continue;
    }
    const changed = plan.writes
      .map((w) => {
        if (w.id === null) return w;
        const base: Record<string, unknown> = w.type === 'Individual' ? (cur.individual ?? {}) : w.type === 'ContactPointTypeConsent' ? (cur.rows.find((r) => r.Id === w.id) ?? {}) : cur.rec;
        const diff: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(w.fields)) if (!sameValue(base[k], v)) diff[k] = v;
        return { ...w, fields: diff };
      })
      .filter((w) => Object.keys(w.fields).length > 0);
    if (changed.length === 0) {
      set(a, 'skipped', plan.note ? `already applied; ${plan.note}` : 'already applied');
      continue;
    }
    for (const w of changed) (w.id === null ? creates : updates).push({ ...w, ...(plan.note ? { note: plan.note } : {}) });
  }
  // A call holds each record once; later writes to the same record go to later calls.
  const rounds = roundsByRecord(updates);
  for (const round of rounds) {
    for (const batch of chunk(round, COLLECTIONS.maxRecords)) {
      const per = await collection(ctx, 'PATCH', { allOrNone: false, records: batch.map((w) => ({ attributes: { type: w.type }, id: w.id, ...w.fields })) }, batch.length);
      batch.forEach((w, i) => {
        const r = per[i]!;
        if (r.success) set(w.action, 'done', w.note, w.action.contactId);
        else set(w.action, 'failed', describe(r, Object.values(w.fields)));
      });
    }
  }
  for (const batch of chunk(creates, COLLECTIONS.maxRecords)) {
    const per = await collection(ctx, 'POST', { allOrNone: false, records: batch.map((w) => ({ attributes: { type: w.type }, ...w.fields })) }, batch.length, false);
    batch.forEach((w, i) => {
      const r = per[i]!;
      if (r.success) set(w.action, 'done', w.note, w.action.contactId);
      else set(w.action, 'failed', describe(r, Object.values(w.fields)));
    });
  }

  // 2. Notes: anonymise (delete or redact all of the contact's), redact_note, delete_note.
  const noteDeletes: { action: Action; noteId: string }[] = [];
  const noteRedacts: { action: Action; noteId: string; body: string }[] = [];
  const anonNotes = valid.filter((a): a is Extract<Action, { type: 'anonymise' }> => a.type === 'anonymise' && a.notes !== 'keep' && current.has(a.contactId));
  const notesOf = anonNotes.length > 0 ? await fetchNotes(ctx, anonNotes.map((a) => a.contactId)) : new Map();
  for (const a of valid) {
    if (a.type === 'anonymise' && a.notes !== 'keep' && current.has(a.contactId)) {
      for (const n of notesOf.get(a.contactId) ?? []) {
        if (a.notes === 'delete') noteDeletes.push({ action: a, noteId: n.id });
        else if (n.body !== REDACTED) noteRedacts.push({ action: a, noteId: n.id, body: REDACTED });
      }
    } else if (a.type === 'delete_note') noteDeletes.push({ action: a, noteId: a.noteId });
    else if (a.type === 'redact_note') noteRedacts.push({ action: a, noteId: a.noteId, body: a.redactedBody ?? REDACTED });
  }
  // Only notes that still exist are deleted, so a re-run sends nothing.
  const liveNotes = new Set<string>();
  for (const ids of chunk([...new Set(noteDeletes.map((d) => d.noteId).filter((id) => id.startsWith('069')))], QUERY.maxIdsPerQuery)) {
    for (const r of await queryAll(ctx.client, select({ fields: ['Id'], from: 'ContentNote', where: [{ field: 'Id', op: 'IN', ids }] }))) liveNotes.add(String(r.Id));
  }
  for (const ids of chunk([...new Set(noteDeletes.map((d) => d.noteId).filter((id) => id.startsWith('002')))], QUERY.maxIdsPerQuery)) {
    for (const r of await queryAll(ctx.client, select({ fields: ['Id'], from: 'Note', where: [{ field: 'Id', op: 'IN', ids }] }))) liveNotes.add(String(r.Id));
  }
  const deletable = noteDeletes.filter((d) => {
    if (liveNotes.has(d.noteId)) return true;
    set(d.action, 'skipped', 'note no longer exists');
    return false;
  });
  for (const batch of chunk(deletable, COLLECTIONS.maxRecords)) {
    const per = await deleteIds(ctx, batch.map((b) => b.noteId));
    batch.forEach((b, i) => {
      const r = per[i]!;
      if (r.success) set(b.action, 'done', undefined, b.noteId);
      else if (gone(r)) set(b.action, 'skipped', 'note no longer exists');
      else set(b.action, 'failed', describe(r));
    });
  }
  if (noteRedacts.length > 0) {
    const contentIds = noteRedacts.filter((r) => r.noteId.startsWith('069')).map((r) => r.noteId);
    const legacyIds = noteRedacts.filter((r) => r.noteId.startsWith('002')).map((r) => r.noteId);
    const now: Map<string, string> = new Map();
    for (const ids of chunk(contentIds, QUERY.maxIdsPerQuery)) for (const r of await queryAll(ctx.client, select({ fields: ['Id', 'TextPreview'], from: 'ContentNote', where: [{ field: 'Id', op: 'IN', ids }] }))) now.set(String(r.Id), String(r.TextPreview ?? ''));
    for (const ids of chunk(legacyIds, QUERY.maxIdsPerQuery)) for (const r of await queryAll(ctx.client, select({ fields: ['Id', 'Body'], from: 'Note', where: [{ field: 'Id', op: 'IN', ids }] }))) now.set(String(r.Id), String(r.Body ?? ''));
    const todo = noteRedacts.filter((r) => {
      if (!r.noteId.startsWith('069') && !r.noteId.startsWith('002')) {
        set(r.action, 'failed', 'not a ContentNote or Note id');
        return false;
      }
      const cur = now.get(r.noteId);
      if (cur === undefined) set(r.action, 'skipped', 'note no longer exists');
      // TextPreview is the note's plain text (first 255 characters).
      else if (cur.trim() === r.body.slice(0, 255).trim()) set(r.action, 'skipped', 'already applied');
      else return true;
      return false;
    });
    for (const batch of chunk(todo, COLLECTIONS.maxRecords)) {
      const records = batch.map((b) => (b.noteId.startsWith('069') ? { attributes: { type: 'ContentNote' }, id: b.noteId, Content: Buffer.from(noteContent(b.body), 'utf8').toString('base64') } : { attributes: { type: 'Note' }, id: b.noteId, Body: b.body }));
      const per = await collection(ctx, 'PATCH', { allOrNone: false, records }, batch.length);
      batch.forEach((b, i) => {
        const r = per[i]!;
        if (r.success) set(b.action, 'done', undefined, b.noteId);
        else set(b.action, 'failed', describe(r, [b.body, noteContent(b.body)]));
      });
    }
  }

  // 3. Erasure: the person's notes, consent rows and Individual (unless another record shares it), then the record.
  const deletes = valid.filter((a) => a.type === 'gdpr_delete');
  const liveDeletes = deletes.filter((a) => {
    if (current.has(a.contactId)) return true;
    set(a, 'skipped', 'contact does not exist (already deleted)');
    return false;
  });
  if (liveDeletes.length > 0) {
    const notes = await fetchNotes(ctx, liveDeletes.map((a) => a.contactId));
    const individualIds = [...new Set(liveDeletes.map((a) => current.get(a.contactId)!.rec.IndividualId).filter((v): v is string => typeof v === 'string' && v !== ''))];
    const deletingIds = new Set(liveDeletes.map((a) => a.contactId));
    const shared = new Set<string>();
    for (const obj of ['Contact', 'Lead'] as const) {
      if (ctx.fieldTypes[obj].IndividualId === undefined) continue;
      for (const ids of chunk(individualIds, QUERY.maxIdsPerQuery)) {
        for (const r of await queryAll(ctx.client, select({ fields: ['Id', 'IndividualId'], from: obj, where: [{ field: 'IndividualId', op: 'IN', ids }] }))) if (!deletingIds.has(String(r.Id))) shared.add(String(r.IndividualId));
      }
    }
    const extra: { action: Action; id: string; what: 'note' | 'consent' | 'individual' }[] = [];
    for (const a of liveDeletes) {
      const cur = current.get(a.contactId)!;
      for (const n of notes.get(a.contactId) ?? []) extra.push({ action: a, id: n.id, what: 'note' });
      const ind = typeof cur.rec.IndividualId === 'string' ? cur.rec.IndividualId : null;
      if (ind && !shared.has(ind)) {
        for (const r of cur.rows) if (r.Id) extra.push({ action: a, id: r.Id, what: 'consent' });
        extra.push({ action: a, id: ind, what: 'individual' });
      }
    }
    const counts = new Map<string, { note: number; consent: number; individual: number }>();
    // Consent rows before their Individual; notes any time.
    const ordered = [...extra.filter((e) => e.what !== 'individual'), ...extra.filter((e) => e.what === 'individual')];
    for (const batch of chunk(ordered, COLLECTIONS.maxRecords)) {
      const per = await deleteIds(ctx, batch.map((b) => b.id));
      batch.forEach((b, i) => {
        const r = per[i]!;
        if (r.success || gone(r)) {
          const c = counts.get(b.action.id) ?? { note: 0, consent: 0, individual: 0 };
          c[b.what]++;
          counts.set(b.action.id, c);
        } else set(b.action, 'failed', `${b.what} not deleted: ${describe(r)}`);
      });
    }
    for (const batch of chunk(liveDeletes, COLLECTIONS.maxRecords)) {
      const per = await deleteIds(ctx, batch.map((a) => a.contactId));
      batch.forEach((a, i) => {
        const r = per[i]!;
        const c = counts.get(a.id) ?? { note: 0, consent: 0, individual: 0 };
        const what = `${c.note} note(s), ${c.consent} consent row(s) and ${c.individual ? 'the Individual' : 'no Individual'} deleted; Salesforce keeps the record in the Recycle Bin for 15 days`;
        if (r.success) set(a, 'done', `deleted; ${what}`, a.contactId);
        else if (gone(r)) set(a, 'skipped', 'contact already deleted');
        else set(a, 'failed', describe(r));
      });
    }
  }

  // 4. Tasks for the record owner, once per action (a marker in the description lets re-runs find them).
  const tasks = valid.filter((a): a is Extract<Action, { type: 'create_task' }> => a.type === 'create_task');
  const toCreate: Extract<Action, { type: 'create_task' }>[] = [];
  const existing = new Map<string, string>();
  for (const ids of chunk([...new Set(tasks.map((t) => t.contactId))], QUERY.maxIdsPerQuery)) {
    for (const r of await queryAll(ctx.client, select({ fields: ['Id', 'WhoId', 'Description'], from: 'Task', where: [{ field: 'WhoId', op: 'IN', ids }] }))) {
      const m = /\[gdpr-action:([^\]]+)\]/.exec(String(r.Description ?? ''));
      if (m) existing.set(m[1]!, String(r.Id));
    }
  }
  for (const t of tasks) {
    const cur = current.get(t.contactId);
    if (!cur) set(t, 'skipped', 'contact does not exist (deleted)');
    else if (existing.has(t.id)) set(t, 'skipped', 'task already exists', existing.get(t.id));
    else toCreate.push(t);
  }
  for (const batch of chunk(toCreate, COLLECTIONS.maxRecords)) {
    const records = batch.map((t) => {
      const owner = t.ownerId ?? (typeof current.get(t.contactId)!.rec.OwnerId === 'string' ? (current.get(t.contactId)!.rec.OwnerId as string) : null);
      return {
        attributes: { type: 'Task' },
        Subject: t.subject.slice(0, 255),
        Description: `${t.body}\n\n${TASK_MARKER(t.id)}`,
        WhoId: t.contactId,
        ...(owner ? { OwnerId: owner } : {}),
        ActivityDate: t.dueAt.slice(0, 10),
        Status: TASK_STATUS.open,
        Priority: 'High',
      };
    });
    // Not idempotent: the client resends it only after a rejection before processing (429/503/limit).
    const per = await collection(ctx, 'POST', { allOrNone: false, records }, batch.length, false);
    batch.forEach((t, i) => {
      const r = per[i]!;
      if (r.success) set(t, 'done', undefined, r.id ?? undefined);
      else set(t, 'failed', describe(r, [t.subject, t.body]));
    });
  }

  // 5. Close our tasks whose cause went away: Status Completed, the comment appended to the Description,
  //    through sObject Collections like every other write. A task already closed or deleted is nothing to do.
  const closes = valid.filter((a): a is Extract<Action, { type: 'close_task' }> => a.type === 'close_task');
  const taskNow = new Map<string, Record<string, unknown>>();
  const taskIds = [...new Set(closes.map((a) => a.taskId))];
  for (const a of closes) if (!isSalesforceId(a.taskId) || !a.taskId.startsWith(KEY_PREFIX.Task)) set(a, 'failed', 'not a Salesforce Task id');
  for (const ids of chunk(taskIds.filter((id) => isSalesforceId(id) && id.startsWith(KEY_PREFIX.Task)), QUERY.maxIdsPerQuery)) {
    for (const r of await queryAll(ctx.client, select({ fields: ['Id', 'Status', 'IsClosed', 'Description'], from: 'Task', where: [{ field: 'Id', op: 'IN', ids }] }))) taskNow.set(String(r.Id), r);
  }
  const toClose = new Map<string, { description: string; actions: Extract<Action, { type: 'close_task' }>[] }>();
  for (const a of closes) {
    if (results.get(a.id)?.status === 'failed') continue;
    const t = taskNow.get(a.taskId);
    if (!t) set(a, 'skipped', 'task no longer exists');
    else if (t.IsClosed === true || t.Status === TASK_STATUS.completed) set(a, 'skipped', 'task already closed');
    else {
      const prev = toClose.get(a.taskId);
      const before = prev?.description ?? (typeof t.Description === 'string' ? t.Description : '');
      toClose.set(a.taskId, { description: before.trim() === '' ? a.comment : `${before}\n\n${a.comment}`, actions: [...(prev?.actions ?? []), a] });
    }
  }
  for (const batch of chunk([...toClose], COLLECTIONS.maxRecords)) {
    const per = await collection(ctx, 'PATCH', { allOrNone: false, records: batch.map(([id, c]) => ({ attributes: { type: 'Task' }, id, Status: TASK_STATUS.completed, Description: c.description })) }, batch.length);
    batch.forEach(([id, c], i) => {
      const r = per[i]!;
      for (const a of c.actions) {
        if (r.success) set(a, 'done', undefined, id);
        else if (gone(r)) set(a, 'skipped', 'task no longer exists');
        else set(a, 'failed', describe(r, [c.description]));
      }
    });
  }

  return actions.map((a) => results.get(a.id) ?? { actionId: a.id, status: 'skipped', detail: 'nothing to do' });
}

/** Task Status values we write (reference salesforce.md §4; org-configurable picklist, these are the standard ones). */
export const TASK_STATUS = { open: 'Not Started', completed: 'Completed' } as const;

type PerRecord = CollectionResults[number];

const gone = (r: PerRecord): boolean => r.errors.some((e) => e.statusCode === 'ENTITY_IS_DELETED' || e.statusCode === 'INVALID_CROSS_REFERENCE_KEY' || e.statusCode === 'NOT_FOUND');

function describe(r: PerRecord, sent: readonly unknown[] = []): string {
  const e = r.errors[0];
  if (!e) return 'failed without an error from Salesforce';
  const fields = e.fields && e.fields.length > 0 ? ` (fields ${e.fields.join(', ')})` : '';
  return `${e.statusCode}: ${safeMessage(e.message, sent)}${fields}`;
}

/** One collections call; a whole-call failure becomes the same failed result for every record. */
async function collection(ctx: WritebackContext, method: 'PATCH' | 'POST', body: { allOrNone: boolean; records: unknown[] }, n: number, idempotent = true): Promise<PerRecord[]> {
  try {
    const r = await ctx.client.call({ method, path: '/composite/sobjects', body, idempotent });
    const p = CollectionResults.safeParse(r.body);
    if (p.success && p.data.length === n) return p.data;
    return Array.from({ length: n }, () => ({ success: false, errors: [{ statusCode: 'UNEXPECTED_RESPONSE', message: 'collections response did not match the request' }] }));
  } catch (e) {
    const err = e as { errorCode?: string; message?: string };
    return Array.from({ length: n }, () => ({ success: false, errors: [{ statusCode: err.errorCode ?? 'REQUEST_FAILED', message: safeMessage(String(err.message ?? 'request failed')) }] }));
  }
}

async function deleteIds(ctx: WritebackContext, ids: readonly string[]): Promise<PerRecord[]> {
  try {
    const r = await ctx.client.call({ method: 'DELETE', path: `/composite/sobjects?ids=${ids.map(encodeURIComponent).join(',')}&allOrNone=false`, idempotent: true });
    const p = CollectionResults.safeParse(r.body);
    if (p.success && p.data.length === ids.length) return p.data;
    return ids.map(() => ({ success: false, errors: [{ statusCode: 'UNEXPECTED_RESPONSE', message: 'collections response did not match the request' }] }));
  } catch (e) {
    const err = e as { errorCode?: string; message?: string };
    return ids.map(() => ({ success: false, errors: [{ statusCode: err.errorCode ?? 'REQUEST_FAILED', message: safeMessage(String(err.message ?? 'request failed')) }] }));
  }
}

/** The records (and Individuals/consent rows) the actions touch, as they are now. */
async function readCurrent(ctx: WritebackContext, actions: readonly Action[]): Promise<Map<string, Current>> {
  const out = new Map<string, Current>();
  for (const obj of ['Contact', 'Lead'] as const) {
    const mine = actions.filter((a) => objectOfId(a.contactId) === obj);
    if (mine.length === 0) continue;
    const types = ctx.fieldTypes[obj];
    const fields = new Set<string>(['Id', 'OwnerId', 'IndividualId', CUSTOM.consentEvidence, EMAIL_OPT_OUT, CUSTOM.newsletter, 'SystemModstamp']);
    for (const a of mine) {
      if (a.type === 'anonymise') Object.keys(a.properties).forEach((p) => fields.add(p));
      if (a.type === 'clear_property') fields.add(a.property);
      if (a.type === 'set_status') Object.keys(a.values).forEach((k) => fields.add(STATUS_FIELDS[k] ?? k));
      if (a.type === 'unsubscribe') fields.add(a.subscriptionId);
    }
    const known = [...fields].filter((f) => types[f] !== undefined && types[f] !== 'base64');
    const recs: SfRecord[] = [];
    for (const ids of chunk([...new Set(mine.map((a) => a.contactId))], QUERY.maxIdsPerQuery)) {
      recs.push(...((await queryAll(ctx.client, select({ fields: known, from: obj, where: [{ field: 'Id', op: 'IN', ids }] }))) as SfRecord[]));
    }
    const consent = await loadConsentObjects(ctx, recs.map((r) => r.IndividualId).filter((v): v is string => typeof v === 'string' && v !== ''));
    for (const r of recs) {
      const ind = typeof r.IndividualId === 'string' ? r.IndividualId : null;
      out.set(r.Id, { obj, rec: r, individual: ind ? (consent.individuals.get(ind) ?? null) : null, rows: ind ? (consent.rows.get(ind) ?? []) : [] });
    }
  }
  return out;
}

function targetWrites(ctx: WritebackContext, a: Action, cur: Current, now: Date): { writes: Write[]; note?: string } {
  const types = ctx.fieldTypes[cur.obj];
  const rec = (fields: Record<string, unknown>): Write => ({ action: a, type: cur.obj, id: cur.rec.Id, fields });
  switch (a.type) {
    case 'clear_property': {
      if (types[a.property] === undefined) throw new Error(`unknown ${cur.obj} field ${a.property}`);
      if (ctx.readOnly[cur.obj].has(a.property)) throw new Error(`${cur.obj} field ${a.property} is read-only`);
      // Sent as null even for required fields: Salesforce's own validation error is then the result.
      return { writes: [rec({ [a.property]: types[a.property] === 'boolean' ? false : null })] };
    }
    case 'anonymise': {
      const fields: Record<string, unknown> = {};
      for (const [field, strategy] of Object.entries(a.properties)) {
        const t = types[field];
        if (t === undefined || ctx.readOnly[cur.obj].has(field) || t === 'reference' || t === 'id') continue;
        fields[field] = anonymisedValue(strategy as Strategy, t, cur.rec.Id, cur.rec[field], MANDATORY_FIELDS[cur.obj].has(field), ctx.hashKey);
      }
      const writes = [rec(fields)];
      // The Individual holds the person's name and birth date too.
      if (cur.individual) writes.push({ action: a, type: 'Individual', id: cur.individual.Id, fields: { FirstName: null, LastName: ANONYMISED_TEXT, BirthDate: null } });
      return { writes };
    }
    case 'set_status': {
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(a.values)) {
        const f = STATUS_FIELDS[k] ?? k;
        if (types[f] === undefined) throw new Error(`status field ${f} is missing on ${cur.obj} (run ensureStatusProperties)`);
        fields[f] = types[f] === 'datetime' && Number.isFinite(Date.parse(v)) ? sfDateTime(v) : v;
      }
      return { writes: [rec(fields)] };
    }
    case 'unsubscribe': {
      const writes: Write[] = [];
      if (a.subscriptionId === EMAIL_OPT_OUT) writes.push(rec({ HasOptedOutOfEmail: true }));
      else if (SUBSCRIPTION_FIELDS.some((s) => s.field === a.subscriptionId)) {
        if (types[a.subscriptionId] === undefined) throw new Error(`subscription field ${a.subscriptionId} is missing on ${cur.obj}`);
        writes.push(rec({ [a.subscriptionId]: false }));
      } else throw new Error(`unknown Salesforce subscription ${a.subscriptionId}`);
      let note: string | undefined;
      const purpose = purposeKey(a.purpose);
      if (ctx.consent.hasConsentObjects && cur.individual) {
        // Withdraw the purpose's consent row (if one says OptIn) and set the Individual's matching flag.
        const purposeId = ctx.consent.purposes.find((p) => purposeKey(p.Name) === purpose)?.Id;
        for (const r of cur.rows.filter((x) => x.DataUsePurposeId === purposeId && x.PrivacyConsentStatus === 'OptIn' && x.Id)) {
          writes.push({ action: a, type: 'ContactPointTypeConsent', id: r.Id!, fields: { PrivacyConsentStatus: 'OptOut', EffectiveTo: sfDateTime(now.toISOString()) } });
        }
        if (EMAIL_PURPOSES.includes(purpose)) writes.push({ action: a, type: 'Individual', id: cur.individual.Id, fields: { HasOptedOutSolicit: true } });
        if (purpose === 'profiling') writes.push({ action: a, type: 'Individual', id: cur.individual.Id, fields: { HasOptedOutProfiling: true } });
        if (!purposeId) note = `the org has no DataUsePurpose for ${purpose}: only the opt-out is recorded`;
      }
      return note ? { writes, note } : { writes };
    }
    case 'set_lawful_basis': {
      // Rewrite only our own JSON from what it held (not from native rows merged in): a re-run is then a no-op
      // even when another action in the same batch changed the consent rows.
      const held = parseEvidence(cur.rec[CUSTOM.consentEvidence]);
      const heldBases = (held?.bases ?? []).map((b) => ({ purpose: b.purpose, basis: b.basis, recordedAt: b.recordedAt }));
      const bases = withBasis(heldBases, a.purpose, a.basis, now.toISOString());
      const w = consentToSalesforce(bases, held?.consents ?? [], ctx.consent, now);
      const fields: Record<string, unknown> = {};
      if (types[CUSTOM.consentEvidence] !== undefined) fields[CUSTOM.consentEvidence] = w.fields[CUSTOM.consentEvidence];
      const missing = types[CUSTOM.consentEvidence] === undefined;
      if (missing) throw new Error(`Salesforce cannot hold a per-person lawful basis and ${CUSTOM.consentEvidence} is missing on ${cur.obj}: not recorded`);
      const own = w.cannotExpress.filter((c) => c === `lawfulBasis:${a.purpose}`);
      const note = own.length > 0 ? `Salesforce cannot express ${own.join(', ')} (kept in ${CUSTOM.consentEvidence})` : undefined;
      return note ? { writes: [rec(fields)], note } : { writes: [rec(fields)] };
    }
    default:
      return { writes: [] };
  }
}

export const _test = { sameValue, describe };
export const TaskRow = z.object({ Id: z.string(), Description: z.string().nullable().optional() }).loose();
