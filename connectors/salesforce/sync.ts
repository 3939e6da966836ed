/**
 * Streaming Contacts then Leads out of Salesforce. Small orgs and incremental runs: SOQL ordered by
 * (SystemModstamp, Id) with nextRecordsUrl paging; incremental filters `SystemModstamp >= since` and drops
 * duplicates by id. Full scans of large orgs (or `bulk: true`): a Bulk API 2.0 query job whose CSV results
 * are paged by Sforce-Locator with maxRecords, so memory holds one page, never the org. A checkpoint after
 * every page lets a crashed scan resume (an expired cursor falls back to the keyset (SystemModstamp, ids)).
 *
 * Orgs with the consent objects: the linked Individual's flags come through the parent relationship in the
 * Contact/Lead query itself (Individual.ShouldForget, ...: no extra request), and the ContactPointTypeConsent
 * rows of a batch of records (about consentRangeRecords, sized to fill whole result pages) through one
 * semi-join over that batch's (SystemModstamp, Id) key range, `PartyId IN (SELECT IndividualId FROM Contact
 * WHERE <range>)`, paged by queryMore: consent rows arrive up to 2,000 a request instead of ~300 ids a
 * request. The SOQL pages are read ahead while a batch's consent rows load, so the request budget never
 * waits on one of them.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import type { Contact, Note } from '../../src/model';
import type { ContactPage, StreamOptions } from '../types';
import { QueryResponse, SalesforceApiError, type SalesforceClient } from './client';
import { CORE_FIELDS, CPTC_FIELDS, INDIVIDUAL_FIELDS, INDIVIDUAL_FLAGS, INDIVIDUAL_READ_FIELDS, INDIVIDUAL_RELATIONSHIP, OBJECTS, type SfObject } from './fields';
import { BULK2, QUERY } from './limits';
import { contactFromSalesforce, fromCsvRow, noteText, SfConsentRow, SfIndividual, toIso, type ConsentContext, type SfRecord } from './mapping';
import { select } from './soql';

export interface SyncContext {
  client: SalesforceClient;
  portalId: string;
  tenantId: string;
  /** Describe types per object: field -> type. */
  fieldTypes: Record<SfObject, Readonly<Record<string, string>>>;
  consent: ConsentContext;
  /** Full scans above this many records switch to Bulk API 2.0. */
  bulkThreshold: number;
  notes: 'content' | 'legacy' | 'both';
  /** Bulk results page size (maxRecords). */
  bulkPageRecords?: number;
  bulkPollIntervalMs?: number;
  /** Contacts whose consent rows one range semi-join reads (SOQL scans of consent-object orgs); default 10,000. */
  consentRangeRecords?: number;
}

/** Default run of SOQL records per consent-row range query: 5 query batches (memory: two runs at most). */
export const CONSENT_RANGE_RECORDS = 5 * QUERY.batchSize;

const Checkpoint = z.discriminatedUnion('m', [
  z.object({ m: z.literal('soql'), o: z.enum(['Contact', 'Lead']), t: z.string().nullable(), ids: z.array(z.string()), next: z.string().nullable(), since: z.string().nullable() }),
  z.object({ m: z.literal('bulk'), o: z.enum(['Contact', 'Lead']), job: z.string(), loc: z.string().nullable(), skip: z.number().int().nonnegative(), since: z.string().nullable() }),
]);
type Checkpoint = z.infer<typeof Checkpoint>;

const chunk = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/**
 * What a scan asks for: the mapping's fields plus the caller's, those the object has; with the consent
 * objects also the linked Individual's fields through the parent relationship (same query, no request).
 */
export function fieldsToFetch(requested: readonly string[], types: Readonly<Record<string, string>>, consentObjects = false): string[] {
  const out: string[] = [];
  for (const f of [...CORE_FIELDS, ...requested]) if (types[f] !== undefined && types[f] !== 'base64' && !out.includes(f)) out.push(f);
  if (consentObjects && types.IndividualId !== undefined) for (const f of INDIVIDUAL_READ_FIELDS) out.push(`${INDIVIDUAL_RELATIONSHIP}.${f}`);
  return out;
}

const INDIVIDUAL_PREFIX = `${INDIVIDUAL_RELATIONSHIP}.`;
/** Describe types of the Individual fields a scan reads (Bulk CSV values are strings). */
const INDIVIDUAL_TYPES: Readonly<Record<string, string>> = { BirthDate: 'date', ...Object.fromEntries(INDIVIDUAL_FLAGS.map((f) => [f, 'boolean'])) };

