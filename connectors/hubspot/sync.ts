/**
 * Streaming contact sync.
 *
 * Full scan: a single list cursor does one request per latency (150 ms -> 6.7 req/s), below
 * HubSpot's 10 req/s. The list `after` cursor is an id cursor, so the id space [min, max] (found
 * with two one-record searches) is cut into ranges, each read by its own cursor; all cursors draw
 * from the portal's one RateBudget, which keeps the requests at the limit. The number of cursors
 * follows the measured latency (enough in-flight requests to use the whole budget), and a cursor
 * that finishes early splits the largest remaining range (ids are not evenly spread in real portals).
 *
 * Notes: pages are grouped up to 1,000 contacts for one v4 association batch read, then the notes
 * are read 100 per request; so a page of 100 contacts costs 1 + 0.1 + notes/100 requests.
 *
 * Incremental: search `lastmodifieddate GTE since`, ascending, 200 a page; before the 10,000-result
 * cap a new window starts at the last timestamp seen; ids already yielded are dropped.
 *
 * A checkpoint (opaque string) follows every page; resuming from it never skips a record.
 */
import type { Contact } from '../../src/model';
import { PageQueue } from '../page-queue';
import type { ContactPage, PropertyDefinition, StreamOptions } from '../types';
import { associatedIds } from './associations';
import type { HubSpotApi } from './client';
import { BUCKET_SEARCH, HUBSPOT_LIMITS } from './limits';
import { contactFromHubSpot, propertiesNeededForContact, type ContactContext, type HsNote } from './mapping';
import { HsBatchResponse, HsPage, type HsRecord, type HsSubscriptionDefinition } from './vendor-schema';

export interface SyncContext {
  api: HubSpotApi;
  portalId: string;
  tenantId: string;
  defs: PropertyDefinition[];
  subscriptions: HsSubscriptionDefinition[];
  /** Requests per ms the budget allows (for choosing concurrency). */
  requestRate: number;
  /** Fixed cursor count (benchmarks/tests); default adaptive. */
  concurrency?: number;
}

// ---------------------------------------------------------------- checkpoints

interface Part {
  /** Inclusive lower id bound. */
  lo: number;
  /** Exclusive upper id bound. */
  hi: number;
  /** Next `after` to request (null: start of range). */
  after: string | null;
  done: boolean;
}
type FullCheckpoint = { v: 1; k: 'full'; parts: Part[]; total?: number };
type SinceCheckpoint = { v: 1; k: 'since'; gte: number; offset: number; seen: string[] };

export function encodeCheckpoint(c: FullCheckpoint | SinceCheckpoint): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}
export function decodeCheckpoint(s: string): FullCheckpoint | SinceCheckpoint {
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw new Error('HubSpot checkpoint is not readable');
  }
  const o = c as { v?: unknown; k?: unknown };
  if (o?.v !== 1 || (o.k !== 'full' && o.k !== 'since')) throw new Error('HubSpot checkpoint has an unknown format');
  return c as FullCheckpoint | SinceCheckpoint;
}

// ---------------------------------------------------------------- small helpers

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Error('HubSpot sync aborted');
}

function contextFor(ctx: SyncContext, requested: readonly string[]): { cc: ContactContext; fetch: string[] } {
  const defs = new Map(ctx.defs.map((d) => [d.name, d]));
  const fetch = [...new Set([...requested, ...propertiesNeededForContact(ctx.defs, ctx.subscriptions)])];
  return { cc: { portalId: ctx.portalId, tenantId: ctx.tenantId, defs, subscriptions: ctx.subscriptions, requested }, fetch };
}

// ---------------------------------------------------------------- notes

