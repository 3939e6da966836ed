/**
 * HubSpot has no consent-record object, so consent evidence lives in custom contact properties in
 * the `gdpr_consent` group, one set per purpose. The sandbox seed and the connector both use these
 * names; the connector creates them through the properties API on first use.
 *
 * For purpose P (e.g. `newsletter`, `profiling`, `call_recording`):
 *   consent_P_status           enumeration granted|withdrawn|denied
 *   consent_P_captured_at      datetime
 *   consent_P_method           enumeration form_checkbox|double_opt_in_email|signature|phone_recording|verbal|import|api|unknown
 *   consent_P_evidence         string   (reference to the proof: form submission id, document id)
 *   consent_P_privacy_version  string
 *   consent_P_pre_ticked       bool
 *   consent_P_parental         bool
 *   consent_P_withdrawn_at     datetime
 */
export const CONSENT_GROUP = 'gdpr_consent';
export const STATUS_GROUP = 'gdpr_status';
export const CONSENT_FIELDS = [
  'status',
  'captured_at',
  'method',
  'evidence',
  'privacy_version',
  'pre_ticked',
  'parental',
  'withdrawn_at',
] as const;
export type ConsentField = (typeof CONSENT_FIELDS)[number];

export function consentProperty(purpose: string, field: ConsentField): string {
  return `consent_${purpose}_${field}`;
}

/** Parses `consent_<purpose>_<field>` back; null if the name is not a consent property. */
export function parseConsentProperty(name: string): { purpose: string; field: ConsentField } | null {
  if (!name.startsWith('consent_')) return null;
  for (const field of CONSENT_FIELDS) {
    const suffix = `_${field}`;
    if (name.endsWith(suffix) && name.length > 'consent_'.length + suffix.length) {
      return { purpose: name.slice('consent_'.length, -suffix.length), field };
    }
  }
  return null;
}

/** Other non-default contact properties the seed and connector agree on. */
export const EXTRA_PROPERTIES = {
  /** Date of birth (custom date property; not a HubSpot default). */
  dateOfBirth: 'date_of_birth',
  /** When the customer relationship ended (custom datetime). */
  relationshipEndedAt: 'relationship_ended_at',
  /** A BSN someone stored in a custom field. */
  bsn: 'bsn',
} as const;

/** Our status properties (group gdpr_status); names from connectors/types.ts STATUS_PROPERTIES. */
