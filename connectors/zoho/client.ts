/**
 * Plain axios client for Zoho CRM: OAuth refresh-token flow (refresh before expiry, and once on a 401
 * INVALID_TOKEN), `Authorization: Zoho-oauthtoken`, a concurrency cap (Zoho limits concurrent calls per
 * org, not calls per second) plus the sub-concurrency cap for complex calls (sorted lists, big writes),
 * the shared RateBudget, and retries with back-off for 429 and 5xx. It measures what the sync needs to
 * choose its cursor count: round-trip latency and the time requests spend waiting for the budget.
 */
import axios, { type AxiosInstance, type AxiosResponse, type ResponseType } from 'axios';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { z } from 'zod';
import type { RateBudget } from '../types';
import { RETRY, SUB_CONCURRENCY, TOKEN_REFRESH_MARGIN_MS, ZOHO_API_VERSION, isComplexCall } from './limits';

export const TokenResponse = z.object({
  access_token: z.string().min(1),
  api_domain: z.string().url().optional(),
  token_type: z.string().optional(),
  expires_in: z.number().optional(),
  expires_in_sec: z.number().optional(),
  scope: z.string().optional(),
});
const TokenError = z.object({ error: z.string(), error_description: z.string().optional() }).loose();
export const ZohoError = z.object({ code: z.string(), message: z.string().optional(), details: z.unknown().optional(), status: z.string().optional() }).loose();

export class ZohoApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`Zoho ${status} ${code}: ${message}`);
    this.name = 'ZohoApiError';
  }
}

export interface ZohoClientOptions {
  accountsUrl: string;
  /** API domain; replaced by the token response's api_domain unless pinned (sandbox). */
  apiDomain: string;
  pinApiDomain?: boolean;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  budget?: RateBudget;
  /** Concurrent requests this client sends (Zoho's per-org concurrency limit, minus headroom for others). */
  concurrency?: number;
  /** Concurrent complex calls (Zoho: 10 on every edition). */
  subConcurrency?: number;
  timeoutMs?: number;
  /** Sleep function (tests may shorten back-off). */
  sleep?: (ms: number) => Promise<void>;
  retry?: Partial<typeof RETRY>;
}

export interface ZohoRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the API domain, e.g. `/crm/v8/Contacts`. */
  path: string;
  params?: Record<string, string | number | undefined>;
  data?: unknown;
  headers?: Record<string, string>;
  responseType?: ResponseType;
  /** Safe to resend after a 5xx or a dropped connection (GET, PUT of absolute values, DELETE). */
  idempotent?: boolean;
  bucket?: string;
}

export interface ClientStats {
  requests: number;
  retries: number;
  refreshes: number;
  throttled: number;
  creditsRemaining: number | null;
  /** Round-trip time of a call (moving average, ms; 0 until the first response). */
  latencyMs: number;
  /** Total ms requests waited for the RateBudget or a 429 pause before being sent (grants ready at once count 0). */
  budgetWaitMs: number;
}

const sleepReal = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A counting semaphore, waiters served in order. */
class Slots {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(readonly max: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active--;
  }
}

export class ZohoClient {
  readonly http: AxiosInstance;
  readonly stats: ClientStats = { requests: 0, retries: 0, refreshes: 0, throttled: 0, creditsRemaining: null, latencyMs: 0, budgetWaitMs: 0 };
  private accessToken: string | null = null;
  private expiresAt = 0;
  private refreshing: Promise<string> | null = null;
  private readonly slots: Slots;
  private readonly complexSlots: Slots;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly retry: typeof RETRY;
  private pausedUntil = 0;
  apiDomain: string;
  /** The api_domain the token response reported (the data-centre fact), if any. */
  reportedApiDomain: string | null = null;

