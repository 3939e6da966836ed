/**
 * Streaming contacts out of Zoho: the records API sorted by Modified_Time ascending (with
 * If-Modified-Since for incremental runs, `>=` and de-duplication by id), read by concurrent cursors
 * over Modified_Time ranges that share the portal's one budget, and Bulk Read for full scans of large
 * orgs. A checkpoint after every page lets a crashed scan resume.
 */
import { z } from 'zod';
import type { Contact, Note } from '../../src/model';
import type { ContactPage, StreamOptions } from '../types';
import { PageQueue } from '../page-queue';
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

/**
 * The same page checked without copying its records (a loose object schema copies every field of
 * every record, about 1.3 ms a page of 200): ids and paging info are checked, the records are used as sent.
 */
const ListPageCheck = z.object({ data: z.array(z.object({ id: z.string() })), info: ListResponse.shape.info });
function listPage(data: unknown): { records: ZohoRecord[]; info: z.infer<typeof ListPageCheck>['info'] } {
  const info = ListPageCheck.parse(data).info;
  return { records: (data as { data: ZohoRecord[] }).data, info };
}

/** Records API scan: every Modified_Time range with its cursor (see streamRecords). */
const CursorSchema = { w: z.number().int().nullable(), pt: z.string().nullable(), t: z.number().int().nullable(), ids: z.array(z.string()) };
const PartsCheckpoint = z.object({
  m: z.literal('p'),
  /** Newest Modified_Time (s) when the scan began: the top of the time span ranges are cut from. */
  top: z.number().int().nullable(),
  parts: z.array(z.object({ lo: z.number().int().nullable(), hi: z.number().int().nullable(), d: z.boolean(), ...CursorSchema })).min(1),
});
type PartsCheckpoint = z.infer<typeof PartsCheckpoint>;

