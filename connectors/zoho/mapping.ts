/**
 * Pure mapping between Zoho CRM Contacts and the normalised model, both ways. No I/O.
 *
 * Consent and lawful basis. Zoho keeps ONE record-level basis (`Data_Processing_Basis`) and ONE consent
 * record (`Data_Processing_Basis_Details`: date, channel, remarks, contact-through flags). The model keeps
 * a basis per purpose and a consent record per purpose with evidence, privacy-text version, pre-ticked
 * and parental flags. So:
 *   - the native fields carry the record-level basis and the consent of the primary purpose
 *     (`consentPurpose`, default `newsletter`, the e-mail channel): status, date, method (Consent_Through),
 *     evidence reference (in Consent_Remarks as `Evidence: <ref>`);
 *   - everything else (other purposes' bases and consents, privacyTextVersion, preTicked,
 *     parentalConsent, withdrawnAt, capture time of day) goes into the custom textarea
 *     `GDPR_Consent_Evidence` as JSON holding no personal values;
 *   - every write returns `cannotExpress`: the model facts Zoho's own fields cannot hold (so the caller
 *     and the audit can see what lives only in the custom field, or is lost when that field is absent);
 *   - every read returns `unmapped`: Zoho states the model cannot hold (Pending, Awaiting, Not Responded).
 */
import { z } from 'zod';
import {
  Contact,
  type ConsentRecord,
  ConsentRecord as ConsentRecordSchema,
  type ContactSource,
  type DataCategory,
  type LawfulBasis,
  type PropertyValue,
} from '../../src/model';
import { EvidenceJson, noteText, parseEvidence, withBasis } from '../shared-mapping';
import type { PropertyDefinition } from '../types';

export { EvidenceJson, noteText, parseEvidence, withBasis };
import { CUSTOM, FIELD_CATEGORIES, SUBSCRIPTION_FIELDS, type ZohoDataType } from './fields';

export type ZohoRecord = Record<string, unknown> & { id: string };

// ---------------------------------------------------------------- vocabulary (data)

/** Zoho basis picklist value <-> model lawful basis (match is case-insensitive, singular/plural tolerant). */
export const BASIS_VALUES: readonly { zoho: string; basis: LawfulBasis }[] = [
  { zoho: 'Legitimate Interests', basis: 'legitimate_interest' },
  { zoho: 'Contract', basis: 'contract' },
  { zoho: 'Legal Obligation', basis: 'legal_obligation' },
  { zoho: 'Vital Interests', basis: 'vital_interests' },
  { zoho: 'Public Interests', basis: 'public_task' },
];
/** Consent stages Zoho keeps in the same picklist. */
export const CONSENT_STAGES = {
  obtained: 'Obtained',
  stopProcessing: 'Stop Processing',
  declined: 'Declined',
  pending: 'Pending',
  awaiting: 'Awaiting',
  notResponded: 'Not Responded',
  notApplicable: 'Not Applicable',
} as const;

/** Consent_Through (channel of consent) <-> capture method. Values UNCONFIRMED beyond `Email`. */
export const CONSENT_THROUGH: readonly { zoho: string; method: ConsentRecord['method'] }[] = [
  { zoho: 'Web Form', method: 'form_checkbox' },
  { zoho: 'Email', method: 'double_opt_in_email' },
  { zoho: 'Phone', method: 'phone_recording' },
  { zoho: 'In Person', method: 'verbal' },
  { zoho: 'Signed Document', method: 'signature' },
  { zoho: 'Import', method: 'import' },
  { zoho: 'API', method: 'api' },
];

export const LIFECYCLE_VALUES: Record<string, Contact['lifecycle']['stage']> = {
  subscriber: 'subscriber',
  lead: 'lead',
  prospect: 'prospect',
  customer: 'customer',
  'former customer': 'former_customer',
  other: 'other',
};

const norm = (s: string): string => s.trim().toLowerCase().replace(/s$/, '');

export function basisFromZoho(value: string): LawfulBasis | null {
  const n = norm(value);
  return BASIS_VALUES.find((b) => norm(b.zoho) === n)?.basis ?? null;
}

/** The org's own picklist spelling of a basis when it has one (read from settings/fields), else ours. */
export function basisToZoho(basis: LawfulBasis, picklist?: readonly string[]): string | null {
  const ours = BASIS_VALUES.find((b) => b.basis === basis)?.zoho;
  if (!ours) return null;
  return picklist?.find((v) => norm(v) === norm(ours)) ?? ours;
}