/** The Individual a record carries through its parent relationship: undefined when not selected, null when the lookup is empty. */
function nestedIndividual(r: SfRecord): SfIndividual | null | undefined {
  if (!(INDIVIDUAL_RELATIONSHIP in r)) return undefined;
  const v = r[INDIVIDUAL_RELATIONSHIP];
  if (v === null || typeof v !== 'object' || typeof r.IndividualId !== 'string' || r.IndividualId === '') return null;
  const p = SfIndividual.safeParse({ ...(v as Record<string, unknown>), Id: r.IndividualId });
  return p.success ? p.data : null;
}

const individualIdOf = (r: SfRecord): string | null => (typeof r.IndividualId === 'string' && r.IndividualId !== '' ? r.IndividualId : null);

/** Every record of a SOQL query, page by page (small result sets: consent objects, links, tasks). */
export async function queryAll(client: SalesforceClient, soql: string, scanAll = false): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let page = await client.get(`/${scanAll ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`, QueryResponse);
  out.push(...page.records);
  while (!page.done && page.nextRecordsUrl) {
    page = await client.get(page.nextRecordsUrl, QueryResponse);
    out.push(...page.records);
  }
  return out;
}

// ---------------------------------------------------------------- enrichment (consent objects, notes)

/**
 * Individuals and ContactPointTypeConsent rows by id lists (`Id IN (...)`, ~300 ids a request): for a few
 * records (one contact, a write-back batch, Bulk pages, records a range query cannot cover). `parts` picks
 * what to read.
 */
export async function loadConsentObjects(
  ctx: Pick<SyncContext, 'client' | 'consent'>,
  individualIds: readonly string[],
  parts: { individuals: boolean; rows: boolean } = { individuals: true, rows: true },
): Promise<{ individuals: Map<string, SfIndividual>; rows: Map<string, SfConsentRow[]> }> {
  const individuals = new Map<string, SfIndividual>();
  const rows = new Map<string, SfConsentRow[]>();
  if (!ctx.consent.hasConsentObjects || individualIds.length === 0 || (!parts.individuals && !parts.rows)) return { individuals, rows };
  const limit = pLimit(4);
  await Promise.all(
    chunk([...new Set(individualIds)], QUERY.maxIdsPerQuery).map((ids) =>
      limit(async () => {
        const [ind, cptc] = await Promise.all([
          parts.individuals ? queryAll(ctx.client, select({ fields: [...INDIVIDUAL_FIELDS], from: 'Individual', where: [{ field: 'Id', op: 'IN', ids }] })) : Promise.resolve([]),
          parts.rows ? queryAll(ctx.client, select({ fields: [...CPTC_FIELDS], from: 'ContactPointTypeConsent', where: [{ field: 'PartyId', op: 'IN', ids }] })) : Promise.resolve([]),
        ]);
        for (const r of ind) {
          const p = SfIndividual.safeParse(r);
          if (p.success) individuals.set(p.data.Id, p.data);
        }
        for (const r of cptc) {
          const p = SfConsentRow.safeParse(r);
          if (p.success && p.data.PartyId) rows.set(p.data.PartyId, [...(rows.get(p.data.PartyId) ?? []), p.data]);
        }
      }),
    ),
  );
  return { individuals, rows };
}

const NoteRow = z.object({ Id: z.string(), Title: z.string().nullable().optional(), TextPreview: z.string().nullable().optional(), CreatedDate: z.string() }).loose();
const LegacyNoteRow = z.object({ Id: z.string(), ParentId: z.string(), Body: z.string().nullable().optional(), CreatedDate: z.string() }).loose();

