/**
 * A local imitation of Zoho CRM v8 (reference/zoho.md) for tests, benchmarks and the demo: an Accounts
 * server (/oauth/v2/token) and an API server (records, notes, tasks, fields, deleted records, recycle
 * bin, bulk read), with Zoho's payloads, paging info, error bodies, credit and concurrency limits.
 *
 * Large orgs: `lazySeed` people exist only for Bulk Read (generated while the export file is written),
 * so a 1M-record scan needs no 1M-record state.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { iteratePeople } from '../../sandbox-seed/people';
import type { SeedOptions } from '../../sandbox-seed/types';
import { DATA_CENTRES, DAY_MS, PLANS, RECORDS, BULK_READ, SUB_CONCURRENCY, dailyCredits, creditsFor, isComplexCall, type DataCentre } from '../limits';
import { PROJECT_FIELDS, type ZohoFieldSpec } from '../fields';
import { STANDARD_FIELDS, SEED_CUSTOM_FIELDS } from './catalog';
import { seedToZoho, zohoId, zohoTime, zohoUser, ID_KIND, type SeededContact } from './seed';
import { writeZip, csvCell } from './zip';

type Rec = Record<string, unknown> & { id: string };

export interface SandboxLimits {
  /** Credits per window (Zoho: per rolling 24 h). Default: Enterprise, 100 users. */
  credits?: number;
  windowMs?: number;
  /** Concurrent requests per org (Enterprise 20). */
  concurrency?: number;
  /** Concurrent complex requests (sorted lists, writes of more than 10 records) per org (10, every edition). */
  subConcurrency?: number;
  /** Bulk result downloads per minute (10). */
  downloadsPerMinute?: number;
  /** Access tokens per refresh token per 10 minutes (10). */
  tokensPer10Min?: number;
}

export interface SandboxFailure {
  /** HTTP status to answer with (429, 500, 502, 503). */
  status: number;
  /** How many matching requests fail. */
  count: number;
  method?: string;
  /** Substring of the path. */
  path?: string;
}

export interface ZohoSandboxOptions {
  port?: number;
  latencyMs?: number;
  limits?: SandboxLimits;
  seed?: SeedOptions;
  /** People that exist only for Bulk Read (lazily generated, never held in memory). */
  lazySeed?: SeedOptions;
  dataCentre?: DataCentre;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  accessTokenTtlMs?: number;
  failures?: SandboxFailure[];
  /** Delay before a bulk job moves on from ADDED/IN PROGRESS. */
  bulkDelayMs?: number;
  /** Whether the org already has the project fields (GDPR_Status, GDPR_Consent_Evidence, ...); default true. */
  withProjectFields?: boolean;
}

export interface SandboxStats {
  requests: number;
  byRoute: Record<string, number>;
  writes: number;
  credits: number;
  maxConcurrent: number;
  tokensIssued: number;
  rejected429: number;
  /** Of rejected429: refused for the sub-concurrency limit. */
  rejectedSubConcurrency: number;
  maxConcurrentComplex: number;
  rejected401: number;
  injected: number;
}

export interface ZohoSandboxState {
  contacts: Map<string, Rec>;
  notes: Map<string, Rec>;
  tasks: Map<string, Rec>;
  deleted: { id: string; display_name: string; type: 'recycle' | 'permanent'; deleted_time: string; deleted_by: unknown; created_by: unknown }[];
  fields: ZohoFieldSpec[];
  failures: SandboxFailure[];
  /** Expire every access token now (next call gets 401 INVALID_TOKEN). */
  expireTokens(): void;
  /** Adds a contact (tests); returns its id. */
  addContact(fields: Record<string, unknown>): string;
  touch(id: string, at?: number): void;
  org: { id: string; company_name: string; privacy_settings: boolean };
}

export interface ZohoSandbox {
  url: string;
  accountsUrl: string;
  close(): Promise<void>;
  state: ZohoSandboxState;
  stats: SandboxStats;
}

const err = (code: string, message: string, details: Record<string, unknown> = {}) => ({ code, details, message, status: 'error' });