function stageToZoho(stage: string, picklist?: readonly string[]): string {
  return picklist?.find((v) => norm(v) === norm(stage)) ?? stage;
}

export function sourceFromZoho(v: string | null): ContactSource {
  if (!v) return 'unknown';
  const s = v.toLowerCase();
  if (s.includes('form')) return 'form';
  if (s.includes('import')) return 'import';
  if (s.includes('api')) return 'api';
  if (s.includes('manual') || s.includes('user')) return 'manual';
  if (s.includes('integration') || s.includes('sync') || s.includes('app')) return 'integration';
  return 'unknown';
}

/** Zoho data_type -> model property type. */
export function propertyType(t: string): PropertyValue['type'] {
  switch (t as ZohoDataType) {
    case 'textarea':
      return 'textarea';
    case 'email':
      return 'email';
    case 'phone':
      return 'phone';
    case 'integer':
    case 'double':
    case 'bigint':
      return 'number';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'picklist':
      return 'enum';
    case 'boolean':
      return 'bool';
    default:
      return 'text';
  }
}

// ---------------------------------------------------------------- the evidence JSON


// ---------------------------------------------------------------- consent both ways

export const ConsentDetails = z
  .object({
    id: z.string().optional(),
    Data_Processing_Basis: z.string().nullable().optional(),
    Consent_Through: z.string().nullable().optional(),
    Consent_Date: z.string().nullable().optional(),
    Consent_Remarks: z.string().nullable().optional(),
    Contact_Through_Email: z.boolean().nullable().optional(),
    Contact_Through_Phone: z.boolean().nullable().optional(),
    Contact_Through_Survey: z.boolean().nullable().optional(),
    Contact_Through_Social: z.boolean().nullable().optional(),
    Modified_Time: z.string().nullable().optional(),
  })
  .loose();
export type ConsentDetails = z.infer<typeof ConsentDetails>;

export interface ConsentReadResult {
  lawfulBasis: Contact['lawfulBasis'];
  consents: ConsentRecord[];
  /** Zoho states the model has no place for, e.g. `Data_Processing_Basis=Pending`. */
  unmapped: string[];
}

const EVIDENCE_RE = /Evidence:\s*(\S+)/;
const toIso = (v: unknown): string | null => {
  if (typeof v !== 'string' || v === '') return null;
  const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
};

export interface ConsentMappingOptions {
  /** The purpose Zoho's native consent record stands for. */
  consentPurpose?: string;
  /** The org's Data_Processing_Basis picklist (from settings/fields), to write its own spelling. */
  basisPicklist?: readonly string[];
}

/** Zoho (native fields + evidence JSON) -> model lawful bases and consents. */
export function consentFromZoho(rec: Record<string, unknown>, opts: ConsentMappingOptions = {}): ConsentReadResult {
  const purpose = opts.consentPurpose ?? 'newsletter';
  const unmapped: string[] = [];
  const evidence = parseEvidence(rec[CUSTOM.consentEvidence]);
  const parsedDetails = ConsentDetails.safeParse(rec.Data_Processing_Basis_Details ?? {});
  const details = parsedDetails.success ? parsedDetails.data : {};
  const nativeValue = typeof rec.Data_Processing_Basis === 'string' ? rec.Data_Processing_Basis : (details.Data_Processing_Basis ?? null);

  const lawfulBasis: Contact['lawfulBasis'] = evidence ? evidence.bases.map((b) => ({ ...b, recordedAt: toIso(b.recordedAt) })) : [];
  const consents: ConsentRecord[] = evidence ? [...evidence.consents] : [];

  if (nativeValue) {
    const basis = basisFromZoho(nativeValue);
    const stage = norm(nativeValue);
    if (basis) {
      // Record-level basis: it covers every purpose ('*') unless our JSON already names it per purpose.
      if (!lawfulBasis.some((b) => b.basis === basis)) lawfulBasis.push({ purpose: '*', basis, recordedAt: null });
    } else if (stage === norm(CONSENT_STAGES.obtained) || stage === norm(CONSENT_STAGES.stopProcessing) || stage === norm(CONSENT_STAGES.declined)) {
      const status: ConsentRecord['status'] = stage === norm(CONSENT_STAGES.obtained) ? 'granted' : stage === norm(CONSENT_STAGES.declined) ? 'denied' : 'withdrawn';
      const prior = consents.find((c) => c.purpose === purpose) ?? null;
      const capturedAt = toIso(details.Consent_Date);
      const through = details.Consent_Through ? CONSENT_THROUGH.find((t) => norm(t.zoho) === norm(details.Consent_Through as string)) : undefined;
      const evidenceRef = details.Consent_Remarks ? (EVIDENCE_RE.exec(details.Consent_Remarks)?.[1] ?? null) : null;
      // Native fields win; the JSON fills what Zoho cannot hold (and the time of day Consent_Date drops).
      const merged = ConsentRecordSchema.parse({
        ...(prior ?? {}),
        purpose,
        status,
        lawfulBasis: 'consent',
        capturedAt: prior?.capturedAt && capturedAt && prior.capturedAt.slice(0, 10) === capturedAt.slice(0, 10) ? prior.capturedAt : (capturedAt ?? prior?.capturedAt ?? null),
        method: through?.method ?? prior?.method ?? 'unknown',
        evidenceRef: evidenceRef ?? prior?.evidenceRef ?? null,
        withdrawnAt: status === 'withdrawn' ? (prior?.withdrawnAt ?? null) : null,
      });
      const i = consents.findIndex((c) => c.purpose === purpose);
      if (i >= 0) consents[i] = merged;
      else consents.push(merged);
      if (status === 'granted' && !lawfulBasis.some((b) => b.purpose === purpose)) {
        lawfulBasis.push({ purpose, basis: 'consent', recordedAt: merged.capturedAt });
      }
    } else if (stage !== norm(CONSENT_STAGES.notApplicable)) {
      unmapped.push(`Data_Processing_Basis=${nativeValue}`);
    }
  }
  return { lawfulBasis, consents, unmapped };
}

