/**
 * Vendor-neutral seed people for the sandboxes. One deterministic generator (people.ts) makes them;
 * each vendor's sandbox maps a SeedPerson into its own record shape (HubSpot properties, Zoho fields,
 * Salesforce Contact/Lead + Individual/consent objects). Same seed + same `now` = same people.
 */
export type SeedScenario =
  | 'clean'
  | 'bsn_in_note'
  | 'bsn_in_field'
  | 'health_in_note'
  | 'religion_in_note'
  | 'criminal_in_note'
  | 'stale_no_activity'
  | 'relationship_ended'
  | 'no_consent_but_subscribed'
  | 'consent_without_evidence'
  | 'pre_ticked_consent'
  | 'withdrawn_still_subscribed'
  | 'minor_without_parental_consent'
  | 'optout_contradicts_consent'
  | 'no_lawful_basis'
  | 'existing_customer_legitimate_interest';

export interface SeedConsent {
  purpose: 'newsletter' | 'profiling' | 'call_recording';
  status: 'granted' | 'withdrawn' | 'denied';
  capturedAt: string | null;
  method: 'form_checkbox' | 'double_opt_in_email' | 'signature' | 'phone_recording' | 'verbal' | 'import' | 'api' | 'unknown';
  evidenceRef: string | null;
  privacyTextVersion: string | null;
  preTicked: boolean;
  parentalConsent: boolean | null;
  withdrawnAt: string | null;
}

export interface SeedNote {
  createdAt: string;
  body: string;
}

export interface SeedPerson {
  /** 1-based sequence number; vendors derive their ids from it. */
  seq: number;
  locale: 'nl' | 'en';
  firstName: string;
  lastName: string;
  email: string;
  phone: string | null;
  city: string | null;
  country: string | null;
  jobTitle: string | null;
  company: string | null;
  /** ISO date, or null when unknown. */
  dateOfBirth: string | null;
  /** A BSN stored in a custom field (scenario bsn_in_field), else null. */
  bsn: string | null;
  createdAt: string;
  modifiedAt: string;
  lastActivityAt: string | null;
  lifecycle: 'subscriber' | 'lead' | 'customer' | 'former_customer';
  relationshipEndedAt: string | null;
  source: 'form' | 'import' | 'api' | 'manual';
  ownerIndex: number;
  /** Lawful basis per purpose as the CRM records it ('marketing' -> 'consent' | 'legitimate_interest' ...). */
  lawfulBasis: { purpose: string; basis: 'consent' | 'contract' | 'legitimate_interest' | 'legal_obligation' }[];
  consents: SeedConsent[];
  /** Subscribed to the newsletter list in the CRM's own subscription system. */
  newsletterSubscribed: boolean | null;
  /** Global e-mail opt-out flag. */
  emailOptOut: boolean;
  notes: SeedNote[];
  /** What this person is meant to trigger (for tests). */
  scenarios: SeedScenario[];
}

export interface SeedOptions {
  count: number;
  /** PRNG seed; default 42. */
  seed?: number;
  /** Reference "now" (ISO); timestamps are placed relative to it. Default 2026-11-01T00:00:00Z. */
  now?: string;
}

export const SEED_OWNERS = [
  { id: '101', email: 'owner.one@example.com', firstName: 'Sanne', lastName: 'Visser' },
  { id: '102', email: 'owner.two@example.com', firstName: 'Tom', lastName: 'Baker' },
  { id: '103', email: 'owner.three@example.com', firstName: 'Fatima', lastName: 'El Amrani' },
] as const;
