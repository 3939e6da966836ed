import { z } from 'zod';

/** ISO-8601 timestamp with offset or Z, e.g. 2026-01-31T10:00:00.000Z. */
export const IsoDateTime = z.iso.datetime({ offset: true });
/** ISO date without time, e.g. 2010-05-17. */
export const IsoDate = z.iso.date();

export const Vendor = z.enum(['hubspot', 'zoho', 'salesforce']);
export type Vendor = z.infer<typeof Vendor>;

/** Art. 6(1) lawful bases. */
export const LawfulBasis = z.enum([
  'consent',
  'contract',
  'legal_obligation',
  'vital_interests',
  'public_task',
  'legitimate_interest',
]);
export type LawfulBasis = z.infer<typeof LawfulBasis>;

/**
 * What kind of personal data a property or text holds. The Art. 9 special categories and
 * Art. 10 criminal data use the same names as the free-text detectors (src/detect).
 */
export const DataCategory = z.enum([
  'system',
  'identity',
  'contact',
  'demographic',
  'date_of_birth',
  'professional',
  'financial',
  'national_id',
  'id_document',
  'location',
  'online_identifier',
  'behavioural',
  'consent',
  'free_text',
  'health',
  'religion',
  'political_opinion',
  'ethnicity',
  'sexual_orientation',
  'trade_union',
  'biometric_genetic',
  'criminal_record',
  'subjective_opinion',
  'unknown',
]);
export type DataCategory = z.infer<typeof DataCategory>;

/** Art. 9(1) special categories. */
export const SPECIAL_CATEGORIES: ReadonlySet<DataCategory> = new Set<DataCategory>([
  'health',
  'religion',
  'political_opinion',
  'ethnicity',
  'sexual_orientation',
  'trade_union',
  'biometric_genetic',
]);
