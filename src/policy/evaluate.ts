/**
 * The policy engine: contact + portal + compiled policy + now -> findings. Pure and deterministic:
 * no I/O, no clock, no randomness; the same input always gives the same findings in the same order.
 */
import * as nodeCrypto from 'node:crypto';
import type { Contact, DataCategory, Finding, FindingKind, Portal } from '../model';
import { SPECIAL_CATEGORIES } from '../model';
import { detect, redactEvidence, type Detection, type DetectorCategory } from '../detect';
import { articleFor, categoryLabel } from './articles';
import type { CompiledPolicy, CompiledPurpose } from './compile';
import { addDays, addPeriod, ageAt, parsePeriod, type Period } from './duration';
import type { RuleId } from './pack-schema';

/** Detector categories the engine acts on, and the data category they stand for. */
const DETECTOR_TO_CATEGORY: Partial<Record<DetectorCategory, DataCategory>> = {
  bsn: 'national_id',
  iban: 'financial',
  id_document: 'id_document',
  health: 'health',
  religion: 'religion',
  political_opinion: 'political_opinion',
  ethnicity: 'ethnicity',
  sexual_orientation: 'sexual_orientation',
  criminal_record: 'criminal_record',
  trade_union: 'trade_union',
  biometric_genetic: 'biometric_genetic',
  subjective_opinion: 'subjective_opinion',
};
const TEXT_CATEGORIES = Object.keys(DETECTOR_TO_CATEGORY) as DetectorCategory[];
/** Bound once: a re-exported binding is a getter call on every read, and checkFields reads it per property. */
const SPECIAL: ReadonlySet<DataCategory> = SPECIAL_CATEGORIES;

const RULE_KIND: Record<RuleId, FindingKind> = {
  'special-category-field': 'unlawful_field',
  'special-category-note': 'unlawful_field',
  'bsn-field': 'unlawful_field',
  'bsn-note': 'unlawful_field',
  'other-identifier-note': 'unlawful_field',
  'subjective-note': 'unlawful_field',
  'unneeded-field': 'unlawful_field',
  'retention-no-activity': 'stale_record',
  'retention-purpose-expired': 'stale_record',
  'consent-missing': 'missing_consent',
  'consent-no-evidence': 'missing_consent',
  'consent-pre-ticked': 'missing_consent',
  'consent-withdrawn-still-used': 'missing_consent',
  'consent-minor-no-parental': 'missing_consent',
  'consent-optout-contradiction': 'missing_consent',
  'no-lawful-basis': 'no_lawful_basis',
  'residency-no-transfer-mechanism': 'residency',
  'suppressed-reappeared': 'suppressed_reappeared',
};

export interface EvaluateOptions {
  /** Run the free-text detectors over notes and text properties (default true). */
  scanText?: boolean;
}

/** One-shot hash (Node >= 20.12, much cheaper for short input than createHash); same digest either way. */
const oneShotHash: ((algorithm: string, data: string, encoding: 'base64url') => string) | undefined = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