/** Note records for contacts: one association batch read per 1,000 contacts, notes 100 per read (in parallel). */
export async function fetchNotes(api: HubSpotApi, contactIds: readonly string[]): Promise<Map<string, HsNote[]>> {
  const byContact = await associatedIds(api, 'notes', contactIds);
  const noteIds = [...new Set([...byContact.values()].flat())];
  const notes = new Map<string, HsRecord>();
  await Promise.all(
    chunk(noteIds, HUBSPOT_LIMITS.batchReadSize).map(async (ids) => {
      const raw = await api.call('notes.batchRead', () =>
        api.sdk.crm.objects.notes.batchApi.readWithHttpInfo({ inputs: ids.map((id) => ({ id })), properties: ['hs_note_body', 'hs_timestamp', 'hs_createdate'], propertiesWithHistory: [] }),
      );
      for (const n of HsBatchResponse.parse(raw).results) notes.set(n.id, n);
    }),
  );
  const out = new Map<string, HsNote[]>();
  for (const [cid, ids] of byContact) {
    out.set(
      cid,
      ids.map((id) => notes.get(id)).filter((n): n is HsRecord => n !== undefined).map((n) => ({ id: n.id, properties: n.properties, createdAt: n.createdAt })),
    );
  }
  return out;
}

// ---------------------------------------------------------------- full scan

interface RawPage {
  records: HsRecord[];
  /** Checkpoint once this page (and every earlier page of every cursor) has been consumed. */
  part: Part;
  after: string | null;
  done: boolean;
}

async function idBound(api: HubSpotApi, direction: 'ASCENDING' | 'DESCENDING'): Promise<{ id: number | null; total: number }> {
  const raw = await api.call(
    `contacts.search.${direction === 'ASCENDING' ? 'minId' : 'maxId'}`,
    () =>
      api.sdk.crm.contacts.searchApi.doSearchWithHttpInfo({
        filterGroups: [],
        sorts: [{ propertyName: 'hs_object_id', direction }] as unknown as string[],
        properties: ['hs_object_id'],
        limit: 1,
        after: '0',
      }),
    { bucket: BUCKET_SEARCH },
  );
  const page = HsPage.parse(raw);
  const first = page.results[0];
  return { id: first ? Number(first.id) : null, total: page.total ?? page.results.length };
}

/** Cursors needed so that in-flight requests cover the budget: rate x latency, with head-room. */
export function chooseConcurrency(requestsPerMs: number, latencyMs: number): number {
  return Math.min(16, Math.max(2, Math.ceil(requestsPerMs * Math.max(latencyMs, 1) * 2.5) + 1));
}