/** Notes of many records: ContentNote via ContentDocumentLink (and/or legacy Note), full text. */
export async function fetchNotes(ctx: Pick<SyncContext, 'client' | 'notes'>, recordIds: readonly string[]): Promise<Map<string, Note[]>> {
  const out = new Map<string, Note[]>();
  const add = (id: string, n: Note) => out.set(id, [...(out.get(id) ?? []), n]);
  const limit = pLimit(4);
  await Promise.all(
    chunk([...new Set(recordIds)], QUERY.maxIdsPerQuery).map((ids) =>
      limit(async () => {
        if (ctx.notes !== 'legacy') {
          const links = await queryAll(ctx.client, select({ fields: ['ContentDocumentId', 'LinkedEntityId'], from: 'ContentDocumentLink', where: [{ field: 'LinkedEntityId', op: 'IN', ids }] }));
          const byDoc = new Map<string, string[]>();
          for (const l of links) {
            const d = String(l.ContentDocumentId);
            byDoc.set(d, [...(byDoc.get(d) ?? []), String(l.LinkedEntityId)]);
          }
          for (const docIds of chunk([...byDoc.keys()], QUERY.maxIdsPerQuery)) {
            const notes = (await queryAll(ctx.client, select({ fields: ['Id', 'Title', 'TextPreview', 'CreatedDate'], from: 'ContentNote', where: [{ field: 'Id', op: 'IN', ids: docIds }] }))).map((r) => NoteRow.parse(r));
            for (const n of notes) {
              // TextPreview is the first 255 characters of the plain text: shorter means it is the whole text
              // (already plain: stripping "tags" from it would drop text such as "<BSN ...>"); else fetch the
              // body, which is HTML or escaped text.
              let text = (n.TextPreview ?? '').trim();
              if ((n.TextPreview ?? '').length >= 255) {
                const r = await ctx.client.call<string>({ method: 'GET', path: `/sobjects/ContentNote/${n.Id}/Content`, idempotent: true, raw: true });
                text = noteText(typeof r.body === 'string' ? r.body : String(r.body ?? ''));
              }
              for (const owner of byDoc.get(n.Id) ?? []) add(owner, { id: n.Id, createdAt: toIso(n.CreatedDate) ?? new Date(0).toISOString(), body: text });
            }
          }
        }
        if (ctx.notes !== 'content') {
          const legacy = await queryAll(ctx.client, select({ fields: ['Id', 'ParentId', 'Body', 'CreatedDate'], from: 'Note', where: [{ field: 'ParentId', op: 'IN', ids }] }));
          for (const r of legacy) {
            const n = LegacyNoteRow.parse(r);
            add(n.ParentId, { id: n.Id, createdAt: toIso(n.CreatedDate) ?? new Date(0).toISOString(), body: noteText(n.Body ?? '') });
          }
        }
      }),
    ),
  );
  return out;
}

