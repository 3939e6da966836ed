/**
 * A local Salesforce org over real HTTP, faithful to reference/salesforce.md so the unmodified jsforce
 * works against it: REST query/queryAll with nextRecordsUrl cursors, describe, sObject CRUD, sObject
 * Collections, Bulk API 2.0 query jobs with CSV results paged by Sforce-Locator, the consent objects
 * (optional per org), Tasks, ContentNote notes, the OAuth token endpoint, JSON-array error bodies,
 * Sforce-Limit-Info on every REST response and the daily API request allocation (403 REQUEST_LIMIT_EXCEEDED).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { iteratePeople } from '../../sandbox-seed/people';
import type { SeedOptions } from '../../sandbox-seed/types';
import { KEY_PREFIXES, WRITABLE, type SbField } from './catalog';
import { compareRows, isGroup, isSemiJoin, matches, parseSoql, SoqlError, walkConds, type Getter, type ParsedQuery } from './soql';
import { lazyContactRow, SalesforceState, sfTime, type Row } from './state';

export interface FailureRule {
  method?: string;
  /** Matched against the path after /services/data/vNN.N (or the full path for oauth). */
  path?: RegExp;
  status: number;
  errorCode?: string;
  message?: string;
  retryAfterSec?: number;
  times: number;
}

export interface SalesforceSandboxOptions {
  port?: number;
  latencyMs?: number;
  limits?: {
    /** Daily API request allocation (rolling window of `windowMs`, default 24 h). */
    dailyApiRequests?: number;
    windowMs?: number;
    /** Default Bulk 2.0 results page when the client sends no maxRecords. */
    bulkPageRecords?: number;
  };
  seed?: SeedOptions;
  /** A large org generated lazily (Contacts only, Bulk 2.0 reads): memory stays flat at any size. */
  lazy?: SeedOptions;
  hasConsentObjects?: boolean;
  instanceName?: string;
  accessToken?: string;
  refreshToken?: string;
  clientId?: string;
  clientSecret?: string;
  failures?: FailureRule[];
  /** How long a Bulk 2.0 query job stays InProgress. */
  bulkProcessingMs?: number;
}

export interface SandboxStats {
  requests: number;
  apiCalls: number;
  byRoute: Record<string, number>;
  /** SOQL queries (query/queryAll, not queryMore) per FROM object, and records returned per object (all batches). */
  queriesByObject: Record<string, number>;
  recordsByObject: Record<string, number>;
  maxInFlight: number;
}

