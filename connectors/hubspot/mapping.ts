/**
 * Pure mapping between HubSpot's shapes and the normalised model, both ways. No I/O, no clock:
 * everything a function needs comes in as arguments, so each mapping has a unit test.
 */
import { createHmac } from 'node:crypto';
import type { PropertyDefinition } from '../types';
import { STATUS_PROPERTIES } from '../types';
import {
  CONSENT_FIELDS,
  consentProperty,
  EXTRA_PROPERTIES,
  parseConsentProperty,
  type ConsentField,
} from './custom-properties';
import {
  ANONYMISED_EMAIL_DOMAIN,
  ANONYMISED_TEXT,
  ASSOCIATION_TYPES,
  isEeaHostingLocation,
  KEYED_HASH_PREFIX,
  LEGAL_BASIS_VALUES,
  taskMarker,
} from './limits';
import type { HsAccountDetails, HsPropertyDef, HsRecord, HsSubscriptionDefinition } from './vendor-schema';
import {
  CaptureMethod,
  ConsentRecord,
  ConsentStatus,
  Contact,
  type Action,
  type ActionOf,
  type AnonymiseStrategy,
  type ContactSource,
  type DataCategory,
  type LawfulBasis,
  type Note,
  type Portal,
  type PropertyValue,
} from '../../src/model';

// ---------------------------------------------------------------- property definitions

/** Categories HubSpot's default contact properties are known to hold. */
export const KNOWN_CATEGORIES: Readonly<Record<string, DataCategory>> = {
  hs_object_id: 'system',
  createdate: 'system',
  lastmodifieddate: 'system',
  hubspot_owner_id: 'system',
  email: 'contact',
  hs_additional_emails: 'contact',
  phone: 'contact',
  mobilephone: 'contact',
  fax: 'contact',
  firstname: 'identity',
  lastname: 'identity',
  salutation: 'identity',
  address: 'location',
  city: 'location',
  zip: 'location',
  state: 'location',
  country: 'location',
  jobtitle: 'professional',
  company: 'professional',
  date_of_birth: 'date_of_birth',
  bsn: 'national_id',
  hs_legal_basis: 'consent',
  hs_email_optout: 'consent',
  notes_last_updated: 'system',
  notes_last_contacted: 'system',
  hs_last_sales_activity_timestamp: 'system',
  lifecyclestage: 'system',
};

const FIELD_TYPES: Readonly<Record<string, PropertyDefinition['type']>> = {
  text: 'text',
  textarea: 'textarea',
  html: 'textarea',
  phonenumber: 'phone',
  file: 'text',
  number: 'number',
  booleancheckbox: 'bool',
  checkbox: 'enum',
  radio: 'enum',
  select: 'enum',
  date: 'date',
  calculation_equation: 'number',
};

/** HubSpot property definition -> normalised definition. */
export function toPropertyDefinition(p: HsPropertyDef): PropertyDefinition {
  let type: PropertyDefinition['type'];
  if (p.type === 'datetime') type = 'datetime';
  else if (p.type === 'date') type = 'date';
  else if (p.type === 'bool') type = 'bool';
  else if (p.type === 'number') type = 'number';
  else if (p.type === 'enumeration') type = p.fieldType === 'booleancheckbox' ? 'bool' : 'enum';
  else type = FIELD_TYPES[p.fieldType] ?? 'text';
  if (p.name === 'email' || p.name === 'hs_additional_emails') type = 'email';
  const readOnly =
    p.modificationMetadata?.readOnlyValue === true || p.calculated === true || p.name === 'hs_object_id' || p.name === 'createdate' || p.name === 'lastmodifieddate';
  const category = KNOWN_CATEGORIES[p.name] ?? (parseConsentProperty(p.name) || p.name.startsWith('hs_email_optout_') ? 'consent' : undefined);
  const def: PropertyDefinition = { name: p.name, label: p.label, type, readOnly, vendorDefined: p.hubspotDefined === true };
  if (category) def.category = category;
  return def;
}

