/**
 * Vendor webhook handling shared by the express routes and the Lambda handlers: verify what the vendor
 * sends as proof, parse into ChangeEvents, queue them durably, and only then acknowledge. Every refusal
 * is a 4xx with a JSON error and nothing queued; a queue outage is a 503 so the vendor redelivers.
 */
import { intakeEvents, type IntakeResult, type QueueSet } from '../jobs/queues';
import { silentLogger, type Logger, type PipelineHandlers } from '../jobs/types';
import type { ChangeEvent, Vendor } from '../model';
import { parseHubSpotDelivery, verifyHubSpotSignature } from '../../webhooks/hubspot';
import { parseOutboundMessage, SALESFORCE_ACK, salesforceChangeEvents, sameOrg } from '../../webhooks/salesforce';
import { parseZohoNotification, verifyZohoToken, zohoChangeEvents } from '../../webhooks/zoho';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface WebhookRequest {
  method: string;
  /** The full URL the vendor called (HubSpot v3 signs it). */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | undefined>;
  rawBody: Buffer;
}

export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookDeps {
  queues: QueueSet;
  handlers: Pick<PipelineHandlers, 'resolvePortal'>;
  hubspot?: {
    /** App client secret used when the portal record has none (env HUBSPOT_CLIENT_SECRET). */
    clientSecret?: string;
    allowLegacySignatures?: boolean;
    ownSourceIds?: string[];
  };
  salesforce?: {
    /** When set, only these orgs may post at all (on top of each portal's own org id). */
    allowedOrgIds?: string[];
    ownUserIds?: string[];
  };
  bodyLimitBytes?: number;
  /** Give up on Redis after this long and answer 503 (vendors time out around 5-10 s). */
  enqueueTimeoutMs?: number;
  now?: () => number;
  logger?: Logger;
}

export type ErrorCode =
  | 'malformed_body'
  | 'payload_too_large'
  | 'missing_signature'
  | 'missing_timestamp'
  | 'stale_timestamp'
  | 'bad_signature'
  | 'legacy_not_allowed'
  | 'bad_token'
  | 'unknown_portal'
  | 'org_not_allowed'
  | 'missing_org'
  | 'queue_unavailable'
  | 'method_not_allowed';

const STATUS: Record<ErrorCode, number> = {
  malformed_body: 400,
  missing_org: 400,
  payload_too_large: 413,
  missing_signature: 401,
  missing_timestamp: 401,
  stale_timestamp: 401,
  bad_signature: 401,
  legacy_not_allowed: 401,
  bad_token: 401,
  org_not_allowed: 403,
  unknown_portal: 404,
  method_not_allowed: 405,
  queue_unavailable: 503,
};

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  missing_signature: 'no X-HubSpot-Signature-v3 (or legacy X-HubSpot-Signature) header',
  missing_timestamp: 'X-HubSpot-Request-Timestamp is missing or not a number',
  stale_timestamp: 'X-HubSpot-Request-Timestamp is more than 5 minutes away from now',
  bad_signature: 'signature does not match the body',
  legacy_not_allowed: 'v1/v2 signatures are not accepted for this app',
  bad_token: 'notification token does not match the channel',
  unknown_portal: 'no connected portal for this account',
  org_not_allowed: 'organization id is not on the allow-list',
  queue_unavailable: 'queue unavailable, retry later',
  payload_too_large: 'body exceeds the size limit',
};

export function errorResponse(code: ErrorCode, message?: string): WebhookResponse {
  return {
    status: STATUS[code],
    headers: { 'content-type': 'application/json; charset=utf-8', ...(code === 'queue_unavailable' ? { 'retry-after': '5' } : {}) },
    body: JSON.stringify({ error: { code, message: message ?? MESSAGES[code] ?? code } }),
  };
}

const json = (body: unknown): WebhookResponse => ({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) });

class QueueUnavailable extends Error {}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new QueueUnavailable('timeout')), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

interface Batch {
  portalId: string;
  events: ChangeEvent[];
  importSeen: boolean;
}

async function enqueue(deps: WebhookDeps, batches: Batch[]): Promise<IntakeResult> {
  const total: IntakeResult = { queued: 0, duplicates: 0, importSyncQueued: false };
  for (const b of batches) {
    let r: IntakeResult;
    try {
      r = await withTimeout(intakeEvents(deps.queues, b.portalId, b.events, { importSeen: b.importSeen, now: deps.now?.() }), deps.enqueueTimeoutMs ?? 3000);
    } catch (e) {
      throw new QueueUnavailable((e as Error).message);
    }
    total.queued += r.queued;
    total.duplicates += r.duplicates;
    total.importSyncQueued ||= r.importSyncQueued;
  }
  return total;
}

