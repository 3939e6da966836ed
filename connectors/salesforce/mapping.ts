/**
 * Pure mapping between Salesforce Contacts/Leads (+ Individual and consent objects) and the model, both
 * ways. No I/O.
 *
 * Consent and lawful basis.
 *  - Orgs WITH the consent objects (Data Protection and Privacy on): a consent is a
 *    ContactPointTypeConsent (CPTC) row of the person's Individual for a DataUsePurpose. Status maps
 *    OptIn <-> granted, OptOut + EffectiveTo <-> withdrawn (EffectiveTo = withdrawnAt), OptOut without
 *    EffectiveTo <-> denied; EffectiveFrom <-> capturedAt; CaptureSource <-> method; the DataUsePurpose's
 *    Name is the purpose. A withdrawn/denied profiling consent also sets Individual.HasOptedOutProfiling,
 *    an e-mail purpose's sets Individual.HasOptedOutSolicit (only ever set, never cleared).
 *    Salesforce cannot hold: evidenceRef, privacyTextVersion, preTicked, parentalConsent, an unknown
 *    capture date (CaptureDate is required: the write time goes there, EffectiveFrom stays empty), a
 *    purpose the org has no DataUsePurpose for, and any lawful basis other than consent per person
 *    (DataUsePurpose.LegalBasisId is org-wide, not per person).
 *  - Orgs WITHOUT them: only the opt-out flags exist. A withdrawn/denied e-mail purpose sets
 *    HasOptedOutOfEmail; every consent record and every basis is otherwise inexpressible.
 *  Whatever Salesforce cannot hold lives in the custom long text area GDPR_Consent_Evidence__c as JSON
 *  without personal values (the model's records, as last written); each write returns `cannotExpress`
 *  naming those facts, and each read returns `unmapped`: Salesforce states the model has no place for
 *  (PrivacyConsentStatus Seen/NotSeen, a CPTC without a DataUsePurpose).
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import {
  Contact,
  type ConsentRecord,
  ConsentRecord as ConsentRecordSchema,
  type ContactSource,
  type LawfulBasis,
  type PropertyValue,
} from '../../src/model';
import { EvidenceJson, noteText, parseEvidence, withBasis } from '../shared-mapping';
import type { PropertyDefinition } from '../types';

export { EvidenceJson, noteText, parseEvidence, withBasis };
import { CUSTOM, FIELD_CATEGORIES, INDIVIDUAL_FLAGS, SUBSCRIPTION_FIELDS, type SfObject } from './fields';

export type SfRecord = Record<string, unknown> & { Id: string };

// ---------------------------------------------------------------- vocabulary (data)

/** CaptureSource text <-> capture method (CaptureSource is free text in Salesforce). */
export const CAPTURE_SOURCES: readonly { source: string; method: ConsentRecord['method'] }[] = [
  { source: 'Web Form', method: 'form_checkbox' },
  { source: 'Double Opt-In Email', method: 'double_opt_in_email' },
  { source: 'Signed Document', method: 'signature' },
  { source: 'Phone Recording', method: 'phone_recording' },
  { source: 'In Person', method: 'verbal' },
  { source: 'Import', method: 'import' },
  { source: 'API', method: 'api' },
  { source: 'Unknown', method: 'unknown' },
];
export const CONTACT_POINT_TYPES = ['Email', 'MailingAddress', 'Phone', 'Social', 'Web'] as const;
export type ContactPointType = (typeof CONTACT_POINT_TYPES)[number];

/** The channel a purpose's consent is about (ContactPointType); anything else is Email. */
export const PURPOSE_CHANNEL: Record<string, ContactPointType> = { newsletter: 'Email', call_recording: 'Phone', profiling: 'Web' };
/** Purposes whose withdrawal means "no marketing e-mail". */
export const EMAIL_PURPOSES: readonly string[] = ['newsletter', 'marketing', 'marketing_email'];

