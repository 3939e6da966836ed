/**
 * Zoho CRM notification (watch) deliveries (reference/zoho.md §5). Zoho signs nothing: the proof is the
 * per-channel `token` we registered (≤ 50 chars, unguessable, per tenant), compared in constant time.
 * The payload carries record ids only; the pipeline re-fetches the record.
 */
import { z } from 'zod';
import { STATUS_FIELDS } from '../connectors/zoho/fields';
import { ChangeEvent } from '../src/model';
import { safeEqual } from './hubspot';

export const ZohoNotification = z.object({
  server_time: z.number().int().positive(),
  query_params: z.record(z.string(), z.unknown()).optional(),
  module: z.string().min(1),
  resource_uri: z.string().optional(),
  ids: z.array(z.union([z.string().regex(/^\d{1,25}$/), z.number().int().nonnegative()]).transform(String)).min(1).max(1000),
  /** [{ "<record id>": ["Field", ...] }] on updates. */
  affected_fields: z.array(z.record(z.string(), z.array(z.string()))).optional(),
  /** Values of changed fields when asked for: personal data, never read here. */
  affected_values: z.unknown().optional(),
  operation: z.string().min(1),
  channel_id: z.union([z.string().regex(/^\d{1,25}$/), z.number().int().nonnegative()]).transform(String),
  token: z.string().max(50).optional(),
});
export type ZohoNotification = z.infer<typeof ZohoNotification>;

export type ZohoParseResult = { ok: true; notification: ZohoNotification } | { ok: false; message: string };

export function parseZohoNotification(rawBody: Buffer): ZohoParseResult {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false, message: 'body is not JSON' };
  }
  const r = ZohoNotification.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, message: `invalid notification at ${i.path.join('.') || '(root)'}: ${i.message}` };
  }
  return { ok: true, notification: r.data };
}

/** True when the notification carries the token we registered for this org (and, if given, the channel). */
export function verifyZohoToken(n: ZohoNotification, expected: { token: string; channelId?: string }): boolean {
  const tokenOk = safeEqual(n.token ?? '', expected.token);
  const channelOk = expected.channelId === undefined || expected.channelId === n.channel_id;
  return tokenOk && channelOk && expected.token.length > 0;
}

const KINDS: Record<string, ChangeEvent['kind']> = { insert: 'created', create: 'created', update: 'updated', edit: 'updated', delete: 'deleted' };
const CONTACT_MODULES = new Set(['Contacts', 'Leads']);
const OWN_FIELDS = new Set(Object.values(STATUS_FIELDS));

export interface ZohoEvents {
  events: ChangeEvent[];
  skipped: { own_write: number; unsupported: number };
}

/** One ChangeEvent per record id; an update that touched only our own status fields is our own write. */
export function zohoChangeEvents(n: ZohoNotification, orgId: string): ZohoEvents {
  const out: ZohoEvents = { events: [], skipped: { own_write: 0, unsupported: 0 } };
  const kind = KINDS[n.operation.toLowerCase()];
  if (!kind || !CONTACT_MODULES.has(n.module)) {
    out.skipped.unsupported += n.ids.length;
    return out;
  }
  const fieldsById = new Map<string, string[]>();
  for (const entry of n.affected_fields ?? []) for (const [id, fields] of Object.entries(entry)) fieldsById.set(id, fields);
  const occurredAt = new Date(n.server_time).toISOString();
  for (const id of n.ids) {
    const fields = fieldsById.get(id);
    if (kind === 'updated' && fields && fields.length > 0 && fields.every((f) => OWN_FIELDS.has(f))) {
      out.skipped.own_write++;
      continue;
    }
    out.events.push(
      ChangeEvent.parse({
        vendor: 'zoho',
        vendorAccountId: orgId,
        // Zoho sends no event id: the channel, its clock and the operation identify a delivery.
        eventId: `${n.channel_id}:${n.server_time}:${n.operation}:${id}`,
        objectId: id,
        kind,
        occurredAt,
        property: fields && fields.length === 1 ? fields[0] : undefined,
        source: n.module,
      }),
    );
  }
  return out;
}