async function hubspot(req: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const parsed = parseHubSpotDelivery(req.rawBody, { ownSourceIds: deps.hubspot?.ownSourceIds });
  if (!parsed.ok) return errorResponse('malformed_body', parsed.message);
  const d = parsed.delivery;
  const resolved = new Map<string, { portalId: string; secret?: string }>();
  for (const account of d.portalIds) {
    const r = await deps.handlers.resolvePortal('hubspot', account);
    if (r) resolved.set(account, { portalId: r.portalId, secret: r.secrets.hubspotClientSecret });
  }
  // One app signs the whole delivery: any known portal's secret (or the app's) verifies it.
  const secret = [...resolved.values()].find((r) => r.secret)?.secret ?? deps.hubspot?.clientSecret;
  if (resolved.size === 0 || !secret) return errorResponse('unknown_portal');
  const verdict = verifyHubSpotSignature({
    method: req.method,
    uri: req.url,
    rawBody: req.rawBody,
    headers: req.headers,
    clientSecret: secret,
    now: deps.now?.(),
    allowLegacy: deps.hubspot?.allowLegacySignatures ?? true,
  });
  if (!verdict.ok) return errorResponse(verdict.reason);
  const batches = new Map<string, Batch>();
  let unknown = 0;
  const batchOf = (account: string) => {
    const r = resolved.get(account);
    if (!r) return null;
    let b = batches.get(r.portalId);
    if (!b) batches.set(r.portalId, (b = { portalId: r.portalId, events: [], importSeen: false }));
    return b;
  };
  for (const e of d.events) {
    const b = batchOf(e.vendorAccountId);
    if (b) b.events.push(e);
    else unknown++;
  }
  for (const account of d.importedPortals) {
    const b = batchOf(account);
    if (b) b.importSeen = true;
  }
  const r = await enqueue(deps, [...batches.values()]);
  return json({ ok: true, ...r, skipped: { ...d.skipped, unknown_portal: unknown } });
}

async function zoho(req: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const parsed = parseZohoNotification(req.rawBody);
  if (!parsed.ok) return errorResponse('malformed_body', parsed.message);
  const n = parsed.notification;
  // Our notify_url carries the org id (`?org=`); Zoho echoes it in query_params too.
  const fromBody = n.query_params?.org;
  const org = req.query.org ?? (typeof fromBody === 'string' ? fromBody : undefined);
  if (!org) return errorResponse('missing_org', 'notify_url must carry ?org=<Zoho org id>');
  const portal = await deps.handlers.resolvePortal('zoho', org);
  if (!portal) return errorResponse('unknown_portal');
  const token = portal.secrets.zohoChannelToken;
  if (!token || !verifyZohoToken(n, { token, channelId: portal.secrets.zohoChannelId })) return errorResponse('bad_token');
  const ev = zohoChangeEvents(n, org);
  const r = await enqueue(deps, [{ portalId: portal.portalId, events: ev.events, importSeen: false }]);
  return json({ ok: true, ...r, skipped: ev.skipped });
}

async function salesforce(req: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const parsed = parseOutboundMessage(req.rawBody);
  if (!parsed.ok) return errorResponse('malformed_body', parsed.message);
  const m = parsed.message;
  const allow = deps.salesforce?.allowedOrgIds;
  if (allow && !allow.some((o) => sameOrg(o, m.organizationId))) return errorResponse('org_not_allowed');
  const portal = await deps.handlers.resolvePortal('salesforce', m.organizationId);
  if (!portal) return errorResponse('unknown_portal');
  const expected = portal.secrets.salesforceOrgId;
  if (!expected || !sameOrg(expected, m.organizationId)) return errorResponse('org_not_allowed');
  const ev = salesforceChangeEvents(m, { ownUserIds: deps.salesforce?.ownUserIds }, new Date(deps.now?.() ?? Date.now()));
  await enqueue(deps, [{ portalId: portal.portalId, events: ev.events, importSeen: false }]);
  return { status: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body: SALESFORCE_ACK };
}

const VENDORS: Record<Vendor, (req: WebhookRequest, deps: WebhookDeps) => Promise<WebhookResponse>> = { hubspot, zoho, salesforce };

export async function handleWebhook(vendor: Vendor, req: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const log = deps.logger ?? silentLogger;
  if (req.method.toUpperCase() !== 'POST') return errorResponse('method_not_allowed', 'use POST');
  if (req.rawBody.length > (deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES)) return errorResponse('payload_too_large');
  if (req.rawBody.length === 0) return errorResponse('malformed_body', 'empty body');
  let res: WebhookResponse;
  try {
    res = await VENDORS[vendor](req, deps);
  } catch (e) {
    if (!(e instanceof QueueUnavailable)) throw e;
    log('webhook.queue_unavailable', { vendor, message: e.message.slice(0, 200) });
    return errorResponse('queue_unavailable');
  }
  if (res.status >= 400) {
    const code = (JSON.parse(res.body) as { error: { code: string } }).error.code;
    log('webhook.rejected', { vendor, status: res.status, code });
  } else {
    log('webhook.accepted', { vendor, bytes: req.rawBody.length });
  }
  return res;
}
