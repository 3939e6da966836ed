/**
 * AWS Lambda handlers behind API Gateway (REST API v1 and HTTP API v2 event shapes) and EventBridge
 * schedules. They run the same code as the express routes (handleWebhook, checkReadiness); queue
 * workers do not run in Lambda (they are a long-running service, see serverless.yml).
 */
import { z } from 'zod';
import type { QueueSet } from '../jobs/queues';
import { enqueueScheduledRun, SCHEDULE_KINDS, type ScheduleKind } from '../jobs/schedules';
import type { PipelineHandlers } from '../jobs/types';
import { Vendor } from '../model';
import { checkReadiness } from '../server/app';
import { errorResponse, handleWebhook, type WebhookDeps, type WebhookRequest, type WebhookResponse } from '../server/webhook-handler';

/** The parts of an API Gateway proxy event (v1 REST or v2 HTTP) that the handlers read. */
export interface ApiGatewayEvent {
  version?: string;
  /** v1 */
  httpMethod?: string;
  path?: string;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  /** v2 */
  rawPath?: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  pathParameters?: Record<string, string | undefined> | null;
  requestContext?: { domainName?: string; path?: string; stage?: string; http?: { method?: string; path?: string } };
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface ApiGatewayResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

export interface LambdaDeps extends Omit<WebhookDeps, 'queues' | 'handlers'> {
  queues: QueueSet;
  handlers: Pick<PipelineHandlers, 'resolvePortal' | 'listPortals'>;
  pingDb?: () => Promise<void>;
  /** Public base URL when a custom domain or proxy sits in front (HubSpot v3 signs the full URL). */
  publicBaseUrl?: string;
}

const toResult = (r: WebhookResponse): ApiGatewayResult => ({ statusCode: r.status, headers: r.headers, body: r.body, isBase64Encoded: false });

/** Rebuilds what the vendor sent: method, full URL (v2 keeps the raw query string), lower-cased headers, raw bytes. */
export function toWebhookRequest(event: ApiGatewayEvent, publicBaseUrl?: string): WebhookRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const v2 = event.version === '2.0';
  const method = (v2 ? event.requestContext?.http?.method : event.httpMethod) ?? 'GET';
  let path: string;
  let rawQuery: string;
  if (v2) {
    path = event.rawPath ?? event.requestContext?.http?.path ?? '/';
    rawQuery = event.rawQueryString ?? '';
  } else {
    // v1 has no raw query: rebuild it (order kept as API Gateway lists it). Prefer HTTP APIs for HubSpot v3.
    path = event.requestContext?.path ?? event.path ?? '/';
    const parts: string[] = [];
    for (const [k, vs] of Object.entries(event.multiValueQueryStringParameters ?? {})) for (const v of vs ?? []) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    rawQuery = parts.join('&');
  }
  const base = publicBaseUrl?.replace(/\/+$/, '') ?? `https://${event.requestContext?.domainName ?? headers.host ?? 'localhost'}`;
  const query: Record<string, string | undefined> = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) query[k] ??= v;
  const body = event.body ?? '';
  return {
    method,
    url: `${base}${path}${rawQuery ? `?${rawQuery}` : ''}`,
    headers,
    query,
    rawBody: event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
  };
}

function vendorOf(event: ApiGatewayEvent, path: string): Vendor | null {
  const candidate = event.pathParameters?.vendor ?? /\/webhooks\/([a-z]+)\/?$/.exec(path)?.[1];
  const r = Vendor.safeParse(candidate);
  return r.success ? r.data : null;
}

export const SchedulerEvent = z.object({ task: z.enum(SCHEDULE_KINDS as [ScheduleKind, ...ScheduleKind[]]) });

export function createLambdaHandlers(getDeps: () => Promise<LambdaDeps>) {
  return {
    async webhook(event: ApiGatewayEvent): Promise<ApiGatewayResult> {
      const deps = await getDeps();
      const req = toWebhookRequest(event, deps.publicBaseUrl);
      const vendor = vendorOf(event, new URL(req.url).pathname);
      if (!vendor) return toResult({ status: 404, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ error: { code: 'not_found', message: 'no such route' } }) });
      // API Gateway accepts up to 10 MB: apply the same limit as the server before anything else.
      if (req.rawBody.length > (deps.bodyLimitBytes ?? 1024 * 1024)) return toResult(errorResponse('payload_too_large'));
      return toResult(await handleWebhook(vendor, req, deps));
    },
    async health(event: ApiGatewayEvent): Promise<ApiGatewayResult> {
      const path = event.version === '2.0' ? (event.rawPath ?? '') : (event.path ?? '');
      const json = (statusCode: number, body: unknown): ApiGatewayResult => ({ statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body), isBase64Encoded: false });
      if (!path.endsWith('/ready')) return json(200, { status: 'ok' });
      const r = await checkReadiness(await getDeps());
      return json(r.ok ? 200 : 503, { status: r.ok ? 'ready' : 'not_ready', checks: r.checks });
    },
    /** EventBridge schedule with input `{ "task": "incremental" | "full" | "applyDue" | "digest" }`. */
    async scheduler(event: unknown): Promise<{ task: ScheduleKind; portals: number }> {
      const { task } = SchedulerEvent.parse(event);
      const deps = await getDeps();
      const portals = deps.handlers.listPortals ? await deps.handlers.listPortals() : [];
      const ids = portals.filter((p) => p.schedule?.enabled !== false).map((p) => p.portalId);
      const n = await enqueueScheduledRun(deps.queues, ids, task);
      deps.logger?.('scheduler.enqueued', { task, portals: n });
      return { task, portals: n };
    },
  };
}