type Key = { ms: number; id: string };
const keyOf = (r: SfRecord): Key | null => {
  const iso = toIso(r.SystemModstamp);
  return iso ? { ms: Date.parse(iso), id: r.Id } : null;
};
const cmpKey = (a: Key, b: Key): number => a.ms - b.ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * ContactPointTypeConsent rows of the Individuals of `records`, a run of one object's SOQL pages in
 * (SystemModstamp, Id) order: one semi-join over the run's key range, paged by queryMore. SOQL datetimes
 * are whole seconds, so the range is widened to the seconds around its ends (ties there are cut by Id when
 * the instant is a whole second; otherwise a few neighbours' rows come along and are dropped). Records
 * whose key lies outside [first, last] (changed while the cursor was read) get theirs by id list.
 */
export async function consentRowsOfRun(ctx: Pick<SyncContext, 'client' | 'consent'>, obj: SfObject, records: readonly SfRecord[]): Promise<Map<string, SfConsentRow[]>> {
  return (await consentRowsOfRange(ctx, obj, records)).rows;
}

/** consentRowsOfRun, also telling how many rows the range query returned (neighbours' included): what its requests carried. */
export async function consentRowsOfRange(ctx: Pick<SyncContext, 'client' | 'consent'>, obj: SfObject, records: readonly SfRecord[]): Promise<{ rows: Map<string, SfConsentRow[]>; fetched: number }> {
  const rows = new Map<string, SfConsentRow[]>();
  const withIndividual = records.filter((r) => individualIdOf(r) !== null);
  if (!ctx.consent.hasConsentObjects || withIndividual.length === 0) return { rows, fetched: 0 };
  const lo = keyOf(records[0]!);
  const hi = keyOf(records[records.length - 1]!);
  if (!lo || !hi || cmpKey(lo, hi) > 0) {
    const byIds = (await loadConsentObjects(ctx, withIndividual.map((r) => individualIdOf(r)!), { individuals: false, rows: true })).rows;
    return { rows: byIds, fetched: [...byIds.values()].reduce((n, rs) => n + rs.length, 0) };
  }
  const outliers = withIndividual.filter((r) => {
    const k = keyOf(r);
    return !k || cmpKey(k, lo) < 0 || cmpKey(k, hi) > 0;
  });
  const from = new Date(Math.floor(lo.ms / 1000) * 1000);
  const to = new Date(Math.ceil(hi.ms / 1000) * 1000);
  const soql = select({
    fields: [...CPTC_FIELDS],
    from: 'ContactPointTypeConsent',
    where: [
      {
        field: 'PartyId',
        op: 'IN',
        sub: {
          fields: ['IndividualId'],
          from: obj,
          where: [
            { field: 'IndividualId', op: '!=', value: null },
            { anyOf: [[{ field: 'SystemModstamp', op: '>', value: { dt: from } }], [{ field: 'SystemModstamp', op: '=', value: { dt: from } }, { field: 'Id', op: '>=', value: { id: lo.id } }]] },
            { anyOf: [[{ field: 'SystemModstamp', op: '<', value: { dt: to } }], [{ field: 'SystemModstamp', op: '=', value: { dt: to } }, { field: 'Id', op: '<=', value: { id: hi.id } }]] },
          ],
        },
      },
    ],
  });
  const wanted = new Set(withIndividual.map((r) => individualIdOf(r)!));
  const [ranged, extra] = await Promise.all([
    queryAll(ctx.client, soql),
    outliers.length > 0 ? loadConsentObjects(ctx, outliers.map((r) => individualIdOf(r)!), { individuals: false, rows: true }).then((x) => x.rows) : Promise.resolve(new Map<string, SfConsentRow[]>()),
  ]);
  for (const r of ranged) {
    const p = SfConsentRow.safeParse(r);
    if (p.success && p.data.PartyId && wanted.has(p.data.PartyId)) rows.set(p.data.PartyId, [...(rows.get(p.data.PartyId) ?? []), p.data]);
  }
  for (const [party, rs] of extra) if (!rows.has(party)) rows.set(party, rs);
  return { rows, fetched: ranged.length };
}

/** Lets timers and I/O callbacks run between slices of CPU work. */
const yieldToTimers = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Records mapped between two yields. */
const MAP_SLICE = 250;

/**
 * Records of one object -> Contacts (with consent objects, and notes when asked). The Individual comes
 * nested in the record when the query selected it (else by id list); consent rows from `consentRows` when
 * the caller read them for a run of pages (else by id list).
 */
export async function toContacts(ctx: SyncContext, obj: SfObject, records: readonly SfRecord[], includeNotes: boolean, consentRows?: ReadonlyMap<string, SfConsentRow[]>): Promise<Contact[]> {
  const nested = records.map(nestedIndividual);
  const missingIndividuals = records.filter((r, i) => nested[i] === undefined && individualIdOf(r) !== null).map((r) => individualIdOf(r)!);
  const rowIds = consentRows ? [] : records.map(individualIdOf).filter((v): v is string => v !== null);
  const [consent, notes] = await Promise.all([
    loadConsentObjects(ctx, [...new Set([...missingIndividuals, ...rowIds])], { individuals: missingIndividuals.length > 0, rows: rowIds.length > 0 }),
    includeNotes ? fetchNotes(ctx, records.map((r) => r.Id)) : Promise.resolve(new Map<string, Note[]>()),
  ]);
  const rowsOf = consentRows ?? consent.rows;
  const mapping = { portalId: ctx.portalId, tenantId: ctx.tenantId, object: obj, fieldTypes: ctx.fieldTypes[obj], consent: ctx.consent };
  const out: Contact[] = [];
  for (const [i, r] of records.entries()) {
    // A 2,000-record batch is a few hundred ms of mapping: let timers (rate-budget grants, read-ahead) run in between.
    if (i > 0 && i % MAP_SLICE === 0) await yieldToTimers();
    const id = individualIdOf(r);
    const ind = nested[i] !== undefined ? nested[i]! : id ? (consent.individuals.get(id) ?? null) : null;
    const rows = id ? (rowsOf.get(id) ?? []) : [];
    const { contact } = contactFromSalesforce(r, ind, rows, mapping);
    contact.notes = notes.get(r.Id) ?? [];
    out.push(contact);
  }
  return out;
}

// ---------------------------------------------------------------- CSV

/** RFC 4180 rows of a CSV text (quoted fields, doubled quotes, newlines inside quotes). */
export function* csvRows(text: string): Generator<string[]> {
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      const j = text.indexOf('"', i);
      const end = j === -1 ? n : j;
      field += text.slice(i, end);
      i = end;
      continue;
    }
    if (c === '"') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      yield row;
      row = [];
      field = '';
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    yield row;
  }
}

// ---------------------------------------------------------------- streaming

const JobInfo = z.object({ id: z.string(), state: z.string(), numberRecordsProcessed: z.number().optional() }).loose();

