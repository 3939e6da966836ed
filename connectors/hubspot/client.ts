/**
 * The one way this connector talks to HubSpot: every SDK call goes through the portal's RateBudget
 * and our own retry. The SDK's retry/limiter is a process-wide singleton (each `new Client()`
 * replaces it), so it stays off (`numberOfApiCallRetries: 0`) and all limits live here.
 *
 * Errors: the SDK's ApiException.message embeds the whole response body and headers (personal data),
 * so it is never logged or rethrown; HubSpotError carries only status, category and correlation id.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Client } from '@hubspot/api-client';
import type { RateBudget } from '../types';
import { BUCKET_DEFAULT, BUCKET_SEARCH, RATE_LIMIT_HEADERS, RETRY } from './limits';
import { HsErrorBody } from './vendor-schema';

export type LogFn = (event: string, fields: Record<string, string | number | boolean | undefined>) => void;

/** A failed HubSpot call, safe to log: no body text, no headers beyond the correlation id. */
export class HubSpotError extends Error {
  readonly status: number;
  readonly category: string | undefined;
  readonly correlationId: string | undefined;
  /** Vendor body, kept for classification (e.g. "already unsubscribed") but never put in messages or logs. */
  readonly vendorBody: unknown;
  constructor(status: number, operation: string, category: string | undefined, correlationId: string | undefined, vendorBody: unknown) {
    super(`HubSpot ${operation} failed: HTTP ${status}${category ? ` ${category}` : ''}${correlationId ? ` (correlationId ${correlationId})` : ''}`);
    this.name = 'HubSpotError';
    this.status = status;
    this.category = category;
    this.correlationId = correlationId;
    Object.defineProperty(this, 'vendorBody', { value: vendorBody, enumerable: false });
  }
}

export interface RateLimitSnapshot {
  max?: number;
  remaining?: number;
  intervalMs?: number;
  dailyRemaining?: number;
}

export interface ClientStats {
  requests: number;
  retries: number;
  /** 429s received (and absorbed by retrying). */
  rateLimited: number;
  serverErrors: number;
  /** Moving average of request round-trip time (budget wait excluded), ms. */
  latencyMs: number;
  lastRateLimit: RateLimitSnapshot;
}

export interface CallOptions {
  /** Budget bucket: `search` has its own per-second limit. */
  bucket?: typeof BUCKET_DEFAULT | typeof BUCKET_SEARCH;
  /** False for creates: then only responses that prove nothing happened (429/423/477) are retried. */
  idempotent?: boolean;
}

interface HttpInfoLike<T> {
  httpStatusCode: number;
  headers: Record<string, string> | Headers | undefined;
  data: T;
}

/** Parses Retry-After (delta seconds or an HTTP date) into ms; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined | null, nowMs: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

function header(headers: HttpInfoLike<unknown>['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const h = headers as Record<string, string>;
  if (h[name] !== undefined) return h[name];
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  return key ? h[key] : undefined;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Socket-level failures node:http reports (a kept-alive socket the server closed, a refused or timed-out connection). */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);
function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

export interface HubSpotApiOptions {
  accessToken: string;
  basePath?: string;
  budget: RateBudget;
  log?: LogFn;
}