const Checkpoint = z.discriminatedUnion('m', [
  // Records API, single cursor (before concurrent cursors): resumed as one open range from `t`.
  z.object({ m: z.literal('r'), t: z.string().nullable(), ids: z.array(z.string()), pt: z.string().nullable() }),
  PartsCheckpoint,
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
  if (cp?.m === 'b' || (!cp && opts.bulk)) yield* streamBulk(ctx, opts, fields, cp?.m === 'b' ? cp : null);
  else yield* streamRecords(ctx, opts, fields, cp?.m === 'p' ? cp : cp?.m === 'r' ? fromSingleCursor(cp) : null);
}

// ---------------------------------------------------------------- records API: concurrent cursors

/**
 * Where a cursor stands inside its range: the If-Modified-Since (epoch s) of its current page_token
 * chain `w` and the token for the chain's next page `pt` (a token is bound to the header it was issued
 * with), and the Modified_Time (epoch s) of the last record handled `t` with the ids handled at that
 * second `ids`, so a new chain can start at `t` (header `>=`) without repeating them.
 */
interface Cursor {
  w: number | null;
  pt: string | null;
  t: number | null;
  ids: string[];
}

/** A Modified_Time range [lo, hi) in epoch seconds read by one cursor; `hi` null is the open top range. */
interface Part {
  lo: number | null;
  hi: number | null;
  /** Finished, as far as the caller has been handed pages. */
  done: boolean;
  /** The cursor after the last page handed to the caller: what a checkpoint resumes from. */
  cp: Cursor;
}


/** Page-token failures after which a cursor starts a new chain at its last second. */
const RESTART_CODES = new Set(['PAGINATION_LIMIT_EXCEEDED', 'EXPIRED_VALUE', 'TOKEN_BOUND_DATA_MISMATCH', 'INVALID_DATA']);

/**
 * Cursor count control. The client reports round-trip latency and how long requests waited for the
 * portal's RateBudget; their ratio ("pressure") says whether more cursors would help: near 0 the
 * cursors are latency-bound (add some), above 1 the budget is the bound (more would only cost
 * partly-used pages at range ends). Cursors grow up to GROWTH-fold per measured round while pressure
 * stays below GROW_BELOW (a round is one request per cursor, about one latency); a cursor whose range ends takes over half of the largest remaining range while pressure
 * is below KEEP_BELOW, else it stops.
 */
const GROW_BELOW = 0.25;
const GROWTH = 4;
const KEEP_BELOW = 1;
/** A range is split only if its far half likely holds this many records (each split costs about half a page). */
const MIN_SPLIT_RECORDS = 2 * RECORDS.perPage;

/** Modified_Time as epoch seconds (Zoho's datetimes have second precision). */
function epochSecond(v: unknown): number {
  return Math.floor(Date.parse(String(v)) / 1000);
}

interface RawPage {
  records: ZohoRecord[];
  part: Part;
  /** The part's cursor after this page. */
  cursor: Cursor;
  done: boolean;
}

/** Producer-side state of a part while a cursor reads it. */
interface Live {
  part: Part;
  cur: Cursor;
  idsAt: Set<string>;
  /** Pages fetched, and records per second over the last one (what lies just ahead, for splits). */
  pages: number;
  density: number | null;
  running: boolean;
  /** The producer reached the range's end (or the consumer stopped). */
  ended: boolean;
  /** Top range drained while other ranges were open: re-read once they are all finished. */
  parked: boolean;
}

/** A checkpoint of the former single-cursor scan as one open range continuing from its last second. */
function fromSingleCursor(cp: Extract<Checkpoint, { m: 'r' }>): PartsCheckpoint {
  const t = cp.t === null ? null : epochSecond(cp.t);
  return { m: 'p', top: null, parts: [{ lo: null, hi: null, d: false, w: t, pt: null, t, ids: cp.ids }] };
}

/**
 * Full or incremental scan through the records API with concurrent cursors over Modified_Time ranges.
 *
 * Key space: Modified_Time (second precision), the one field the list call both sorts by and filters on
 * (If-Modified-Since, `>=`); there is no upper-bound filter, so a cursor for [lo, hi) starts at `lo`
 * and stops at the first record at or past `hi` (the rest of that page is dropped). Every record lies in
 * exactly one range, boundaries included. The scan starts with one cursor; while the budget is not
 * the bound it probes the newest Modified_Time (one call, `sort_order=desc`, only that field: the top
 * of the span and how densely records sit there) and splits ranges at the time midpoint of what is
 * left, up to GROWTH-fold cursors per measured round, up to the sub-concurrency limit (sorted lists are
 * "complex" calls: at most 10 at once, client-enforced). A cursor whose range ends takes over the far
 * half of the range with the most records likely left, so the ranges finish together.
 *
 * Records modified or created during the scan move to "now", which is inside the open top range. If
 * that range drained while others were still open, it is read once more from its last second after
 * they all finish. The ids handed out in this run are remembered, so a record seen at its old and its
 * new place comes once (the version met first).
 *
 * Checkpoint: every range with its cursor as of the last page handed out. Resuming repeats nothing
 * for unchanged records; a record modified during the interrupted scan may come again (the set of
 * ids handed out is not in the checkpoint), as the single-cursor scan did before.
 */

async function* streamRecords(ctx: SyncContext, opts: StreamOptions, fields: string[], cp: PartsCheckpoint | null): AsyncGenerator<ContactPage> {
  const { client } = ctx;
  const [first, ...extra] = chunk(fields, RECORDS.maxFields);
  const fieldParam = (first ?? []).join(',');
  const sinceSec = opts.since ? Math.floor(opts.since.getTime() / 1000) : null;
  const parts: Part[] = cp
    ? cp.parts.map((p) => ({ lo: p.lo, hi: p.hi, done: p.d, cp: { w: p.w, pt: p.pt, t: p.t, ids: p.ids } }))
    : [{ lo: sinceSec, hi: null, done: false, cp: { w: sinceSec, pt: null, t: null, ids: [] } }];
  let top: number | null = cp?.top ?? null;
  const maxCursors = Math.max(1, Math.min(client.concurrency.complex, client.concurrency.calls));
  const queue = new PageQueue<RawPage>(Math.max(4, maxCursors * 2));
  const lives = new Map<Part, Live>();
  const pending = parts.filter((p) => !p.done);
  let workers = 0;
  let finishing = false;

  const liveOf = (p: Part): Live => {
    let l = lives.get(p);
    if (!l) {
      l = { part: p, cur: { ...p.cp, ids: [...p.cp.ids] }, idsAt: new Set(p.cp.ids), pages: 0, density: null, running: false, ended: false, parked: false };
      lives.set(p, l);
    }
    return l;
  };

  // ---- pressure: budget wait per request relative to latency, measured over at least one round of
  // requests (one per cursor) since the cursor count last changed
  let snap = { requests: client.stats.requests, waitMs: client.stats.budgetWaitMs };
  let pressure: number | null = null;
  /** Updates `pressure` once a round has been measured; false until then. */
  const samplePressure = (): boolean => {
    const s = client.stats;
    const n = s.requests - snap.requests;
    if (n < Math.max(1, workers)) return false;
    pressure = (s.budgetWaitMs - snap.waitMs) / n / Math.max(s.latencyMs, 1);
    return true;
  };
  const newRound = (): void => {
    snap = { requests: client.stats.requests, waitMs: client.stats.budgetWaitMs };
  };

  const fetchPage = (c: Cursor) =>
    client.request({
      method: 'GET',
      path: `/crm/v8/${MODULE}`,
      params: { fields: fieldParam, per_page: RECORDS.perPage, sort_by: 'Modified_Time', sort_order: 'asc', ...(c.pt ? { page_token: c.pt } : { page: 1 }) },
      headers: c.w !== null ? { 'If-Modified-Since': zohoDateTime(new Date(c.w * 1000)) } : {},
    });

  // ---- the newest Modified_Time: the top of the span that ranges are cut from
  // Records per second near the top (from the probe's page): where recent changes crowd.
  let topDensity: number | null = null;
  let probe: Promise<void> | null = null;
  const ensureProbe = (): void => {
    if (top !== null || probe || maxCursors < 2) return;
    probe = (async () => {
      const res = await client.request({
        method: 'GET',
        path: `/crm/v8/${MODULE}`,
        params: { fields: 'Modified_Time', per_page: RECORDS.perPage, sort_by: 'Modified_Time', sort_order: 'desc', page: 1 },
      });
      if (res.status !== 200) return; // empty org (204) or a refusal: stay with one cursor
      const newest = listPage(res.data).records;
      const t = epochSecond(newest[0]?.Modified_Time);
      const oldest = epochSecond(newest[newest.length - 1]?.Modified_Time);
      if (!Number.isFinite(t)) return;
      top = t;
      if (Number.isFinite(oldest)) topDensity = newest.length / (t - oldest + 1);
      grow();
    })().catch(() => undefined);
  };

  /** Cuts the far half off the open range likely to hold the most records left; null if none is worth it. */
  const split = (): Part | null => {
    if (top === null || finishing || queue.closed) return null;
    let best: { l: Live; mid: number; est: number } | null = null;
    for (const l of lives.values()) {
      if (!l.running || l.ended || l.parked || l.pages === 0) continue;
      // Past everything this cursor has fetched (pages already queued stay inside its range).
      const pos = l.cur.t ?? l.cur.w ?? l.part.lo;
      if (pos === null) continue;
      const upper = l.part.hi ?? top + 1;
      if (upper - pos < 2) continue;
      const mid = pos + Math.ceil((upper - pos) / 2);
      // Records likely in the far half: at the density just read, or (the top range) at the top's if higher.
      const d = Math.max(l.density ?? 0, l.part.hi === null ? (topDensity ?? 0) : 0);
      const est = d * (upper - mid);
      if (est < MIN_SPLIT_RECORDS) continue;
      if (!best || est > best.est) best = { l, mid, est };
    }
    if (!best) return null;
    const p: Part = { lo: best.mid, hi: best.l.part.hi, done: false, cp: { w: best.mid, pt: null, t: null, ids: [] } };
    best.l.part.hi = best.mid;
    parts.splice(parts.indexOf(best.l.part) + 1, 0, p);
    return p;
  };

  const running = new Set<Promise<void>>();
  const spawn = (p: Part): void => {
    const w = worker(p).catch((e: unknown) => queue.close(e));
    running.add(w);
    void w.finally(() => running.delete(w));
  };

  /** More cursors while they are latency-bound: up to GROWTH-fold per measured round. */
  const grow = (): void => {
    if (finishing || queue.closed || !samplePressure()) return;
    if (workers >= maxCursors || pressure === null || pressure >= GROW_BELOW) return newRound();
    if (top === null) {
      newRound();
      return ensureProbe();
    }
    let added = 0;
    for (let n = Math.min(Math.max(workers, 1) * (GROWTH - 1), maxCursors - workers); n > 0; n--) {
      const p = split();
      if (!p) break;
      spawn(p);
      added++;
    }
    // Nothing to split yet (no cursor has a page): keep measuring this round.
    if (added > 0) newRound();
  };

  const othersOpen = (self: Part): boolean => parts.some((p) => p !== self && !p.done && !(lives.get(p)?.ended ?? false));

  /** Reads one range to its end (or parks the top range). */
  const runPart = async (l: Live, final = false): Promise<void> => {
    const { part, cur } = l;
    l.running = true;
    // The chain's next page, asked for as soon as its token is known (see below).
    let ahead: ReturnType<typeof fetchPage> | null = null;
    try {
      for (;;) {
        opts.signal?.throwIfAborted();
        if (queue.closed) return;
        const res = await (ahead ?? fetchPage(cur));
        ahead = null;
        if (res.status === 400 && cur.pt && RESTART_CODES.has(errorCode(res.data) ?? '')) {
          // Past 100,000 rows of one chain, or a stale token: a new chain at the last second seen.
          const w = cur.t ?? cur.w;
          if (w === cur.w && errorCode(res.data) === 'PAGINATION_LIMIT_EXCEEDED') throw new ZohoApiError(400, 'PAGINATION_LIMIT_EXCEEDED', 'over 100,000 contacts share one Modified_Time second; use bulk read');
          cur.w = w;
          cur.pt = null;
          continue;
        }
        let records: ZohoRecord[] = [];
        let more = false;
        let next: string | null = null;
        if (res.status === 200) {
          const body = listPage(res.data);
          records = body.records;
          more = body.info.more_records;
          next = more ? (body.info.next_page_token ?? null) : null;
          // Ask for the next page now, unless this one already reaches the range's end: a cursor's turn
          // is then one round trip, however long this page takes to map (the event loop is shared).
          const last = epochSecond(records[records.length - 1]?.Modified_Time);
          if (next && (part.hi === null || last < part.hi)) {
            ahead = fetchPage({ ...cur, pt: next });
            ahead.catch(() => undefined); // awaited on the next turn, or dropped if the scan stops first
          }
          if (extra.length > 0) records = await mergeExtraFields(ctx, records, extra);
        } else if (res.status !== 204 && res.status !== 304) {
          throw new ZohoApiError(res.status, errorCode(res.data) ?? 'UNEXPECTED_STATUS', 'listing contacts failed');
        }
        // From here to the push nothing awaits: `hi` (a split may lower it) and the position agree.
        const hi = part.hi;
        const out: ZohoRecord[] = [];
        let crossed = false;
        if (records.length === RECORDS.perPage) {
          const span = epochSecond(records[records.length - 1]?.Modified_Time) - epochSecond(records[0]?.Modified_Time) + 1;
          if (span > 0) l.density = records.length / span;
        }
        l.pages++;
        for (const r of records) {
          const t = epochSecond(r.Modified_Time);
          if (hi !== null && t >= hi) {
            crossed = true;
            break;
          }
          if (part.lo !== null && t < part.lo) continue;
          // Below the last second handled: a chain restarted lower re-reads what was handed out (records
          // only move up when changed), so nothing there is new.
          if (cur.t !== null && t < cur.t) continue;
          if (t === cur.t) {
            if (l.idsAt.has(r.id)) continue;
            l.idsAt.add(r.id);
          } else if (Number.isFinite(t) && (cur.t === null || t > cur.t)) {
            cur.t = t;
            l.idsAt = new Set([r.id]);
          }
          out.push(r);
        }
        let end = crossed || !more;
        cur.pt = end ? null : next;
        // more_records without a token: continue with a new chain at the last second seen.
        if (!end && !next) cur.w = cur.t ?? cur.w;
        let park = false;
        if (end && part.hi === null && !final && !crossed && othersOpen(part)) {
          // Records changed meanwhile move here (the top); re-read from the last second once the rest is done.
          park = true;
          end = false;
          // The re-read (and a resume from this checkpoint) starts a new chain at the last second.
          cur.w = cur.t ?? cur.w;
        }
        cur.ids = [...l.idsAt];
        const cursor: Cursor = { w: cur.w, pt: cur.pt, t: cur.t, ids: cur.ids };
        if (end) l.ended = true;
        if (park) l.parked = true;
        if (out.length > 0 || end) {
          if (!(await queue.push({ records: out, part, cursor, done: end }))) return;
        }
        if (end || park) return;
        grow();
      }
    } finally {
      // A page asked for ahead and no longer wanted (the scan stopped or failed) still finishes here, so
      // no request of this scan outlives it.
      if (ahead) await ahead.catch(() => undefined);
      l.running = false;
    }
  };

  const worker = async (p: Part): Promise<void> => {
    workers++;
    try {
      let next: Part | null = p;
      while (next && !queue.closed) {
        await runPart(liveOf(next));
        next = pending.shift() ?? ((pressure ?? 0) < KEEP_BELOW ? split() : null);
      }
    } finally {
      workers--;
    }
  };

  const orchestrate = async (): Promise<void> => {
    for (const p of pending.splice(0, maxCursors)) spawn(p);
    // Latency-bound already (calls before this scan waited little for the budget): probe the top now.
    const s = client.stats;
    if (!cp && sinceSec === null && s.requests > 0 && s.budgetWaitMs / s.requests < GROW_BELOW * s.latencyMs) ensureProbe();
    while (running.size > 0) await Promise.allSettled([...running]);
    finishing = true;
    if (probe) await probe;
    const topPart = parts.find((p) => p.hi === null && !p.done);
    const tl = topPart ? lives.get(topPart) : undefined;
    if (tl?.parked && !queue.closed) {
      tl.parked = false;
      tl.cur.w = tl.cur.t ?? tl.cur.w;
      tl.cur.pt = null;
      await runPart(tl, true);
    }
    queue.close();
  };
  const done = orchestrate().catch((e: unknown) => queue.close(e));

  const seen = new Set<string>();
  const encode = (): string => JSON.stringify({ m: 'p', top, parts: parts.map((p) => ({ lo: p.lo, hi: p.hi, d: p.done, ...p.cp })) } satisfies PartsCheckpoint);
  let yielded = false;
  let dirty = false;
  try {
    for (;;) {
      const page = await queue.takeOne();
      if (!page) {
        if (queue.error !== null) throw queue.error;
        break;
      }
      opts.signal?.throwIfAborted();
      page.part.cp = page.cursor;
      if (page.done) page.part.done = true;
      const fresh = page.records.filter((r) => !seen.has(r.id));
      for (const r of fresh) seen.add(r.id);
      if (fresh.length === 0) {
        dirty = true;
        continue;
      }
      const contacts = await toContacts(ctx, fresh, opts.includeNotes);
      yielded = true;
      dirty = false;
      yield { contacts, checkpoint: encode() };
    }
    // The last ranges finished without records: one empty page so the final checkpoint says so.
    if (yielded && dirty) yield { contacts: [], checkpoint: encode() };
  } finally {
    queue.close();
    await done;
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
