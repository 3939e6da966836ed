/**
 * HubSpot webhook deliveries (reference/hubspot.md §5): verify the signature over the raw bytes, then
 * parse the JSON array of events into ChangeEvents. No I/O here; the server resolves the portal's
 * client secret and queues what this returns.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { STATUS_PROPERTIES } from '../connectors/types';
import { ChangeEvent } from '../src/model';

/** v3 deliveries older than this are refused (replay window). */
export const HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000;

export const HUBSPOT_HEADERS = {
  signature: 'x-hubspot-signature',
  signatureVersion: 'x-hubspot-signature-version',
  signatureV3: 'x-hubspot-signature-v3',
  timestamp: 'x-hubspot-request-timestamp',
} as const;

export type SignatureFailure = 'missing_signature' | 'missing_timestamp' | 'stale_timestamp' | 'bad_signature' | 'legacy_not_allowed';

export type SignatureVerdict = { ok: true; version: 'v1' | 'v2' | 'v3' } | { ok: false; reason: SignatureFailure };

export interface HubSpotSignatureInput {
  method: string;
  /** The full URL HubSpot called (scheme, host, path, query as sent). */
  uri: string;
  rawBody: Buffer;
  /** Lower-cased header names (node's req.headers). */
  headers: Record<string, string | string[] | undefined>;
  clientSecret: string;
  now?: number;
  /** Accept v1/v2 signatures of older apps when no v3 header is present (default true). */
  allowLegacy?: boolean;
}

/** HubSpot decodes these escapes (and only these) in the URI before signing v3. */
const V3_DECODE: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$',
  '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

export function decodeV3Uri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => V3_DECODE[m.toUpperCase()] ?? m);
}

function header(headers: HubSpotSignatureInput['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time comparison of two strings of any length (hashing first hides the length too). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

export function hubspotV3Signature(clientSecret: string, method: string, uri: string, rawBody: Buffer, timestamp: string): string {
  return createHmac('sha256', clientSecret)
    .update(Buffer.from(method.toUpperCase() + decodeV3Uri(uri), 'utf8'))
    .update(rawBody)
    .update(Buffer.from(timestamp, 'utf8'))
    .digest('base64');
}

export function hubspotV2Signature(clientSecret: string, method: string, uri: string, rawBody: Buffer): string {
  return createHash('sha256').update(Buffer.from(clientSecret + method.toUpperCase() + uri, 'utf8')).update(rawBody).digest('hex');
}

export function hubspotV1Signature(clientSecret: string, rawBody: Buffer): string {
  return createHash('sha256').update(Buffer.from(clientSecret, 'utf8')).update(rawBody).digest('hex');
}

/**
 * v3 when its header is present (then nothing weaker is tried); otherwise v1/v2 as the version header says.
 * Timestamps more than 5 minutes old, or more than 5 minutes ahead (clock skew), are stale.
 */
export function verifyHubSpotSignature(input: HubSpotSignatureInput): SignatureVerdict {
  const now = input.now ?? Date.now();
  const v3 = header(input.headers, HUBSPOT_HEADERS.signatureV3);
  if (v3) {
    const ts = header(input.headers, HUBSPOT_HEADERS.timestamp);
    if (!ts || !/^\d{1,16}$/.test(ts)) return { ok: false, reason: 'missing_timestamp' };
    if (Math.abs(now - Number(ts)) > HUBSPOT_MAX_AGE_MS) return { ok: false, reason: 'stale_timestamp' };
    const expected = hubspotV3Signature(input.clientSecret, input.method, input.uri, input.rawBody, ts);
    return safeEqual(expected, v3) ? { ok: true, version: 'v3' } : { ok: false, reason: 'bad_signature' };
  }
  const legacy = header(input.headers, HUBSPOT_HEADERS.signature);
  if (!legacy) return { ok: false, reason: 'missing_signature' };
  if (input.allowLegacy === false) return { ok: false, reason: 'legacy_not_allowed' };
  const version = (header(input.headers, HUBSPOT_HEADERS.signatureVersion) ?? 'v1').toLowerCase();
  if (version === 'v2') {
    const expected = hubspotV2Signature(input.clientSecret, input.method, input.uri, input.rawBody);
    return safeEqual(expected, legacy.toLowerCase()) ? { ok: true, version: 'v2' } : { ok: false, reason: 'bad_signature' };
  }
  if (version !== 'v1') return { ok: false, reason: 'bad_signature' };
  const expected = hubspotV1Signature(input.clientSecret, input.rawBody);
  return safeEqual(expected, legacy.toLowerCase()) ? { ok: true, version: 'v1' } : { ok: false, reason: 'bad_signature' };
}

const Id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)]).transform(String);