async function* fullScan(ctx: SyncContext, opts: StreamOptions): AsyncGenerator<ContactPage> {
  const { api } = ctx;
  const { cc, fetch } = contextFor(ctx, opts.properties);
  let parts: Part[];
  let total: number | undefined;
  let concurrency = ctx.concurrency ?? 0;
  const resumed = opts.checkpoint ? decodeCheckpoint(opts.checkpoint) : null;
  if (resumed && resumed.k !== 'full') throw new Error('checkpoint belongs to an incremental scan');
  if (resumed) {
    parts = resumed.parts.map((p) => ({ ...p }));
    total = resumed.total;
    if (!concurrency) concurrency = chooseConcurrency(ctx.requestRate, api.stats.latencyMs);
  } else {
    const t0 = Date.now();
    const [min, max] = await Promise.all([idBound(api, 'ASCENDING'), idBound(api, 'DESCENDING')]);
    const latency = Math.max(Date.now() - t0, api.stats.latencyMs);
    total = max.total;
    if (min.id === null || max.id === null) return; // empty portal
    if (!concurrency) concurrency = chooseConcurrency(ctx.requestRate, latency);
    // Ids above the max found now were created during the scan: the last range is open-ended.
    const lo = min.id;
    const width = max.id + 1 - lo;
    const pages = Math.max(1, Math.ceil((total || 1) / HUBSPOT_LIMITS.listPageSize));
    const k = Math.max(1, Math.min(concurrency, pages));
    // Cut at whole pages of the average id density, so no range ends with a half-used page.
    const idsPerPage = (width / Math.max(total, 1)) * HUBSPOT_LIMITS.listPageSize;
    const pagesPerPart = Math.ceil(pages / k);
    const bounds = Array.from({ length: k + 1 }, (_, i) => (i === k ? Number.MAX_SAFE_INTEGER : lo + Math.min(width, Math.round(i * pagesPerPart * idsPerPage))));
    parts = [];
    for (let i = 0; i < k; i++) if (bounds[i]! < bounds[i + 1]!) parts.push({ lo: bounds[i]!, hi: bounds[i + 1]!, after: null, done: false });
  }

  /** Highest id known to exist (bounds the open-ended last range when choosing split points). */
  let knownMax = Math.max(0, ...parts.map((p) => (p.hi === Number.MAX_SAFE_INTEGER ? p.lo : p.hi - 1)));
  const queue = new PageQueue<RawPage>(Math.max(4, concurrency * 3));
  /** Last id fetched per cursor (for choosing split points). */
  const fetchedUpTo = new Map<Part, number>();
  const active = new Set<Part>();

  const runPart = async (p: Part): Promise<void> => {
    let after = p.after;
    while (!p.done) {
      checkAbort(opts.signal);
      // `after` is the id a page starts at (reference §1: results up to 33451 -> after "33452").
      const requestAfter = after ?? (p.lo > 0 ? String(p.lo) : undefined);
      const raw = await api.call('contacts.list', () =>
        api.sdk.crm.contacts.basicApi.getPageWithHttpInfo(HUBSPOT_LIMITS.listPageSize, requestAfter, fetch, undefined, undefined, false),
      );
      const page = HsPage.parse(raw);
      const records = page.results.filter((r) => Number(r.id) >= p.lo && Number(r.id) < p.hi);
      const next = page.paging?.next?.after ?? null;
      const crossed = page.results.some((r) => Number(r.id) >= p.hi) || (next !== null && Number(next) >= p.hi);
      const last = page.results[page.results.length - 1];
      if (last) {
        fetchedUpTo.set(p, Number(last.id));
        knownMax = Math.max(knownMax, Number(last.id));
      }
      after = next;
      const done = next === null || crossed;
      if (!(await queue.push({ records, part: p, after, done })) || done) break;
    }
  };

  /**
   * A finished cursor takes the upper half of the largest remaining range, but only while the
   * running cursors are too few to keep the budget busy (each split costs a partly used page).
   */
  const idsPerPageNow = (): number => (total ? Math.max(1, ((knownMax + 1 - Math.min(...parts.map((p) => p.lo))) / total) * HUBSPOT_LIMITS.listPageSize) : HUBSPOT_LIMITS.listPageSize);
  const split = (): Part | null => {
    const latency = Math.max(api.stats.latencyMs, 1);
    if (active.size / latency >= ctx.requestRate * 1.25) return null;
    let best: Part | null = null;
    let bestWidth = 0;
    for (const p of active) {
      const from = (fetchedUpTo.get(p) ?? p.lo - 1) + 1;
      const w = Math.min(p.hi, knownMax + 1) - from;
      if (w > bestWidth) {
        bestWidth = w;
        best = p;
      }
    }
    const perPage = idsPerPageNow();
    // Worth it only if the remainder likely holds several pages.
    if (!best || bestWidth < perPage * 4) return null;
    const from = (fetchedUpTo.get(best) ?? best.lo - 1) + 1;
    const mid = from + Math.round(Math.floor(bestWidth / perPage / 2) * perPage);
    const fresh: Part = { lo: mid, hi: best.hi, after: null, done: false };
    best.hi = mid;
    parts.push(fresh);
    return fresh;
  };

  const worker = async (first: Part | null): Promise<void> => {
    let p = first;
    while (p && !queue.closed) {
      active.add(p);
      await runPart(p);
      active.delete(p);
      p = split();
    }
  };

  const pending = parts.filter((p) => !p.done);
  const workers = pending.slice(0, concurrency).map((p) => worker(p));
  // More ranges than cursors (a resumed scan): the extra ranges queue behind the first workers.
  const extra = pending.slice(concurrency);
  const all = Promise.all([
    ...workers,
    ...(extra.length ? [(async () => { for (const p of extra) await worker(p); })()] : []),
  ]).then(
    () => queue.close(),
    (err) => queue.close(err),
  );

  try {
    for (;;) {
      const group = await queue.take(opts.includeNotes ? HUBSPOT_LIMITS.associationBatchSize : HUBSPOT_LIMITS.listPageSize);
      if (group.length === 0) {
        if (queue.error) throw queue.error;
        break;
      }
      const notes = opts.includeNotes ? await fetchNotes(api, group.flatMap((g) => g.records.map((r) => r.id))) : null;
      for (const g of group) {
        // The cursor's resume point moves only when its page has been handed over.
        g.part.after = g.after;
        if (g.done) g.part.done = true;
        const contacts: Contact[] = g.records.map((r) => contactFromHubSpot(r, cc, notes?.get(r.id) ?? []));
        const cp = encodeCheckpoint({ v: 1, k: 'full', parts: parts.map((p) => ({ lo: p.lo, hi: p.hi, after: p.after, done: p.done })), ...(total !== undefined ? { total } : {}) });
        if (contacts.length > 0 || g.done) yield { contacts, checkpoint: cp, ...(total !== undefined ? { total } : {}) };
      }
    }
  } finally {
    queue.close();
    await all.catch(() => undefined);
  }
}