export async function* streamContacts(ctx: SyncContext, so: StreamOptions): AsyncGenerator<ContactPage> {
  const cp = so.checkpoint ? Checkpoint.parse(JSON.parse(Buffer.from(so.checkpoint, 'base64url').toString('utf8'))) : null;
  const since = cp ? (cp.since ? new Date(cp.since) : undefined) : so.since;
  const startAt = cp ? OBJECTS.indexOf(cp.o) : 0;
  const density: ConsentDensity = { perRecord: null };
  const objects = OBJECTS.slice(startAt);
  const fieldsOf = (obj: SfObject) => fieldsToFetch(so.properties, ctx.fieldTypes[obj], ctx.consent.hasConsentObjects);
  // The next object's cursor is opened (and read ahead) once this object's cursor is read to its end, so
  // the request budget is not left idle while this object's last pages are mapped and handed out.
  let early: CursorReader | null = null;
  const goesBulk = bulkDecision(ctx, so, since);
  for (const [k, obj] of objects.entries()) {
    if (so.signal?.aborted) return;
    const resume = cp && cp.o === obj ? cp : null;
    const fields = fieldsOf(obj);
    const opened = early;
    early = null;
    if (resume?.m === 'bulk' || (!resume && so.bulk === true)) {
      yield* bulkScan(ctx, obj, fields, so, since, resume?.m === 'bulk' ? resume : null);
      continue;
    }
    const following = objects[k + 1];
    const openNext = following
      ? () => {
          early ??= new CursorReader(ctx.client, ctx.client.get(firstQuery(following, fieldsOf(following), since), QueryResponse, QUERY_HEADERS), null, readAheadPages(ctx, following), so.signal, goesBulk);
        }
      : undefined;
    yield* soqlScan(ctx, obj, fields, so, since, resume?.m === 'soql' ? resume : null, density, opened, openNext);
  }
}

const QUERY_HEADERS = { 'Sforce-Query-Options': `batchSize=${QUERY.batchSize}` };
/** A fresh keyset scan of one object, from an instant (SystemModstamp >=) or from the start. */
const firstQuery = (obj: SfObject, fields: readonly string[], from: Date | undefined): string =>
  `/query?q=${encodeURIComponent(select({ fields: [...fields], from: obj, where: from ? [{ field: 'SystemModstamp', op: '>=', value: { dt: from } }] : [], orderBy: [{ field: 'SystemModstamp' }, { field: 'Id' }] }))}`;

const encode = (c: Checkpoint): string => Buffer.from(JSON.stringify(c)).toString('base64url');

/** One SOQL batch as read, with the keyset state (instant and ids at it) a checkpoint after it records. */
interface ReadPage {
  records: SfRecord[];
  next: string | null;
  total: number;
  t: string | null;
  ids: string[];
}

/**
 * Consent rows per record in the last range batch, carried from Contacts to Leads: records come in
 * SystemModstamp order and how many rows a record has drifts through an org (imports, campaigns), so the
 * latest density predicts the next batch best.
 */
interface ConsentDensity {
  perRecord: number | null;
}

/** Full scans of objects past the Bulk threshold (the first batch's totalSize) go to Bulk API 2.0 unless told not to. */
const bulkDecision = (ctx: SyncContext, so: StreamOptions, since: Date | undefined) => (first: QueryResponse): boolean =>
  !since && so.bulk !== false && first.totalSize > ctx.bulkThreshold;

/** Batches of the cursor read ahead: with the consent objects up to a largest consent batch, else one. */
function readAheadPages(ctx: SyncContext, obj: SfObject): number {
  const consentAware = ctx.consent.hasConsentObjects && ctx.fieldTypes[obj].IndividualId !== undefined;
  return consentAware ? Math.max(1, Math.ceil((2 * Math.max(1, ctx.consentRangeRecords ?? CONSENT_RANGE_RECORDS)) / QUERY.batchSize)) : 1;
}

/**
 * One object's SOQL cursor, read ahead of its consumer. The cursor is sequential (one batch in flight at a
 * time), so batches are fetched into `buf` (up to `ahead`) while earlier ones are mapped, consent rows load,
 * or the previous object's last pages are handed out: the request budget always has a request waiting.
 * Each batch is digested in cursor order with the keyset state (instant and ids at it) a checkpoint after
 * it records; what a resumed keyset re-reads (records at the checkpoint's instant) is dropped.
 */
class CursorReader {
  readonly buf: ReadPage[] = [];
  nextUrl: string | null = null;
  /** Records the cursor has returned so far (before dropping re-reads). */
  readRaw = 0;
  /** The first batch, as returned (its totalSize decides SOQL or Bulk). */
  readonly first: Promise<QueryResponse>;
  private fetching: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;
  private stopped = false;
  private lastT: string | null;
  private atLastT: Set<string>;
  private onEnd: (() => void) | undefined;

  constructor(
    private readonly client: SalesforceClient,
    first: Promise<QueryResponse>,
    resume: { t: string | null; ids: readonly string[] } | null,
    private readonly ahead: number,
    private readonly signal?: AbortSignal,
    /** A first batch for which this is true reads no further (the scan goes to Bulk). */
    goesBulk?: (first: QueryResponse) => boolean,
  ) {
    this.lastT = resume?.t ?? null;
    this.atLastT = new Set(resume?.ids ?? []);
    this.first = first.then((p) => {
      if (goesBulk?.(p)) this.stopped = true;
      this.accept(p);
      return p;
    });
    this.first.catch(() => undefined); // awaited by the scan
  }

