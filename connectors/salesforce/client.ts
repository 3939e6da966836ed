/**
 * The Salesforce HTTP layer on jsforce 3.10: a Connection (with the OAuth refresh-token flow when
 * credentials are configured: 401 INVALID_SESSION_ID -> one refresh and one replay) and jsforce's HttpApi
 * for each call, so this module sees status and headers: it spends one unit of the shared RateBudget per
 * call, reads Sforce-Limit-Info, and retries 429/503/5xx and concurrent-limit REQUEST_LIMIT_EXCEEDED with
 * Retry-After (seconds or a date, capped) or capped exponential back-off. jsforce's own blind retries are
 * off. The daily allocation running out (403 TotalRequests) fails fast: waiting hours in-process helps
 * nobody. Errors carry the vendor's code and a message with no personal values.
 */
import { Connection } from 'jsforce';
import { HttpApi } from 'jsforce/lib/http-api';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { RateBudget } from '../types';
import { parseLimitInfo, RETRY, SF_API_VERSION } from './limits';

export class SalesforceApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(`${errorCode}: ${message}`);
    this.name = 'SalesforceApiError';
  }
}

/** Cuts e-mail addresses and any value we sent out of a vendor message (Salesforce echoes rejected values). */
export function safeMessage(message: string, sent: readonly unknown[] = []): string {
  let text = message;
  for (const v of sent) if (typeof v === 'string' && v.length >= 3) text = text.split(v).join('[value]');
  text = text.replace(/[^\s@:]+@[^\s@]+\.[^\s@,)]+/g, '[email]');
  // "<Label>: data value too large: <value> (max length=N)" / "invalid email address: <value>"
  text = text.replace(/(data value too large: ).*?( \(max length=\d+\))/s, '$1[value]$2').replace(/(invalid email address: ).*$/s, '$1[value]').replace(/(value not of required type: ).*$/s, '$1[value]');
  return text.slice(0, 300);
}

const ErrorBody = z.array(z.object({ message: z.string(), errorCode: z.string(), fields: z.array(z.string()).optional() }).loose()).min(1);
const TokenResponse = z.object({ access_token: z.string().min(1), instance_url: z.string().url(), id: z.string().min(1) }).loose();

export interface SalesforceClientOptions {
  instanceUrl: string;
  accessToken?: string;
  refreshToken?: string;
  clientId?: string;
  clientSecret?: string;
  loginUrl?: string;
  version?: string;
  budget?: RateBudget;
  /** Calls in flight at once (short calls are not concurrency-limited by Salesforce; long ones are, 25). */
  concurrency?: number;
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** Path after /services/data/vXX.X (starting with /), or an absolute /services/... path (nextRecordsUrl). */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Safe to resend after a failure the server may have processed (GET, PATCH of values, DELETE). */
  idempotent: boolean;
  /** Raw text instead of parsed JSON (CSV results). */
  raw?: boolean;
}