// ---------------------------------------------------------------- scalar helpers

/** HubSpot datetimes arrive as ISO strings or epoch milliseconds; returns ISO (UTC) or null. */
export function toIsoDateTime(v: string | Date | null | undefined): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  const ms = /^\d{9,}$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** HubSpot date properties: `YYYY-MM-DD`, an ISO datetime at midnight UTC, or epoch ms. */
export function toIsoDate(v: string | null | undefined): string | null {
  if (!v) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  const iso = toIsoDateTime(v);
  return iso ? iso.slice(0, 10) : null;
}

function toBool(v: string | null | undefined): boolean | null {
  if (v === 'true') return true;
  if (v === 'false') return false;
  return null;
}

function splitList(v: string | null | undefined): string[] {
  return (v ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Keeps a leading +, turns a leading 00 into +, drops spacing and punctuation. */
export function normalisePhone(v: string): string | null {
  const trimmed = v.trim();
  if (!trimmed) return null;
  let digits = trimmed.replace(/[^\d+]/g, '');
  if (digits.startsWith('00')) digits = `+${digits.slice(2)}`;
  digits = digits[0] === '+' ? `+${digits.slice(1).replace(/\+/g, '')}` : digits.replace(/\+/g, '');
  return digits.length >= 6 ? digits : null;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

/** Note bodies are HTML; the model holds plain text. Block ends become newlines. */
export function stripHtml(html: string): string {
  return html
    .replace(/<\s*(script|style)[^>]*>[\s\S]*?<\s*\/\s*\1\s*>/gi, '')
    .replace(/<\s*br\s*\/?\s*>/gi, '\n')
    .replace(/<\s*\/\s*(p|div|li|h[1-6]|tr)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+|#39);/gi, (m, e: string) => {
      const lower = e.toLowerCase();
      if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
      if (lower.startsWith('#') && lower !== '#39') return String.fromCodePoint(parseInt(lower.slice(1), 10));
      return ENTITIES[lower] ?? m;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Plain text -> note HTML (escaped so stripHtml gives the same text back). */
export function textToNoteHtml(text: string): string {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return esc.split('\n').map((line) => `<p>${line}</p>`).join('');
}

// ---------------------------------------------------------------- legal basis

/** hs_legal_basis values <-> lawful basis. HubSpot records it per contact, so the purpose is `*` except for the two LI flavours. */
const LEGAL_BASIS_TABLE: ReadonlyArray<{ value: string; basis: LawfulBasis; purpose: string }> = [
  { value: LEGAL_BASIS_VALUES.liProspect, basis: 'legitimate_interest', purpose: 'prospect_lead' },
  { value: LEGAL_BASIS_VALUES.liCustomer, basis: 'legitimate_interest', purpose: 'existing_customer' },
  { value: LEGAL_BASIS_VALUES.liOther, basis: 'legitimate_interest', purpose: '*' },
  { value: LEGAL_BASIS_VALUES.contract, basis: 'contract', purpose: '*' },
  { value: LEGAL_BASIS_VALUES.consent, basis: 'consent', purpose: '*' },
];

export function lawfulBasisFromHubSpot(value: string | null | undefined): { purpose: string; basis: LawfulBasis; recordedAt: null }[] {
  const out: { purpose: string; basis: LawfulBasis; recordedAt: null }[] = [];
  for (const v of splitList(value)) {
    // Tolerate a hyphen where HubSpot uses an EN DASH (hand-edited imports do that).
    const norm = v.replace(/\s[-\u2013]\s/, ' - ');
    const row = LEGAL_BASIS_TABLE.find((r) => r.value.replace(/\s[-\u2013]\s/, ' - ') === norm);
    if (row) out.push({ purpose: row.purpose, basis: row.basis, recordedAt: null });
  }
  return out;
}

/** The hs_legal_basis value for a purpose's lawful basis, or null when HubSpot has no value for it. */
export function hubSpotLegalBasisValue(purpose: string, basis: LawfulBasis): string | null {
  switch (basis) {
    case 'consent':
      return LEGAL_BASIS_VALUES.consent;
    case 'contract':
      return LEGAL_BASIS_VALUES.contract;
    case 'legitimate_interest':
      if (/customer|client/i.test(purpose)) return LEGAL_BASIS_VALUES.liCustomer;
      if (/prospect|lead|sales/i.test(purpose)) return LEGAL_BASIS_VALUES.liProspect;
      return LEGAL_BASIS_VALUES.liOther;
    default:
      return null; // legal_obligation, vital_interests, public_task: no hs_legal_basis option exists
  }
}

/** New hs_legal_basis value with `value` added (full list, not a `;` append, so writing it twice is a no-op); null if present. */
export function addLegalBasisValue(current: string | null | undefined, value: string): string | null {
  const list = splitList(current);
  if (list.includes(value)) return null;
  return [...list, value].join(';');
}

// ---------------------------------------------------------------- consent properties

/** consent_<purpose>_* properties -> consent records (one per purpose with a status). */
export function consentsFromProperties(props: Readonly<Record<string, string | null | undefined>>): ConsentRecord[] {
  const byPurpose = new Map<string, Partial<Record<ConsentField, string>>>();
  for (const [name, value] of Object.entries(props)) {
    const parsed = parseConsentProperty(name);
    if (!parsed || value === null || value === undefined || value === '') continue;
    const fields = byPurpose.get(parsed.purpose) ?? {};
    fields[parsed.field] = value;
    byPurpose.set(parsed.purpose, fields);
  }
  const out: ConsentRecord[] = [];
  for (const [purpose, f] of [...byPurpose].sort(([a], [b]) => a.localeCompare(b))) {
    const status = ConsentStatus.safeParse(f.status);
    if (!status.success) continue; // no (valid) status: no record, only leftovers
    const method = CaptureMethod.safeParse(f.method);
    out.push(
      ConsentRecord.parse({
        purpose,
        status: status.data,
        lawfulBasis: 'consent',
        capturedAt: toIsoDateTime(f.captured_at),
        method: method.success ? method.data : 'unknown',
        evidenceRef: f.evidence ?? null,
        privacyTextVersion: f.privacy_version ?? null,
        preTicked: toBool(f.pre_ticked),
        parentalConsent: toBool(f.parental),
        withdrawnAt: toIsoDateTime(f.withdrawn_at),
      }),
    );
  }
  return out;
}

/** Consent record -> consent_<purpose>_* property values ('' clears). */
export function consentToProperties(r: ConsentRecord): Record<string, string> {
  const b = (v: boolean | null) => (v === null ? '' : String(v));
  const values: Record<ConsentField, string> = {
    status: r.status,
    captured_at: r.capturedAt ?? '',
    method: r.method,
    evidence: r.evidenceRef ?? '',
    privacy_version: r.privacyTextVersion ?? '',
    pre_ticked: b(r.preTicked),
    parental: b(r.parentalConsent),
    withdrawn_at: r.withdrawnAt ?? '',
  };
  const out: Record<string, string> = {};
  for (const f of CONSENT_FIELDS) out[consentProperty(r.purpose, f)] = values[f];
  return out;
}

// ---------------------------------------------------------------- subscriptions

export function optOutProperty(subscriptionId: string): string {
  return `hs_email_optout_${subscriptionId}`;
}

/**
 * hs_email_optout_<id> + definitions -> subscriptions. `true` = opted out; `false` = on the list;
 * empty = never asked. (The per-email status API would cost one request per contact.)
 */
export function subscriptionsFromProperties(
  props: Readonly<Record<string, string | null | undefined>>,
  defs: readonly HsSubscriptionDefinition[],
): Contact['marketing']['subscriptions'] {
  return defs.map((d) => {
    const v = props[optOutProperty(d.id)];
    const status = v === 'true' ? 'unsubscribed' : v === 'false' ? 'subscribed' : 'not_specified';
    return { id: d.id, name: d.name, status } as const;
  });
}

/** Subscriptions -> hs_email_optout_<id> values (for sandbox fixtures and round-trip tests). */
export function subscriptionsToProperties(subs: Contact['marketing']['subscriptions']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of subs) out[optOutProperty(s.id)] = s.status === 'unsubscribed' ? 'true' : s.status === 'subscribed' ? 'false' : '';
  return out;
}

// ---------------------------------------------------------------- lifecycle and source

const STAGES: Readonly<Record<string, Contact['lifecycle']['stage']>> = {
  subscriber: 'subscriber',
  lead: 'lead',
  marketingqualifiedlead: 'prospect',
  salesqualifiedlead: 'prospect',
  opportunity: 'prospect',
  customer: 'customer',
  evangelist: 'customer',
  other: 'other',
  // Not a HubSpot default; portals (and the sandbox) add it as a custom stage.
  former_customer: 'former_customer',
  formercustomer: 'former_customer',
};

export function lifecycleStageFromHubSpot(v: string | null | undefined): Contact['lifecycle']['stage'] {
  return (v && STAGES[v.toLowerCase()]) || 'unknown';
}

const STAGE_TO_HUBSPOT: Readonly<Record<Contact['lifecycle']['stage'], string>> = {
  subscriber: 'subscriber',
  lead: 'lead',
  prospect: 'salesqualifiedlead',
  customer: 'customer',
  former_customer: 'former_customer',
  other: 'other',
  unknown: '',
};
export function lifecycleStageToHubSpot(stage: Contact['lifecycle']['stage']): string {
  return STAGE_TO_HUBSPOT[stage];
}

const SOURCES: Readonly<Record<string, ContactSource>> = {
  form: 'form',
  forms: 'form',
  import: 'import',
  api: 'api',
  integration: 'integration',
  crm_ui: 'manual',
  manual: 'manual',
  mobile_ios: 'manual',
  mobile_android: 'manual',
};
/** hs_object_source (FORM, IMPORT, API, CRM_UI, INTEGRATION, ...) -> source. */
export function sourceFromHubSpot(v: string | null | undefined): ContactSource {
  return (v && SOURCES[v.toLowerCase()]) || 'unknown';
}
const SOURCE_TO_HUBSPOT: Readonly<Record<ContactSource, string>> = {
  form: 'FORM',
  import: 'IMPORT',
  api: 'API',
  integration: 'INTEGRATION',
  manual: 'CRM_UI',
  unknown: '',
};
export function sourceToHubSpot(s: ContactSource): string {
  return SOURCE_TO_HUBSPOT[s];
}

// ---------------------------------------------------------------- contact

/** Properties the connector reads to build a Contact, whatever the policy asks. */
export function propertiesNeededForContact(defs: readonly PropertyDefinition[], subscriptions: readonly HsSubscriptionDefinition[]): string[] {
  const base = [
    'email',
    'hs_additional_emails',
    'phone',
    'mobilephone',
    'hubspot_owner_id',
    'createdate',
    'lastmodifieddate',
    'notes_last_updated',
    'hs_last_sales_activity_timestamp',
    'lifecyclestage',
    'hs_object_source',
    'hs_legal_basis',
    'hs_email_optout',
    EXTRA_PROPERTIES.dateOfBirth,
    EXTRA_PROPERTIES.relationshipEndedAt,
  ];
  const consent = defs.filter((d) => parseConsentProperty(d.name)).map((d) => d.name);
  const optouts = subscriptions.map((s) => optOutProperty(s.id));
  return [...new Set([...base, ...consent, ...optouts])];
}

export interface ContactContext {
  portalId: string;
  tenantId: string;
  /** Definitions by name (for each property's type and category). */
  defs: ReadonlyMap<string, PropertyDefinition>;
  subscriptions: readonly HsSubscriptionDefinition[];
  /** Property names the caller asked for; only these appear in Contact.properties. */
  requested: readonly string[];
}

export interface HsNote {
  id: string;
  properties: Readonly<Record<string, string | null | undefined>>;
  createdAt?: Date | string;
}

export function noteFromHubSpot(n: HsNote): Note {
  const createdAt = toIsoDateTime(n.properties.hs_timestamp) ?? toIsoDateTime(n.properties.hs_createdate) ?? toIsoDateTime(n.createdAt ?? null) ?? new Date(0).toISOString();
  return { id: n.id, createdAt, body: stripHtml(n.properties.hs_note_body ?? '') };
}

function maxIso(...values: (string | null)[]): string | null {
  let best: string | null = null;
  for (const v of values) if (v && (!best || v > best)) best = v;
  return best;
}

/** HubSpot contact record (+ its notes) -> normalised Contact. */
export function contactFromHubSpot(rec: HsRecord, ctx: ContactContext, notes: readonly HsNote[] = []): Contact {
  const p = rec.properties;
  const emails = [p.email, ...splitList(p.hs_additional_emails)]
    .filter((e): e is string => typeof e === 'string' && e.trim() !== '')
    .map((e) => e.trim().toLowerCase());
  const phones = [p.phone, p.mobilephone].map((v) => (v ? normalisePhone(v) : null)).filter((v): v is string => v !== null);
  const properties: Record<string, PropertyValue> = {};
  for (const name of ctx.requested) {
    // An empty property holds no personal data and no finding can rest on it; leaving it out keeps
    // the contact small (HubSpot returns every requested property, most of them empty).
    const value = p[name];
    if (value === null || value === undefined || value === '') continue;
    const def = ctx.defs.get(name);
    properties[name] = {
      value,
      category: def?.category ?? KNOWN_CATEGORIES[name] ?? 'unknown',
      type: def?.type ?? 'text',
    };
  }
  const createdAt = toIsoDateTime(p.createdate) ?? toIsoDateTime(rec.createdAt ?? null) ?? new Date(0).toISOString();
  const modifiedAt = toIsoDateTime(p.lastmodifieddate) ?? toIsoDateTime(rec.updatedAt ?? null) ?? createdAt;
  return Contact.parse({
    portalId: ctx.portalId,
    tenantId: ctx.tenantId,
    vendor: 'hubspot',
    id: rec.id,
    objectType: 'contact',
    identifiers: { emails: [...new Set(emails)], phones: [...new Set(phones)] },
    ownerId: p.hubspot_owner_id || null,
    properties,
    createdAt,
    modifiedAt,
    lastActivityAt: maxIso(toIsoDateTime(p.notes_last_updated), toIsoDateTime(p.hs_last_sales_activity_timestamp)),
    lifecycle: {
      stage: lifecycleStageFromHubSpot(p.lifecyclestage),
      relationshipEndedAt: toIsoDateTime(p[EXTRA_PROPERTIES.relationshipEndedAt]),
    },
    source: sourceFromHubSpot(p.hs_object_source),
    birthDate: toIsoDate(p[EXTRA_PROPERTIES.dateOfBirth]),
    lawfulBasis: lawfulBasisFromHubSpot(p.hs_legal_basis),
    consents: consentsFromProperties(p),
    marketing: { emailOptOut: toBool(p.hs_email_optout), subscriptions: subscriptionsFromProperties(p, ctx.subscriptions) },
    notes: notes.map(noteFromHubSpot).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id.localeCompare(b.id))),
  });
}

/**
 * Normalised Contact -> HubSpot contact properties (the reverse of contactFromHubSpot for every field
 * HubSpot stores as a property; notes are separate objects). Used by fixtures and round-trip tests.
 */
export function contactToHubSpotProperties(c: Contact): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(c.properties)) out[name] = v.value ?? '';
  const [email, ...more] = c.identifiers.emails;
  if (email !== undefined) out.email = email;
  if (more.length > 0) out.hs_additional_emails = more.join(';');
  if (c.identifiers.phones[0]) out.phone = c.identifiers.phones[0];
  if (c.identifiers.phones[1]) out.mobilephone = c.identifiers.phones[1];
  if (c.ownerId) out.hubspot_owner_id = c.ownerId;
  out.createdate = c.createdAt;
  out.lastmodifieddate = c.modifiedAt;
  if (c.lastActivityAt) out.notes_last_updated = c.lastActivityAt;
  out.lifecyclestage = lifecycleStageToHubSpot(c.lifecycle.stage);
  if (c.lifecycle.relationshipEndedAt) out[EXTRA_PROPERTIES.relationshipEndedAt] = c.lifecycle.relationshipEndedAt;
  out.hs_object_source = sourceToHubSpot(c.source);
  if (c.birthDate) out[EXTRA_PROPERTIES.dateOfBirth] = c.birthDate;
  const legal = c.lawfulBasis.map((r) => hubSpotLegalBasisValue(r.purpose, r.basis)).filter((v): v is string => v !== null);
  if (legal.length > 0) out.hs_legal_basis = [...new Set(legal)].join(';');
  if (c.marketing.emailOptOut !== null) out.hs_email_optout = String(c.marketing.emailOptOut);
  Object.assign(out, subscriptionsToProperties(c.marketing.subscriptions));
  for (const r of c.consents) Object.assign(out, consentToProperties(r));
  return out;
}