export class HubSpotApi {
  readonly sdk: Client;
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0, serverErrors: 0, latencyMs: 0, lastRateLimit: {} };
  private readonly budget: RateBudget;
  private readonly log: LogFn;

  /** Keep-alive sockets of this client (the SDK's own `httpAgent` option): closed by close(). */
  private readonly agent: HttpAgent;

  constructor(opts: HubSpotApiOptions) {
    const basePath = opts.basePath?.replace(/\/$/, '');
    // With an agent the SDK sends through node:http instead of global fetch: about half the CPU per
    // request (no WHATWG streams), and the sockets are ours to close.
    this.agent = basePath?.startsWith('http:') ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true });
    this.sdk = new Client({ accessToken: opts.accessToken, ...(basePath ? { basePath } : {}), numberOfApiCallRetries: 0, httpAgent: this.agent });
    this.budget = opts.budget;
    this.log = opts.log ?? (() => undefined);
  }

  /** Closes the kept-alive sockets; call when no request is in flight. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Runs one SDK call (a `...WithHttpInfo` method) under the budget with retries. Returns the data.
   * `operation` names the call for errors and logs (e.g. `contacts.list`).
   */
  async call<T>(operation: string, fn: () => Promise<HttpInfoLike<T>>, opts: CallOptions = {}): Promise<T> {
    const bucket = opts.bucket ?? BUCKET_DEFAULT;
    const idempotent = opts.idempotent ?? true;
    for (let attempt = 1; ; attempt++) {
      // HubSpot counts search apart from the rolling burst limit (search answers carry only daily headers).
      await this.budget.take(bucket);
      this.stats.requests += 1;
      let res: HttpInfoLike<T>;
      const t0 = Date.now();
      try {
        res = await fn();
        const ms = Date.now() - t0;
        this.stats.latencyMs = this.stats.latencyMs === 0 ? ms : this.stats.latencyMs * 0.8 + ms * 0.2;
      } catch (err) {
        const wait = this.classify(err, operation, bucket, attempt, idempotent);
        if (wait === null) throw this.toSafeError(err, operation);
        this.stats.retries += 1;
        if (wait > 0) await sleep(wait);
        continue;
      }
      this.readRateLimitHeaders(res.headers, bucket);
      return res.data;
    }
  }

  /** Raw request for endpoints the SDK lacks (account-info); same budget and retries. */
  async raw<T>(operation: string, method: 'GET' | 'POST', path: string, parse: (body: unknown) => T): Promise<T> {
    const data = await this.call(operation, async () => {
      const res = await this.sdk.apiRequest({ method, path });
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      const text = await res.text();
      let body: unknown = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      if (res.status < 200 || res.status > 299) throw Object.assign(new Error('raw request failed'), { code: res.status, body, headers });
      return { httpStatusCode: res.status, headers, data: body };
    });
    return parse(data);
  }

  private readRateLimitHeaders(headers: HttpInfoLike<unknown>['headers'], bucket: string): void {
    const snap: RateLimitSnapshot = {
      max: num(header(headers, RATE_LIMIT_HEADERS.max)),
      remaining: num(header(headers, RATE_LIMIT_HEADERS.remaining)),
      intervalMs: num(header(headers, RATE_LIMIT_HEADERS.intervalMs)),
      dailyRemaining: num(header(headers, RATE_LIMIT_HEADERS.dailyRemaining)),
    };
    if (snap.max !== undefined || snap.dailyRemaining !== undefined) this.stats.lastRateLimit = { ...this.stats.lastRateLimit, ...snap };
    // The daily quota is shared with every other integration on the account: when HubSpot says it is
    // spent, stop everyone on this budget rather than collect a 429 per request.
    if (snap.dailyRemaining === 0) {
      this.log('hubspot.daily_quota_exhausted', { bucket });
      this.budget.backoff(RETRY.maxRetryAfterMs, bucket);
    }
  }

  /** ms to wait before retrying, or null to give up. */
  private classify(err: unknown, operation: string, bucket: string, attempt: number, idempotent: boolean): number | null {
    const e = err as { code?: unknown; body?: unknown; headers?: Record<string, string> };
    const status = typeof e?.code === 'number' ? e.code : 0;
    const body = HsErrorBody.safeParse(typeof e?.body === 'object' && e.body !== null ? e.body : {});
    const correlationId = (body.success ? body.data.correlationId : undefined) ?? header(e?.headers, RATE_LIMIT_HEADERS.correlationId);
    const category = body.success ? (body.data.category ?? body.data.errorType) : undefined;
    const retryAfter = parseRetryAfter(header(e?.headers, RATE_LIMIT_HEADERS.retryAfter), Date.now());
    if (attempt >= RETRY.maxAttempts) return null;
    if (status === 429) {
      this.stats.rateLimited += 1;
      // The daily quota resets at midnight: unless HubSpot says it is soon, fail now and let a later run finish.
      if (body.success && body.data.policyName === 'DAILY' && (retryAfter === null || retryAfter > RETRY.maxRetryAfterMs)) return null;
      const wait = Math.min(retryAfter ?? RETRY.rateLimitWaitMs, RETRY.maxRetryAfterMs);
      this.log('hubspot.rate_limited', { operation, status, category, correlationId, waitMs: wait, attempt });
      this.budget.backoff(wait, bucket);
      return 0; // the budget holds every caller, this one included
    }
    if (status === 423 || status === 477) {
      const wait = status === 423 ? Math.max(retryAfter ?? 0, RETRY.lockedMinMs) : (retryAfter ?? RETRY.rateLimitWaitMs);
      if (wait > RETRY.maxRetryAfterMs) return null;
      this.log('hubspot.locked', { operation, status, correlationId, waitMs: wait, attempt });
      this.budget.backoff(wait, bucket);
      return 0;
    }
    if (!idempotent) return null;
    if (status >= 500 && status <= 599) {
      this.stats.serverErrors += 1;
      const wait = RETRY.serverErrorBaseMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      this.log('hubspot.server_error', { operation, status, category, correlationId, waitMs: Math.round(wait), attempt });
      return retryAfter ?? wait;
    }
    if (status === 0 && (err instanceof TypeError || isNetworkError(err))) {
      // A network failure: fetch's TypeError (raw requests) or node:http's socket error (SDK calls through our agent)
      this.log('hubspot.network_error', { operation, attempt });
      return RETRY.serverErrorBaseMs * 2 ** (attempt - 1);
    }
    return null;
  }

  private toSafeError(err: unknown, operation: string): HubSpotError {
    const e = err as { code?: unknown; body?: unknown; headers?: Record<string, string> };
    const status = typeof e?.code === 'number' ? e.code : 0;
    const body = HsErrorBody.safeParse(typeof e?.body === 'object' && e.body !== null ? e.body : {});
    const category = body.success ? (body.data.category ?? body.data.errorType) : undefined;
    const correlationId = (body.success ? body.data.correlationId : undefined) ?? header(e?.headers, RATE_LIMIT_HEADERS.correlationId);
    const safe = new HubSpotError(status, operation, category ?? (status === 0 ? 'NETWORK_OR_PARSE_ERROR' : undefined), correlationId, e?.body);
    this.log('hubspot.error', { operation, status, category, correlationId });
    return safe;
  }
}

/** A vendor error's description for results and audit: status, category and sub-codes, never values. */
export function describeError(err: unknown): string {
  if (err instanceof HubSpotError) {
    const codes = vendorErrorCodes(err.vendorBody);
    return `HTTP ${err.status}${err.category ? ` ${err.category}` : ''}${codes ? ` (${codes})` : ''}${err.correlationId ? ` correlationId=${err.correlationId}` : ''}`;
  }
  return err instanceof Error ? err.name : 'unknown error';
}

/** `CODE on property` pairs from a HubSpot error body (codes and property names are not personal). */
export function vendorErrorCodes(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return '';
  return errors
    .map((x: { code?: unknown; context?: { propertyName?: unknown } }) => {
      const code = typeof x?.code === 'string' ? x.code : 'ERROR';
      const prop = Array.isArray(x?.context?.propertyName) ? ` on ${x.context!.propertyName.filter((p) => typeof p === 'string').join(',')}` : '';
      return `${code}${prop}`;
    })
    .join('; ');
}
