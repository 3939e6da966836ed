/**
 * Applies actions to Zoho in vendor-sized batches (100 records a call). Every update is diffed against
 * the record as it is now, so a re-run writes nothing; one record's vendor error becomes that action's
 * failed result (vendor code and message, no personal values), never a failed batch.
 */
import { roundsByRecord } from '../batching';
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Action, ActionResult } from '../../src/model';
import type { ZohoClient } from './client';
import { ZohoApiError, errorCode } from './client';
import { CUSTOM, MANDATORY_FIELDS, MODULE, STATUS_FIELDS, SUBSCRIPTION_FIELDS } from './fields';
import { RECORDS } from './limits';
import { anonymisedValue, consentFromZoho, consentToZoho, noteContent, noteText, withBasis, type ConsentMappingOptions, type Strategy, type ZohoRecord } from './mapping';
import { fetchNotes, ListResponse, zohoDateTime } from './sync';

export interface WritebackContext {
  client: ZohoClient;
  fieldTypes: Readonly<Record<string, string>>;
  readOnly: ReadonlySet<string>;
  consent: ConsentMappingOptions;
  hashKey: string;
  now?: () => Date;
}

const RecordResult = z.object({ code: z.string(), status: z.string(), message: z.string().optional(), details: z.unknown().optional() }).loose();
const WriteResponse = z.object({ data: z.array(RecordResult) });
type RecordResult = z.infer<typeof RecordResult>;

const TASK_MARKER = (id: string): string => `[gdpr-action:${id}]`;

const chunk = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/** Vendor code and message for a result, with any value we sent (or any e-mail) cut out. */
export function describeFailure(r: RecordResult, sent: readonly unknown[] = []): string {
  const d = (r.details ?? {}) as Record<string, unknown>;
  const field = typeof d.api_name === 'string' ? ` (field ${d.api_name})` : '';
  const type = typeof d.expected_data_type === 'string' ? ` expected ${d.expected_data_type}` : '';
  let text = `${r.code}: ${r.message ?? ''}${field}${type}`;
  for (const v of sent) {
    if (typeof v === 'string' && v.length >= 3) text = text.split(v).join('[value]');
  }
  return text.replace(/[^\s@]+@[^\s@]+\.[^\s@]+/g, '[email]');
}

function sameValue(a: unknown, b: unknown): boolean {
  if ((a === null || a === undefined || a === '') && (b === null || b === undefined || b === '')) return true;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    // Compare only the keys we would write (Zoho adds id / Modified_Time to consent details).
    return Object.entries(b as Record<string, unknown>).every(([k, v]) => sameValue((a as Record<string, unknown>)[k], v));
  }
  if (typeof a === 'string' && typeof b === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(a) && /^\d{4}-\d{2}-\d{2}T/.test(b)) return Date.parse(a) === Date.parse(b);
  return a === b;
}

interface Update {
  action: Action;
  id: string;
  fields: Record<string, unknown>;
  note?: string;
}