// ---------------------------------------------------------------- portal

export function portalFromHubSpot(details: HsAccountDetails, tenantId: string, portalIdOverride?: string): Portal {
  const account = portalIdOverride ?? details.portalId;
  return {
    id: `hubspot:${account}`,
    vendor: 'hubspot',
    vendorAccountId: account,
    tenantId,
    region: details.dataHostingLocation,
    regionInEea: isEeaHostingLocation(details.dataHostingLocation),
    transferMechanism: 'none',
  };
}

// ---------------------------------------------------------------- write-back bodies

export interface AnonymiseContext {
  /** Secret for keyed hashes and replacement e-mails (per tenant, from the environment). */
  key: string;
  portalId: string;
  contactId: string;
}

function hmacHex(key: string, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

/**
 * The value a strategy writes for one property, or null when the current value already is the
 * anonymised form (so a second run writes nothing). Values that would be invalid for the property's
 * type (fixed text in a number, an e-mail in a date) become ''.
 */
export function anonymisedValue(
  strategy: AnonymiseStrategy,
  property: string,
  type: PropertyDefinition['type'],
  current: string | null | undefined,
  ctx: AnonymiseContext,
): string | null {
  const cur = current ?? '';
  const textual = type === 'text' || type === 'textarea' || type === 'email' || type === 'phone';
  let next: string;
  switch (strategy) {
    case 'clear':
      next = '';
      break;
    case 'fixed_text':
      next = textual && type !== 'email' && type !== 'phone' ? ANONYMISED_TEXT : '';
      break;
    case 'unique_email':
      if (cur.endsWith(`@${ANONYMISED_EMAIL_DOMAIN}`)) return null; // anonymised before (perhaps under another key)
      next = type === 'text' || type === 'email' ? `anon-${hmacHex(ctx.key, `${ctx.portalId}|${ctx.contactId}|${property}`).slice(0, 20)}@${ANONYMISED_EMAIL_DOMAIN}` : '';
      break;
    case 'keyed_hash':
      if (cur === '' || cur.startsWith(KEYED_HASH_PREFIX)) return null; // nothing to hash, or done before
      next = type === 'text' || type === 'textarea' ? `${KEYED_HASH_PREFIX}${hmacHex(ctx.key, cur).slice(0, 32)}` : '';
      break;
  }
  return next === cur ? null : next;
}

/** Property writes for an anonymise action: read-only and unknown properties are left out and reported. */
export function anonymiseUpdates(
  action: ActionOf<'anonymise'>,
  current: Readonly<Record<string, string | null | undefined>>,
  defs: ReadonlyMap<string, PropertyDefinition>,
  ctx: AnonymiseContext,
): { properties: Record<string, string>; readOnly: string[]; unknown: string[] } {
  const properties: Record<string, string> = {};
  const readOnly: string[] = [];
  const unknown: string[] = [];
  for (const [name, strategy] of Object.entries(action.properties)) {
    const def = defs.get(name);
    if (!def) {
      unknown.push(name);
      continue;
    }
    if (def.readOnly) {
      readOnly.push(name);
      continue;
    }
    const v = anonymisedValue(strategy, name, def.type, current[name], ctx);
    if (v !== null) properties[name] = v;
  }
  return { properties, readOnly, unknown };
}

/** Equal as HubSpot stores them: the same string, or the same instant written as ISO or epoch ms. */
export function sameStoredValue(current: string | null | undefined, next: string): boolean {
  const cur = current ?? '';
  if (cur === next) return true;
  const instant = (v: string) => (/^\d{4}-\d{2}-\d{2}T/.test(v) ? Date.parse(v) : /^\d{12,}$/.test(v) ? Number(v) : NaN);
  const a = instant(cur);
  return Number.isFinite(a) && a === instant(next);
}

/** Our own status properties only (gdpr_*); anything else in a set_status action is refused. */
export function statusUpdates(
  action: ActionOf<'set_status'>,
  current: Readonly<Record<string, string | null | undefined>>,
): { properties: Record<string, string>; refused: string[] } {
  const allowed = new Set<string>(Object.values(STATUS_PROPERTIES));
  const properties: Record<string, string> = {};
  const refused: string[] = [];
  for (const [name, value] of Object.entries(action.values)) {
    if (!allowed.has(name)) refused.push(name);
    else if (!sameStoredValue(current[name], value)) properties[name] = value;
  }
  return { properties, refused };
}

/** Task create input for a create_task action: due date, owner, the idempotency marker, association to the contact. */
export function taskCreateInput(action: ActionOf<'create_task'>): {
  properties: Record<string, string>;
  associations: { to: { id: string }; types: { associationCategory: 'HUBSPOT_DEFINED'; associationTypeId: number }[] }[];
} {
  const properties: Record<string, string> = {
    hs_timestamp: action.dueAt,
    hs_task_subject: `${action.subject} ${taskMarker(action.id)}`,
    hs_task_body: action.body,
    hs_task_status: 'NOT_STARTED',
    hs_task_priority: action.destructive ? 'HIGH' : 'MEDIUM',
    hs_task_type: 'TODO',
  };
  if (action.ownerId) properties.hubspot_owner_id = action.ownerId;
  return {
    properties,
    associations: [{ to: { id: action.contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOCIATION_TYPES.taskToContact }] }],
  };
}