export function findingId(portalId: string, contactId: string | null, ruleId: string, field: string | null, purpose: string | null): string {
  const key = `${portalId}\u0000${contactId ?? ''}\u0000${ruleId}\u0000${field ?? ''}\u0000${purpose ?? ''}`;
  const digest = oneShotHash ? oneShotHash('sha1', key, 'base64url') : nodeCrypto.createHash('sha1').update(key).digest('base64url');
  return digest.slice(0, 22);
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isoMonth = (ms: number) => new Date(ms).toISOString().slice(0, 7);

/** toISOString of the last few instants asked for (evaluation asks for the same `now` and due dates over and over). */
const isoMemo = new Map<number, string>();
function isoAt(ms: number): string {
  let iso = isoMemo.get(ms);
  if (iso === undefined) {
    if (isoMemo.size >= 64) isoMemo.clear();
    iso = new Date(ms).toISOString();
    isoMemo.set(ms, iso);
  }
  return iso;
}

class FindingSink {
  readonly out: Finding[] = [];
  constructor(
    private readonly policy: CompiledPolicy,
    private readonly portalId: string,
    private readonly tenantId: string,
    private readonly contactId: string | null,
    private readonly nowMs: number,
  ) {}

  add(rule: RuleId, f: { field: string | null; category?: DataCategory | null; purpose?: string | null; evidence: string; message: string }): void {
    const cfg = this.policy.rule(rule);
    if (!cfg) return;
    const now = isoAt(this.nowMs);
    const due = isoAt(addDays(this.nowMs, cfg.graceDays));
    const category = f.category ?? null;
    const purpose = f.purpose ?? null;
    this.out.push({
      id: findingId(this.portalId, this.contactId, rule, f.field, purpose),
      portalId: this.portalId,
      tenantId: this.tenantId,
      contactId: this.contactId,
      ruleId: rule,
      kind: RULE_KIND[rule],
      article: articleFor(rule, category),
      field: f.field,
      category,
      purpose,
      evidence: f.evidence,
      message: cfg.action === 'none' ? f.message : `${f.message} Proposed: ${cfg.action.replace(/_/g, ' ')} after ${cfg.graceDays} day(s) unless resolved (see dueAt).`,
      severity: cfg.severity,
      proposedAction: cfg.action,
      graceDays: cfg.graceDays,
      firstSeenAt: now,
      dueAt: due,
    });
  }
}

/** ageAt for one `now` at a time, memoised by birth date (a stream shares a handful of thousands). */
let ageMemoNow = NaN;
const ageMemo = new Map<string, number>();
function ageAtCached(birthDate: string, nowMs: number): number {
  if (nowMs !== ageMemoNow || ageMemo.size >= 50_000) {
    ageMemo.clear();
    ageMemoNow = nowMs;
  }
  let age = ageMemo.get(birthDate);
  if (age === undefined) {
    age = ageAt(birthDate, nowMs);
    ageMemo.set(birthDate, age);
  }
  return age;
}

function purposeApplies(p: CompiledPurpose, c: Contact, nowMs: number): boolean {
  if (p.lifecycle && !p.lifecycle.has(c.lifecycle.stage)) return false;
  const minAge = p.source.appliesTo?.minAge;
  if (minAge !== undefined && c.birthDate && ageAtCached(c.birthDate, nowMs) < minAge) return false;
  return true;
}

/** Which signals show a purpose is in use for a contact: subscribed lists, filled properties. */
interface PurposeUse {
  readonly subscriptions: string[];
  readonly properties: string[];
}
const NO_USE: PurposeUse = Object.freeze({ subscriptions: Object.freeze([]) as unknown as string[], properties: Object.freeze([]) as unknown as string[] });
type PurposeUses = ReadonlyMap<CompiledPurpose, PurposeUse>;

/**
 * Every purpose's use signals for this contact, in one pass over its subscriptions and properties
 * (in their order); purposes without a signal are absent (read them with useOf). Hot path: no closures
 * (tsx wraps each one it creates), no map unless some purpose is in use.
 */
function purposeUses(policy: CompiledPolicy, c: Contact, filledNames: readonly string[] | null): PurposeUses | null {
  // filledNames: the filled properties that signal some purpose, in the contact's order (from checkFields).
  let uses: Map<CompiledPurpose, PurposeUse> | null = null;
  const subs = c.marketing.subscriptions;
  for (let i = 0; i < subs.length; i++) {
    const s = subs[i]!;
    if (s.status !== 'subscribed') continue;
    const ps = policy.purposesUsingSubscription(s.name.toLowerCase());
    for (let j = 0; j < ps.length; j++) useEntry((uses ??= new Map()), ps[j]!).subscriptions.push(s.id);
  }
  if (filledNames !== null) {
    for (let i = 0; i < filledNames.length; i++) {
      const name = filledNames[i]!;
      const ps = policy.purposesUsingProperty(name);
      for (let j = 0; j < ps.length; j++) useEntry((uses ??= new Map()), ps[j]!).properties.push(name);
    }
  }
  return uses;
}

function useEntry(uses: Map<CompiledPurpose, PurposeUse>, p: CompiledPurpose): PurposeUse {
  let u = uses.get(p);
  if (!u) uses.set(p, (u = { subscriptions: [], properties: [] }));
  return u;
}

function useOf(uses: PurposeUses | null, p: CompiledPurpose): PurposeUse {
  return uses?.get(p) ?? NO_USE;
}

function latestConsent(c: Contact, purpose: string) {
  let best: Contact['consents'][number] | null = null;
  for (const r of c.consents) {
    if (r.purpose !== purpose) continue;
    if (!best || (r.capturedAt ?? '') >= (best.capturedAt ?? '')) best = r;
  }
  return best;
}

function hasExplicitConsentFor(policy: CompiledPolicy, c: Contact, category: DataCategory): boolean {
  const ps = policy.explicitPurposesFor(category);
  for (let i = 0; i < ps.length; i++) {
    const r = latestConsent(c, ps[i]!.id);
    if (r !== null && r.status === 'granted' && r.preTicked !== true && r.evidenceRef !== null) return true;
  }
  return false;
}

function legallyRequired(policy: CompiledPolicy, c: Contact, category: DataCategory, nowMs: number): boolean {
  const ps = policy.legalPurposesFor(category);
  for (let i = 0; i < ps.length; i++) if (purposeApplies(ps[i]!, c, nowMs)) return true;
  return false;
}

function summariseDetections(ds: Detection[], text: string): string {
  const counts = new Map<string, number>();
  const ids: string[] = [];
  for (const d of ds) {
    if (d.category === 'bsn' || d.category === 'iban' || d.category === 'id_document') ids.push(redactEvidence(d, text));
    else counts.set(d.category, (counts.get(d.category) ?? 0) + 1);
  }
  const parts = [...ids, ...[...counts].map(([k, n]) => `${k}: ${n} term${n === 1 ? '' : 's'}`)];
  return parts.join('; ');
}

/** Runs the detectors over one text and adds the findings it implies. */
function checkText(
  sink: FindingSink,
  policy: CompiledPolicy,
  c: Contact,
  nowMs: number,
  text: string,
  field: string,
  where: 'note' | 'field',
  what: string,
): void {
  const ds = detect(text, { categories: TEXT_CATEGORIES });
  if (ds.length === 0) return;
  const byGroup = new Map<RuleId, Detection[]>();
  const group = (r: RuleId, d: Detection) => {
    const list = byGroup.get(r);
    if (list) list.push(d);
    else byGroup.set(r, [d]);
  };
  for (const d of ds) {
    const category = DETECTOR_TO_CATEGORY[d.category];
    if (!category) continue;
    if (category === 'national_id') {
      if (!legallyRequired(policy, c, 'national_id', nowMs)) group(where === 'note' ? 'bsn-note' : 'bsn-field', d);
    } else if (SPECIAL.has(category) || category === 'criminal_record') {
      if (!hasExplicitConsentFor(policy, c, category)) group(where === 'note' ? 'special-category-note' : 'special-category-field', d);
    } else if (category === 'subjective_opinion') {
      group('subjective-note', d);
    } else if (!legallyRequired(policy, c, category, nowMs)) {
      group('other-identifier-note', d);
    }
  }
  for (const [rule, list] of byGroup) {
    const category = DETECTOR_TO_CATEGORY[list[0]!.category]!;
    const labels = [...new Set(list.map((d) => categoryLabel(DETECTOR_TO_CATEGORY[d.category]!)))].join(', ');
    sink.add(rule, {
      field,
      category,
      evidence: summariseDetections(list, text),
      message: `${what} contains ${labels}${rule.startsWith('special') ? ' without explicit consent' : ''}.`,
    });
  }
}

/** What a filled property means for checkFields, given its category and the contact's lifecycle stage. */
const enum FieldKind {
  /** Needed by a purpose that applies, or always allowed. */
  Needed,
  NationalId,
  /** Art. 9 special category or criminal-record data. */
  Special,
  /** free_text or unknown: only the text detectors say anything about it. */
  Text,
  /** A forbidden category: allowed only when a law requires it. */
  Forbidden,
  Unneeded,
}
interface FieldVerdict {
  readonly kind: FieldKind;
  readonly category: DataCategory;
  /** Purposes whose use this property signals when filled (policy.purposesUsingProperty). */
  readonly users: readonly CompiledPurpose[];
}

function classifyField(policy: CompiledPolicy, name: string, category: DataCategory, stage: string): FieldVerdict {
  let kind: FieldKind;
  if (category === 'national_id') kind = FieldKind.NationalId;
  else if (SPECIAL.has(category) || category === 'criminal_record') kind = FieldKind.Special;
  else if (category === 'unknown' || category === 'free_text') kind = FieldKind.Text;
  else if (policy.forbidden.has(category)) kind = FieldKind.Forbidden;
  else kind = policy.isNeeded(name, category, stage) ? FieldKind.Needed : FieldKind.Unneeded;
  return { kind, category, users: policy.purposesUsingProperty(name) };
}

/**
 * Per compiled policy and lifecycle stage: property name -> verdict, for names the pack maps to a
 * category (null: the pack does not map it, so the vendor's category decides, uncached).
 */
const verdictCache = new WeakMap<CompiledPolicy, Map<string, Map<string, FieldVerdict | null>>>();
function verdictsFor(policy: CompiledPolicy, stage: string): Map<string, FieldVerdict | null> {
  let byStage = verdictCache.get(policy);
  if (!byStage) verdictCache.set(policy, (byStage = new Map()));
  let byName = byStage.get(stage);
  if (!byName) byStage.set(stage, (byName = new Map()));
  return byName;
}

/** Checks each filled property; returns the filled properties (in order) that signal a purpose's use, or null if none. */
function checkFields(sink: FindingSink, policy: CompiledPolicy, c: Contact, nowMs: number, scanText: boolean): string[] | null {
  const props = c.properties;
  const propertyNames = Object.keys(props);
  let signalling: string[] | null = null;
  const stage = c.lifecycle.stage;
  const verdicts = verdictsFor(policy, stage);
  for (let i = 0; i < propertyNames.length; i++) {
    const name = propertyNames[i]!;
    const prop = props[name]!;
    const value = prop.value;
    if (value === null || value === '') continue;
    let verdict = verdicts.get(name);
    if (verdict === undefined) {
      const mapped = policy.categoryOf(name);
      verdict = mapped === null ? null : classifyField(policy, name, mapped, stage);
      verdicts.set(name, verdict);
    }
    if (verdict === null) verdict = classifyField(policy, name, prop.category, stage);
    if (verdict.users.length > 0) (signalling ??= []).push(name);
    if (verdict.kind === FieldKind.Needed) continue;
    const category = verdict.category;
    switch (verdict.kind) {
      case FieldKind.NationalId:
        if (!legallyRequired(policy, c, 'national_id', nowMs)) {
          const ds = detect(value, { categories: ['bsn'] });
          sink.add('bsn-field', {
            field: name,
            category,
            evidence: ds.length > 0 ? redactEvidence(ds[0]!, value) : `national id in ${name} (${value.length} chars)`,
            message: `Property ${name} holds ${categoryLabel(category)}, which no law requires here.`,
          });
        }
        break;
      case FieldKind.Special:
        if (!hasExplicitConsentFor(policy, c, category)) {
          sink.add('special-category-field', {
            field: name,
            category,
            evidence: `${category} value in ${name}`,
            message: `Property ${name} holds ${categoryLabel(category)} without explicit consent.`,
          });
        }
        break;
      case FieldKind.Text:
        if (scanText && (prop.type === 'text' || prop.type === 'textarea')) checkText(sink, policy, c, nowMs, value, name, 'field', `Property ${name}`);
        break;
      case FieldKind.Forbidden:
      case FieldKind.Unneeded:
        if (verdict.kind === FieldKind.Unneeded || !legallyRequired(policy, c, category, nowMs)) {
          sink.add('unneeded-field', {
            field: name,
            category,
            evidence: `${category} value in ${name}`,
            message: `Property ${name} (${categoryLabel(category)}) is not needed by any declared purpose.`,
          });
        }
        break;
    }
  }
  return signalling;
}

/** Date.parse with a two-entry memo: the retention checks parse the same timestamp of a contact more than once. */
let parsedA: string | null = null;
let parsedAMs = NaN;
let parsedB: string | null = null;
let parsedBMs = NaN;
function parseTime(s: string): number {
  if (s === parsedA) return parsedAMs;
  if (s === parsedB) return parsedBMs;
  const ms = Date.parse(s);
  parsedB = parsedA;
  parsedBMs = parsedAMs;
  parsedA = s;
  parsedAMs = ms;
  return ms;
}
const t = (s: string | null | undefined): number | null => (s ? parseTime(s) : null);

function retentionEventMs(p: CompiledPurpose, c: Contact): number | null {
  switch (p.retention?.after) {
    case 'last_activity':
      return t(c.lastActivityAt) ?? t(c.createdAt);
    case 'relationship_end':
      return t(c.lifecycle.relationshipEndedAt);
    case 'created':
      return t(c.createdAt);
    case 'last_modified':
      return t(c.modifiedAt);
    case 'consent_withdrawn': {
      const r = latestConsent(c, p.id);
      return r && r.status !== 'granted' ? t(r.withdrawnAt ?? r.capturedAt) : null;
    }
    default:
      return null;
  }
}

function checkRetention(sink: FindingSink, policy: CompiledPolicy, c: Contact, nowMs: number, uses: PurposeUses | null): void {
  const stale = policy.rule('retention-no-activity');
  if (stale?.period) {
    const refMs = parseTime(c.lastActivityAt ?? c.createdAt);
    const period = parsePeriodCached(stale.period);
    if (addPeriodCached(refMs, period) <= nowMs) {
      sink.add('retention-no-activity', {
        field: null,
        evidence: `no activity since ${isoMonth(refMs)}`,
        message: `No activity for more than ${stale.period.slice(1).toLowerCase()}; retention has passed.`,
      });
      return;
    }
  }
  let expired: string[] | null = null;
  let active = false;
  for (const p of policy.purposes) {
    if (!purposeApplies(p, c, nowMs)) continue;
    const use = p.always ? null : useOf(uses, p);
    const used = p.always || use!.subscriptions.length > 0 || use!.properties.length > 0;
    if (!used) continue;
    if (p.basis === 'consent') {
      const r = latestConsent(c, p.id);
      if (!r || r.status !== 'granted') continue; // not a lawful ground to keep data; consent rules report it
    }
    const ev = p.retention ? retentionEventMs(p, c) : null;
    if (p.retention && ev !== null && addPeriodCached(ev, p.retention.period) <= nowMs) (expired ??= []).push(p.id);
    else active = true;
  }
  if (expired !== null && !active) {
    sink.add('retention-purpose-expired', {
      field: null,
      purpose: expired[0]!,
      evidence: `retention ended for ${expired.join(', ')}`,
      message: `The retention period of ${expired.join(', ')} has ended and no other purpose needs this record.`,
    });
  }
}

const DAY_MS = 86_400_000;
/** Per period: UTC day number -> addPeriod of that day's midnight. Bounded; cleared when full. */
const periodDayCache = new WeakMap<Period, Map<number, number>>();
const PERIOD_DAY_CACHE_MAX = 200_000;

/**
 * addPeriod(ms, p), memoised by calendar day: addPeriod moves the UTC date and keeps the time of day
 * (UTC has no DST), so addPeriod(ms) = addPeriod(midnight of that day) + (ms - midnight), exactly.
 */
function addPeriodCached(ms: number, p: Period): number {
  if (!Number.isFinite(ms)) return addPeriod(ms, p);
  let byDay = periodDayCache.get(p);
  if (!byDay) periodDayCache.set(p, (byDay = new Map()));
  const day = Math.floor(ms / DAY_MS);
  const midnight = day * DAY_MS;
  let shifted = byDay.get(day);
  if (shifted === undefined) {
    if (byDay.size >= PERIOD_DAY_CACHE_MAX) byDay.clear();
    shifted = addPeriod(midnight, p);
    byDay.set(day, shifted);
  }
  return shifted + (ms - midnight);
}

const periodCache = new Map<string, Period>();
function parsePeriodCached(text: string): Period {
  let p = periodCache.get(text);
  if (p === undefined) {
    p = parsePeriod(text)!; // validated when the pack was loaded
    periodCache.set(text, p);
  }
  return p;
}

/** The use signals of a purpose, for evidence: "subscription 11111, property hubspotscore". */
function signalOf(use: PurposeUse): string {
  return [...use.subscriptions.map((s) => `subscription ${s}`), ...use.properties.map((n) => `property ${n}`)].join(', ');
}

/** Another purpose on legitimate interest that applies and shares a use signal with `p`. */
function coveredByLegitimateInterest(policy: CompiledPolicy, c: Contact, nowMs: number, uses: PurposeUses | null, p: CompiledPurpose, use: PurposeUse): boolean {
  for (const q of policy.purposes) {
    if (q === p || q.basis !== 'legitimate_interest' || !purposeApplies(q, c, nowMs)) continue;
    const qu = useOf(uses, q);
    for (const s of qu.subscriptions) if (use.subscriptions.includes(s)) return true;
    for (const n of qu.properties) if (use.properties.includes(n)) return true;
  }
  return false;
}

function checkConsent(sink: FindingSink, policy: CompiledPolicy, c: Contact, nowMs: number, uses: PurposeUses | null): void {
  const optedOut = c.marketing.emailOptOut === true;
  const minor = c.birthDate !== null && ageAtCached(c.birthDate, nowMs) < policy.pack.minorAge;
  for (const p of policy.purposes) {
    if (p.basis !== 'consent') continue;
    const record = latestConsent(c, p.id);
    // Art. 21(3): an e-mail opt-out is an objection; a "granted" marketing consent contradicts it.
    if (optedOut && record?.status === 'granted' && p.subscriptions.size > 0) {
      sink.add('consent-optout-contradiction', {
        field: `consent:${p.id}`,
        purpose: p.id,
        evidence: `e-mail opt-out set; consent for ${p.id} recorded as granted`,
        message: `The contact opted out of e-mail but the consent for ${p.id} still says granted.`,
      });
    }
    const use = useOf(uses, p);
    if (use.subscriptions.length === 0 && use.properties.length === 0) continue;

    if (record && record.status !== 'granted') {
      sink.add('consent-withdrawn-still-used', {
        field: `consent:${p.id}`,
        purpose: p.id,
        evidence: `consent ${record.status}; still in use via ${signalOf(use)}`,
        message: `Consent for ${p.id} is ${record.status}, yet the contact is still used for it.`,
      });
      continue;
    }
    // A purpose may rest on legitimate interest instead (e.g. marketing to existing customers).
    if (!optedOut && coveredByLegitimateInterest(policy, c, nowMs, uses, p, use)) continue;
    if (!record) {
      sink.add('consent-missing', {
        field: `consent:${p.id}`,
        purpose: p.id,
        evidence: `no consent record; in use via ${signalOf(use)}`,
        message: `The contact is used for ${p.id}, which needs consent, and no consent is recorded.`,
      });
      continue;
    }
    if (record.preTicked === true) {
      sink.add('consent-pre-ticked', {
        field: `consent:${p.id}`,
        purpose: p.id,
        evidence: `consent captured by ${record.method} with a pre-ticked box`,
        message: `Consent for ${p.id} was given with a pre-ticked box, which is not valid consent.`,
      });
    } else if (!record.evidenceRef) {
      sink.add('consent-no-evidence', {
        field: `consent:${p.id}`,
        purpose: p.id,
        evidence: `consent granted by ${record.method}; no evidence reference`,
        message: `Consent for ${p.id} is recorded as granted but nothing proves it.`,
      });
    }
    if (minor && record.parentalConsent !== true) {
      sink.add('consent-minor-no-parental', {
        field: `consent:${p.id}`,
        purpose: p.id,
        evidence: `age under ${policy.pack.minorAge}; no parental consent`,
        message: `The contact is under ${policy.pack.minorAge} and consent for ${p.id} has no parental consent.`,
      });
    }
  }
}

function checkLawfulBasis(sink: FindingSink, c: Contact): void {
  if (c.lawfulBasis.length > 0) return;
  for (const r of c.consents) if (r.status === 'granted') return;
  sink.add('no-lawful-basis', {
    field: null,
    evidence: 'no lawful basis recorded and no granted consent',
    message: 'The CRM records no lawful basis for processing this contact.',
  });
}

export function evaluateContact(contact: Contact, policy: CompiledPolicy, nowMs: number, opts: EvaluateOptions = {}): Finding[] {
  const scanText = opts.scanText ?? true;
  const sink = new FindingSink(policy, contact.portalId, contact.tenantId, contact.id, nowMs);
  if (contact.suppressionMatch) {
    sink.add('suppressed-reappeared', {
      field: null,
      evidence: 'identifier matches a suppression hash',
      message: 'This person was erased before and has been re-created or re-imported.',
    });
  }
  const filled = checkFields(sink, policy, contact, nowMs, scanText);
  if (scanText) {
    for (const note of contact.notes) {
      checkText(sink, policy, contact, nowMs, note.body, `note:${note.id}`, 'note', `Note ${note.id}`);
    }
  }
  const uses = purposeUses(policy, contact, filled);
  checkRetention(sink, policy, contact, nowMs, uses);
  checkConsent(sink, policy, contact, nowMs, uses);
  checkLawfulBasis(sink, contact);
  return sink.out;
}

/** Portal-level findings (residency). */
export function evaluatePortal(portal: Portal, policy: CompiledPolicy, nowMs: number): Finding[] {
  const sink = new FindingSink(policy, portal.id, portal.tenantId, null, nowMs);
  if (!portal.regionInEea && portal.transferMechanism === 'none') {
    sink.add('residency-no-transfer-mechanism', {
      field: null,
      evidence: `data hosted in region ${portal.region}; no transfer mechanism recorded`,
      message: `The ${portal.vendor} account stores data outside the EU/EEA (${portal.region}) and no transfer mechanism (adequacy, SCCs, BCRs) is recorded.`,
    });
  }
  return sink.out;
}
