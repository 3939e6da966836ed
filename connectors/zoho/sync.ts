/**
 * Streaming contacts out of Zoho: the records API sorted by Modified_Time ascending (with
 * If-Modified-Since for incremental runs, `>=` and de-duplication by id), and Bulk Read for full scans
 * of large orgs. A checkpoint after every page lets a crashed scan resume.
 */
import { z } from 'zod';
import type { Contact, Note } from '../../src/model';
import type { ContactPage, StreamOptions } from '../types';
import { ZohoApiError, errorCode, type ZohoClient } from './client';
import { createBulkJob, downloadBulkRows, waitForBulkJob } from './bulk';
import { CORE_FIELDS, CUSTOM, MODULE, SUBSCRIPTION_FIELDS } from './fields';
import { RECORDS } from './limits';
import { contactFromZoho, noteText, type ContactMappingContext, type ZohoRecord } from './mapping';

export const ListResponse = z.object({
  data: z.array(z.object({ id: z.string() }).loose()),
  info: z
    .object({
      per_page: z.number().optional(),
      count: z.number().optional(),
      page: z.number().optional(),
      more_records: z.boolean(),
      next_page_token: z.string().nullable().optional(),
    })
    .loose(),
});

const Checkpoint = z.discriminatedUnion('m', [
  z.object({ m: z.literal('r'), t: z.string().nullable(), ids: z.array(z.string()), pt: z.string().nullable() }),
  z.object({ m: z.literal('b'), page: z.number().int().positive(), pt: z.string().nullable(), skip: z.number().int().nonnegative(), t: z.string().nullable() }),
]);
type Checkpoint = z.infer<typeof Checkpoint>;

export interface SyncContext {
  client: ZohoClient;
  mapping: ContactMappingContext;
  /** Field api_name -> data_type of the org's Contacts layout. */
  fieldTypes: Readonly<Record<string, string>>;
}

/** Zoho's datetime form (second precision, offset), as If-Modified-Since and criteria expect. */
export function zohoDateTime(d: Date | string): string {
  const ms = typeof d === 'string' ? Date.parse(d) : d.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19) + '+00:00';
}

/** The fields a scan asks for: what the mapping needs plus what the caller asked, known to the org. */
export function fieldsToFetch(requested: readonly string[], fieldTypes: Readonly<Record<string, string>>): string[] {
  const want = [...CORE_FIELDS, CUSTOM.lifecycle, CUSTOM.relationshipEndedAt, CUSTOM.consentEvidence, ...SUBSCRIPTION_FIELDS.map((s) => s.field), ...requested];
  const out: string[] = [];
  for (const f of want) if (f !== 'id' && fieldTypes[f] !== undefined && !out.includes(f)) out.push(f);
  return out;
}

const chunk = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

export async function* streamContacts(ctx: SyncContext, opts: StreamOptions): AsyncGenerator<ContactPage> {
  let cp: Checkpoint | null = null;
  if (opts.checkpoint) {
    const parsed = Checkpoint.safeParse(JSON.parse(opts.checkpoint));
    if (!parsed.success) throw new Error('Zoho checkpoint is not valid');
    cp = parsed.data;
  }
  const fields = fieldsToFetch(opts.properties, ctx.fieldTypes);
  if ((cp?.m ?? (opts.bulk ? 'b' : 'r')) === 'b') yield* streamBulk(ctx, opts, fields, cp?.m === 'b' ? cp : null);
  else yield* streamRecords(ctx, opts, fields, cp?.m === 'r' ? cp : null);
}