// ---------------------------------------------------------------- incremental

async function* sinceScan(ctx: SyncContext, opts: StreamOptions): AsyncGenerator<ContactPage> {
  const { api } = ctx;
  const { cc, fetch } = contextFor(ctx, opts.properties);
  const resumed = opts.checkpoint ? decodeCheckpoint(opts.checkpoint) : null;
  if (resumed && resumed.k !== 'since') throw new Error('checkpoint belongs to a full scan');
  let gte = resumed ? resumed.gte : opts.since!.getTime();
  let offset = resumed ? resumed.offset : 0;
  /** Ids yielded with modified == gte (dropped when a new window starts at gte), and every id yielded this run. */
  let atBoundary = new Set(resumed ? resumed.seen : []);
  const yielded = new Set<string>(atBoundary);
  const size = HUBSPOT_LIMITS.searchPageSize;
  for (;;) {
    checkAbort(opts.signal);
    const raw = await api.call(
      'contacts.search.since',
      () =>
        api.sdk.crm.contacts.searchApi.doSearchWithHttpInfo({
          filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE' as never, value: String(gte) }] }],
          sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }] as unknown as string[],
          properties: fetch,
          limit: size,
          after: String(offset),
        }),
      { bucket: BUCKET_SEARCH },
    );
    const page = HsPage.parse(raw);
    const fresh = page.results.filter((r) => !yielded.has(r.id));
    for (const r of fresh) yielded.add(r.id);
    const last = page.results[page.results.length - 1];
    const lastMs = last ? Date.parse(last.properties.lastmodifieddate ?? '') : NaN;
    const nextOffset = page.paging?.next?.after ? Number(page.paging.next.after) : null;
    let finished = nextOffset === null || page.results.length === 0;
    if (!finished && nextOffset! + size > HUBSPOT_LIMITS.searchResultCap) {
      // The next page would cross the 10,000 cap: start a new window at the last timestamp seen.
      if (Number.isFinite(lastMs) && lastMs > gte) {
        atBoundary = new Set(page.results.filter((r) => Date.parse(r.properties.lastmodifieddate ?? '') === lastMs).map((r) => r.id));
        gte = lastMs;
        offset = 0;
      } else {
        // Over 10,000 records share one timestamp: a window cannot narrow further.
        throw new Error('HubSpot incremental sync: more than 10,000 contacts share one lastmodifieddate; run a full scan');
      }
    } else if (!finished) {
      offset = nextOffset!;
    }
    const notes = opts.includeNotes && fresh.length > 0 ? await fetchNotes(api, fresh.map((r) => r.id)) : null;
    const contacts = fresh.map((r) => contactFromHubSpot(r, cc, notes?.get(r.id) ?? []));
    const seen = [...atBoundary, ...fresh.filter((r) => Date.parse(r.properties.lastmodifieddate ?? '') === gte).map((r) => r.id)];
    const cp = encodeCheckpoint({ v: 1, k: 'since', gte, offset, seen: [...new Set(seen)] });
    yield { contacts, checkpoint: finished ? null : cp, ...(page.total !== undefined ? { total: page.total } : {}) };
    if (finished) return;
  }
}