  /** Called once the cursor has been read to its end (at once if it already has). */
  whenRead(fn: (() => void) | undefined): void {
    this.onEnd = fn;
    if (fn && this.buf.length + this.readRaw > 0 && this.nextUrl === null && !this.fetching) fn();
  }

  /** Reads no further (the scan went to Bulk, or stopped). */
  stop(): void {
    this.stopped = true;
  }

  get exhausted(): boolean {
    return this.buf.length === 0 && this.nextUrl === null;
  }

  private accept(p: QueryResponse): void {
    this.readRaw += p.records.length;
    const records = (p.records as SfRecord[]).filter((r) => !(this.lastT !== null && r.SystemModstamp === this.lastT && this.atLastT.has(r.Id)));
    for (const r of p.records as SfRecord[]) {
      const t = typeof r.SystemModstamp === 'string' ? r.SystemModstamp : null;
      if (t !== this.lastT) {
        this.lastT = t;
        this.atLastT = new Set();
      }
      this.atLastT.add(r.Id);
    }
    const next = !p.done && p.nextRecordsUrl ? p.nextRecordsUrl : null;
    this.buf.push({ records, next, total: p.totalSize, t: this.lastT, ids: [...this.atLastT] });
    this.nextUrl = next;
    if (next === null) this.onEnd?.();
    else this.pump();
  }

  pump(): void {
    if (this.fetching || !this.nextUrl || this.failure || this.stopped || this.buf.length >= this.ahead || this.signal?.aborted) return;
    this.fetching = this.client
      .get(this.nextUrl, QueryResponse, QUERY_HEADERS)
      .then(
        (p) => {
          this.fetching = null;
          this.accept(p);
        },
        (error: unknown) => {
          this.fetching = null;
          this.failure = { error };
        },
      );
  }

  /** The next batch in cursor order; null at the end. */
  async take(): Promise<ReadPage | null> {
    await this.first;
    for (;;) {
      const p = this.buf.shift();
      if (p) {
        this.pump();
        return p;
      }
      if (this.failure) throw this.failure.error;
      if (!this.nextUrl) return null;
      this.pump();
      if (this.fetching) await this.fetching;
    }
  }
}