async function* streamRecords(ctx: SyncContext, opts: StreamOptions, fields: string[], cp: Extract<Checkpoint, { m: 'r' }> | null): AsyncGenerator<ContactPage> {
  const [first, ...extra] = chunk(fields, RECORDS.maxFields);
  let since: string | null = cp?.t ?? (opts.since ? opts.since.toISOString() : null);
  let lastT = since;
  let idsAtLast = new Set(cp?.ids ?? []);
  let pageToken = cp?.pt ?? null;

  const fetchPage = (token: string | null, sinceAt: string | null) =>
    ctx.client.request({
      method: 'GET',
      path: `/crm/v8/${MODULE}`,
      params: { fields: (first ?? []).join(','), per_page: RECORDS.perPage, sort_by: 'Modified_Time', sort_order: 'asc', ...(token ? { page_token: token } : { page: 1 }) },
      headers: sinceAt ? { 'If-Modified-Since': zohoDateTime(sinceAt) } : {},
    });

  let pending = fetchPage(pageToken, since);
  for (;;) {
    opts.signal?.throwIfAborted();
    const res = await pending;
    if (res.status === 204 || res.status === 304) return;
    if (res.status === 400) {
      const code = errorCode(res.data);
      // Past 100,000 rows, or a stale/foreign page token: start a new window at the last timestamp seen.
      if (code === 'PAGINATION_LIMIT_EXCEEDED' || code === 'EXPIRED_VALUE' || code === 'TOKEN_BOUND_DATA_MISMATCH' || (code === 'INVALID_DATA' && pageToken)) {
        since = lastT;
        pageToken = null;
        pending = fetchPage(null, since);
        continue;
      }
    }
    if (res.status !== 200) throw new ZohoApiError(res.status, errorCode(res.data) ?? 'UNEXPECTED_STATUS', 'listing contacts failed');
    const body = ListResponse.parse(res.data);
    const next = body.info.more_records ? (body.info.next_page_token ?? null) : null;
    // Ask for the next page now; map this one (and fetch its notes) while it is on the way.
    if (next) pending = fetchPage(next, since);
    let records = body.data as ZohoRecord[];
    if (extra.length > 0) records = await mergeExtraFields(ctx, records, extra);
    const fresh: ZohoRecord[] = [];
    for (const r of records) {
      const t = new Date(Date.parse(String(r.Modified_Time))).toISOString();
      if (lastT !== null && t === lastT && idsAtLast.has(r.id)) continue;
      if (lastT === null || t > lastT) {
        lastT = t;
        idsAtLast = new Set([r.id]);
      } else if (t === lastT) idsAtLast.add(r.id);
      fresh.push(r);
    }
    const contacts = await toContacts(ctx, fresh, opts.includeNotes);
    pageToken = next;
    const checkpoint: Checkpoint = { m: 'r', t: lastT, ids: [...idsAtLast], pt: next };
    yield { contacts, checkpoint: JSON.stringify(checkpoint) };
    if (!next) {
      if (body.info.more_records) {
        // more_records without a token: continue by time window.
        since = lastT;
        pending = fetchPage(null, since);
        continue;
      }
      return;
    }
  }
}

async function mergeExtraFields(ctx: SyncContext, records: ZohoRecord[], extra: string[][]): Promise<ZohoRecord[]> {
  const byId = new Map(records.map((r) => [r.id, { ...r }]));
  await Promise.all(
    extra.map(async (fs) => {
      for (const ids of chunk([...byId.keys()], 100)) {
        const res = await ctx.client.request({ method: 'GET', path: `/crm/v8/${MODULE}`, params: { ids: ids.join(','), fields: fs.join(','), per_page: RECORDS.perPage } });
        if (res.status === 204) continue;
        if (res.status !== 200) throw new ZohoApiError(res.status, errorCode(res.data) ?? 'UNEXPECTED_STATUS', 'reading extra fields failed');
        for (const r of ListResponse.parse(res.data).data as ZohoRecord[]) Object.assign(byId.get(r.id) ?? {}, r);
      }
    }),
  );
  return records.map((r) => byId.get(r.id) as ZohoRecord);
}

export async function toContacts(ctx: SyncContext, records: ZohoRecord[], includeNotes: boolean): Promise<Contact[]> {
  const notes = includeNotes ? await Promise.all(records.map((r) => fetchNotes(ctx.client, r.id))) : [];
  return records.map((r, i) => {
    const { contact } = contactFromZoho(r, ctx.mapping);
    if (includeNotes) contact.notes = notes[i] ?? [];
    return contact;
  });
}

const NoteRecord = z
  .object({ id: z.string(), Note_Content: z.string().nullable().optional(), Note_Title: z.string().nullable().optional(), Created_Time: z.string().nullable().optional(), Modified_Time: z.string().nullable().optional() })
  .loose();