export interface SalesforceSandbox {
  url: string;
  state: SalesforceState;
  stats: SandboxStats;
  addFailure(rule: FailureRule): void;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

interface Cursor {
  ids: string[];
  obj: string;
  fields: string[];
  offset: number;
  batch: number;
}

interface QueryJob {
  id: string;
  operation: 'query' | 'queryAll';
  object: string;
  query: ParsedQuery;
  createdMs: number;
  state: 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Aborted' | 'Failed';
  apiVersion: string;
  /** Snapshot of matching ids (in-memory org) or a lazy iterator position (large org). */
  ids: string[] | null;
  lazyIter: { pos: number; it: Iterator<Row> } | null;
  total: number;
}

const JSON_CT = 'application/json;charset=UTF-8';
const VERSION_RE = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/;

export async function startSalesforceSandbox(opts: SalesforceSandboxOptions = {}): Promise<SalesforceSandbox> {
  const state = new SalesforceState(opts.hasConsentObjects ?? true, opts.instanceName ?? 'EU45', opts);
  if (opts.seed) state.seed(opts.seed);
  const dailyLimit = opts.limits?.dailyApiRequests ?? 5_000_000;
  const windowMs = opts.limits?.windowMs ?? 86_400_000;
  const failures: FailureRule[] = [...(opts.failures ?? [])];
  const stats: SandboxStats = { requests: 0, apiCalls: 0, byRoute: {}, queriesByObject: {}, recordsByObject: {}, maxInFlight: 0 };
  const cursors = new Map<string, Cursor>();
  const jobs = new Map<string, QueryJob>();
  let cursorSeq = 0;
  let inFlight = 0;
  let baseUrl = '';

  const apiUsed = (): number => {
    const cutoff = Date.now() - windowMs;
    while (state.apiLog.length > 0 && state.apiLog[0]! < cutoff) state.apiLog.shift();
    return state.apiLog.length;
  };

  const fieldsOf = (obj: string): SbField[] => {
    const fs = state.catalog[obj];
    if (!fs) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return fs;
  };
  const fieldDef = (obj: string, name: string): SbField | undefined => fieldsOf(obj).find((f) => f.name.toLowerCase() === name.toLowerCase());

  // ------------------------------------------------------------ relationships (child-to-parent paths)

  const relCache = new Map<string, { def: SbField; target: string } | null>();
  /** The lookup field behind relationship `rel` of `obj` (describe relationshipName; single-target lookups only). */
  const relationship = (obj: string, rel: string): { def: SbField; target: string } | null => {
    const key = `${obj}.${rel.toLowerCase()}`;
    let r = relCache.get(key);
    if (r === undefined) {
      const d = fieldsOf(obj).find((f) => f.relationshipName?.toLowerCase() === rel.toLowerCase());
      r = d && d.referenceTo?.length === 1 && state.catalog[d.referenceTo[0]!] ? { def: d, target: d.referenceTo[0]! } : null;
      relCache.set(key, r);
    }
    return r;
  };
  /** The parent row a lookup points to; null when the lookup is empty or the parent is in the Recycle Bin. */
  const parentRow = (row: Record<string, unknown>, rel: { def: SbField; target: string }): Row | null => {
    const id = row[rel.def.name];
    if (typeof id !== 'string' || id === '') return null;
    const p = state.table(rel.target).get(id);
    return p && p.IsDeleted !== true ? p : null;
  };
  /** A field name or relationship path (Individual.ShouldForget) -> its canonical spelling and the field it ends in. */
  const resolvePath = (obj: string, path: string): { path: string; def: SbField } => {
    const parts = path.split('.');
    let cur = obj;
    const canon: string[] = [];
    for (const rel of parts.slice(0, -1)) {
      const r = relationship(cur, rel);
      if (!r) {
        throw new ApiError(400, 'INVALID_FIELD', `Didn't understand relationship '${rel}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`);
      }
      canon.push(r.def.relationshipName!);
      cur = r.target;
    }
    const last = parts[parts.length - 1]!;
    const d = fieldDef(cur, last);
    if (!d) throw new ApiError(400, 'INVALID_FIELD', `No such column '${last}' on entity '${cur}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`);
    return { path: [...canon, d.name].join('.'), def: d };
  };
  /** Reads canonical fields and paths of `obj` rows (for WHERE, ORDER BY and Bulk CSV). */
  const getter = (obj: string): Getter => (row, field) => {
    if (!field.includes('.')) return row[field];
    const parts = field.split('.');
    let cur = obj;
    let r: Record<string, unknown> | null = row;
    for (const rel of parts.slice(0, -1)) {
      const x = relationship(cur, rel);
      if (!x || !r) return null;
      r = parentRow(r, x);
      cur = x.target;
    }
    return r ? (r[parts[parts.length - 1]!] ?? null) : null;
  };

  /** REST record JSON: parent fields nest under the relationship name, `null` when the lookup is empty. */
  const project = (obj: string, row: Row, fields: readonly string[], version: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { attributes: { type: obj, url: `/services/data/v${version}/sobjects/${obj}/${row.Id}` } };
    for (const f of fields) {
      const dot = f.indexOf('.');
      if (dot >= 0) {
        const rel = f.slice(0, dot);
        if (rel in out) continue;
        const r = relationship(obj, rel)!;
        const parent = parentRow(row, r);
        out[rel] = parent ? project(r.target, parent, fields.filter((g) => g.startsWith(`${rel}.`)).map((g) => g.slice(dot + 1)), version) : null;
        continue;
      }
      const def = fieldDef(obj, f)!;
      let v = row[def.name];
      if (def.type === 'base64' && v !== null && v !== undefined) v = `/services/data/v${version}/sobjects/${obj}/${row.Id}/${def.name}`;
      out[def.name] = v === undefined ? null : v;
    }
    return out;
  };

  // ------------------------------------------------------------ SOQL

  const isIdField = (d: SbField): boolean => d.type === 'id' || d.type === 'reference';

  const checkQuery = (q: ParsedQuery): void => {
    const obj = Object.keys(state.catalog).find((o) => o.toLowerCase() === q.from.toLowerCase());
    if (!obj) throw new ApiError(400, 'INVALID_TYPE', `sObject type '${q.from}' is not supported.`);
    q.from = obj;
    const check = (name: string): string => resolvePath(obj, name).path;
    q.fields = q.fields.map(check);
    for (const c of walkConds(q.where)) {
      if (isGroup(c)) continue;
      c.field = check(c.field);
      if (isSemiJoin(c)) {
        // Salesforce: the left operand is one Id or reference field (no relationship path), the sub-select
        // queries one Id or reference field of its own object.
        if (c.field.includes('.') || !isIdField(resolvePath(obj, c.field).def)) {
          throw new ApiError(400, 'MALFORMED_QUERY', `semi join sub selects are only supported on id and reference fields, cannot use: '${c.field}'`);
        }
        checkQuery(c.sub);
        const f = c.sub.fields[0]!;
        if (f.includes('.') || !isIdField(resolvePath(c.sub.from, f).def)) throw new ApiError(400, 'MALFORMED_QUERY', `semi join sub selects can only query id fields, cannot use: '${f}'`);
      }
    }
    for (const o of q.orderBy) o.field = check(o.field);
    if (obj === 'ContentDocumentLink' && !q.where.some((c) => !isGroup(c) && (c.field === 'LinkedEntityId' || c.field === 'ContentDocumentId') && (c.op === '=' || c.op === 'IN'))) {
      throw new ApiError(400, 'MALFORMED_QUERY', 'Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or LinkedEntityId using the equals operator or multiple Id\'s using the IN operator.');
    }
  };

  const parse = (soql: string): ParsedQuery => {
    try {
      const q = parseSoql(soql);
      checkQuery(q);
      return q;
    } catch (e) {
      if (e instanceof SoqlError) throw new ApiError(400, e.errorCode, e.message);
      throw e;
    }
  };

  /** Evaluates each semi-/anti-join's sub-select once: the set of ids the left operand is tested against. */
  const resolveSemiJoins = (q: ParsedQuery): void => {
    for (const c of walkConds(q.where)) {
      if (!isSemiJoin(c)) continue;
      const f = c.sub.fields[0]!;
      c.ids = new Set(run(c.sub, false).map((r) => r[f]).filter((v): v is string => typeof v === 'string' && v !== ''));
    }
  };

  const run = (q: ParsedQuery, scanAll: boolean): Row[] => {
    if (opts.lazy && q.from === 'Contact') throw new ApiError(400, 'MALFORMED_QUERY', 'this large sandbox org serves Contacts through Bulk API 2.0 only');
    resolveSemiJoins(q);
    const get = getter(q.from);
    let rows = [...state.table(q.from).values()].filter((r) => (scanAll || r.IsDeleted !== true) && matches(r, q.where, get));
    if (q.orderBy.length > 0) rows.sort((a, b) => compareRows(a, b, q.orderBy, get));
    if (q.limit !== null) rows = rows.slice(0, q.limit);
    return rows;
  };

  const queryPage = (c: Cursor, locator: string, version: string) => {
    const slice = c.ids.slice(c.offset, c.offset + c.batch);
    const records = slice.map((id) => state.table(c.obj).get(id)).filter((r): r is Row => !!r).map((r) => project(c.obj, r, c.fields, version));
    stats.recordsByObject[c.obj] = (stats.recordsByObject[c.obj] ?? 0) + records.length;
    const next = c.offset + c.batch;
    const done = next >= c.ids.length;
    const body: Record<string, unknown> = { totalSize: c.ids.length, done, records };
    if (!done) {
      const nextLocator = `${locator.split('-')[0]}-${next}`;
      cursors.set(nextLocator, { ...c, offset: next });
      body.nextRecordsUrl = `/services/data/v${version}/query/${nextLocator}`;
    }
    return body;
  };

  // ------------------------------------------------------------ writes

  const validate = (obj: string, fields: Record<string, unknown>, creating: boolean): { clean: Record<string, unknown>; error?: ApiError } => {
    const clean: Record<string, unknown> = {};
    for (const [k, raw] of Object.entries(fields)) {
      if (k === 'attributes' || k === 'id' || k === 'Id') continue;
      const d = fieldDef(obj, k);
      if (!d) return { clean, error: new ApiError(400, 'INVALID_FIELD', `No such column '${k}' on sobject of type ${obj}`, [k]) };
      if ((creating && d.createable === false) || (!creating && d.updateable === false)) {
        return { clean, error: new ApiError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${d.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, [d.name]) };
      }
      let v = raw;
      if (d.type === 'boolean' && (v === null || v === undefined)) v = false;
      if ((v === null || v === '') && d.nillable === false) return { clean, error: new ApiError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${d.name}]`, [d.name]) };
      if (v !== null && d.type === 'email' && (typeof v !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v))) {
        // Salesforce echoes the rejected value in the message: the connector must not pass it on.
        return { clean, error: new ApiError(400, 'INVALID_EMAIL_ADDRESS', `${d.label}: invalid email address: ${String(v)}`, [d.name]) };
      }
      if (typeof v === 'string' && d.length !== undefined && d.type !== 'base64' && v.length > d.length) {
        return { clean, error: new ApiError(400, 'STRING_TOO_LONG', `${d.label}: data value too large: ${v} (max length=${d.length})`, [d.name]) };
      }
      if (v !== null && d.type === 'reference' && typeof v === 'string' && !state.get(v)) {
        return { clean, error: new ApiError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [d.name]) };
      }
      if (v !== null && d.type === 'datetime' && (typeof v !== 'string' || !Number.isFinite(Date.parse(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))))) {
        return { clean, error: new ApiError(400, 'INVALID_TYPE_ON_FIELD_IN_RECORD', `${d.label}: value not of required type: ${String(v)}`, [d.name]) };
      }
      if (d.type === 'base64' && typeof v === 'string') v = Buffer.from(v, 'base64').toString('utf8');
      if (d.type === 'datetime' && typeof v === 'string') v = sfTime(Date.parse(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')));
      clean[d.name] = v;
    }
    if (creating) {
      for (const d of fieldsOf(obj)) {
        if (d.nillable === false && d.createable !== false && d.type !== 'boolean' && clean[d.name] === undefined && !['OwnerId', 'Status', 'Priority', 'ContactPointType'].includes(d.name)) {
          return { clean, error: new ApiError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${d.name}]`, [d.name]) };
        }
      }
    }
    return { clean };
  };

  const applyDerived = (obj: string, row: Record<string, unknown>): void => {
    if (obj === 'Task') row.IsClosed = row.Status === 'Completed';
    // TextPreview is the note's plain text: markup stripped, escaped characters decoded.
    if (obj === 'ContentNote' && typeof row.Content === 'string') {
      const text = row.Content.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&');
      row.TextPreview = text.slice(0, 255);
    }
  };

  const createOne = (obj: string, fields: Record<string, unknown>): string => {
    if (!WRITABLE.has(obj) || !state.catalog[obj]) throw new ApiError(400, 'INVALID_TYPE', `sObject type '${obj}' is not supported.`);
    const { clean, error } = validate(obj, fields, true);
    if (error) throw error;
    const defaults: Record<string, unknown> = {};
    for (const d of fieldsOf(obj)) if (d.type === 'boolean' && clean[d.name] === undefined && d.createable !== false) defaults[d.name] = false;
    if (obj === 'Task') Object.assign(defaults, { Status: 'Not Started', Priority: 'Normal' });
    if (fieldDef(obj, 'OwnerId')) defaults.OwnerId = state.userId;
    if (obj === 'ContentNote') defaults.FileType = 'SNOTE';
    const row = { ...defaults, ...clean };
    applyDerived(obj, row);
    return state.insert(obj, row);
  };

  const updateOne = (obj: string, id: string, fields: Record<string, unknown>): void => {
    const row = state.table(obj).get(id);
    if (!row) throw new ApiError(404, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
    if (row.IsDeleted === true) throw new ApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
    const { clean, error } = validate(obj, fields, false);
    if (error) throw error;
    Object.assign(row, clean);
    applyDerived(obj, row);
    state.touch(id);
  };

  const deleteOne = (id: string): void => {
    const row = state.get(id);
    if (!row) throw new ApiError(404, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
    if (row.IsDeleted === true) throw new ApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
    state.delete(id);
  };

  const resultOf = (id: string | null, e: unknown) => {
    if (e instanceof ApiError) return { id, success: false, errors: [{ statusCode: e.errorCode, message: e.message, fields: e.fields }] };
    throw e;
  };

  /** allOrNone: snapshot the touched tables, roll back on any failure. */
  const collection = (allOrNone: boolean, ops: { id: string | null; run: () => { id: string | null } }[]): { id: string | null; success: boolean; errors: unknown[] }[] => {
    const snapshot = allOrNone ? new Map([...state.objects].map(([k, t]) => [k, new Map([...t].map(([id, r]) => [id, { ...r }]))])) : null;
    const results = ops.map((op) => {
      try {
        return { ...op.run(), success: true, errors: [] as unknown[] };
      } catch (e) {
        return resultOf(op.id, e);
      }
    });
    if (snapshot && results.some((r) => !r.success)) {
      for (const [k, t] of snapshot) state.objects.set(k, t);
      return results.map((r) =>
        r.success ? { id: r.id, success: false, errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid and the request was using AllOrNone header', fields: [] }] } : r,
      );
    }
    return results;
  };

  // ------------------------------------------------------------ Bulk 2.0

  const jobInfo = (j: QueryJob) => ({
    id: j.id,
    operation: j.operation,
    object: j.object,
    createdById: state.userId,
    createdDate: sfTime(j.createdMs),
    systemModstamp: sfTime(Date.now()),
    state: j.state,
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: Number(j.apiVersion),
    lineEnding: 'LF',
    columnDelimiter: 'COMMA',
    jobType: 'V2Query',
    numberRecordsProcessed: j.state === 'JobComplete' ? j.total : 0,
    retries: 0,
    totalProcessingTime: j.state === 'JobComplete' ? Math.max(0, Date.now() - j.createdMs) : 0,
  });

  const lazyRows = function* (seed: SeedOptions, q: ParsedQuery): Generator<Row> {
    const get = getter(q.from);
    for (const p of iteratePeople(seed)) {
      const r = lazyContactRow(p);
      if (matches(r, q.where, get)) yield r;
    }
  };

  const completeJob = (j: QueryJob): void => {
    if (j.state !== 'UploadComplete' && j.state !== 'InProgress') return;
    if (Date.now() - j.createdMs < (opts.bulkProcessingMs ?? 0)) {
      j.state = 'InProgress';
      return;
    }
    if (opts.lazy && j.object === 'Contact') {
      // Counting a lazy org would generate it twice; the seed count is the total (filters aside).
      j.total = opts.lazy.count;
      resolveSemiJoins(j.query);
      j.lazyIter = { pos: 0, it: lazyRows(opts.lazy, j.query) };
    } else {
      j.ids = run(j.query, j.operation === 'queryAll').map((r) => r.Id);
      j.total = j.ids.length;
    }
    j.state = 'JobComplete';
  };

  const csvCell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'string' ? v : String(v);
    return `"${s.replace(/"/g, '""')}"`;
  };

  const bulkCsv = (j: QueryJob, offset: number, max: number): { csv: string; count: number; next: number | null } => {
    const fields = j.query.fields;
    const lines = [fields.map((f) => `"${f}"`).join(',')];
    let count = 0;
    // Relationship columns (Individual.ShouldForget) are read through the lookup; an empty lookup is an empty cell.
    const get = getter(j.object);
    const defs = fields.map((f) => resolvePath(j.object, f).def);
    const fmt = (r: Row) => fields.map((f, k) => {
      const v = get(r, f);
      const def = defs[k];
      // Bulk CSV datetimes use the Z form.
      if (def?.type === 'datetime' && typeof v === 'string') return csvCell(new Date(Date.parse(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))).toISOString());
      return csvCell(v);
    }).join(',');
    if (j.ids) {
      for (const id of j.ids.slice(offset, offset + max)) {
        const r = state.table(j.object).get(id);
        if (!r) continue;
        lines.push(fmt(r));
        count++;
      }
      const next = offset + max < j.ids.length ? offset + max : null;
      return { csv: lines.join('\n') + '\n', count, next };
    }
    const li = j.lazyIter!;
    if (li.pos !== offset) {
      li.it = lazyRows(opts.lazy!, j.query);
      li.pos = 0;
      while (li.pos < offset && !li.it.next().done) li.pos++;
    }
    let done = false;
    while (count < max) {
      const n = li.it.next();
      if (n.done) {
        done = true;
        break;
      }
      lines.push(fmt(n.value));
      count++;
      li.pos++;
    }
    if (!done && li.pos >= opts.lazy!.count) done = true;
    return { csv: lines.join('\n') + '\n', count, next: done ? null : li.pos };
  };

  // ------------------------------------------------------------ routing

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const json = (raw: string): Record<string, unknown> => {
    try {
      const v = JSON.parse(raw || '{}');
      if (typeof v !== 'object' || v === null) throw new Error('not an object');
      return v as Record<string, unknown>;
    } catch {
      throw new ApiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON.');
    }
  };

  type Reply = { status: number; body?: unknown; headers?: Record<string, string>; raw?: string; contentType?: string };

  const handleData = async (method: string, path: string, url: URL, version: string, req: IncomingMessage): Promise<Reply> => {
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    const route = (r: string) => (stats.byRoute[`${method} ${r}`] = (stats.byRoute[`${method} ${r}`] ?? 0) + 1);

    if (method === 'GET' && seg[0] === 'limits' && seg.length === 1) {
      route('/limits');
      const used = apiUsed();
      return { status: 200, body: { DailyApiRequests: { Max: dailyLimit, Remaining: Math.max(0, dailyLimit - used) }, DailyBulkV2QueryJobs: { Max: 10_000, Remaining: 10_000 - jobs.size }, DailyBulkV2QueryFileStorageMB: { Max: 976_562, Remaining: 976_562 } } };
    }
    if (method === 'GET' && (seg[0] === 'query' || seg[0] === 'queryAll')) {
      if (seg.length === 2) {
        route('/query/{locator}');
        const c = cursors.get(seg[1]!);
        if (!c) throw new ApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
        return { status: 200, body: queryPage(c, seg[1]!, version) };
      }
      route(`/${seg[0]}`);
      const soql = url.searchParams.get('q');
      if (!soql) throw new ApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
      const q = parse(soql);
      stats.queriesByObject[q.from] = (stats.queriesByObject[q.from] ?? 0) + 1;
      const rows = run(q, seg[0] === 'queryAll');
      const m = /batchSize=(\d+)/.exec(String(req.headers['sforce-query-options'] ?? ''));
      const batch = Math.min(2_000, Math.max(200, m ? Number(m[1]) : 2_000));
      const locator = `01gSB${String(++cursorSeq).padStart(10, '0')}-0`;
      const c: Cursor = { ids: rows.map((r) => r.Id), obj: q.from, fields: q.fields, offset: 0, batch };
      return { status: 200, body: queryPage(c, locator, version) };
    }
    if (seg[0] === 'sobjects') {
      if (seg.length === 1 && method === 'GET') {
        route('/sobjects');
        return { status: 200, body: { encoding: 'UTF-8', maxBatchSize: 200, sobjects: Object.keys(state.catalog).map((name) => ({ name, label: name, keyPrefix: KEY_PREFIXES[name] ?? null, queryable: true, createable: WRITABLE.has(name), updateable: WRITABLE.has(name), deletable: WRITABLE.has(name), custom: false })) } };
      }
      const obj = Object.keys(state.catalog).find((o) => o.toLowerCase() === (seg[1] ?? '').toLowerCase());
      if (!obj) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      if (seg.length === 3 && seg[2] === 'describe' && method === 'GET') {
        route('/sobjects/{type}/describe');
        return { status: 200, body: { name: obj, label: obj, keyPrefix: KEY_PREFIXES[obj] ?? null, queryable: true, fields: fieldsOf(obj).map((f) => ({ ...f, calculated: false, filterable: true, sortable: true, picklistValues: f.picklistValues ?? [] })) } };
      }
      if (seg.length === 2 && method === 'POST') {
        route('/sobjects/{type}');
        const id = createOne(obj, json(await readBody(req)));
        return { status: 201, body: { id, success: true, errors: [] } };
      }
      if (seg.length === 4 && method === 'GET') {
        route('/sobjects/{type}/{id}/{blobField}');
        const row = state.table(obj).get(seg[2]!);
        const def = fieldDef(obj, seg[3]!);
        if (!row || row.IsDeleted === true || def?.type !== 'base64') throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
        return { status: 200, raw: String(row[def.name] ?? ''), contentType: 'text/plain;charset=UTF-8' };
      }
      if (seg.length === 3) {
        const id = seg[2]!;
        if (method === 'GET') {
          route('/sobjects/{type}/{id}');
          const row = state.table(obj).get(id);
          if (!row || row.IsDeleted === true) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
          const wanted = url.searchParams.get('fields')?.split(',').filter(Boolean) ?? fieldsOf(obj).map((f) => f.name);
          for (const w of wanted) if (!fieldDef(obj, w)) throw new ApiError(400, 'INVALID_FIELD', `No such column '${w}' on entity '${obj}'.`);
          return { status: 200, body: project(obj, row, wanted.map((w) => fieldDef(obj, w)!.name), version) };
        }
        if (method === 'PATCH') {
          route('/sobjects/{type}/{id}');
          updateOne(obj, id, json(await readBody(req)));
          return { status: 204 };
        }
        if (method === 'DELETE') {
          route('/sobjects/{type}/{id}');
          deleteOne(id);
          return { status: 204 };
        }
      }
    }
    if (seg[0] === 'composite' && seg[1] === 'sobjects' && seg.length === 2) {
      route('/composite/sobjects');
      if (method === 'DELETE') {
        const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
        if (ids.length === 0) throw new ApiError(400, 'MISSING_ARGUMENT', 'ids parameter is required');
        if (ids.length > 200) throw new ApiError(400, 'EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 200 records into this call');
        const allOrNone = url.searchParams.get('allOrNone') === 'true';
        return { status: 200, body: collection(allOrNone, ids.map((id) => ({ id, run: () => (deleteOne(id), { id }) }))) };
      }
      if (method === 'POST' || method === 'PATCH') {
        const body = json(await readBody(req));
        const records = body.records;
        if (!Array.isArray(records)) throw new ApiError(400, 'INVALID_FIELD', 'records is required');
        if (records.length > 200) throw new ApiError(400, 'EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 200 records into this call');
        const ops = (records as Record<string, unknown>[]).map((r) => ({ id: method === 'PATCH' && typeof r.id === 'string' ? r.id : null, run: () => {
          const type = (r.attributes as { type?: string } | undefined)?.type;
          const obj = Object.keys(state.catalog).find((o) => o.toLowerCase() === String(type ?? '').toLowerCase());
          if (!obj) throw new ApiError(400, 'INVALID_TYPE', 'sObject type is required in attributes');
          if (method === 'POST') {
            if (r.id !== undefined) throw new ApiError(400, 'INVALID_FIELD', 'cannot specify Id in an insert call', ['Id']);
            return { id: createOne(obj, r) };
          }
          const id = typeof r.id === 'string' ? r.id : '';
          if (!id) throw new ApiError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']);
          updateOne(obj, id, r);
          return { id };
        } }));
        return { status: 200, body: collection(body.allOrNone === true, ops) };
      }
    }
    if (seg[0] === 'jobs' && seg[1] === 'query') {
      if (seg.length === 2 && method === 'POST') {
        route('/jobs/query');
        const body = json(await readBody(req));
        const op = body.operation === 'queryAll' ? 'queryAll' : body.operation === 'query' ? 'query' : null;
        if (!op || typeof body.query !== 'string') throw new ApiError(400, 'INVALIDJOB', 'operation and query are required');
        if (body.columnDelimiter !== undefined && body.columnDelimiter !== 'COMMA') throw new ApiError(400, 'INVALIDJOB', 'this sandbox writes COMMA-delimited results only');
        const q = parse(body.query);
        const id = state.newId('QueryJob');
        const j: QueryJob = { id, operation: op, object: q.from, query: q, createdMs: Date.now(), state: 'UploadComplete', apiVersion: version, ids: null, lazyIter: null, total: 0 };
        jobs.set(id, j);
        return { status: 200, body: jobInfo(j) };
      }
      const j = jobs.get(seg[2] ?? '');
      if (!j) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      if (j.apiVersion !== version) throw new ApiError(409, 'INVALIDJOB', 'The job was created with a different API version');
      if (seg.length === 3 && method === 'GET') {
        route('/jobs/query/{id}');
        completeJob(j);
        return { status: 200, body: jobInfo(j) };
      }
      if (seg.length === 3 && method === 'PATCH') {
        route('/jobs/query/{id}');
        const body = json(await readBody(req));
        if (body.state !== 'Aborted') throw new ApiError(400, 'INVALIDJOB', 'only state Aborted may be set');
        j.state = 'Aborted';
        return { status: 200, body: jobInfo(j) };
      }
      if (seg.length === 3 && method === 'DELETE') {
        route('/jobs/query/{id}');
        jobs.delete(j.id);
        return { status: 204 };
      }
      if (seg.length === 4 && seg[3] === 'results' && method === 'GET') {
        route('/jobs/query/{id}/results');
        completeJob(j);
        if (j.state !== 'JobComplete') throw new ApiError(412, 'JOB_NOT_COMPLETE', 'The job is not complete');
        const loc = url.searchParams.get('locator');
        let offset = 0;
        if (loc) {
          const n = Number(Buffer.from(loc, 'base64url').toString('utf8'));
          if (!Number.isInteger(n) || n < 0) throw new ApiError(400, 'INVALID_LOCATOR', 'invalid locator');
          offset = n;
        }
        const maxRecords = Number(url.searchParams.get('maxRecords') ?? opts.limits?.bulkPageRecords ?? 100_000);
        const page = bulkCsv(j, offset, Math.max(1, maxRecords));
        return {
          status: 200,
          raw: page.csv,
          contentType: 'text/csv',
          headers: { 'Sforce-Locator': page.next === null ? 'null' : Buffer.from(String(page.next)).toString('base64url'), 'Sforce-NumberOfRecords': String(page.count) },
        };
      }
    }
    if (seg[0] === 'tooling' && seg[1] === 'sobjects' && seg[2] === 'CustomField' && seg.length === 3 && method === 'POST') {
      route('/tooling/sobjects/CustomField');
      const body = json(await readBody(req));
      const full = typeof body.FullName === 'string' ? body.FullName : '';
      const meta = (body.Metadata ?? {}) as { label?: string; type?: string; length?: number };
      const [obj, name] = full.split('.');
      if (!obj || !name || !state.catalog[obj] || !/^[A-Za-z][A-Za-z0-9_]*__c$/.test(name)) throw new ApiError(400, 'INVALID_FIELD', 'FullName must be Object.Field__c');
      if (fieldDef(obj, name)) throw new ApiError(400, 'DUPLICATE_DEVELOPER_NAME', `There is already a field named ${name} on ${obj}.`);
      const type = meta.type === 'DateTime' ? 'datetime' : meta.type === 'LongTextArea' ? 'textarea' : meta.type === 'Checkbox' ? 'boolean' : 'string';
      state.catalog[obj]!.push({ name, label: meta.label ?? name, type, custom: true, updateable: true, createable: true, nillable: type !== 'boolean', ...(type === 'string' ? { length: meta.length ?? 255 } : type === 'textarea' ? { length: 131_072 } : {}) });
      state.customFieldsCreated.push(full);
      return { status: 201, body: { id: state.newId('CustomField'), success: true, errors: [] } };
    }
    throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  };

  const handleToken = async (req: IncomingMessage): Promise<Reply> => {
    const form = new URLSearchParams(await readBody(req));
    const grant = form.get('grant_type');
    if (grant !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' } };
    if (form.get('client_id') !== state.clientId || (form.get('client_secret') !== null && form.get('client_secret') !== state.clientSecret)) {
      return { status: 400, body: { error: 'invalid_client_id', error_description: 'client identifier invalid' } };
    }
    if (form.get('refresh_token') !== state.refreshToken) return { status: 400, body: { error: 'invalid_grant', error_description: 'expired access/refresh token' } };
    state.expireToken();
    state.tokenRefreshes++;
    return {
      status: 200,
      body: { access_token: state.accessToken, instance_url: baseUrl, id: `https://login.salesforce.com/id/${state.orgId}/${state.userId}`, issued_at: String(Date.now()), signature: 'c2FuZGJveA==', scope: 'api refresh_token', token_type: 'Bearer' },
    };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const send = (r: Reply, counted: boolean) => {
      const headers: Record<string, string> = { ...(r.headers ?? {}) };
      if (counted) headers['Sforce-Limit-Info'] = `api-usage=${apiUsed()}/${dailyLimit}`;
      if (r.status === 204) {
        res.writeHead(204, headers).end();
        return;
      }
      if (r.raw !== undefined) {
        res.writeHead(r.status, { ...headers, 'Content-Type': r.contentType ?? 'text/plain' }).end(r.raw);
        return;
      }
      res.writeHead(r.status, { ...headers, 'Content-Type': JSON_CT }).end(JSON.stringify(r.body));
    };
    const go = async () => {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const method = (req.method ?? 'GET').toUpperCase();
      if (url.pathname === '/services/oauth2/token' && method === 'POST') return send(await handleToken(req), false);
      if (url.pathname === '/services/data' || url.pathname === '/services/data/') {
        return send({ status: 200, body: [{ label: "Winter '25", url: '/services/data/v62.0', version: '62.0' }] }, false);
      }
      const m = VERSION_RE.exec(url.pathname);
      if (!m) return send({ status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] }, false);
      const version = m[1]!;
      const path = m[2] ?? '/';
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${state.accessToken}` && auth !== `OAuth ${state.accessToken}`) {
        return send({ status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] }, false);
      }
      const rule = failures.find((f) => f.times > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(path)));
      if (rule) {
        rule.times--;
        const code = rule.errorCode ?? (rule.status === 429 || rule.status === 403 ? 'REQUEST_LIMIT_EXCEEDED' : rule.status === 503 ? 'SERVER_UNAVAILABLE' : 'UNKNOWN_EXCEPTION');
        const msg = rule.message ?? (code === 'REQUEST_LIMIT_EXCEEDED' ? 'ConcurrentPerOrgLongTxn Limit exceeded.' : 'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567-890 (sandbox)');
        return send({ status: rule.status, body: [{ message: msg, errorCode: code }], ...(rule.retryAfterSec !== undefined ? { headers: { 'Retry-After': String(rule.retryAfterSec) } } : {}) }, true);
      }
      if (apiUsed() >= dailyLimit) return send({ status: 403, body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }] }, true);
      state.apiLog.push(Date.now());
      stats.apiCalls++;
      try {
        return send(await handleData(method, path, url, version, req), true);
      } catch (e) {
        if (e instanceof ApiError) return send({ status: e.status, body: [{ message: e.message, errorCode: e.errorCode, ...(e.fields.length ? { fields: e.fields } : {}) }] }, true);
        return send({ status: 500, body: [{ message: 'An unexpected error occurred.', errorCode: 'UNKNOWN_EXCEPTION' }] }, true);
      }
    };
    const delay = opts.latencyMs ?? 0;
    const start = () => void go().catch(() => res.writeHead(500).end());
    if (delay > 0) setTimeout(start, delay);
    else start();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: baseUrl,
    state,
    stats,
    addFailure(rule) {
      failures.push(rule);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