export interface ConsentWriteResult {
  /** Field values for a Zoho update body. */
  fields: Record<string, unknown>;
  /** Model facts Zoho's own fields cannot hold; they live only in GDPR_Consent_Evidence. */
  cannotExpress: string[];
}

/** Model lawful bases and consents -> Zoho fields (native + evidence JSON) and what Zoho cannot express. */
export function consentToZoho(
  bases: readonly Contact['lawfulBasis'][number][],
  consents: readonly ConsentRecord[],
  opts: ConsentMappingOptions = {},
): ConsentWriteResult {
  const purpose = opts.consentPurpose ?? 'newsletter';
  const cannotExpress: string[] = [];
  const fields: Record<string, unknown> = {};
  const primary = latest(consents.filter((c) => c.purpose === purpose));

  for (const c of consents) {
    if (c.purpose !== purpose) cannotExpress.push(`consent:${c.purpose}`);
  }
  if (primary) {
    const stage = primary.status === 'granted' ? CONSENT_STAGES.obtained : primary.status === 'denied' ? CONSENT_STAGES.declined : CONSENT_STAGES.stopProcessing;
    const through = CONSENT_THROUGH.find((t) => t.method === primary.method)?.zoho ?? null;
    if (primary.method !== 'unknown' && !through) cannotExpress.push(`consent:${purpose}.method`);
    fields.Data_Processing_Basis = stageToZoho(stage, opts.basisPicklist);
    fields.Data_Processing_Basis_Details = {
      Data_Processing_Basis: stageToZoho(stage, opts.basisPicklist),
      Consent_Through: through,
      Consent_Date: primary.capturedAt ? primary.capturedAt.slice(0, 10) : null,
      Consent_Remarks: primary.evidenceRef ? `Evidence: ${primary.evidenceRef}` : null,
      Contact_Through_Email: primary.status === 'granted',
      Contact_Through_Phone: false,
      Contact_Through_Survey: false,
      Contact_Through_Social: false,
    };
    if (primary.capturedAt && !primary.capturedAt.endsWith('T00:00:00.000Z')) cannotExpress.push(`consent:${purpose}.capturedAt.time`);
    if (primary.privacyTextVersion !== null) cannotExpress.push(`consent:${purpose}.privacyTextVersion`);
    if (primary.preTicked !== null) cannotExpress.push(`consent:${purpose}.preTicked`);
    if (primary.parentalConsent !== null) cannotExpress.push(`consent:${purpose}.parentalConsent`);
    if (primary.withdrawnAt !== null) cannotExpress.push(`consent:${purpose}.withdrawnAt`);
  }
  // Zoho's single basis slot: a granted primary consent takes it; else the first non-consent basis.
  if (!primary || primary.status !== 'granted') {
    // Prefer the record-level ('*') basis so a re-read and re-write keeps Zoho's slot stable.
    const first = bases.find((b) => b.purpose === '*' && b.basis !== 'consent') ?? bases.find((b) => b.basis !== 'consent');
    if (first) {
      const v = basisToZoho(first.basis, opts.basisPicklist);
      if (v) fields.Data_Processing_Basis = v;
    }
  }
  const slotBasis = typeof fields.Data_Processing_Basis === 'string' ? basisFromZoho(fields.Data_Processing_Basis) : null;
  for (const b of bases) {
    // Zoho holds one basis for the whole record: a per-purpose basis lives only in the evidence JSON.
    const native = (b.purpose === '*' && b.basis === slotBasis) || (b.basis === 'consent' && b.purpose === purpose && primary?.status === 'granted');
    if (!native) cannotExpress.push(`lawfulBasis:${b.purpose}`);
  }
  const json: EvidenceJson = {
    v: 1,
    bases: bases.filter((b) => b.purpose !== '*').map((b) => ({ purpose: b.purpose, basis: b.basis, recordedAt: b.recordedAt })),
    consents: [...consents],
  };
  fields[CUSTOM.consentEvidence] = json.bases.length === 0 && json.consents.length === 0 ? null : JSON.stringify(json);
  return { fields, cannotExpress: [...new Set(cannotExpress)] };
}