/** One event as HubSpot sends it; unknown fields pass (HubSpot adds fields over time). */
export const HubSpotEvent = z.object({
  eventId: Id,
  subscriptionId: Id,
  portalId: Id,
  appId: Id.optional(),
  occurredAt: z.number().int().positive(),
  /** Real deliveries say subscriptionType; the docs example says eventType. */
  subscriptionType: z.string().min(1).optional(),
  eventType: z.string().min(1).optional(),
  attemptNumber: z.number().int().nonnegative().optional(),
  objectId: Id.optional(),
  objectTypeId: z.string().optional(),
  changeSource: z.string().optional(),
  changeFlag: z.string().optional(),
  sourceId: z.string().optional(),
  propertyName: z.string().optional(),
  primaryObjectId: Id.optional(),
  newObjectId: Id.optional(),
  fromObjectId: Id.optional(),
  associationType: z.string().optional(),
  associationRemoved: z.boolean().optional(),
}).refine((e) => e.subscriptionType !== undefined || e.eventType !== undefined, { message: 'subscriptionType (or eventType) is required', path: ['subscriptionType'] });
export type HubSpotEvent = z.infer<typeof HubSpotEvent>;

/** A delivery carries at most 100 events; allow some slack, refuse anything absurd. */
export const HubSpotDelivery = z.array(HubSpotEvent).min(1).max(1000);

export type SkipReason = 'import' | 'own_write' | 'unsupported';

export interface ParsedDelivery {
  events: ChangeEvent[];
  /** Portals (HubSpot portal ids) that saw bulk imports: re-check them with an incremental scan instead. */
  importedPortals: string[];
  skipped: Record<SkipReason, number>;
  /** Distinct portal ids in the delivery (for routing). */
  portalIds: string[];
}

export interface ParseOptions {
  /** sourceId values that mark changes our own app made (e.g. `app:123`, or the app id). */
  ownSourceIds?: readonly string[];
}

const OWN_PROPERTIES = new Set<string>(Object.values(STATUS_PROPERTIES));

const KINDS: Record<string, ChangeEvent['kind']> = {
  creation: 'created',
  propertyChange: 'updated',
  deletion: 'deleted',
  privacyDeletion: 'privacy_deleted',
  merge: 'merged',
  restore: 'restored',
  associationChange: 'updated',
};

export type ParseResult = { ok: true; delivery: ParsedDelivery } | { ok: false; message: string };

export function parseHubSpotDelivery(rawBody: Buffer, opts: ParseOptions = {}): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false, message: 'body is not JSON' };
  }
  const r = HubSpotDelivery.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, message: `invalid delivery at ${i.path.join('.') || '(root)'}: ${i.message}` };
  }
  const own = new Set(opts.ownSourceIds ?? []);
  const out: ParsedDelivery = { events: [], importedPortals: [], skipped: { import: 0, own_write: 0, unsupported: 0 }, portalIds: [] };
  const imported = new Set<string>();
  const portals = new Set<string>();
  for (const e of r.data) {
    portals.add(e.portalId);
    const type = (e.subscriptionType ?? e.eventType)!;
    const [objectType, action] = type.split('.');
    const isContact = objectType === 'contact' || (objectType === 'object' && e.objectTypeId === '0-1');
    const kind = action ? KINDS[action] : undefined;
    if (!isContact || !kind) {
      out.skipped.unsupported++;
      continue;
    }
    if (e.changeSource === 'IMPORT') {
      imported.add(e.portalId);
      out.skipped.import++;
      continue;
    }
    if ((e.propertyName && OWN_PROPERTIES.has(e.propertyName)) || (e.sourceId !== undefined && own.has(e.sourceId))) {
      out.skipped.own_write++;
      continue;
    }
    // Merges name the surviving record; association changes name the contact side.
    const objectId = action === 'merge' ? (e.newObjectId ?? e.primaryObjectId ?? e.objectId) : action === 'associationChange' ? (e.fromObjectId ?? e.objectId) : e.objectId;
    if (!objectId) {
      out.skipped.unsupported++;
      continue;
    }
    out.events.push(
      ChangeEvent.parse({
        vendor: 'hubspot',
        vendorAccountId: e.portalId,
        // eventId alone is "not guaranteed to be unique": dedupe on the documented tuple.
        eventId: `${e.subscriptionId}:${e.eventId}:${e.occurredAt}`,
        objectId,
        kind,
        occurredAt: new Date(e.occurredAt).toISOString(),
        property: action === 'associationChange' ? `association:${e.associationType ?? 'unknown'}` : e.propertyName,
        source: e.changeSource,
      }),
    );
  }
  out.importedPortals = [...imported];
  out.portalIds = [...portals];
  return { ok: true, delivery: out };
}