export const LEAD_SOURCES: Record<string, ContactSource> = {
  web: 'form', 'web form': 'form', form: 'form', 'purchased list': 'import', import: 'import', api: 'api', 'phone inquiry': 'manual', other: 'manual',
  'partner referral': 'integration', 'partner': 'integration', integration: 'integration', manual: 'manual',
};
export const LEAD_SOURCE_OF: Record<ContactSource, string> = { form: 'Web', import: 'Purchased List', api: 'API', manual: 'Other', integration: 'Partner Referral', unknown: 'Other' };

export const LIFECYCLE_VALUES: Record<string, Contact['lifecycle']['stage']> = {
  subscriber: 'subscriber', lead: 'lead', prospect: 'prospect', customer: 'customer', 'former customer': 'former_customer', former_customer: 'former_customer', other: 'other',
};

/** Purpose name as the model spells it ('Newsletter' / 'Call Recording' -> newsletter / call_recording). */
export const purposeKey = (name: string): string => name.trim().toLowerCase().replace(/[\s-]+/g, '_');

export function sourceFromSalesforce(v: unknown): ContactSource {
  if (typeof v !== 'string' || v === '') return 'unknown';
  return LEAD_SOURCES[v.trim().toLowerCase()] ?? 'unknown';
}

/** Salesforce datetimes (`2026-01-31T10:00:00.000+0000`, Bulk CSV `...Z`) and dates -> ISO, else null. */
/** Salesforce's own datetime form (UTC, milliseconds): the one a scan meets on every record. */
const SF_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;