/** A contact's notes (related list; 204 when none). List responses cut rich text at 500 chars: fetch those whole. */
export async function fetchNotes(client: ZohoClient, contactId: string): Promise<Note[]> {
  const out: Note[] = [];
  let token: string | null = null;
  for (;;) {
    const res = await client.request({
      method: 'GET',
      path: `/crm/v8/${MODULE}/${contactId}/Notes`,
      params: { fields: 'Note_Title,Note_Content,Created_Time,Modified_Time', per_page: RECORDS.perPage, ...(token ? { page_token: token } : {}) },
    });
    if (res.status === 204) return out;
    if (res.status !== 200) throw new ZohoApiError(res.status, errorCode(res.data) ?? 'UNEXPECTED_STATUS', 'listing notes failed');
    const body = ListResponse.parse(res.data);
    for (const raw of body.data) {
      let n = NoteRecord.parse(raw);
      if ((n.Note_Content ?? '').length >= 500) {
        const full = await client.request({ method: 'GET', path: `/crm/v8/Notes/${n.id}` });
        if (full.status === 200) n = NoteRecord.parse((full.data as { data: unknown[] }).data[0]);
      }
      const created = Date.parse(String(n.Created_Time ?? n.Modified_Time));
      const title = n.Note_Title && n.Note_Title !== 'Note' ? `${n.Note_Title}\n` : '';
      out.push({ id: n.id, createdAt: new Date(Number.isFinite(created) ? created : 0).toISOString(), body: title + noteText(n.Note_Content ?? '') });
    }
    token = body.info.more_records ? (body.info.next_page_token ?? null) : null;
    if (!token) return out;
  }
}

/** A bulk CSV row back into the JSON shape the records API gives (typed by the field layout). */
export function recordFromCsv(row: Record<string, string>, fieldTypes: Readonly<Record<string, string>>): ZohoRecord {
  const r: Record<string, unknown> = { id: row.id ?? '' };
  for (const [k, v] of Object.entries(row)) {
    if (k === 'id') continue;
    const t = fieldTypes[k];
    if (v === '') r[k] = null;
    else if (t === 'boolean') r[k] = v === 'true';
    else if (t === 'ownerlookup' || t === 'lookup' || t === 'consent_lookup') r[k] = { id: v };
    else r[k] = v;
  }
  return r as ZohoRecord;
}

async function* streamBulk(ctx: SyncContext, opts: StreamOptions, fields: string[], cp: Extract<Checkpoint, { m: 'b' }> | null): AsyncGenerator<ContactPage> {
  const sinceIso = cp?.t ?? (opts.since ? opts.since.toISOString() : null);
  const criteria = sinceIso ? { field: { api_name: 'Modified_Time' }, comparator: 'greater_equal', value: zohoDateTime(sinceIso) } : undefined;
  let page = cp?.page ?? 1;
  let token = cp?.pt ?? null;
  let skip = cp?.skip ?? 0;
  let nextJob: Promise<string> | null = null;
  for (;;) {
    opts.signal?.throwIfAborted();
    const jobId = await (nextJob ?? createBulkJob(ctx.client, MODULE, token ? { fields, pageToken: token } : { fields, criteria, page }));
    nextJob = null;
    const opt = opts.signal ? { signal: opts.signal } : {};
    const result = await waitForBulkJob(ctx.client, jobId, opt);
    // Start the next job now so Zoho prepares it while this page downloads and maps.
    if (result.more_records && result.next_page_token) {
      nextJob = createBulkJob(ctx.client, MODULE, { fields, pageToken: result.next_page_token });
      nextJob.catch(() => undefined);
    }
    let batch: ZohoRecord[] = [];
    let done = 0;
    const emit = async (): Promise<ContactPage> => {
      const contacts = await toContacts(ctx, batch, opts.includeNotes);
      done += batch.length;
      batch = [];
      const checkpoint: Checkpoint = { m: 'b', page, pt: token, skip: done, t: sinceIso };
      return { contacts, checkpoint: JSON.stringify(checkpoint), total: result.count };
    };
    let index = 0;
    for await (const row of downloadBulkRows(ctx.client, result.download_url)) {
      if (index++ < skip) {
        done++;
        continue;
      }
      batch.push(recordFromCsv(row, ctx.fieldTypes));
      if (batch.length === RECORDS.perPage) yield await emit();
    }
    if (batch.length > 0) yield await emit();
    if (!result.more_records || !result.next_page_token) return;
    token = result.next_page_token;
    page = result.page + 1;
    skip = 0;
  }
}