/** A task body with the closing comment appended (plain text, as the task was created). */
export function closedTaskBody(body: string, comment: string): string {
  return body.trim() === '' ? comment : `${body}\n\n${comment}`;
}

/** Body of a v3 unsubscribe; the explanation names the rule and action, never personal data. */
export function unsubscribeBody(action: ActionOf<'unsubscribe'>, email: string, legalBasis: string) {
  return {
    emailAddress: email,
    subscriptionId: action.subscriptionId,
    legalBasis,
    legalBasisExplanation: `GDPR: no valid basis for purpose ${action.purpose} (rules ${action.ruleIds.join(', ')}; action ${action.id})`,
  };
}

/** The note body a redact_note action writes, or null when there is nothing to redact. */
export function redactedNoteBody(action: ActionOf<'redact_note'>, replacement: string): string | null {
  if (action.redactedBody !== undefined) return action.redactedBody;
  return action.categories.length > 0 ? replacement : null;
}

/** Contact properties an action needs to read first (to write only differences, or to find the e-mail). */
export function propertiesToReadFor(action: Action): string[] {
  switch (action.type) {
    case 'anonymise':
      return Object.keys(action.properties);
    case 'clear_property':
      return [action.property];
    case 'set_lawful_basis':
      return ['hs_legal_basis'];
    case 'unsubscribe':
      return ['email', optOutProperty(action.subscriptionId)];
    case 'set_status':
      return Object.keys(action.values);
    default:
      return [];
  }
}