export async function startZohoSandbox(opts: ZohoSandboxOptions = {}): Promise<ZohoSandbox> {
  const dc = opts.dataCentre ?? 'eu';
  const clientId = opts.clientId ?? '1000.SANDBOXCLIENT';
  const clientSecret = opts.clientSecret ?? 'sandbox-secret';
  const refreshToken = opts.refreshToken ?? '1000.sandbox.refresh';
  const ttl = opts.accessTokenTtlMs ?? 3_600_000;
  const latency = opts.latencyMs ?? 0;
  const limits = {
    credits: opts.limits?.credits ?? dailyCredits('enterprise', 100),
    windowMs: opts.limits?.windowMs ?? DAY_MS,
    concurrency: opts.limits?.concurrency ?? PLANS.enterprise.concurrency,
    subConcurrency: opts.limits?.subConcurrency ?? SUB_CONCURRENCY,
    downloadsPerMinute: opts.limits?.downloadsPerMinute ?? BULK_READ.downloadsPerMinute,
    tokensPer10Min: opts.limits?.tokensPer10Min ?? 10,
  };
  const bulkDelay = opts.bulkDelayMs ?? 20;
  const tmp = mkdtempSync(join(tmpdir(), 'zoho-sandbox-'));

  const stats: SandboxStats = { requests: 0, byRoute: {}, writes: 0, credits: 0, maxConcurrent: 0, tokensIssued: 0, rejected429: 0, rejectedSubConcurrency: 0, maxConcurrentComplex: 0, rejected401: 0, injected: 0 };
  const tokens = new Map<string, number>();
  const tokenTimes: number[] = [];
  let windowStart = Date.now();
  let used = 0;
  let inFlight = 0;
  let inFlightComplex = 0;
  const downloads: number[] = [];
  let seqs = { contact: 0, note: 0, task: 0, consent: 0, job: 0, field: 0 };

  const fields: ZohoFieldSpec[] = [...STANDARD_FIELDS, ...SEED_CUSTOM_FIELDS, ...(opts.withProjectFields === false ? [] : PROJECT_FIELDS)];
  const contacts = new VersionedMap<string, Rec>();
  const notes = new NoteMap();
  const tasks = new Map<string, Rec>();
  const deleted: ZohoSandboxState['deleted'] = [];
  const failures = [...(opts.failures ?? [])];
  const org = { id: '20099999001', company_name: 'Sandbox BV', privacy_settings: true };

  const addSeeded = (s: SeededContact): void => {
    contacts.set(s.record.id, s.record);
    for (const n of s.notes) {
      notes.set(n.id, { ...n, Parent_Id: { name: s.record.Full_Name, id: s.record.id, module: { api_name: 'Contacts' } }, Owner: s.record.Owner, $se_module: 'Contacts' });
    }
  };
  if (opts.seed) {
    for (const p of iteratePeople(opts.seed)) {
      addSeeded(seedToZoho(p, () => ++seqs.note));
      seqs.contact = Math.max(seqs.contact, p.seq);
    }
  }
  const lazyCount = opts.lazySeed?.count ?? 0;

  const fieldByName = (n: string): ZohoFieldSpec | undefined => fields.find((f) => f.api_name === n);

  const state: ZohoSandboxState = {
    contacts,
    notes,
    tasks,
    deleted,
    fields,
    failures,
    org,
    expireTokens() {
      for (const k of tokens.keys()) tokens.set(k, 0);
    },
    addContact(f) {
      const id = zohoId(ID_KIND.contact, ++seqs.contact + 50_000_000);
      const now = zohoTime(Date.now());
      contacts.set(id, { id, Owner: zohoUser(0), Created_Time: now, Modified_Time: now, Last_Activity_Time: null, ...f });
      return id;
    },
    touch(id, at = Date.now()) {
      const r = contacts.get(id);
      if (r) {
        r.Modified_Time = zohoTime(at);
        contacts.bump();
      }
    },
  };

  // ------------------------------------------------------------------ accounts server
  const accounts = express();
  accounts.use(express.urlencoded({ extended: false }));
  accounts.post('/oauth/v2/token', async (req: Request, res: Response) => {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string') params[k] = v;
    if (req.body && typeof req.body === 'object') for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) if (typeof v === 'string') params[k] = v;
    const ct = req.headers['content-type'] ?? '';
    if (ct.startsWith('multipart/form-data')) Object.assign(params, await readMultipart(req, ct));
    if (params.grant_type !== 'refresh_token') return res.status(200).json({ error: 'unsupported_grant_type' });
    if (params.client_id !== clientId) return res.status(200).json({ error: 'invalid_client' });
    if (params.client_secret !== clientSecret) return res.status(200).json({ error: 'invalid_client_secret' });
    if (params.refresh_token !== refreshToken) return res.status(200).json({ error: 'invalid_code' });
    const now = Date.now();
    while (tokenTimes.length && (tokenTimes[0] as number) < now - 600_000) tokenTimes.shift();
    if (tokenTimes.length >= limits.tokensPer10Min) {
      return res.status(400).json({ error_description: 'You have made too many requests continuously. Please try again after some time.', error: 'Access Denied', status: 'failure' });
    }
    tokenTimes.push(now);
    const token = `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
    tokens.set(token, now + ttl);
    // Max 15 active access tokens per refresh token: the 16th evicts the oldest.
    if (tokens.size > 15) tokens.delete(tokens.keys().next().value as string);
    stats.tokensIssued++;
    res.json({ access_token: token, scope: 'ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.bulk.read', api_domain: apiUrl, token_type: 'Bearer', expires_in: Math.round(ttl / 1000) });
  });

  // ------------------------------------------------------------------ API server
  const app = express();
  app.disable('x-powered-by');
  // No ETag: hashing every list response body costs the sandbox CPU that benchmarks share with the client.
  app.disable('etag');
  app.use(express.json({ limit: '20mb', type: () => true }));
  app.use((req, res, next) => {
    stats.requests++;
    const route = `${req.method} ${req.path.replace(/\d{12,}/g, ':id')}`;
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
    const f = failures.find((x) => x.count > 0 && (!x.method || x.method === req.method) && (!x.path || req.path.includes(x.path)));
    if (f) {
      f.count--;
      stats.injected++;
      if (f.status === 429) {
        stats.rejected429++;
        return void res.status(429).json(err('TOO_MANY_REQUESTS', 'You have exceeded the API credit limit or concurrency limit'));
      }
      return void res.status(f.status).json(err('INTERNAL_ERROR', 'Internal Server Error'));
    }
    const auth = req.headers.authorization ?? '';
    const m = /^Zoho-oauthtoken (\S+)$/.exec(auth);
    if (!m) {
      stats.rejected401++;
      return void res.status(401).json(err('AUTHENTICATION_FAILURE', 'Authentication failed'));
    }
    const exp = tokens.get(m[1] as string);
    if (exp === undefined || exp <= Date.now()) {
      stats.rejected401++;
      return void res.status(401).json(err('INVALID_TOKEN', 'invalid oauth token'));
    }
    if (inFlight >= limits.concurrency) {
      stats.rejected429++;
      return void res.status(429).json(err('TOO_MANY_REQUESTS', 'You have exceeded the concurrency limit'));
    }
    const body = req.body as { data?: unknown } | undefined;
    const complex = isComplexCall(req.method, req.path, req.query as Record<string, unknown>, Array.isArray(body?.data) ? body.data.length : 1);
    if (complex && inFlightComplex >= limits.subConcurrency) {
      // Same envelope as the concurrency refusal (reference section 6: 429 TOO_MANY_REQUESTS); wording UNCONFIRMED.
      stats.rejected429++;
      stats.rejectedSubConcurrency++;
      return void res.status(429).json(err('TOO_MANY_REQUESTS', 'You have exceeded the sub-concurrency limit'));
    }
    const now = Date.now();
    if (now - windowStart >= limits.windowMs) {
      windowStart = now;
      used = 0;
    }
    const cost = requestCost(req);
    if (used + cost > limits.credits) {
      stats.rejected429++;
      return void res.status(429).json(err('TOO_MANY_REQUESTS', 'You have exceeded the API credit limit'));
    }
    used += cost;
    stats.credits += cost;
    if (used >= limits.credits / 2) res.setHeader('X-API-CREDITS-REMAINING', String(limits.credits - used));
    inFlight++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, inFlight);
    if (complex) {
      inFlightComplex++;
      stats.maxConcurrentComplex = Math.max(stats.maxConcurrentComplex, inFlightComplex);
    }
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        inFlight--;
        if (complex) inFlightComplex--;
      }
    };
    res.on('finish', release);
    res.on('close', release);
    if (latency > 0) setTimeout(next, latency);
    else next();
  });

  function requestCost(req: Request): number {
    if (req.method === 'PUT' || req.method === 'POST') {
      const n = Array.isArray((req.body as { data?: unknown[] } | undefined)?.data) ? ((req.body as { data: unknown[] }).data.length) : 1;
      return creditsFor('write', n);
    }
    return 1;
  }

  const V = '/crm/v8';

  app.get(`${V}/org`, (_req, res) => {
    res.json({ org: [{ id: org.id, company_name: org.company_name, domain_name: `org${org.id}`, time_zone: 'Europe/Amsterdam', country: 'Netherlands', privacy_settings: org.privacy_settings, zgid: org.id, currency: 'Euro - EUR' }] });
  });

  app.get(`${V}/settings/fields`, (req, res) => {
    if (req.query.module !== 'Contacts') return void res.status(400).json(err('INVALID_MODULE', 'the module name given seems to be invalid', { param_name: 'module' }));
    res.json({
      fields: fields.map((f, i) => ({
        api_name: f.api_name,
        field_label: f.field_label,
        display_label: f.field_label,
        data_type: f.data_type,
        json_type: f.data_type === 'boolean' ? 'boolean' : f.data_type === 'lookup' || f.data_type === 'ownerlookup' || f.data_type === 'consent_lookup' ? 'jsonobject' : 'string',
        read_only: f.read_only === true,
        field_read_only: f.read_only === true,
        custom_field: f.custom_field === true,
        system_mandatory: f.mandatory === true,
        id: zohoId(ID_KIND.field, i + 1),
        pick_list_values: (f.pick_list_values ?? []).map((v, j) => ({ display_value: v, actual_value: v, id: zohoId(ID_KIND.field, 1000 + i * 50 + j) })),
      })),
    });
  });

  // Create custom fields (POST settings/fields; api_name from the label). Shape per Zoho's fields API (UNCONFIRMED in the reference).
  app.post(`${V}/settings/fields`, (req, res) => {
    const body = req.body as { fields?: { field_label?: string; data_type?: string }[] };
    if (!Array.isArray(body?.fields)) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { api_name: 'fields' }));
    const out = body.fields.map((f) => {
      if (!f.field_label || !f.data_type) return err('MANDATORY_NOT_FOUND', 'required field not found', { api_name: f.field_label ? 'data_type' : 'field_label' });
      const api = f.field_label.trim().replace(/\s+/g, '_');
      if (fieldByName(api)) return err('DUPLICATE_DATA', 'duplicate data', { api_name: 'field_label' });
      fields.push({ api_name: api, field_label: f.field_label, data_type: f.data_type as ZohoFieldSpec['data_type'], custom_field: true });
      return { code: 'SUCCESS', details: { id: zohoId(ID_KIND.field, 500 + ++seqs.field) }, message: 'field created', status: 'success' };
    });
    res.status(out.every((o) => o.status === 'success') ? 201 : out.some((o) => o.status === 'success') ? 207 : 400).json({ fields: out });
  });

  // ---------------- records list with page / page_token paging
  const pageTokens = new Map<string, { after: [SortKey, string]; key: string; served: number; expires: number }>();

  function project(r: Rec, want: string[] | null): Rec {
    if (!want) return r;
    const o: Rec = { id: r.id };
    for (const f of want) o[f] = r[f] ?? null;
    return o;
  }

  /** Contacts in sort order, rebuilt only after a change (a list call must not sort 100k records each time). */
  const contactIndex = new Map<string, { version: number; recs: Rec[] }>();
  function contactsSorted(by: string): Rec[] {
    const c = contactIndex.get(by);
    if (c && c.version === contacts.version) return c.recs;
    const recs = sortRecords(contacts.values(), by);
    contactIndex.set(by, { version: contacts.version, recs });
    return recs;
  }

  function listRecords(req: Request, res: Response, sorted: (by: string) => Rec[], opts: { requireFields: boolean; module: string }): void {
    const q = req.query as Record<string, string | undefined>;
    if (opts.requireFields && !q.fields && !q.ids) return void res.status(400).json(err('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'fields' }));
    const want = q.fields ? q.fields.split(',').filter(Boolean) : null;
    if (want && want.length > RECORDS.maxFields) return void res.status(400).json(err('LIMIT_EXCEEDED', 'the given fields exceeds the limit', { param: 'fields', limit: RECORDS.maxFields }));
    const perPage = q.per_page ? Number(q.per_page) : RECORDS.perPage;
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > RECORDS.perPage) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { param: 'per_page' }));
    if (q.page && q.page_token) return void res.status(400).json(err('AMBIGUITY_DURING_PROCESSING', 'ambiguity while processing the request', { ambiguity_due_to: ['page', 'page_token'] }));
    const sortBy = q.sort_by ?? 'id';
    if (!['id', 'Created_Time', 'Modified_Time'].includes(sortBy)) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { param: 'sort_by' }));
    const order = q.sort_order ?? 'desc';
    const since = req.headers['if-modified-since'];
    const sinceMs = typeof since === 'string' ? Date.parse(since) : NaN;
    if (typeof since === 'string' && !Number.isFinite(sinceMs)) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { header: 'If-Modified-Since' }));
    const ids = q.ids ? new Set(q.ids.split(',')) : null;
    // Ascending by (sort key, id); If-Modified-Since (Modified_Time >= header) by binary search when sorted by it.
    // The list is rows[base..]: no copy of the index for the common case (ascending, no ids).
    let rows = sorted(sortBy);
    let base = 0;
    if (Number.isFinite(sinceMs)) {
      if (sortBy === 'Modified_Time') base = firstIndex(rows, (r) => (sortKey(r, sortBy) as number) >= sinceMs);
      else rows = rows.filter((r) => Date.parse(String(r.Modified_Time)) >= sinceMs);
    }
    if (ids) {
      rows = rows.slice(base).filter((r) => ids.has(r.id));
      base = 0;
    }
    if (order !== 'asc') {
      rows = rows.slice(base).reverse();
      base = 0;
    }
    const sign = order === 'asc' ? 1 : -1;
    const paramsKey = JSON.stringify([opts.module, q.fields, q.sort_by, q.sort_order, perPage, since, q.ids]);
    let start = 0;
    let page = 1;
    let served = 0;
    if (q.page_token) {
      const t = pageTokens.get(q.page_token);
      if (!t) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { param: 'page_token' }));
      if (t.expires < Date.now()) return void res.status(400).json(err('EXPIRED_VALUE', 'the given page_token has expired', { param: 'page_token' }));
      if (t.key !== paramsKey) return void res.status(400).json(err('TOKEN_BOUND_DATA_MISMATCH', 'the page_token is bound to other parameters', { param: 'page_token' }));
      // Keyset: continue after the last row served, so changes between pages do not shift rows.
      const [afterKey, afterId] = t.after;
      start = Math.max(base, firstIndex(rows, (r) => sign * compareKeys(sortKey(r, sortBy), r.id, afterKey, afterId) > 0));
      served = t.served;
      page = Math.floor(served / perPage) + 1;
    } else {
      page = q.page ? Number(q.page) : 1;
      if (!Number.isInteger(page) || page < 1) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { param: 'page' }));
      if (page * perPage > RECORDS.discreteLimit) return void res.status(400).json(err('DISCRETE_PAGINATION_LIMIT_EXCEEDED', 'You can only get the first 2000 records without using page_token param', { limit: RECORDS.discreteLimit }));
      served = (page - 1) * perPage;
      start = base + served;
    }
    if (served + perPage > RECORDS.tokenLimit && q.page_token) {
      return void res.status(400).json(err('PAGINATION_LIMIT_EXCEEDED', 'pagination limit exceeded', { limit: RECORDS.tokenLimit }));
    }
    const slice = rows.slice(start, start + perPage);
    const more = start + perPage < rows.length;
    if (slice.length === 0) {
      if (Number.isFinite(sinceMs) && !q.page_token) return void res.status(304).end();
      return void res.status(204).end();
    }
    let next: string | null = null;
    const expiry = Date.now() + DAY_MS;
    if (more) {
      next = randomBytes(12).toString('hex');
      const last = slice[slice.length - 1] as Rec;
      pageTokens.set(next, { after: [sortKey(last, sortBy), last.id], key: paramsKey, served: served + slice.length, expires: expiry });
    }
    res.status(200).json({
      data: slice.map((r) => project(r, want)),
      info: {
        call: false,
        per_page: perPage,
        next_page_token: next,
        count: slice.length,
        sort_by: sortBy,
        page,
        previous_page_token: q.page_token ?? null,
        page_token_expiry: next ? zohoTime(expiry) : null,
        sort_order: order,
        email: false,
        more_records: more,
      },
    });
  }
  app.get(`${V}/Contacts`, (req, res) => listRecords(req, res, contactsSorted, { requireFields: true, module: 'Contacts' }));

  app.get(`${V}/Contacts/deleted`, (req, res) => {
    const type = String(req.query.type ?? 'all');
    if (!['all', 'recycle', 'permanent'].includes(type)) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { param: 'type' }));
    const perPage = Math.min(Number(req.query.per_page ?? 200), 200);
    const page = Number(req.query.page ?? 1);
    const since = req.headers['if-modified-since'];
    const sinceMs = typeof since === 'string' ? Date.parse(since) : NaN;
    const rows = deleted
      .filter((d) => (type === 'all' || d.type === type) && (!Number.isFinite(sinceMs) || Date.parse(d.deleted_time) >= sinceMs))
      .sort((a, b) => (a.deleted_time < b.deleted_time ? 1 : -1));
    const slice = rows.slice((page - 1) * perPage, page * perPage);
    if (slice.length === 0) return void res.status(204).end();
    res.json({ data: slice, info: { per_page: perPage, count: slice.length, page, more_records: page * perPage < rows.length } });
  });

  app.get(`${V}/Contacts/:id`, (req, res) => {
    const r = contacts.get(String(req.params.id));
    if (!r) return void res.status(204).end();
    res.json({ data: [r] });
  });

  app.get(`${V}/Contacts/:id/:related`, (req, res) => {
    const id = String(req.params.id);
    const rel = String(req.params.related);
    if (!contacts.has(id)) return void res.status(400).json(err('INVALID_DATA', 'the related id given seems to be invalid', { api_name: 'id' }));
    if (rel === 'Notes') return listRecords(req, res, (by) => sortRecords(notes.ofParent(id), by), { requireFields: true, module: 'Notes' });
    if (rel === 'Tasks') return listRecords(req, res, (by) => sortRecords([...tasks.values()].filter((t) => (t.Who_Id as { id?: string } | null)?.id === id), by), { requireFields: true, module: 'Tasks' });
    res.status(400).json(err('INVALID_DATA', 'the related list given seems to be invalid', { api_name: 'related_list' }));
  });

  // ---------------- update
  function validateField(name: string, v: unknown): Record<string, unknown> | null {
    const f = fieldByName(name);
    if (!f) return err('INVALID_DATA', 'invalid data', { api_name: name });
    if (f.read_only) return err('INVALID_DATA', 'the field is read only', { api_name: name });
    if ((v === null || v === '') && f.mandatory) return err('MANDATORY_NOT_FOUND', 'required field not found', { api_name: name });
    if (v === null) return null;
    const bad = (t: string) => err('INVALID_DATA', 'invalid data', { api_name: name, expected_data_type: t });
    switch (f.data_type) {
      case 'email':
        return typeof v === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? null : bad('email');
      case 'boolean':
        return typeof v === 'boolean' ? null : bad('boolean');
      case 'date':
        return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? null : bad('date');
      case 'datetime':
        return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$/.test(v) ? null : bad('datetime');
      case 'picklist':
        return typeof v === 'string' ? null : bad('picklist');
      case 'lookup':
      case 'ownerlookup':
        return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string' ? null : bad('jsonobject');
      case 'consent_lookup':
        return typeof v === 'object' ? null : bad('jsonobject');
      case 'text':
        return typeof v === 'string' && v.length <= 255 ? null : bad('text');
      case 'textarea':
        return typeof v === 'string' && v.length <= 32000 ? null : bad('textarea');
      default:
        return null;
    }
  }

  function updateOne(item: unknown, idFromPath?: string): Record<string, unknown> {
    if (typeof item !== 'object' || item === null) return err('INVALID_DATA', 'invalid data', {});
    const body = item as Record<string, unknown>;
    const id = idFromPath ?? body.id;
    if (typeof id !== 'string') return err('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'id' });
    const r = contacts.get(id);
    if (!r) return err('INVALID_DATA', 'the id given seems to be invalid', { api_name: 'id' });
    for (const [k, v] of Object.entries(body)) {
      if (k === 'id' || k.startsWith('$')) continue;
      const e = validateField(k, v);
      if (e) return e;
    }
    for (const [k, v] of Object.entries(body)) {
      if (k === 'id' || k.startsWith('$')) continue;
      if (k === 'Data_Processing_Basis_Details' && v && typeof v === 'object') {
        const prev = r.Data_Processing_Basis_Details as Record<string, unknown> | null;
        r[k] = { ...(prev ?? {}), ...(v as object), id: (prev?.id as string | undefined) ?? zohoId(ID_KIND.consent, 90_000_000 + ++seqs.consent), Modified_Time: zohoTime(Date.now()) };
      } else r[k] = v;
    }
    if ('First_Name' in body || 'Last_Name' in body) r.Full_Name = [r.First_Name, r.Last_Name].filter(Boolean).join(' ');
    r.Modified_Time = zohoTime(Date.now());
    contacts.bump();
    stats.writes++;
    return { code: 'SUCCESS', details: { Modified_Time: r.Modified_Time, Modified_By: zohoUser(0), Created_Time: r.Created_Time, id: r.id, Created_By: zohoUser(0) }, message: 'record updated', status: 'success' };
  }

  function sendResults(res: Response, results: Record<string, unknown>[], okStatus = 200): void {
    const ok = results.filter((r) => r.status === 'success').length;
    res.status(ok === results.length ? okStatus : ok === 0 ? 400 : 207).json({ data: results });
  }

  app.put(`${V}/Contacts`, (req, res) => {
    const data = (req.body as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(data) || data.length === 0) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { api_name: 'data' }));
    if (data.length > RECORDS.writeBatch) return void res.status(400).json(err('LIMIT_EXCEEDED', 'the given records exceeds the limit', { limit: RECORDS.writeBatch }));
    sendResults(res, data.map((d) => updateOne(d)));
  });
  app.put(`${V}/Contacts/:id`, (req, res) => {
    const data = (req.body as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(data) || data.length !== 1) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { api_name: 'data' }));
    sendResults(res, [updateOne(data[0], String(req.params.id))]);
  });

  // ---------------- delete -> recycle bin
  function deleteOne(id: string): Record<string, unknown> {
    const r = contacts.get(id);
    if (!r) return err('INVALID_DATA', 'the id given seems to be invalid', { id });
    contacts.delete(id);
    for (const n of notes.ofParent(id)) notes.delete(n.id);
    deleted.push({ id, display_name: String(r.Full_Name ?? r.Last_Name ?? ''), type: 'recycle', deleted_time: zohoTime(Date.now()), deleted_by: zohoUser(0), created_by: r.Owner });
    stats.writes++;
    return { code: 'SUCCESS', details: { id }, message: 'record deleted', status: 'success' };
  }
  app.delete(`${V}/Contacts`, (req, res) => {
    const ids = typeof req.query.ids === 'string' ? req.query.ids.split(',').filter(Boolean) : [];
    if (ids.length === 0) return void res.status(400).json(err('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'ids' }));
    if (ids.length > RECORDS.deleteBatch) return void res.status(400).json(err('LIMIT_EXCEEDED', 'the given ids exceeds the limit', { limit: RECORDS.deleteBatch }));
    sendResults(res, ids.map(deleteOne));
  });
  app.delete(`${V}/Contacts/:id`, (req, res) => sendResults(res, [deleteOne(String(req.params.id))]));

  app.delete(`${V}/settings/recycle_bin`, (req, res) => {
    const ids = typeof req.query.ids === 'string' ? req.query.ids.split(',').filter(Boolean) : [];
    if (ids.length === 0) return void res.status(400).json(err('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'ids' }));
    sendResults(
      res,
      ids.map((id) => {
        const d = deleted.find((x) => x.id === id && x.type === 'recycle');
        if (!d) return err('INVALID_DATA', 'the id given seems to be invalid', { id });
        d.type = 'permanent';
        d.display_name = '';
        stats.writes++;
        return { code: 'SUCCESS', details: { id }, message: 'record deleted permanently', status: 'success' };
      }),
    );
  });

  // ---------------- notes
  app.get(`${V}/Notes/:id`, (req, res) => {
    const n = notes.get(String(req.params.id));
    if (!n) return void res.status(204).end();
    res.json({ data: [n] });
  });
  app.get(`${V}/Notes`, (_req, res) => void res.status(403).json(err('NOT_SUPPORTED', 'listing notes is allowed for admins only')));
  app.post(`${V}/Notes`, (req, res) => {
    const data = (req.body as { data?: unknown[] } | undefined)?.data;
    if (!Array.isArray(data) || data.length === 0 || data.length > RECORDS.writeBatch) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { api_name: 'data' }));
    sendResults(
      res,
      data.map((d) => {
        const b = d as Record<string, unknown>;
        const parent = (b.Parent_Id as { id?: string } | undefined)?.id;
        if (!parent || !contacts.has(parent)) return err('INVALID_DATA', 'invalid data', { api_name: 'Parent_Id' });
        if (typeof b.Note_Content !== 'string') return err('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'Note_Content' });
        const id = zohoId(ID_KIND.note, 90_000_000 + ++seqs.note);
        const now = zohoTime(Date.now());
        notes.set(id, { id, Note_Title: b.Note_Title ?? null, Note_Content: b.Note_Content, Parent_Id: { id: parent, name: contacts.get(parent)?.Full_Name, module: { api_name: 'Contacts' } }, Created_Time: now, Modified_Time: now, Owner: zohoUser(0), $se_module: 'Contacts' });
        stats.writes++;
        return { code: 'SUCCESS', details: { id, Created_Time: now, Modified_Time: now }, message: 'record added', status: 'success' };
      }),
      201,
    );
  });
  app.put(`${V}/Notes`, (req, res) => {
    const data = (req.body as { data?: unknown[] } | undefined)?.data;
    if (!Array.isArray(data) || data.length === 0 || data.length > RECORDS.writeBatch) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { api_name: 'data' }));
    sendResults(
      res,
      data.map((d) => {
        const b = d as Record<string, unknown>;
        const n = typeof b.id === 'string' ? notes.get(b.id) : undefined;
        if (!n) return err('INVALID_DATA', 'the id given seems to be invalid', { api_name: 'id' });
        if ('Note_Content' in b && typeof b.Note_Content !== 'string') return err('INVALID_DATA', 'invalid data', { api_name: 'Note_Content', expected_data_type: 'textarea' });
        if (typeof b.Note_Content === 'string') n.Note_Content = b.Note_Content;
        if (typeof b.Note_Title === 'string') n.Note_Title = b.Note_Title;
        n.Modified_Time = zohoTime(Date.now());
        stats.writes++;
        return { code: 'SUCCESS', details: { id: n.id, Modified_Time: n.Modified_Time }, message: 'record updated', status: 'success' };
      }),
    );
  });
  app.delete(`${V}/Notes`, (req, res) => {
    const ids = typeof req.query.ids === 'string' ? req.query.ids.split(',').filter(Boolean) : [];
    if (ids.length === 0) return void res.status(400).json(err('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'ids' }));
    sendResults(
      res,
      ids.map((id) => {
        if (!notes.delete(id)) return err('INVALID_DATA', 'the id given seems to be invalid', { id });
        stats.writes++;
        return { code: 'SUCCESS', details: { id }, message: 'record deleted', status: 'success' };
      }),
    );
  });

  // ---------------- tasks
  app.post(`${V}/Tasks`, (req, res) => {
    const data = (req.body as { data?: unknown[] } | undefined)?.data;
    if (!Array.isArray(data) || data.length === 0 || data.length > RECORDS.writeBatch) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { api_name: 'data' }));
    sendResults(
      res,
      data.map((d) => {
        const b = d as Record<string, unknown>;
        if (typeof b.Subject !== 'string' || b.Subject === '') return err('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'Subject' });
        const who = (b.Who_Id as { id?: string } | undefined)?.id;
        if (who !== undefined && !contacts.has(who)) return err('INVALID_DATA', 'invalid data', { api_name: 'Who_Id' });
        if (b.Due_Date !== undefined && (typeof b.Due_Date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(b.Due_Date))) return err('INVALID_DATA', 'invalid data', { api_name: 'Due_Date', expected_data_type: 'date' });
        const ownerId = (b.Owner as { id?: string } | undefined)?.id;
        const id = zohoId(ID_KIND.task, ++seqs.task);
        const now = zohoTime(Date.now());
        tasks.set(id, {
          id,
          Subject: b.Subject,
          Description: b.Description ?? null,
          Due_Date: b.Due_Date ?? null,
          Status: b.Status ?? 'Not Started',
          Priority: b.Priority ?? 'High',
          Who_Id: who ? { id: who, name: contacts.get(who)?.Full_Name } : null,
          What_Id: b.What_Id ?? null,
          $se_module: b.$se_module ?? null,
          Owner: ownerId ? { id: ownerId } : zohoUser(0),
          Send_Notification_Email: b.Send_Notification_Email ?? false,
          Created_Time: now,
          Modified_Time: now,
        });
        stats.writes++;
        return { code: 'SUCCESS', details: { id, Created_Time: now, Modified_Time: now }, message: 'record added', status: 'success' };
      }),
      201,
    );
  });
  // List (fields mandatory; `ids` picks records) and update, as for Contacts (reference zoho.md 2.1, 2.2).
  app.get(`${V}/Tasks`, (req, res) => listRecords(req, res, (by) => sortRecords(tasks.values(), by), { requireFields: true, module: 'Tasks' }));
  app.put(`${V}/Tasks`, (req, res) => {
    const data = (req.body as { data?: unknown[] } | undefined)?.data;
    if (!Array.isArray(data) || data.length === 0) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { api_name: 'data' }));
    if (data.length > RECORDS.writeBatch) return void res.status(400).json(err('LIMIT_EXCEEDED', 'the given records exceeds the limit', { limit: RECORDS.writeBatch }));
    sendResults(
      res,
      data.map((d) => {
        const b = (typeof d === 'object' && d !== null ? d : {}) as Record<string, unknown>;
        const t = typeof b.id === 'string' ? tasks.get(b.id) : undefined;
        if (!t) return err('INVALID_DATA', 'the id given seems to be invalid', { api_name: 'id' });
        for (const k of ['Subject', 'Status', 'Priority'] as const) {
          if (k in b && (typeof b[k] !== 'string' || b[k] === '')) return err('INVALID_DATA', 'invalid data', { api_name: k, expected_data_type: k === 'Subject' ? 'text' : 'picklist' });
        }
        if ('Description' in b && b.Description !== null && (typeof b.Description !== 'string' || b.Description.length > 32000)) return err('INVALID_DATA', 'invalid data', { api_name: 'Description', expected_data_type: 'textarea' });
        for (const k of ['Subject', 'Status', 'Priority', 'Description', 'Due_Date'] as const) if (k in b) t[k] = b[k];
        t.Modified_Time = zohoTime(Date.now());
        if (b.Status === 'Completed' && !t.Closed_Time) t.Closed_Time = t.Modified_Time;
        stats.writes++;
        return { code: 'SUCCESS', details: { id: t.id, Modified_Time: t.Modified_Time, Modified_By: zohoUser(0), Created_Time: t.Created_Time, Created_By: zohoUser(0) }, message: 'record updated', status: 'success' };
      }),
    );
  });
  app.delete(`${V}/Tasks`, (req, res) => {
    const ids = typeof req.query.ids === 'string' ? req.query.ids.split(',').filter(Boolean) : [];
    if (ids.length === 0) return void res.status(400).json(err('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'ids' }));
    sendResults(
      res,
      ids.map((id) => {
        if (!tasks.delete(id)) return err('INVALID_DATA', 'the id given seems to be invalid', { id });
        stats.writes++;
        return { code: 'SUCCESS', details: { id }, message: 'record deleted', status: 'success' };
      }),
    );
  });
  app.get(`${V}/Tasks/:id`, (req, res) => {
    const t = tasks.get(String(req.params.id));
    if (!t) return void res.status(204).end();
    res.json({ data: [t] });
  });

  // ---------------- bulk read
  interface Job {
    id: string;
    state: 'ADDED' | 'QUEUED' | 'IN PROGRESS' | 'COMPLETED' | 'FAILURE';
    fields: string[];
    page: number;
    file?: string;
    count?: number;
    more?: boolean;
    nextToken?: string | null;
    created: string;
  }
  const jobs = new Map<string, Job>();
  const bulkTokens = new Map<string, { page: number; fields: string[]; criteria: unknown }>();
  const jobCriteria = new Map<string, unknown>();
  let lazyCursor: { index: number; gen: Generator<Rec> } | null = null;
  const lazyNoteSeq = { n: 0 };

  function* lazyFrom(index: number): Generator<Rec> {
    if (!opts.lazySeed || index >= lazyCount) return;
    let cur = lazyCursor && lazyCursor.index === index ? lazyCursor.gen : null;
    if (!cur) {
      const base = opts.lazySeed;
      cur = (function* () {
        for (const p of iteratePeople(base)) yield seedToZoho({ ...p, seq: p.seq + 10_000_000 }, () => ++lazyNoteSeq.n).record;
      })();
      for (let i = 0; i < index; i++) cur.next();
    }
    let i = index;
    for (;;) {
      const n = cur.next();
      if (n.done) return;
      i++;
      lazyCursor = { index: i, gen: cur };
      yield n.value;
    }
  }

  function matches(r: Rec, c: unknown): boolean {
    if (!c || typeof c !== 'object') return true;
    const cr = c as { group_operator?: string; group?: unknown[]; field?: { api_name?: string }; comparator?: string; value?: unknown };
    if (Array.isArray(cr.group)) {
      const rs = cr.group.map((g) => matches(r, g));
      return String(cr.group_operator ?? 'and').toLowerCase() === 'or' ? rs.some(Boolean) : rs.every(Boolean);
    }
    const name = cr.field?.api_name;
    if (!name) return true;
    const v = r[name];
    const isTime = name.endsWith('_Time');
    const a = isTime ? Date.parse(String(v)) : v;
    const b = isTime ? Date.parse(String(cr.value)) : cr.value;
    switch (cr.comparator) {
      case 'equal':
        return a === b;
      case 'not_equal':
        return a !== b;
      case 'greater_equal':
        return (a as number) >= (b as number);
      case 'greater_than':
        return (a as number) > (b as number);
      case 'less_than':
        return (a as number) < (b as number);
      case 'less_equal':
        return (a as number) <= (b as number);
      default:
        return true;
    }
  }

  async function runJob(job: Job, criteria: unknown): Promise<void> {
    await new Promise((r) => setTimeout(r, bulkDelay));
    job.state = 'IN PROGRESS';
    const all = job.fields.length > 0 ? job.fields : fields.map((f) => f.api_name);
    const cols = ['id', ...all.filter((f) => f !== 'id')];
    const perPage = BULK_READ.perPage;
    const skip = (job.page - 1) * perPage;
    const real = [...contacts.values()].sort((a, b) => (a.id.padStart(20, '0') < b.id.padStart(20, '0') ? -1 : 1));
    let emitted = 0;
    let more = false;
    // Rows: the real contacts by id, then (without criteria) the lazy people; skip earlier job pages.
    const realMatching = criteria ? real.filter((r) => matches(r, criteria)) : real;
    function* rows(): Generator<string> {
      yield cols.map(csvCell).join(',') + '\n';
      const fromReal = realMatching.slice(Math.min(skip, realMatching.length));
      const lazy = criteria ? [] : lazyFrom(Math.max(0, skip - realMatching.length));
      for (const src of [fromReal, lazy] as Iterable<Rec>[]) {
        for (const r of src) {
          if (emitted === perPage) {
            more = true;
            return;
          }
          emitted++;
          yield cols.map((c) => csvCell(r[c])).join(',') + '\n';
        }
      }
    }
    try {
      const file = join(tmp, `${job.id}.zip`);
      await writeZip(file, `${job.id}.csv`, rows());
      job.file = file;
      job.count = emitted;
      job.more = more;
      if (more) {
        const t = randomBytes(12).toString('hex');
        bulkTokens.set(t, { page: job.page + 1, fields: job.fields, criteria });
        job.nextToken = t;
      } else job.nextToken = null;
      job.state = 'COMPLETED';
    } catch {
      job.state = 'FAILURE';
    }
  }

  app.post('/crm/bulk/v8/read', (req, res) => {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return void res.status(415).json(err('INVALID_REQUEST', 'unsupported media type'));
    const q = (req.body as { query?: Record<string, unknown> } | undefined)?.query;
    if (!q) return void res.status(400).json(err('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'query' }));
    let page = typeof q.page === 'number' ? q.page : 1;
    let fieldsWanted = Array.isArray(q.fields) ? (q.fields as string[]) : [];
    let criteria: unknown = q.criteria ?? null;
    if (typeof q.page_token === 'string') {
      const t = bulkTokens.get(q.page_token);
      if (!t) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { api_name: 'page_token' }));
      page = t.page;
      fieldsWanted = t.fields;
      criteria = t.criteria;
    } else if ((q.module as { api_name?: string } | undefined)?.api_name !== 'Contacts') {
      return void res.status(400).json(err('INVALID_MODULE', 'the module name given seems to be invalid', { api_name: 'module' }));
    }
    for (const f of fieldsWanted) if (f !== 'id' && !fieldByName(f)) return void res.status(400).json(err('INVALID_DATA', 'invalid data', { api_name: f }));
    const id = zohoId(ID_KIND.job, ++seqs.job);
    const created = zohoTime(Date.now());
    const job: Job = { id, state: 'ADDED', fields: fieldsWanted, page, created };
    jobs.set(id, job);
    jobCriteria.set(id, criteria);
    void runJob(job, criteria);
    res.status(201).json({ data: [{ status: 'success', code: 'ADDED_SUCCESSFULLY', message: 'Added successfully.', details: { id, operation: 'read', state: 'ADDED', created_by: zohoUser(0), created_time: created } }], info: {} });
  });

  app.get('/crm/bulk/v8/read/:id', (req, res) => {
    const job = jobs.get(String(req.params.id));
    if (!job) return void res.status(400).json(err('INVALID_DATA', 'the id given seems to be invalid', { api_name: 'id' }));
    res.json({
      data: [
        {
          id: job.id,
          operation: 'read',
          state: job.state,
          query: { module: { api_name: 'Contacts' }, page: job.page, fields: job.fields },
          created_by: zohoUser(0),
          created_time: job.created,
          result:
            job.state === 'COMPLETED'
              ? { page: job.page, per_page: BULK_READ.perPage, count: job.count, download_url: `/crm/bulk/v8/read/${job.id}/result`, more_records: job.more, next_page_token: job.nextToken }
              : undefined,
          file_type: 'csv',
        },
      ],
    });
  });

  app.get('/crm/bulk/v8/read/:id/result', (req, res) => {
    const job = jobs.get(String(req.params.id));
    if (!job || job.state !== 'COMPLETED' || !job.file) return void res.status(400).json(err('INVALID_DATA', 'the id given seems to be invalid', { api_name: 'id' }));
    const now = Date.now();
    while (downloads.length && (downloads[0] as number) < now - 60_000) downloads.shift();
    if (downloads.length >= limits.downloadsPerMinute) {
      stats.rejected429++;
      return void res.status(429).json(err('TOO_MANY_REQUESTS', 'download limit exceeded'));
    }
    downloads.push(now);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="${job.id}.zip"`);
    createReadStream(job.file).pipe(res);
  });

  app.use((_req, res) => void res.status(404).json(err('INVALID_URL_PATTERN', 'Please check if the URL trying to access is a correct one')));
  app.use((e: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (e as { type?: string }).type;
    if (type === 'entity.parse.failed') return void res.status(400).json(err('INVALID_DATA', 'body is not a valid JSON'));
    res.status(500).json(err('INTERNAL_ERROR', 'Internal Server Error'));
  });

  // Zoho keeps its lists indexed: build the sort orders a sync asks for now, not inside its first call.
  contactsSorted('Modified_Time');
  contactsSorted('id');
  const apiServer = await listen(app, opts.port ?? 0);
  const accServer = await listen(accounts, 0);
  const apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
  const accountsUrl = `http://127.0.0.1:${(accServer.address() as AddressInfo).port}`;
  void DATA_CENTRES[dc];

  return {
    url: apiUrl,
    accountsUrl,
    state,
    stats,
    async close() {
      await Promise.all([closeServer(apiServer), closeServer(accServer)]);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

type SortKey = number | string;

/** The sort key Zoho orders a list by: ids as numbers (padded strings), datetimes chronologically. */
function sortKey(r: Rec, by: string): SortKey {
  if (by === 'id') return r.id.padStart(20, '0');
  const ms = Date.parse(String(r[by] ?? ''));
  return Number.isFinite(ms) ? ms : Number.NEGATIVE_INFINITY;
}

function compareKeys(ka: SortKey, ida: string, kb: SortKey, idb: string): number {
  if (ka !== kb) return ka < kb ? -1 : 1;
  if (ida === idb) return 0;
  return ida.padStart(20, '0') < idb.padStart(20, '0') ? -1 : 1;
}

/** Records ascending by (sort key, id). */
function sortRecords(src: Iterable<Rec>, by: string): Rec[] {
  const items = Array.from(src, (r) => ({ r, k: sortKey(r, by), i: r.id.padStart(20, '0') }));
  items.sort((a, b) => (a.k !== b.k ? (a.k < b.k ? -1 : 1) : a.i < b.i ? -1 : a.i > b.i ? 1 : 0));
  return items.map((x) => x.r);
}

/** First index whose row satisfies a predicate that is false, then true, along the array (binary search). */
function firstIndex<T>(xs: readonly T[], pred: (x: T) => boolean): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(xs[mid] as T)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A Map that counts its changes (the list index is rebuilt when the count moves; call bump() after editing a sort field in place). */
class VersionedMap<K, V> extends Map<K, V> {
  version = 0;
  bump(): void {
    this.version++;
  }
  override set(k: K, v: V): this {
    this.version = (this.version ?? 0) + 1;
    return super.set(k, v);
  }
  override delete(k: K): boolean {
    this.version++;
    return super.delete(k);
  }
  override clear(): void {
    this.version++;
    super.clear();
  }
}

/** Notes with an index by parent record, so a related-list call does not scan every note. */
class NoteMap extends Map<string, Rec> {
  private byParent = new Map<string, Set<string>>();
  override set(id: string, n: Rec): this {
    super.set(id, n);
    const p = (n.Parent_Id as { id?: string } | undefined)?.id;
    if (p && this.byParent) {
      let s = this.byParent.get(p);
      if (!s) this.byParent.set(p, (s = new Set()));
      s.add(id);
    }
    return this;
  }
  override delete(id: string): boolean {
    const n = super.get(id);
    const p = (n?.Parent_Id as { id?: string } | undefined)?.id;
    if (p) this.byParent.get(p)?.delete(id);
    return super.delete(id);
  }
  ofParent(parentId: string): Rec[] {
    return [...(this.byParent.get(parentId) ?? [])].map((id) => super.get(id) as Rec);
  }
}

function listen(app: express.Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer(app);
    s.keepAliveTimeout = 5_000;
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}

/** Minimal multipart/form-data reader for the token endpoint (the SDK sends the refresh grant this way). */
async function readMultipart(req: Request, ct: string): Promise<Record<string, string>> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(ct);
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return {};
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const out: Record<string, string> = {};
  for (const part of body.split(`--${b}`)) {
    const m = /name="([^"]+)"\r\n(?:[^\r\n]*\r\n)*\r\n([\s\S]*?)\r\n$/.exec(part);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}