async function* soqlScan(
  ctx: SyncContext,
  obj: SfObject,
  fields: string[],
  so: StreamOptions,
  since: Date | undefined,
  resume: Extract<Checkpoint, { m: 'soql' }> | null,
  density: ConsentDensity = { perRecord: null },
  /** This object's fresh cursor, already opened and reading ahead. */
  opened: CursorReader | null = null,
  /** Called once this object's cursor has been read to its end. */
  onCursorEnd?: () => void,
): AsyncGenerator<ContactPage> {
  const fresh = (from: Date | undefined) => firstQuery(obj, fields, from);
  const goesBulk = bulkDecision(ctx, so, since);
  const ahead = readAheadPages(ctx, obj);
  let reader: CursorReader;
  if (resume?.next) {
    let page: QueryResponse;
    try {
      page = await ctx.client.get(resume.next, QueryResponse, QUERY_HEADERS);
    } catch (e) {
      if (!(e instanceof SalesforceApiError && e.errorCode === 'INVALID_QUERY_LOCATOR')) throw e;
      page = await ctx.client.get(fresh(resume.t ? new Date(toIso(resume.t)!) : since), QueryResponse, QUERY_HEADERS);
    }
    reader = new CursorReader(ctx.client, Promise.resolve(page), resume, ahead, so.signal);
  } else if (resume) {
    return; // that object was finished
  } else {
    reader = opened ?? new CursorReader(ctx.client, ctx.client.get(fresh(since), QueryResponse, QUERY_HEADERS), null, ahead, so.signal, goesBulk);
  }
  const page = await reader.first;
  if (!resume && goesBulk(page)) {
    reader.stop();
    yield* bulkScan(ctx, obj, fields, so, since, null);
    return;
  }
  reader.whenRead(onCursorEnd);
  reader.pump();
  const { buf } = reader;
  const take = () => reader.take();
  const exhausted = (): boolean => reader.exhausted;
  // Records the cursor holds in all (a fresh query's totalSize): where its end lies.
  const queryTotal = resume ? null : page.totalSize;
  const consentAware = ctx.consent.hasConsentObjects && ctx.fieldTypes[obj].IndividualId !== undefined;
  const runRecords = Math.max(1, ctx.consentRangeRecords ?? CONSENT_RANGE_RECORDS);
  const maxBatch = 2 * runRecords;

  const out = async (p: ReadPage, rows?: ReadonlyMap<string, SfConsentRow[]>): Promise<ContactPage> => ({
    contacts: await toContacts(ctx, obj, p.records, so.includeNotes, rows),
    checkpoint: encode({ m: 'soql', o: obj, t: p.t, ids: p.ids, next: p.next, since: since?.toISOString() ?? null }),
    total: p.total,
  });

  if (!consentAware) {
    for (let p = await take(); p; p = await take()) {
      if (so.signal?.aborted) return;
      yield await out(p);
      // Let the rate budget's timers run between pages (mapping is CPU work that would otherwise delay grants).
      await yieldToTimers();
    }
    return;
  }

  // Consent objects: the consent rows of a batch of records (consecutive in the cursor, possibly ending
  // inside a page) come from one range semi-join. The requests it costs are ceil(rows / 2,000), so batches
  // are sized from the rows per record seen so far to fill whole result pages (just under k x 2,000 rows,
  // k ~ consentRangeRecords' worth): the last, partial page of each batch is the waste. A page is handed out
  // once all its records are covered.
  const open: ReadPage[] = [];
  let openRecords = 0;
  let requested = 0; // records of `open` (in order) whose consent query has been sent
  let covered = 0; // ... and whose consent rows are in `rows`
  let rows = new Map<string, SfConsentRow[]>();
  const batchSize = (): number => {
    // The cursor's end is in sight: one batch for the rest (its partial last page is the one unavoidable).
    const unread = queryTotal !== null ? Math.max(0, queryTotal - reader.readRaw) : reader.nextUrl === null ? 0 : Infinity;
    const rest = openRecords - requested + buf.reduce((n, p) => n + p.records.length, 0) + unread;
    if (rest <= maxBatch) return Math.max(1, rest);
    const perRecord = density.perRecord;
    if (!perRecord) return runRecords;
    const wanted = Math.max(1, Math.round((runRecords * perRecord) / QUERY.batchSize)) * QUERY.batchSize;
    // Room for chance: rows per record vary, and one row over costs a whole request.
    const margin = 2 * Math.sqrt(wanted) + wanted * 0.01;
    return Math.min(maxBatch, Math.max(1, Math.floor((wanted - margin) / perRecord)));
  };
  const push = (p: ReadPage): void => {
    open.push(p);
    openRecords += p.records.length;
  };
  type Batch = { size: number; result: Promise<{ rows: Map<string, SfConsentRow[]>; fetched: number }> };
  const send = (want: number): Batch => {
    const records = open.flatMap((p) => p.records).slice(requested, requested + want);
    requested += records.length;
    const result = consentRowsOfRange(ctx, obj, records);
    result.catch(() => undefined); // awaited below; a failure surfaces there
    return { size: records.length, result };
  };
  let inflight: Batch | null = null;
  for (;;) {
    if (so.signal?.aborted) return;
    if (!inflight) {
      const want = batchSize();
      while (openRecords - requested < want) {
        const p = await take();
        if (!p) break;
        push(p);
      }
      if (open.length === 0) return;
      inflight = send(want);
    }
    const got = await inflight.result;
    for (const [party, rs] of got.rows) if (!rows.has(party)) rows.set(party, rs);
    covered += inflight.size;
    if (inflight.size > 0 && got.fetched > 0) density.perRecord = got.fetched / inflight.size;
    inflight = null;
    // The next batch goes out now if its records are already read, so its rows load while these pages are used.
    const want = batchSize();
    while (openRecords - requested < want && buf.length > 0) push(buf.shift()!);
    reader.pump();
    if (openRecords - requested >= want || (exhausted() && openRecords > requested)) inflight = send(want);
    while (open.length > 0 && covered >= open[0]!.records.length) {
      const p = open.shift()!;
      covered -= p.records.length;
      requested -= p.records.length;
      openRecords -= p.records.length;
      if (so.signal?.aborted) return;
      yield await out(p, rows);
      await yieldToTimers();
    }
    // Keep only the rows of records still waiting (a page split between two batches).
    const waiting = new Set(open.flatMap((p) => p.records.map(individualIdOf)).filter((v): v is string => v !== null));
    rows = new Map([...rows].filter(([party]) => waiting.has(party)));
    if (!inflight && open.length === 0 && exhausted()) return;
  }
}