function latest(rs: readonly ConsentRecord[]): ConsentRecord | null {
  let best: ConsentRecord | null = null;
  for (const r of rs) if (!best || (r.capturedAt ?? '') >= (best.capturedAt ?? '')) best = r;
  return best;
}

/** Adds or replaces one purpose's basis in the current set (set_lawful_basis). */

// ---------------------------------------------------------------- record -> Contact

export interface ContactMappingContext {
  portalId: string;
  tenantId: string;
  /** Field api_name -> Zoho data_type (from settings/fields). */
  fieldTypes?: Readonly<Record<string, string>>;
  /** Extra categories (custom fields known to the connector). */
  categories?: Readonly<Record<string, DataCategory>>;
  consent?: ConsentMappingOptions;
}

const STRUCTURAL = new Set(['id', 'Owner', 'Data_Processing_Basis_Details', '$approval', '$editable', '$currency_symbol', '$state', '$process_flow', '$approved', '$review', '$in_merge', '$review_process', '$orchestration', '$approval_state', '$pathfinder', '$field_states', '$locked_for_me', '$is_duplicate', '$layout_id', '$zia_owner_assignment', '$converted', '$stop_processing', '$canvas_id', '$has_more', '$sharing_permission']);

/** A Zoho value as the model's string|null: lookups give their name, booleans true/false. */
export function valueToString(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x) => valueToString(x) ?? '').join(';');
  if (typeof v === 'object' && 'name' in (v as object)) return valueToString((v as { name: unknown }).name);
  return JSON.stringify(v);
}

export interface ContactReadResult {
  contact: Contact;
  unmapped: string[];
}