export function toIso(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return null;
  // Fast path (hot in scans): the same instant in ISO form without a parse and format round trip.
  if (v.length === 28 && SF_UTC.test(v)) return `${v.slice(0, 23)}Z`;
  const s = v.length === 10 ? `${v}T00:00:00Z` : v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Model ISO -> Salesforce datetime form. */
export function sfDateTime(iso: string): string {
  return new Date(Date.parse(iso)).toISOString().replace('Z', '+0000');
}

// ---------------------------------------------------------------- evidence JSON


// ---------------------------------------------------------------- consent objects (schemas)

export const SfIndividual = z
  .object({
    Id: z.string(),
    FirstName: z.string().nullable().optional(),
    LastName: z.string().nullable().optional(),
    BirthDate: z.string().nullable().optional(),
    HasOptedOutProcessing: z.boolean().nullable().optional(),
    HasOptedOutSolicit: z.boolean().nullable().optional(),
    HasOptedOutProfiling: z.boolean().nullable().optional(),
    HasOptedOutTracking: z.boolean().nullable().optional(),
    ShouldForget: z.boolean().nullable().optional(),
  })
  .loose();
export type SfIndividual = z.infer<typeof SfIndividual>;

export const SfConsentRow = z
  .object({
    Id: z.string().optional(),
    PartyId: z.string().optional(),
    DataUsePurposeId: z.string().nullable().optional(),
    ContactPointType: z.string().nullable().optional(),
    PrivacyConsentStatus: z.string().nullable().optional(),
    CaptureDate: z.string().nullable().optional(),
    CaptureSource: z.string().nullable().optional(),
    CaptureContactPointType: z.string().nullable().optional(),
    EffectiveFrom: z.string().nullable().optional(),
    EffectiveTo: z.string().nullable().optional(),
    DoubleConsentCaptureDate: z.string().nullable().optional(),
  })
  .loose();
export type SfConsentRow = z.infer<typeof SfConsentRow>;

export interface ConsentContext {
  hasConsentObjects: boolean;
  /** The org's DataUsePurpose rows (Id, Name). */
  purposes: readonly { Id: string; Name: string }[];
}

export interface ConsentReadResult {
  lawfulBasis: Contact['lawfulBasis'];
  consents: ConsentRecord[];
  unmapped: string[];
}

const methodOf = (source: unknown): ConsentRecord['method'] => {
  if (typeof source !== 'string') return 'unknown';
  const s = source.trim().toLowerCase();
  return CAPTURE_SOURCES.find((c) => c.source.toLowerCase() === s)?.method ?? 'unknown';
};

/** Salesforce (record + Individual + CPTC rows + evidence JSON) -> model bases and consents. */
export function consentFromSalesforce(rec: Record<string, unknown>, rows: readonly SfConsentRow[], ctx: ConsentContext): ConsentReadResult {
  const evidence = parseEvidence(rec[CUSTOM.consentEvidence]);
  const unmapped: string[] = [];
  const lawfulBasis: Contact['lawfulBasis'] = (evidence?.bases ?? []).map((b) => ({ purpose: b.purpose, basis: b.basis, recordedAt: toIso(b.recordedAt) }));
  const consents: ConsentRecord[] = [...(evidence?.consents ?? [])];
  if (!ctx.hasConsentObjects) return { lawfulBasis, consents, unmapped };

  const purposeName = new Map(ctx.purposes.map((p) => [p.Id, purposeKey(p.Name)]));
  // One record per purpose: the latest capture wins.
  const latest = new Map<string, SfConsentRow>();
  for (const r of rows) {
    const purpose = r.DataUsePurposeId ? purposeName.get(r.DataUsePurposeId) : undefined;
    if (!purpose) {
      unmapped.push(`ContactPointTypeConsent:${r.ContactPointType ?? 'unknown'} without DataUsePurpose`);
      continue;
    }
    const prev = latest.get(purpose);
    if (!prev || (toIso(r.CaptureDate) ?? '') >= (toIso(prev.CaptureDate) ?? '')) latest.set(purpose, r);
  }
  for (const [purpose, r] of latest) {
    const st = r.PrivacyConsentStatus ?? '';
    let status: ConsentRecord['status'];
    if (st === 'OptIn') status = 'granted';
    else if (st === 'OptOut') status = r.EffectiveTo ? 'withdrawn' : 'denied';
    else {
      unmapped.push(`ContactPointTypeConsent:${purpose}.PrivacyConsentStatus=${st || 'empty'}`);
      continue;
    }
    const prior = consents.find((c) => c.purpose === purpose) ?? null;
    // EffectiveFrom is the capture instant we write; empty means the capture date was unknown (CaptureDate
    // is then only the write time) unless the evidence JSON has no opinion and CaptureDate is all there is.
    const capturedAt = toIso(r.EffectiveFrom) ?? (prior && prior.capturedAt === null ? null : toIso(r.CaptureDate));
    const merged = ConsentRecordSchema.parse({
      ...(prior ?? {}),
      purpose,
      status,
      lawfulBasis: 'consent',
      capturedAt,
      method: methodOf(r.CaptureSource) !== 'unknown' ? methodOf(r.CaptureSource) : r.DoubleConsentCaptureDate ? 'double_opt_in_email' : (prior?.method ?? 'unknown'),
      withdrawnAt: status === 'withdrawn' ? toIso(r.EffectiveTo) : null,
    });
    const i = consents.findIndex((c) => c.purpose === purpose);
    if (i >= 0) consents[i] = merged;
    else consents.push(merged);
    if (status === 'granted' && !lawfulBasis.some((b) => b.purpose === purpose)) lawfulBasis.push({ purpose, basis: 'consent', recordedAt: merged.capturedAt });
  }
  return { lawfulBasis, consents, unmapped };
}

export interface ConsentWriteResult {
  /** Contact/Lead field values. */
  fields: Record<string, unknown>;
  /** Desired CPTC state per purpose (without PartyId), consent-object orgs only. */
  rows: { purpose: string; row: SfConsentRow & { DataUsePurposeId: string } }[];
  /** Individual flags to set (true only). */
  individual: Partial<Record<(typeof INDIVIDUAL_FLAGS)[number], boolean>>;
  /** Model facts Salesforce's own fields/objects cannot hold (they live only in GDPR_Consent_Evidence__c). */
  cannotExpress: string[];
}

const latestPerPurpose = (consents: readonly ConsentRecord[]): ConsentRecord[] => {
  const m = new Map<string, ConsentRecord>();
  for (const c of consents) {
    const p = m.get(c.purpose);
    if (!p || (c.capturedAt ?? '') >= (p.capturedAt ?? '')) m.set(c.purpose, c);
  }
  return [...m.values()];
};

const captureChannel = (m: ConsentRecord['method']): ContactPointType => (m === 'phone_recording' || m === 'verbal' ? 'Phone' : m === 'signature' ? 'MailingAddress' : 'Email');

/** Model bases and consents -> Salesforce fields, CPTC rows, Individual flags, and what cannot be expressed. */
export function consentToSalesforce(bases: readonly Contact['lawfulBasis'][number][], consents: readonly ConsentRecord[], ctx: ConsentContext, now: Date): ConsentWriteResult {
  const cannotExpress: string[] = [];
  const fields: Record<string, unknown> = {};
  const rows: ConsentWriteResult['rows'] = [];
  const individual: ConsentWriteResult['individual'] = {};
  const purposeId = new Map(ctx.purposes.map((p) => [purposeKey(p.Name), p.Id]));
  const nativeConsent = new Set<string>();

  for (const c of latestPerPurpose(consents)) {
    const refused = c.status !== 'granted';
    if (!ctx.hasConsentObjects) {
      cannotExpress.push(`consent:${c.purpose}`);
      if (refused && EMAIL_PURPOSES.includes(c.purpose)) fields.HasOptedOutOfEmail = true;
      continue;
    }
    const id = purposeId.get(c.purpose);
    if (!id) {
      cannotExpress.push(`consent:${c.purpose}`);
      continue;
    }
    if (c.status === 'granted') nativeConsent.add(c.purpose);
    const source = CAPTURE_SOURCES.find((s) => s.method === c.method)?.source ?? 'Unknown';
    rows.push({
      purpose: c.purpose,
      row: {
        DataUsePurposeId: id,
        ContactPointType: PURPOSE_CHANNEL[c.purpose] ?? 'Email',
        PrivacyConsentStatus: c.status === 'granted' ? 'OptIn' : 'OptOut',
        CaptureDate: sfDateTime(c.capturedAt ?? now.toISOString()),
        CaptureSource: source,
        CaptureContactPointType: captureChannel(c.method),
        EffectiveFrom: c.capturedAt ? sfDateTime(c.capturedAt) : null,
        EffectiveTo: c.status === 'withdrawn' ? sfDateTime(c.withdrawnAt ?? now.toISOString()) : null,
        DoubleConsentCaptureDate: c.method === 'double_opt_in_email' && c.capturedAt ? sfDateTime(c.capturedAt) : null,
      },
    });
    if (c.capturedAt === null) cannotExpress.push(`consent:${c.purpose}.capturedAt`);
    if (c.status === 'withdrawn' && c.withdrawnAt === null) cannotExpress.push(`consent:${c.purpose}.withdrawnAt`);
    if (c.evidenceRef !== null) cannotExpress.push(`consent:${c.purpose}.evidenceRef`);
    if (c.privacyTextVersion !== null) cannotExpress.push(`consent:${c.purpose}.privacyTextVersion`);
    if (c.preTicked !== null) cannotExpress.push(`consent:${c.purpose}.preTicked`);
    if (c.parentalConsent !== null) cannotExpress.push(`consent:${c.purpose}.parentalConsent`);
    if (refused && c.purpose === 'profiling') individual.HasOptedOutProfiling = true;
    if (refused && EMAIL_PURPOSES.includes(c.purpose)) individual.HasOptedOutSolicit = true;
  }
  for (const b of bases) {
    if (!(b.basis === 'consent' && nativeConsent.has(b.purpose))) cannotExpress.push(`lawfulBasis:${b.purpose}`);
  }
  const json: EvidenceJson = {
    v: 1,
    bases: bases.map((b) => ({ purpose: b.purpose, basis: b.basis, recordedAt: b.recordedAt })),
    consents: [...consents],
  };
  fields[CUSTOM.consentEvidence] = json.bases.length === 0 && json.consents.length === 0 ? null : JSON.stringify(json);
  return { fields, rows, individual, cannotExpress: [...new Set(cannotExpress)] };
}

/** Adds or replaces one purpose's basis (set_lawful_basis). */

// ---------------------------------------------------------------- record -> Contact

/** Describe field type -> model property type. */
export function propertyType(t: string | undefined): PropertyValue['type'] {
  switch (t) {
    case 'textarea':
      return 'textarea';
    case 'email':
      return 'email';
    case 'phone':
      return 'phone';
    case 'double':
    case 'int':
    case 'currency':
    case 'percent':
    case 'long':
      return 'number';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'picklist':
    case 'multipicklist':
      return 'enum';
    case 'boolean':
      return 'bool';
    default:
      return 'text';
  }
}

export function valueToString(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Bulk 2.0 CSV values are all strings: give them their describe types back ('' -> null). */
export function fromCsvRow(row: Record<string, string>, fieldTypes: Readonly<Record<string, string>>): SfRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    const t = fieldTypes[k];
    if (v === '') out[k] = t === 'boolean' ? false : null;
    else if (t === 'boolean') out[k] = v === 'true';
    else if (t === 'double' || t === 'int' || t === 'currency' || t === 'percent') out[k] = Number(v);
    else out[k] = v;
  }
  return out as SfRecord;
}