async function* bulkScan(ctx: SyncContext, obj: SfObject, fields: string[], so: StreamOptions, since: Date | undefined, resume: Extract<Checkpoint, { m: 'bulk' }> | null): AsyncGenerator<ContactPage> {
  let jobId = resume?.job ?? null;
  if (jobId) {
    // A resumed job must still exist; otherwise start a new one.
    try {
      await ctx.client.get(`/jobs/query/${jobId}`, JobInfo);
    } catch (e) {
      if (!(e instanceof SalesforceApiError && e.status === 404)) throw e;
      jobId = null;
      resume = null;
    }
  }
  if (!jobId) {
    const query = select({ fields, from: obj, where: since ? [{ field: 'SystemModstamp', op: '>=', value: { dt: since } }] : [] });
    // Creating a job is not idempotent; a retry after a server error could start a second job (harmless: it is only read).
    const r = await ctx.client.call({ method: 'POST', path: '/jobs/query', body: { operation: 'query', query, contentType: 'CSV', columnDelimiter: 'COMMA', lineEnding: 'LF' }, idempotent: true });
    jobId = JobInfo.parse(r.body).id;
  }
  const deadline = Date.now() + BULK2.pollTimeoutMs;
  for (;;) {
    const info = await ctx.client.get(`/jobs/query/${jobId}`, JobInfo);
    if (info.state === 'JobComplete') break;
    if (info.state === 'Failed' || info.state === 'Aborted') throw new SalesforceApiError(200, 'BULK_JOB_' + info.state.toUpperCase(), `Bulk API 2.0 query job ${jobId} ${info.state}`);
    if (Date.now() > deadline) throw new SalesforceApiError(200, 'BULK_JOB_TIMEOUT', `Bulk API 2.0 query job ${jobId} still ${info.state}`);
    await new Promise((r) => setTimeout(r, ctx.bulkPollIntervalMs ?? BULK2.pollIntervalMs));
  }
  const pageSize = ctx.bulkPageRecords ?? BULK2.resultsPageRecords;
  let loc: string | null = resume?.loc ?? null;
  let skip = resume?.skip ?? 0;
  const seen = new Set<string>();
  const fetchResults = (at: string | null) => ctx.client.call<string>({ method: 'GET', path: `/jobs/query/${jobId}/results?${at ? `locator=${encodeURIComponent(at)}&` : ''}maxRecords=${pageSize}`, headers: { Accept: 'text/csv' }, idempotent: true, raw: true });
  let pending = fetchResults(loc);
  for (;;) {
    if (so.signal?.aborted) return;
    const r = await pending;
    const nextLoc = r.headers['sforce-locator'];
    // The next results page is downloaded while this one is mapped (two pages in memory at most).
    if (nextLoc && nextLoc !== 'null') {
      pending = fetchResults(nextLoc);
      pending.catch(() => undefined); // awaited on the next round
    }
    let header: string[] | null = null;
    let batch: SfRecord[] = [];
    let index = 0;
    const flush = async (last: boolean): Promise<ContactPage> => {
      const contacts = await toContacts(ctx, obj, batch, so.includeNotes);
      batch = [];
      const done = last && (!nextLoc || nextLoc === 'null');
      return { contacts, checkpoint: done ? encode({ m: 'bulk', o: obj, job: jobId!, loc: 'null', skip: 0, since: since?.toISOString() ?? null }) : last ? encode({ m: 'bulk', o: obj, job: jobId!, loc: nextLoc!, skip: 0, since: since?.toISOString() ?? null }) : encode({ m: 'bulk', o: obj, job: jobId!, loc, skip: index, since: since?.toISOString() ?? null }) };
    };
    for (const cells of csvRows(typeof r.body === 'string' ? r.body : '')) {
      if (!header) {
        header = cells;
        continue;
      }
      if (cells.length === 1 && cells[0] === '') continue;
      index++;
      if (index <= skip) continue;
      const row: Record<string, string> = {};
      let individual: Record<string, string> | null = null;
      header.forEach((h, i) => {
        // Individual.<field> columns (parent relationship) fold back into the nested object REST returns.
        if (h.startsWith(INDIVIDUAL_PREFIX)) (individual ??= {})[h.slice(INDIVIDUAL_PREFIX.length)] = cells[i] ?? '';
        else row[h] = cells[i] ?? '';
      });
      const rec = fromCsvRow(row, ctx.fieldTypes[obj]);
      if (individual) rec[INDIVIDUAL_RELATIONSHIP] = individualIdOf(rec) ? fromCsvRow(individual, INDIVIDUAL_TYPES) : null;
      if (seen.has(rec.Id)) continue;
      seen.add(rec.Id);
      batch.push(rec);
      if (batch.length >= QUERY.batchSize) yield await flush(false);
    }
    seen.clear();
    yield await flush(true);
    skip = 0;
    if (!nextLoc || nextLoc === 'null') break;
    loc = nextLoc;
  }
  // Results stay downloadable for 7 days otherwise; we have them.
  await ctx.client.call({ method: 'DELETE', path: `/jobs/query/${jobId}`, idempotent: true }).catch(() => undefined);
}