export interface CallResult<T> {
  status: number;
  body: T;
  headers: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function retryAfterMs(v: string | undefined, now = Date.now()): number | null {
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

export class SalesforceClient {
  readonly conn: Connection;
  readonly version: string;
  /** Latest Sforce-Limit-Info api-usage. */
  limitInfo: { used: number; limit: number } | null = null;
  calls = 0;
  retries = 0;
  refreshes = 0;
  private refreshesSinceSuccess = 0;
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(private readonly opts: SalesforceClientOptions) {
    this.version = opts.version ?? SF_API_VERSION;
    const canRefresh = !!(opts.refreshToken && opts.clientId);
    this.conn = new Connection({
      instanceUrl: opts.instanceUrl,
      ...(opts.accessToken ? { accessToken: opts.accessToken } : {}),
      version: this.version,
      ...(canRefresh
        ? {
            oauth2: { clientId: opts.clientId!, ...(opts.clientSecret ? { clientSecret: opts.clientSecret } : {}), loginUrl: opts.loginUrl ?? 'https://login.salesforce.com', redirectUri: 'http://localhost/callback' },
            refreshToken: opts.refreshToken!,
            refreshFn: (conn: Connection, cb: (err?: Error | null, accessToken?: string, res?: unknown) => void) => void this.refresh(conn, cb),
          }
        : {}),
    } as ConstructorParameters<typeof Connection>[0]);
    this.limit = pLimit(opts.concurrency ?? 10);
  }

  private async refresh(conn: Connection, cb: (err?: Error | null, accessToken?: string, res?: unknown) => void): Promise<void> {
    // One refresh per expired session: a refreshed token that is rejected again is an auth failure, not a loop.
    if (this.refreshesSinceSuccess >= 1) return cb(new SalesforceApiError(401, 'INVALID_SESSION_ID', 'the refreshed session was rejected too'));
    this.refreshesSinceSuccess++;
    try {
      const res = TokenResponse.parse(await conn.oauth2.refreshToken(this.opts.refreshToken!));
      this.refreshes++;
      cb(null, res.access_token, res);
    } catch (e) {
      cb(new SalesforceApiError(401, 'INVALID_SESSION_ID', `token refresh failed (${e instanceof z.ZodError ? 'malformed token response' : (e as { errorCode?: string }).errorCode ?? (e as Error).name})`));
    }
  }

  url(path: string): string {
    const base = this.conn.instanceUrl.replace(/\/$/, '');
    return path.startsWith('/services/') ? `${base}${path}` : `${base}/services/data/v${this.version}${path}`;
  }

  /** One call with budget, limit header, retries; throws SalesforceApiError on a final failure. */
  async call<T = unknown>(o: CallOptions): Promise<CallResult<T>> {
    return this.limit(async () => {
      for (let attempt = 1; ; attempt++) {
        await this.opts.budget?.take();
        let status = 0;
        let headers: Record<string, string> = {};
        const api = new HttpApi(this.conn, { ...(o.raw ? { responseType: 'text/plain' } : {}), retry: { maxRetries: 0 } } as ConstructorParameters<typeof HttpApi>[1]);
        api.on('response', (r: { statusCode: number; headers: Record<string, string> }) => {
          status = r.statusCode;
          headers = r.headers ?? {};
          const li = parseLimitInfo(headers['sforce-limit-info']);
          if (li) this.limitInfo = li;
        });
        this.calls++;
        try {
          const body = (await api.request({
            method: o.method,
            url: this.url(o.path),
            ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
            headers: { ...(o.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(o.headers ?? {}) },
          })) as T;
          this.refreshesSinceSuccess = 0;
          return { status, body, headers };
        } catch (e) {
          if (e instanceof SalesforceApiError) throw e;
          const err = e as Error & { errorCode?: string; data?: unknown };
          if (/Unable to refresh session/.test(err.message)) throw new SalesforceApiError(401, 'INVALID_SESSION_ID', 'session expired and could not be refreshed');
          // jsforce unwraps a one-element error array into its object; more elements stay an array.
          const parsed = ErrorBody.safeParse(Array.isArray(err.data) ? err.data : [err.data]);
          const code = parsed.success ? parsed.data[0]!.errorCode : (err.errorCode ?? (status ? `HTTP_${status}` : 'NETWORK_ERROR'));
          const message = parsed.success ? parsed.data[0]!.message : status ? 'request failed' : (err.message ?? 'network error');
          const dailyExhausted = code === 'REQUEST_LIMIT_EXCEEDED' && /TotalRequests/i.test(message);
          const retryable = !dailyExhausted && (status === 429 || status === 503 || code === 'REQUEST_LIMIT_EXCEEDED' || ((status >= 500 || status === 0) && o.idempotent));
          if (!retryable || attempt >= RETRY.maxAttempts) throw new SalesforceApiError(status, code, safeMessage(message));
          const ra = retryAfterMs(headers['retry-after']);
          if (ra !== null && ra > RETRY.maxRetryAfterMs) throw new SalesforceApiError(status, code, `${safeMessage(message)} (Retry-After ${Math.round(ra / 1000)} s exceeds the in-process wait cap)`);
          const wait = ra ?? Math.min(RETRY.maxDelayMs, RETRY.baseDelayMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
          // Tell the shared budget so every worker of this org waits, not just this call.
          this.opts.budget?.backoff(wait);
          this.retries++;
          await sleep(this.opts.budget ? 0 : wait);
        }
      }
    });
  }

  async get<T>(path: string, schema: z.ZodType<T>, headers?: Record<string, string>): Promise<T> {
    const r = await this.call({ method: 'GET', path, idempotent: true, ...(headers ? { headers } : {}) });
    const p = schema.safeParse(r.body);
    if (!p.success) throw new SalesforceApiError(r.status, 'UNEXPECTED_RESPONSE', `response of GET ${path.split('?')[0]} did not match the expected shape`);
    return p.data;
  }
}

export const QueryResponse = z.object({
  totalSize: z.number(),
  done: z.boolean(),
  nextRecordsUrl: z.string().optional(),
  // Each record an object (checked, not copied: a 2,000-record batch through z.record costs more than the request).
  records: z.array(z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { message: 'a record must be an object' })),
});
export type QueryResponse = z.infer<typeof QueryResponse>;

export const CollectionResults = z.array(
  z.object({
    id: z.string().nullable().optional(),
    success: z.boolean(),
    errors: z.array(z.object({ statusCode: z.string(), message: z.string(), fields: z.array(z.string()).optional() }).loose()).default([]),
  }).loose(),
);
export type CollectionResults = z.infer<typeof CollectionResults>;