export async function applyActions(ctx: WritebackContext, actions: readonly Action[]): Promise<ActionResult[]> {
  const results = new Map<string, ActionResult>();
  const set = (a: Action, status: ActionResult['status'], detail?: string, vendorRef?: string): void => {
    const prev = results.get(a.id);
    // An action with several parts fails if any part fails.
    if (prev && prev.status === 'failed') return;
    if (prev && prev.status === 'done' && status === 'skipped') return;
    const r: ActionResult = { actionId: a.id, status };
    if (detail !== undefined) r.detail = detail;
    if (vendorRef !== undefined) r.vendorRef = vendorRef;
    results.set(a.id, r);
  };

  const fieldActions = actions.filter((a) => ['anonymise', 'clear_property', 'set_lawful_basis', 'unsubscribe', 'set_status'].includes(a.type));
  const current = await readCurrent(ctx, fieldActions);

  // 1. Field updates, diffed against the record now.
  const updates: Update[] = [];
  for (const a of fieldActions) {
    const rec = current.get(a.contactId);
    if (!rec) {
      set(a, 'skipped', 'contact does not exist (deleted)');
      continue;
    }
    let target: Record<string, unknown>;
    let note: string | undefined;
    try {
      ({ target, note } = targetFields(ctx, a, rec));
    } catch (e) {
      set(a, 'failed', (e as Error).message);
      continue;
    }
    const changed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(target)) if (!sameValue(rec[k], v)) changed[k] = v;
    if (Object.keys(changed).length === 0) {
      if (a.type !== 'anonymise') set(a, 'skipped', note ? `already applied; ${note}` : 'already applied');
      else set(a, 'skipped', 'already applied');
      continue;
    }
    updates.push({ action: a, id: a.contactId, fields: changed, ...(note ? { note } : {}) });
  }
  // A batch holds each record once; later updates of the same record go to later batches.
  const rounds = roundsByRecord(updates);
  for (const round of rounds) {
    for (const batch of chunk(round, RECORDS.writeBatch)) {
      const res = await ctx.client.request({ method: 'PUT', path: `/crm/v8/${MODULE}`, data: { data: batch.map((u) => ({ id: u.id, ...u.fields })), trigger: [] }, idempotent: true });
      const per = perRecord(res.status, res.data, batch.length);
      batch.forEach((u, i) => {
        const r = per[i] as RecordResult;
        if (r.status === 'success') set(u.action, 'done', u.note, u.id);
        else set(u.action, 'failed', describeFailure(r, Object.values(u.fields)));
      });
    }
  }

  // 2. Notes: anonymise (delete or redact all), redact_note, delete_note.
  const noteDeletes: { action: Action; noteId: string }[] = [];
  const noteRedacts: { action: Action; noteId: string; body: string }[] = [];
  for (const a of actions) {
    if (a.type === 'anonymise' && a.notes !== 'keep') {
      if (!current.has(a.contactId)) continue;
      const notes = await fetchNotes(ctx.client, a.contactId);
      for (const n of notes) {
        if (a.notes === 'delete') noteDeletes.push({ action: a, noteId: n.id });
        else noteRedacts.push({ action: a, noteId: n.id, body: REDACTED });
      }
      if (notes.length === 0 && !results.has(a.id)) set(a, 'skipped', 'already applied');
    } else if (a.type === 'delete_note') noteDeletes.push({ action: a, noteId: a.noteId });
    else if (a.type === 'redact_note') noteRedacts.push({ action: a, noteId: a.noteId, body: a.redactedBody ?? REDACTED });
  }
  for (const batch of chunk(noteDeletes, RECORDS.deleteBatch)) {
    const res = await ctx.client.request({ method: 'DELETE', path: '/crm/v8/Notes', params: { ids: batch.map((b) => b.noteId).join(',') } });
    const per = perRecord(res.status, res.data, batch.length);
    batch.forEach((b, i) => {
      const r = per[i] as RecordResult;
      if (r.status === 'success') set(b.action, 'done', undefined, b.noteId);
      else if (r.code === 'INVALID_DATA') set(b.action, 'skipped', 'note no longer exists');
      else set(b.action, 'failed', describeFailure(r));
    });
  }
  if (noteRedacts.length > 0) {
    const todo: typeof noteRedacts = [];
    for (const r of noteRedacts) {
      const res = await ctx.client.request({ method: 'GET', path: `/crm/v8/Notes/${r.noteId}` });
      if (res.status === 204) {
        set(r.action, 'skipped', 'note no longer exists');
        continue;
      }
      const content = (res.data as { data?: { Note_Content?: unknown }[] })?.data?.[0]?.Note_Content;
      // Compared as the connector reads notes (HTML stripped), so an escaped redaction counts as applied.
      if (typeof content === 'string' && noteText(content) === noteText(noteContent(r.body))) set(r.action, 'skipped', 'already applied');
      else todo.push(r);
    }
    for (const batch of chunk(todo, RECORDS.writeBatch)) {
      const res = await ctx.client.request({ method: 'PUT', path: '/crm/v8/Notes', data: { data: batch.map((b) => ({ id: b.noteId, Note_Content: noteContent(b.body) })) } });
      const per = perRecord(res.status, res.data, batch.length);
      batch.forEach((b, i) => {
        const r = per[i] as RecordResult;
        if (r.status === 'success') set(b.action, 'done', undefined, b.noteId);
        else set(b.action, 'failed', describeFailure(r, [b.body, noteContent(b.body)]));
      });
    }
  }

  // 3. Erasure: delete, then purge from the recycle bin (Zoho keeps deleted records there otherwise).
  const deletes = actions.filter((a) => a.type === 'gdpr_delete');
  for (const batch of chunk(deletes, RECORDS.deleteBatch)) {
    const res = await ctx.client.request({ method: 'DELETE', path: `/crm/v8/${MODULE}`, params: { ids: batch.map((a) => a.contactId).join(','), wf_trigger: 'false' } });
    const per = perRecord(res.status, res.data, batch.length);
    const purge: Action[] = [];
    batch.forEach((a, i) => {
      const r = per[i] as RecordResult;
      if (r.status === 'success' || r.code === 'INVALID_DATA') purge.push(a);
      else set(a, 'failed', describeFailure(r));
      if (r.code === 'INVALID_DATA') set(a, 'skipped', 'contact already deleted');
    });
    if (purge.length > 0) {
      const pr = await ctx.client.request({ method: 'DELETE', path: '/crm/v8/settings/recycle_bin', params: { ids: purge.map((a) => a.contactId).join(',') } });
      const pper = perRecord(pr.status, pr.data, purge.length);
      purge.forEach((a, i) => {
        const r = pper[i] as RecordResult;
        if (r.status === 'success') set(a, 'done', 'deleted and purged from the recycle bin', a.contactId);
        else if (r.code !== 'INVALID_DATA') set(a, 'failed', `deleted but not purged from the recycle bin: ${describeFailure(r)}`);
        else if (!results.has(a.id)) set(a, 'done', 'deleted (not in the recycle bin)', a.contactId);
      });
    }
  }

  // 4. Tasks for the record owner, once per action (a marker in the description makes re-runs find them).
  const tasks = actions.filter((a): a is Extract<Action, { type: 'create_task' }> => a.type === 'create_task');
  const toCreate: Extract<Action, { type: 'create_task' }>[] = [];
  for (const t of tasks) {
    const res = await ctx.client.request({ method: 'GET', path: `/crm/v8/${MODULE}/${t.contactId}/Tasks`, params: { fields: 'Subject,Description', per_page: RECORDS.perPage } });
    if (res.status === 400 && errorCode(res.data) === 'INVALID_DATA') {
      set(t, 'skipped', 'contact does not exist (deleted)');
      continue;
    }
    const existing = res.status === 200 ? ListResponse.parse(res.data).data : [];
    const found = existing.find((x) => typeof x.Description === 'string' && x.Description.includes(TASK_MARKER(t.id)));
    if (found) set(t, 'skipped', 'task already exists', found.id);
    else toCreate.push(t);
  }
  for (const batch of chunk(toCreate, RECORDS.writeBatch)) {
    const body = batch.map((t) => ({
      Subject: t.subject,
      Description: `${t.body}\n\n${TASK_MARKER(t.id)}`,
      Due_Date: t.dueAt.slice(0, 10),
      Status: TASK_STATUS.open,
      Priority: 'High',
      Who_Id: { id: t.contactId },
      ...(t.ownerId ? { Owner: { id: t.ownerId } } : {}),
      Send_Notification_Email: false,
    }));
    // Not idempotent: the client resends it only after a 429 (rejected before processing).
    const res = await ctx.client.request({ method: 'POST', path: '/crm/v8/Tasks', data: { data: body, trigger: [] }, idempotent: false });
    const per = perRecord(res.status, res.data, batch.length);
    batch.forEach((t, i) => {
      const r = per[i] as RecordResult;
      const id = (r.details as { id?: string } | undefined)?.id;
      if (r.status === 'success') set(t, 'done', undefined, id);
      else set(t, 'failed', describeFailure(r, [t.subject, t.body]));
    });
  }

  // 5. Close our tasks whose cause went away: Status Completed, the comment appended to the Description.
  //    A task already completed or deleted (by a user, or by an earlier run) is nothing to do.
  const closes = actions.filter((a): a is Extract<Action, { type: 'close_task' }> => a.type === 'close_task');
  const taskNow = new Map<string, ZohoRecord>();
  for (const ids of chunk([...new Set(closes.map((a) => a.taskId))], RECORDS.writeBatch)) {
    const res = await ctx.client.request({ method: 'GET', path: '/crm/v8/Tasks', params: { ids: ids.join(','), fields: 'Status,Description', per_page: RECORDS.perPage } });
    if (res.status === 204) continue;
    if (res.status !== 200) throw new ZohoApiError(res.status, errorCode(res.data) ?? 'UNEXPECTED_STATUS', 'reading tasks before closing them failed');
    for (const r of ListResponse.parse(res.data).data as ZohoRecord[]) taskNow.set(r.id, r);
  }
  const toClose = new Map<string, { description: string; actions: Extract<Action, { type: 'close_task' }>[] }>();
  for (const a of closes) {
    const t = taskNow.get(a.taskId);
    if (!t) set(a, 'skipped', 'task no longer exists');
    else if (t.Status === TASK_STATUS.completed) set(a, 'skipped', 'task already closed');
    else {
      const prev = toClose.get(a.taskId);
      const before = prev?.description ?? (typeof t.Description === 'string' ? t.Description : '');
      toClose.set(a.taskId, { description: before.trim() === '' ? a.comment : `${before}\n\n${a.comment}`, actions: [...(prev?.actions ?? []), a] });
    }
  }
  for (const batch of chunk([...toClose], RECORDS.writeBatch)) {
    const res = await ctx.client.request({ method: 'PUT', path: '/crm/v8/Tasks', data: { data: batch.map(([id, c]) => ({ id, Status: TASK_STATUS.completed, Description: c.description })), trigger: [] }, idempotent: true });
    const per = perRecord(res.status, res.data, batch.length);
    batch.forEach(([id, c], i) => {
      const r = per[i] as RecordResult;
      for (const a of c.actions) {
        if (r.status === 'success') set(a, 'done', undefined, id);
        else if (r.code === 'INVALID_DATA' && (r.details as { api_name?: unknown } | undefined)?.api_name === 'id') set(a, 'skipped', 'task no longer exists');
        else set(a, 'failed', describeFailure(r, [c.description]));
      }
    });
  }

  return actions.map((a) => results.get(a.id) ?? { actionId: a.id, status: 'skipped', detail: 'nothing to do' });
}