/** One Zoho Contacts record -> the normalised Contact (notes attached by the caller). */
export function contactFromZoho(rec: ZohoRecord, ctx: ContactMappingContext): ContactReadResult {
  const properties: Record<string, PropertyValue> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (STRUCTURAL.has(k) || k.startsWith('$')) continue;
    const t = ctx.fieldTypes?.[k];
    properties[k] = {
      value: valueToString(v),
      category: ctx.categories?.[k] ?? FIELD_CATEGORIES[k] ?? 'unknown',
      type: t ? propertyType(t) : typeof v === 'boolean' ? 'bool' : 'text',
    };
  }
  const emails = ['Email', 'Secondary_Email']
    .map((f) => rec[f])
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .map((v) => v.toLowerCase());
  const phones = ['Phone', 'Mobile', 'Home_Phone', 'Other_Phone']
    .map((f) => rec[f])
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .map((v) => v.replace(/[\s().-]/g, ''));
  const owner = rec.Owner as { id?: unknown } | null | undefined;
  const stageRaw = typeof rec[CUSTOM.lifecycle] === 'string' ? (rec[CUSTOM.lifecycle] as string).toLowerCase() : '';
  const consent = consentFromZoho(rec, ctx.consent);
  const subscriptions: Contact['marketing']['subscriptions'] = [];
  for (const s of SUBSCRIPTION_FIELDS) {
    if (!(s.field in rec)) continue;
    const v = rec[s.field];
    subscriptions.push({ id: s.field, name: s.name, status: v === true ? 'subscribed' : v === false ? 'unsubscribed' : 'not_specified' });
  }
  const dob = typeof rec.Date_of_Birth === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(rec.Date_of_Birth) ? rec.Date_of_Birth : null;
  const created = toIso(rec.Created_Time) ?? toIso(rec.Modified_Time) ?? new Date(0).toISOString();
  const contact = Contact.parse({
    portalId: ctx.portalId,
    tenantId: ctx.tenantId,
    vendor: 'zoho',
    id: rec.id,
    objectType: 'contact',
    identifiers: { emails, phones },
    ownerId: owner && typeof owner.id === 'string' ? owner.id : null,
    properties,
    createdAt: created,
    modifiedAt: toIso(rec.Modified_Time) ?? created,
    lastActivityAt: toIso(rec.Last_Activity_Time),
    lifecycle: { stage: LIFECYCLE_VALUES[stageRaw] ?? 'unknown', relationshipEndedAt: toIso(rec[CUSTOM.relationshipEndedAt]) },
    source: sourceFromZoho(typeof rec.Data_Source === 'string' ? rec.Data_Source : null),
    birthDate: dob,
    lawfulBasis: consent.lawfulBasis,
    consents: consent.consents,
    marketing: { emailOptOut: typeof rec.Email_Opt_Out === 'boolean' ? rec.Email_Opt_Out : null, subscriptions },
    notes: [],
  });
  return { contact, unmapped: consent.unmapped };
}

/**
 * Plain text -> note content that noteText() reads back unchanged: Note_Content may hold HTML, so the
 * characters it would take as markup (&, <, >) are written as entities, never dropped as tags.
 */
export function noteContent(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Strips HTML from note content (Zoho notes may hold HTML) so detectors see plain text. */

// ---------------------------------------------------------------- field metadata

export function propertyFromZohoField(f: { api_name: string; field_label: string; data_type: string; read_only?: boolean; custom_field?: boolean; field_read_only?: boolean }): PropertyDefinition {
  const readOnly = f.read_only === true || f.field_read_only === true || ['Created_Time', 'Modified_Time', 'Last_Activity_Time', 'Full_Name', 'Created_By', 'Modified_By'].includes(f.api_name);
  const def: PropertyDefinition = {
    name: f.api_name,
    label: f.field_label,
    type: propertyType(f.data_type),
    readOnly,
    vendorDefined: f.custom_field !== true,
  };
  const category = FIELD_CATEGORIES[f.api_name];
  if (category) def.category = category;
  return def;
}

// ---------------------------------------------------------------- anonymisation values

export type Strategy = 'clear' | 'fixed_text' | 'unique_email' | 'keyed_hash';

export const ANONYMISED_TEXT = 'Anonymised';
export const anonymisedEmail = (recordId: string): string => `anon-${recordId}@anonymised.invalid`;

/**
 * The value a field gets under a strategy, format-valid for its Zoho type. `hash` computes the keyed
 * hash of the current value (the caller holds the key). Mandatory fields are never cleared.
 */
export function anonymisedValue(
  strategy: Strategy,
  field: string,
  dataType: string | undefined,
  recordId: string,
  current: unknown,
  mandatory: boolean,
  hash: (v: string) => string,
): unknown {
  const t = propertyType(dataType ?? 'text');
  let s = strategy;
  if (t === 'email' && s !== 'clear') s = 'unique_email';
  if (s === 'clear' && mandatory) s = 'fixed_text';
  switch (s) {
    case 'clear':
      return t === 'bool' ? false : null;
    case 'unique_email':
      return t === 'email' ? anonymisedEmail(recordId) : mandatory ? ANONYMISED_TEXT : null;
    case 'fixed_text':
      if (t === 'text' || t === 'textarea' || t === 'enum') return t === 'enum' && !mandatory ? null : ANONYMISED_TEXT;
      return t === 'bool' ? false : null;
    case 'keyed_hash': {
      if (t !== 'text' && t !== 'textarea') return t === 'bool' ? false : null;
      const cur = valueToString(current);
      if (cur === null) return mandatory ? ANONYMISED_TEXT : null;
      // Already hashed by us: keep it, so a re-run changes nothing.
      if (/^h-[0-9a-f]{16}$/.test(cur)) return cur;
      return `h-${hash(cur).slice(0, 16)}`;
    }
  }
}
