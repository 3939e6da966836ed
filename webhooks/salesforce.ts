/**
 * Salesforce Outbound Messages (reference/salesforce.md §5.1): a SOAP 1.1 envelope with up to 100
 * notifications. Salesforce signs nothing; the proof is the OrganizationId, checked against an
 * allow-list (optionally plus mutual TLS at the proxy). The listener must answer the SOAP Ack, or
 * Salesforce retries for 24 hours.
 */
import sax from 'sax';
import { z } from 'zod';
import { ChangeEvent } from '../src/model';

export const OUTBOUND_NS = 'http://soap.sforce.com/2005/09/outbound';
const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** The acknowledgement Salesforce requires (a bare 200 counts as a failure). */
export const SALESFORCE_ACK =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV_NS}">` +
  `<soapenv:Body><notificationsResponse xmlns="${OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse></soapenv:Body>` +
  '</soapenv:Envelope>';

interface XmlNode {
  ns: string;
  name: string;
  attrs: Record<string, { ns: string; value: string }>;
  children: XmlNode[];
  text: string;
  nil: boolean;
}

const MAX_DEPTH = 12;

/** A small DOM from sax; no DTDs (no entity expansion), bounded depth. */
function parseXml(xml: string): XmlNode {
  const parser = sax.parser(true, { xmlns: true, trim: false });
  const root: XmlNode = { ns: '', name: '#root', attrs: {}, children: [], text: '', nil: false };
  const stack: XmlNode[] = [root];
  // Throwing from a handler stops the parser; parseOutboundMessage turns it into a 400.
  parser.onerror = (e) => {
    throw e;
  };
  parser.ondoctype = () => {
    throw new Error('DOCTYPE is not allowed');
  };
  parser.onopentag = (tag) => {
    const t = tag as sax.QualifiedTag;
    const attrs: XmlNode['attrs'] = {};
    for (const a of Object.values(t.attributes)) attrs[a.local] = { ns: a.uri, value: a.value };
    const nil = Object.values(t.attributes).some((a) => a.local === 'nil' && a.uri === XSI_NS && a.value === 'true');
    const node: XmlNode = { ns: t.uri, name: t.local, attrs, children: [], text: '', nil };
    stack[stack.length - 1]!.children.push(node);
    stack.push(node);
    if (stack.length > MAX_DEPTH) throw new Error('XML nested too deeply');
  };
  parser.onclosetag = () => {
    stack.pop();
  };
  parser.ontext = (t) => {
    stack[stack.length - 1]!.text += t;
  };
  parser.oncdata = (t) => {
    stack[stack.length - 1]!.text += t;
  };
  parser.write(xml).close();
  if (stack.length !== 1) throw new Error('unclosed elements');
  return root;
}

const child = (n: XmlNode, name: string, ns?: string) => n.children.find((c) => c.name === name && (ns === undefined || c.ns === ns));

const SfId = z.string().regex(/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/, 'not a Salesforce id');

export const OutboundNotification = z.object({
  /** Notification id (04l...): the dedupe key. */
  id: SfId,
  sObjectType: z.string().min(1),
  /** Field values as sent, by API name; personal data, never logged or queued. */
  fields: z.record(z.string(), z.string().nullable()),
});
export const OutboundMessage = z.object({
  organizationId: SfId,
  actionId: SfId,
  notifications: z.array(OutboundNotification).min(1).max(100),
});
export type OutboundMessage = z.infer<typeof OutboundMessage>;

export type OutboundParseResult = { ok: true; message: OutboundMessage } | { ok: false; message: string };

export function parseOutboundMessage(rawBody: Buffer): OutboundParseResult {
  let root: XmlNode;
  try {
    root = parseXml(rawBody.toString('utf8'));
  } catch (e) {
    return { ok: false, message: `body is not well-formed XML (${(e as Error).message.split('\n')[0]})` };
  }
  const envelope = child(root, 'Envelope', SOAP_ENV_NS);
  const body = envelope && child(envelope, 'Body', SOAP_ENV_NS);
  const n = body && child(body, 'notifications', OUTBOUND_NS);
  if (!n) return { ok: false, message: 'not a SOAP envelope with an outbound-message notifications element' };
  const notifications = n.children
    .filter((c) => c.name === 'Notification' && c.ns === OUTBOUND_NS)
    .map((c) => {
      const so = child(c, 'sObject');
      const type = so?.attrs.type?.ns === XSI_NS ? so.attrs.type.value : undefined;
      const fields: Record<string, string | null> = {};
      for (const f of so?.children ?? []) fields[f.name] = f.nil ? null : f.text.trim();
      return { id: child(c, 'Id', OUTBOUND_NS)?.text.trim(), sObjectType: type?.replace(/^[^:]*:/, ''), fields };
    });
  const r = OutboundMessage.safeParse({
    organizationId: child(n, 'OrganizationId', OUTBOUND_NS)?.text.trim(),
    actionId: child(n, 'ActionId', OUTBOUND_NS)?.text.trim(),
    // SessionId (a live credential when "Send Session ID" is on) is deliberately not read.
    notifications,
  });
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, message: `invalid outbound message at ${i.path.join('.') || '(root)'}: ${i.message}` };
  }
  return { ok: true, message: r.data };
}

/** 15- and 18-character forms of one id name the same org. */
export function sameOrg(a: string, b: string): boolean {
  return a.slice(0, 15) === b.slice(0, 15) && (a.length === 15 || b.length === 15 || a === b);
}

export interface OutboundOptions {
  /** User ids our integration writes as: changes whose LastModifiedById is one of these are our own. */
  ownUserIds?: readonly string[];
}

const CONTACT_TYPES = new Set(['Contact', 'Lead']);

export interface SalesforceEvents {
  events: ChangeEvent[];
  skipped: { own_write: number; unsupported: number };
}

export function salesforceChangeEvents(m: OutboundMessage, opts: OutboundOptions = {}, now = new Date()): SalesforceEvents {
  const own = (opts.ownUserIds ?? []).map((u) => u.slice(0, 15));
  const out: SalesforceEvents = { events: [], skipped: { own_write: 0, unsupported: 0 } };
  for (const n of m.notifications) {
    const id = n.fields.Id;
    if (!CONTACT_TYPES.has(n.sObjectType) || !id || !SfId.safeParse(id).success) {
      out.skipped.unsupported++;
      continue;
    }
    const modifiedBy = n.fields.LastModifiedById;
    if (modifiedBy && own.includes(modifiedBy.slice(0, 15))) {
      out.skipped.own_write++;
      continue;
    }
    const modified = n.fields.LastModifiedDate ?? n.fields.SystemModstamp ?? null;
    const created = n.fields.CreatedDate ?? null;
    const occurred = modified && !Number.isNaN(Date.parse(modified)) ? new Date(modified) : now;
    out.events.push(
      ChangeEvent.parse({
        vendor: 'salesforce',
        vendorAccountId: m.organizationId,
        eventId: n.id,
        objectId: id,
        // Outbound messages do not say why they fired; equal created/modified stamps mean a new record.
        kind: created && modified && created === modified ? 'created' : 'updated',
        occurredAt: occurred.toISOString(),
        source: n.sObjectType,
      }),
    );
  }
  return out;
}