/** Task Status values we write (reference zoho.md §4; org-configurable picklist, these are the defaults). */
export const TASK_STATUS = { open: 'Not Started', completed: 'Completed' } as const;

export const REDACTED = '[redacted under GDPR policy]';

/** Per-record results of a write call; a whole-call error becomes the same failure for every record. */
function perRecord(status: number, data: unknown, n: number): RecordResult[] {
  const parsed = WriteResponse.safeParse(data);
  if (parsed.success && parsed.data.data.length === n) return parsed.data.data;
  const code = errorCode(data) ?? `HTTP_${status}`;
  const message = (data as { message?: unknown } | null)?.message;
  return Array.from({ length: n }, () => ({ code, status: 'error', message: typeof message === 'string' ? message : 'request failed' }));
}

/** Current values of the fields the actions touch, 100 records a call. */
async function readCurrent(ctx: WritebackContext, actions: readonly Action[]): Promise<Map<string, ZohoRecord>> {
  const out = new Map<string, ZohoRecord>();
  const ids = [...new Set(actions.map((a) => a.contactId))];
  if (ids.length === 0) return out;
  const fields = new Set<string>(['Modified_Time', 'Data_Processing_Basis', 'Data_Processing_Basis_Details', CUSTOM.consentEvidence, 'Email_Opt_Out']);
  for (const a of actions) {
    if (a.type === 'anonymise') Object.keys(a.properties).forEach((p) => fields.add(p));
    if (a.type === 'clear_property') fields.add(a.property);
    if (a.type === 'set_status') Object.keys(a.values).forEach((k) => fields.add(STATUS_FIELDS[k] ?? k));
    if (a.type === 'unsubscribe') fields.add(a.subscriptionId);
  }
  const known = [...fields].filter((f) => ctx.fieldTypes[f] !== undefined);
  for (const idChunk of chunk(ids, 100)) {
    const merged = new Map<string, ZohoRecord>();
    for (const fs of chunk(known, RECORDS.maxFields)) {
      const res = await ctx.client.request({ method: 'GET', path: `/crm/v8/${MODULE}`, params: { ids: idChunk.join(','), fields: fs.join(','), per_page: RECORDS.perPage } });
      if (res.status === 204) continue;
      if (res.status !== 200) throw new ZohoApiError(res.status, errorCode(res.data) ?? 'UNEXPECTED_STATUS', 'reading contacts before apply failed');
      for (const r of ListResponse.parse(res.data).data as ZohoRecord[]) merged.set(r.id, { ...(merged.get(r.id) ?? {}), ...r });
    }
    for (const [k, v] of merged) out.set(k, v);
  }
  return out;
}