export interface ContactMappingContext {
  portalId: string;
  tenantId: string;
  object: SfObject;
  fieldTypes?: Readonly<Record<string, string>>;
  consent: ConsentContext;
}

/** Not properties: record metadata, the Id, and the Individual parent relationship (read as Individual.<flag> below). */
const STRUCTURAL = new Set(['attributes', 'Id', 'Individual']);

/** One Contact/Lead (with its Individual and CPTC rows) -> the model (notes attached by the caller). */
export function contactFromSalesforce(rec: SfRecord, individual: SfIndividual | null, rows: readonly SfConsentRow[], ctx: ContactMappingContext): { contact: Contact; unmapped: string[] } {
  const properties: Record<string, PropertyValue> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (STRUCTURAL.has(k) || (typeof v === 'object' && v !== null)) continue;
    const t = ctx.fieldTypes?.[k];
    properties[k] = { value: valueToString(v), category: FIELD_CATEGORIES[k] ?? 'unknown', type: t ? propertyType(t) : typeof v === 'boolean' ? 'bool' : 'text' };
  }
  if (individual) {
    for (const f of INDIVIDUAL_FLAGS) {
      const v = individual[f];
      if (typeof v === 'boolean') properties[`Individual.${f}`] = { value: String(v), category: 'consent', type: 'bool' };
    }
  }
  const emails = ['Email'].map((f) => rec[f]).filter((v): v is string => typeof v === 'string' && v !== '').map((v) => v.toLowerCase());
  const phones = ['Phone', 'MobilePhone'].map((f) => rec[f]).filter((v): v is string => typeof v === 'string' && v !== '').map((v) => v.replace(/[\s().-]/g, ''));
  const stageRaw = typeof rec[CUSTOM.lifecycle] === 'string' ? (rec[CUSTOM.lifecycle] as string).toLowerCase() : '';
  const consent = consentFromSalesforce(rec, rows, ctx.consent);
  const subscriptions: Contact['marketing']['subscriptions'] = [];
  for (const s of SUBSCRIPTION_FIELDS) {
    if (!(s.field in rec)) continue;
    const v = rec[s.field];
    subscriptions.push({ id: s.field, name: s.name, status: v === true ? 'subscribed' : v === false ? 'unsubscribed' : 'not_specified' });
  }
  const dobRaw = typeof rec.Birthdate === 'string' ? rec.Birthdate : typeof individual?.BirthDate === 'string' ? individual.BirthDate : null;
  const created = toIso(rec.CreatedDate) ?? toIso(rec.SystemModstamp) ?? new Date(0).toISOString();
  const contact = Contact.parse({
    portalId: ctx.portalId,
    tenantId: ctx.tenantId,
    vendor: 'salesforce',
    id: rec.Id,
    objectType: ctx.object === 'Lead' ? 'lead' : 'contact',
    identifiers: { emails, phones },
    ownerId: typeof rec.OwnerId === 'string' && rec.OwnerId !== '' ? rec.OwnerId : null,
    properties,
    createdAt: created,
    modifiedAt: toIso(rec.SystemModstamp) ?? toIso(rec.LastModifiedDate) ?? created,
    lastActivityAt: toIso(rec.LastActivityDate),
    lifecycle: { stage: LIFECYCLE_VALUES[stageRaw] ?? (ctx.object === 'Lead' ? 'lead' : 'unknown'), relationshipEndedAt: toIso(rec[CUSTOM.relationshipEndedAt]) },
    source: sourceFromSalesforce(rec.LeadSource),
    birthDate: dobRaw && /^\d{4}-\d{2}-\d{2}$/.test(dobRaw) ? dobRaw : null,
    lawfulBasis: consent.lawfulBasis,
    consents: consent.consents,
    marketing: { emailOptOut: typeof rec.HasOptedOutOfEmail === 'boolean' ? rec.HasOptedOutOfEmail : null, subscriptions },
    notes: [],
  });
  return { contact, unmapped: consent.unmapped };
}

