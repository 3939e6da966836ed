/**
 * The policy engine: contact + portal + compiled policy + now -> findings. Pure and deterministic:
 * no I/O, no clock, no randomness; the same input always gives the same findings in the same order.
 */
import { createHash } from 'node:crypto';
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

export function findingId(portalId: string, contactId: string | null, ruleId: string, field: string | null, purpose: string | null): string {
  return createHash('sha1')
    .update(`${portalId}\u0000${contactId ?? ''}\u0000${ruleId}\u0000${field ?? ''}\u0000${purpose ?? ''}`)
    .digest('base64url')
    .slice(0, 22);
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isoMonth = (ms: number) => new Date(ms).toISOString().slice(0, 7);

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
    const now = new Date(this.nowMs).toISOString();
    const due = new Date(addDays(this.nowMs, cfg.graceDays)).toISOString();
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

function purposeApplies(p: CompiledPurpose, c: Contact, nowMs: number): boolean {
  if (p.lifecycle && !p.lifecycle.has(c.lifecycle.stage)) return false;
  const minAge = p.source.appliesTo?.minAge;
  if (minAge !== undefined && c.birthDate && ageAt(c.birthDate, nowMs) < minAge) return false;
  return true;
}

/** Which signals show a purpose is in use for this contact: subscribed lists, filled properties. */
function purposeUse(p: CompiledPurpose, c: Contact): { subscriptions: string[]; properties: string[] } {
  const subscriptions: string[] = [];
  if (p.subscriptions.size > 0) {
    for (const s of c.marketing.subscriptions) {
      if (s.status === 'subscribed' && p.subscriptions.has(s.name.toLowerCase())) subscriptions.push(s.id);
    }
  }
  const properties: string[] = [];
  if (p.hasPropertyUse) {
    for (const [name, v] of Object.entries(c.properties)) {
      if (v.value !== null && v.value !== '' && p.usedByProperty(name)) properties.push(name);
    }
  }
  return { subscriptions, properties };
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
  return policy.explicitPurposesFor(category).some((p) => {
    const r = latestConsent(c, p.id);
    return r !== null && r.status === 'granted' && r.preTicked !== true && r.evidenceRef !== null;
  });
}

function legallyRequired(policy: CompiledPolicy, c: Contact, category: DataCategory, nowMs: number): boolean {
  return policy.legalPurposesFor(category).some((p) => purposeApplies(p, c, nowMs));
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
    } else if (SPECIAL_CATEGORIES.has(category) || category === 'criminal_record') {
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

function checkFields(sink: FindingSink, policy: CompiledPolicy, c: Contact, nowMs: number, scanText: boolean): void {
  for (const [name, prop] of Object.entries(c.properties)) {
    const value = prop.value;
    if (value === null || value === '') continue;
    const category = policy.categoryOf(name) ?? prop.category;
    if (category === 'national_id') {
      if (!legallyRequired(policy, c, 'national_id', nowMs)) {
        const ds = detect(value, { categories: ['bsn'] });
        sink.add('bsn-field', {
          field: name,
          category,
          evidence: ds.length > 0 ? redactEvidence(ds[0]!, value) : `national id in ${name} (${value.length} chars)`,
          message: `Property ${name} holds ${categoryLabel(category)}, which no law requires here.`,
        });
      }
      continue;
    }
    if (SPECIAL_CATEGORIES.has(category) || category === 'criminal_record') {
      if (!hasExplicitConsentFor(policy, c, category)) {
        sink.add('special-category-field', {
          field: name,
          category,
          evidence: `${category} value in ${name}`,
          message: `Property ${name} holds ${categoryLabel(category)} without explicit consent.`,
        });
      }
      continue;
    }
    const isText = prop.type === 'text' || prop.type === 'textarea';
    if (scanText && isText && (category === 'free_text' || category === 'unknown')) {
      checkText(sink, policy, c, nowMs, value, name, 'field', `Property ${name}`);
      continue;
    }
    if (category === 'unknown' || category === 'free_text') continue;
    if (policy.forbidden.has(category) ? !legallyRequired(policy, c, category, nowMs) : !policy.isNeeded(name, category, c.lifecycle.stage)) {
      sink.add('unneeded-field', {
        field: name,
        category,
        evidence: `${category} value in ${name}`,
        message: `Property ${name} (${categoryLabel(category)}) is not needed by any declared purpose.`,
      });
    }
  }
}

function retentionEventMs(p: CompiledPurpose, c: Contact): number | null {
  const t = (s: string | null | undefined) => (s ? Date.parse(s) : null);
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

function checkRetention(sink: FindingSink, policy: CompiledPolicy, c: Contact, nowMs: number): void {
  const stale = policy.rule('retention-no-activity');
  if (stale?.period) {
    const refMs = Date.parse(c.lastActivityAt ?? c.createdAt);
    const period = parsePeriodCached(stale.period);
    if (addPeriod(refMs, period) <= nowMs) {
      sink.add('retention-no-activity', {
        field: null,
        evidence: `no activity since ${isoMonth(refMs)}`,
        message: `No activity for more than ${stale.period.slice(1).toLowerCase()}; retention has passed.`,
      });
      return;
    }
  }
  const expired: string[] = [];
  let active = false;
  for (const p of policy.purposes) {
    if (!purposeApplies(p, c, nowMs)) continue;
    const use = p.always ? null : purposeUse(p, c);
    const used = p.always || use!.subscriptions.length > 0 || use!.properties.length > 0;
    if (!used) continue;
    if (p.basis === 'consent') {
      const r = latestConsent(c, p.id);
      if (!r || r.status !== 'granted') continue; // not a lawful ground to keep data; consent rules report it
    }
    const ev = p.retention ? retentionEventMs(p, c) : null;
    if (p.retention && ev !== null && addPeriod(ev, p.retention.period) <= nowMs) expired.push(p.id);
    else active = true;
  }
  if (expired.length > 0 && !active) {
    sink.add('retention-purpose-expired', {
      field: null,
      purpose: expired[0]!,
      evidence: `retention ended for ${expired.join(', ')}`,
      message: `The retention period of ${expired.join(', ')} has ended and no other purpose needs this record.`,
    });
  }
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

function checkConsent(sink: FindingSink, policy: CompiledPolicy, c: Contact, nowMs: number): void {
  const optedOut = c.marketing.emailOptOut === true;
  const minor = c.birthDate !== null && ageAt(c.birthDate, nowMs) < policy.pack.minorAge;
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
    const use = purposeUse(p, c);
    if (use.subscriptions.length === 0 && use.properties.length === 0) continue;
    const signal = [...use.subscriptions.map((s) => `subscription ${s}`), ...use.properties.map((n) => `property ${n}`)].join(', ');
    if (record && record.status !== 'granted') {
      sink.add('consent-withdrawn-still-used', {
        field: `consent:${p.id}`,
        purpose: p.id,
        evidence: `consent ${record.status}; still in use via ${signal}`,
        message: `Consent for ${p.id} is ${record.status}, yet the contact is still used for it.`,
      });
      continue;
    }
    // A purpose may rest on legitimate interest instead (e.g. marketing to existing customers).
    const coveredByLi = !optedOut && policy.purposes.some((q) => {
      if (q === p || q.basis !== 'legitimate_interest' || !purposeApplies(q, c, nowMs)) return false;
      const qu = purposeUse(q, c);
      return qu.subscriptions.some((s) => use.subscriptions.includes(s)) || qu.properties.some((n) => use.properties.includes(n));
    });
    if (coveredByLi) continue;
    if (!record) {
      sink.add('consent-missing', {
        field: `consent:${p.id}`,
        purpose: p.id,
        evidence: `no consent record; in use via ${signal}`,
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
  if (c.consents.some((r) => r.status === 'granted')) return;
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
  checkFields(sink, policy, contact, nowMs, scanText);
  if (scanText) {
    for (const note of contact.notes) {
      checkText(sink, policy, contact, nowMs, note.body, `note:${note.id}`, 'note', `Note ${note.id}`);
    }
  }
  checkRetention(sink, policy, contact, nowMs);
  checkConsent(sink, policy, contact, nowMs);
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