function targetFields(ctx: WritebackContext, a: Action, rec: ZohoRecord): { target: Record<string, unknown>; note?: string } {
  const now = (ctx.now ?? (() => new Date()))();
  switch (a.type) {
    case 'clear_property':
      // Sent as null even for mandatory fields: Zoho's own validation error is the result.
      return { target: { [a.property]: ctx.fieldTypes[a.property] === 'boolean' ? false : null } };
    case 'anonymise': {
      const target: Record<string, unknown> = {};
      const hash = (v: string): string => createHmac('sha256', ctx.hashKey).update(v).digest('hex');
      for (const [field, strategy] of Object.entries(a.properties)) {
        const t = ctx.fieldTypes[field];
        if (t === undefined || ctx.readOnly.has(field) || t === 'ownerlookup' || t === 'consent_lookup') continue;
        target[field] = t === 'lookup' ? null : anonymisedValue(strategy as Strategy, field, t, rec.id, rec[field], MANDATORY_FIELDS.has(field), hash);
      }
      return { target };
    }
    case 'set_status': {
      const target: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(a.values)) {
        const f = STATUS_FIELDS[k] ?? k;
        target[f] = ctx.fieldTypes[f] === 'datetime' && Number.isFinite(Date.parse(v)) ? zohoDateTime(v) : v;
      }
      return { target };
    }
    case 'unsubscribe': {
      if (a.subscriptionId === 'Email_Opt_Out') return { target: { Email_Opt_Out: true } };
      if (!SUBSCRIPTION_FIELDS.some((s) => s.field === a.subscriptionId)) throw new Error(`unknown Zoho subscription field ${a.subscriptionId}`);
      return { target: { [a.subscriptionId]: false } };
    }
    case 'set_lawful_basis': {
      const read = consentFromZoho(rec, ctx.consent);
      const bases = withBasis(read.lawfulBasis, a.purpose, a.basis, now.toISOString());
      const w = consentToZoho(bases, read.consents, ctx.consent);
      const target: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(w.fields)) if (ctx.fieldTypes[k] !== undefined) target[k] = v;
      const lost = ctx.fieldTypes[CUSTOM.consentEvidence] === undefined;
      const note = w.cannotExpress.length === 0 ? undefined : `Zoho cannot express ${w.cannotExpress.join(', ')}${lost ? ' (and GDPR_Consent_Evidence is missing: not recorded)' : ' (kept in GDPR_Consent_Evidence)'}`;
      return note ? { target, note } : { target };
    }
    default:
      return { target: {} };
  }
}