export function streamContacts(ctx: SyncContext, opts: StreamOptions): AsyncGenerator<ContactPage> {
  const resumedKind = opts.checkpoint ? decodeCheckpoint(opts.checkpoint).k : null;
  if (resumedKind === 'since' || (!resumedKind && opts.since)) return sinceScan(ctx, opts);
  return fullScan(ctx, opts);
}

// ---------------------------------------------------------------- deletions and single reads

/** Archived contacts (recycle bin) archived at or after `since`. GDPR-deleted contacts leave no trace at all. */
export async function listDeletedSince(api: HubSpotApi, since: Date): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  const sinceMs = since.getTime();
  do {
    const a = after;
    const raw = await api.call('contacts.list.archived', () =>
      api.sdk.crm.contacts.basicApi.getPageWithHttpInfo(HUBSPOT_LIMITS.listPageSize, a, ['hs_object_id'], undefined, undefined, true),
    );
    const page = HsPage.parse(raw);
    for (const r of page.results) {
      const at = r.archivedAt instanceof Date ? r.archivedAt.getTime() : r.archivedAt ? Date.parse(r.archivedAt) : r.updatedAt instanceof Date ? r.updatedAt.getTime() : Date.parse(String(r.updatedAt ?? ''));
      if (!Number.isFinite(at) || at >= sinceMs) out.push(r.id);
    }
    after = page.paging?.next?.after;
  } while (after);
  return out;
}

export async function getContact(ctx: SyncContext, id: string, properties: string[]): Promise<Contact | null> {
  const { api } = ctx;
  const { cc, fetch } = contextFor(ctx, properties);
  let raw: unknown;
  try {
    raw = await api.call('contacts.get', () => api.sdk.crm.contacts.basicApi.getByIdWithHttpInfo(id, fetch, undefined, undefined, false));
  } catch (err) {
    if ((err as { status?: number }).status === 404) return null;
    throw err;
  }
  const rec = HsPage.shape.results.element.parse(raw);
  const notes = await fetchNotes(api, [rec.id]);
  return contactFromHubSpot(rec, cc, notes.get(rec.id) ?? []);
}

/** Contacts by id, 100 per batch read, with their notes; deleted ids are simply absent. */
export async function getContacts(ctx: SyncContext, ids: readonly string[], properties: string[]): Promise<Map<string, Contact>> {
  const { api } = ctx;
  const { cc, fetch } = contextFor(ctx, properties);
  const recs: HsRecord[] = [];
  await Promise.all(
    chunk([...new Set(ids)], HUBSPOT_LIMITS.batchReadSize).map(async (part) => {
      const raw = await api.call('contacts.batchRead', () =>
        api.sdk.crm.contacts.batchApi.readWithHttpInfo({ inputs: part.map((id) => ({ id })), properties: fetch, propertiesWithHistory: [] }, false),
      );
      recs.push(...HsBatchResponse.parse(raw).results);
    }),
  );
  const notes = await fetchNotes(api, recs.map((r) => r.id));
  return new Map(recs.map((r) => [r.id, contactFromHubSpot(r, cc, notes.get(r.id) ?? [])]));
}