/**
 * Plain text -> ContentNote Content. Salesforce takes Content as HTML or plain text whose special
 * characters are escaped (escapeHtml4); unsafe markup is dropped on save. Escaped, the text reads back
 * through noteText() unchanged.
 */
export function noteContent(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** ContentNote content (HTML or text) -> plain text. */

// ---------------------------------------------------------------- describe metadata

export const DescribeField = z
  .object({
    name: z.string(),
    label: z.string(),
    type: z.string(),
    custom: z.boolean().optional(),
    calculated: z.boolean().optional(),
    updateable: z.boolean().optional(),
    createable: z.boolean().optional(),
    nillable: z.boolean().optional(),
    picklistValues: z.array(z.object({ value: z.string(), active: z.boolean().optional() }).loose()).optional(),
  })
  .loose();
export type DescribeField = z.infer<typeof DescribeField>;

export function propertyFromDescribe(f: DescribeField): PropertyDefinition {
  const def: PropertyDefinition = {
    name: f.name,
    label: f.label,
    type: propertyType(f.type),
    readOnly: f.updateable === false || f.calculated === true || f.type === 'id',
    vendorDefined: f.custom !== true,
  };
  const category = FIELD_CATEGORIES[f.name];
  if (category) def.category = category;
  return def;
}

// ---------------------------------------------------------------- anonymisation values

export type Strategy = 'clear' | 'fixed_text' | 'unique_email' | 'keyed_hash';
export const ANONYMISED_TEXT = 'Anonymised';
export const anonymisedEmail = (recordId: string): string => `anon-${recordId.toLowerCase()}@anonymised.invalid`;
export const keyedHash = (key: string, v: string): string => `h-${createHmac('sha256', key).update(v).digest('hex').slice(0, 16)}`;

/** The value a field gets under a strategy, valid for its describe type; mandatory fields are never emptied. */
export function anonymisedValue(strategy: Strategy, sfType: string | undefined, recordId: string, current: unknown, mandatory: boolean, hashKey: string): unknown {
  const t = propertyType(sfType);
  let s = strategy;
  if (t === 'email' && s !== 'clear') s = 'unique_email';
  if (s === 'clear' && mandatory) s = 'fixed_text';
  switch (s) {
    case 'clear':
      return t === 'bool' ? false : null;
    case 'unique_email':
      return t === 'email' ? anonymisedEmail(recordId) : mandatory ? ANONYMISED_TEXT : null;
    case 'fixed_text':
      if (t === 'text' || t === 'textarea') return ANONYMISED_TEXT;
      if (t === 'enum' && mandatory) return current;
      return t === 'bool' ? false : null;
    case 'keyed_hash': {
      if (t !== 'text' && t !== 'textarea') return t === 'bool' ? false : null;
      const cur = valueToString(current);
      if (cur === null) return mandatory ? ANONYMISED_TEXT : null;
      if (/^h-[0-9a-f]{16}$/.test(cur)) return cur;
      return keyedHash(hashKey, cur);
    }
  }
}