  constructor(private readonly opts: ZohoClientOptions) {
    this.apiDomain = opts.apiDomain.replace(/\/$/, '');
    this.sleep = opts.sleep ?? sleepReal;
    this.retry = { ...RETRY, ...opts.retry };
    this.slots = new Slots(opts.concurrency ?? 10);
    this.complexSlots = new Slots(Math.min(opts.subConcurrency ?? SUB_CONCURRENCY, opts.concurrency ?? 10));
    this.http = axios.create({
      timeout: opts.timeoutMs ?? 120_000,
      validateStatus: () => true,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: (opts.concurrency ?? 10) + 2 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: (opts.concurrency ?? 10) + 2 }),
      maxContentLength: Infinity,
      maxBodyLength: Infinity,
    });
  }

  get version(): string {
    return ZOHO_API_VERSION;
  }

  /** Concurrent calls this client allows, and concurrent complex calls (sorted lists count as complex). */
  get concurrency(): { calls: number; complex: number } {
    return { calls: this.slots.max, complex: this.complexSlots.max };
  }

  /** A valid access token, refreshing it when missing or about to lapse (one refresh at a time). */
  async token(force = false): Promise<string> {
    if (!force && this.accessToken && Date.now() < this.expiresAt - TOKEN_REFRESH_MARGIN_MS) return this.accessToken;
    if (!this.refreshing) {
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async refresh(): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: this.opts.clientId,
      client_secret: this.opts.clientSecret,
      refresh_token: this.opts.refreshToken,
    });
    // Form body, not the query string: the docs recommend it so secrets stay out of access logs.
    const res = await this.http.post(`${this.opts.accountsUrl.replace(/\/$/, '')}/oauth/v2/token`, body.toString(), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    const ok = TokenResponse.safeParse(res.data);
    if (!ok.success) {
      const e = TokenError.safeParse(res.data);
      throw new ZohoApiError(res.status, e.success ? e.data.error : 'TOKEN_RESPONSE_INVALID', e.success ? (e.data.error_description ?? 'token refresh refused') : 'unexpected token response');
    }
    this.stats.refreshes++;
    const t = ok.data;
    // Legacy responses carry expires_in_sec (then expires_in is in ms).
    const seconds = t.expires_in_sec ?? t.expires_in ?? 3600;
    this.accessToken = t.access_token;
    this.expiresAt = Date.now() + seconds * 1000;
    if (t.api_domain) {
      this.reportedApiDomain = t.api_domain;
      if (!this.opts.pinApiDomain) this.apiDomain = t.api_domain.replace(/\/$/, '');
    }
    return t.access_token;
  }

  private async acquire(complex: boolean): Promise<void> {
    // Complex slot first, then a general one (always in this order, so no two requests deadlock).
    if (complex) await this.complexSlots.acquire();
    await this.slots.acquire();
  }

  private release(complex: boolean): void {
    this.slots.release();
    if (complex) this.complexSlots.release();
  }

  /** Sends one request with token, budget, concurrency cap and retries. Never throws for 4xx: returns the response. */
  async request<T = unknown>(req: ZohoRequest): Promise<AxiosResponse<T>> {
    const idempotent = req.idempotent ?? req.method !== 'POST';
    const records = Array.isArray((req.data as { data?: unknown } | undefined)?.data) ? (req.data as { data: unknown[] }).data.length : 1;
    const complex = isComplexCall(req.method, req.path, req.params, records);
    let refreshedOn401 = false;
    for (let attempt = 1; ; attempt++) {
      const wait = this.pausedUntil - Date.now();
      if (wait > 0 || this.opts.budget) {
        const waitStart = performance.now();
        if (wait > 0) await this.sleep(wait);
        let granted = false;
        const take = this.opts.budget ? this.opts.budget.take(req.bucket).then(() => void (granted = true)) : null;
        // A grant that was ready at once is no wait, however late a busy event loop resumes this call.
        await Promise.resolve();
        if (wait > 0 || !granted) {
          await take;
          this.stats.budgetWaitMs += performance.now() - waitStart;
        }
      }
      const token = await this.token();
      await this.acquire(complex);
      let res: AxiosResponse<T>;
      const sent = performance.now();
      try {
        this.stats.requests++;
        res = await this.http.request<T>({
          method: req.method,
          url: `${this.apiDomain}${req.path}`,
          params: req.params,
          data: req.data,
          responseType: req.responseType,
          headers: { Authorization: `Zoho-oauthtoken ${token}`, ...(req.data !== undefined ? { 'Content-Type': 'application/json' } : {}), ...req.headers },
        });
      } catch (e) {
        this.release(complex);
        // Network failure: resend only what is safe to resend.
        if (!idempotent || attempt >= this.retry.maxAttempts) throw e;
        this.stats.retries++;
        await this.sleep(this.backoffMs(attempt));
        continue;
      }
      this.release(complex);
      const rtt = performance.now() - sent;
      this.stats.latencyMs = this.stats.latencyMs === 0 ? rtt : this.stats.latencyMs * 0.8 + rtt * 0.2;
      const remaining = res.headers['x-api-credits-remaining'];
      if (remaining !== undefined) this.stats.creditsRemaining = Number(remaining);
      if (res.status === 401 && !refreshedOn401 && errorCode(res.data) === 'INVALID_TOKEN') {
        // Expired or revoked access token: refresh once, then resend.
        refreshedOn401 = true;
        await drain(res);
        await this.token(true);
        continue;
      }
      if (res.status === 429 && attempt < this.retry.maxAttempts) {
        // Zoho sends no Retry-After for credit/concurrency exhaustion; honour one if present, else back off.
        this.stats.throttled++;
        this.stats.retries++;
        await drain(res);
        const ms = retryAfterMs(res.headers['retry-after']) ?? this.backoffMs(attempt);
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
        this.opts.budget?.backoff(ms, req.bucket);
        continue;
      }
      if (res.status >= 500 && idempotent && attempt < this.retry.maxAttempts) {
        this.stats.retries++;
        await drain(res);
        await this.sleep(this.backoffMs(attempt));
        continue;
      }
      return res;
    }
  }

  /** request() that throws ZohoApiError unless the status is one of `ok`. */
  async expect<T = unknown>(req: ZohoRequest, ok: number[] = [200]): Promise<AxiosResponse<T>> {
    const res = await this.request<T>(req);
    if (!ok.includes(res.status)) {
      const e = ZohoError.safeParse(res.data);
      throw new ZohoApiError(res.status, e.success ? e.data.code : 'UNEXPECTED_STATUS', e.success ? (e.data.message ?? '') : `${req.method} ${req.path.replace(/\d{10,}/g, ':id')}`);
    }
    return res;
  }

  private backoffMs(attempt: number): number {
    const exp = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }
}

export function errorCode(data: unknown): string | null {
  const e = ZohoError.safeParse(data);
  return e.success ? e.data.code : null;
}

/** Retry-After in seconds or as an HTTP date, capped at 5 minutes. */
export function retryAfterMs(v: unknown): number | null {
  if (typeof v !== 'string' || v === '') return null;
  const s = Number(v);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(v) - Date.now();
  if (!Number.isFinite(ms)) return null;
  return Math.min(Math.max(ms, 0), 300_000);
}

async function drain(res: AxiosResponse): Promise<void> {
  const d = res.data as { resume?: () => void; destroy?: () => void } | undefined;
  if (d && typeof d === 'object' && typeof d.destroy === 'function') d.destroy();
}
