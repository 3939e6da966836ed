/** The detector categories, in the order the issue lists them. */
export const DETECTOR_CATEGORIES = [
  'bsn',
  'iban',
  'email',
  'phone',
  'date_of_birth',
  'id_document',
  'ip_address',
  'license_plate',
  'health',
  'religion',
  'political_opinion',
  'ethnicity',
  'sexual_orientation',
  'criminal_record',
  'trade_union',
  'biometric_genetic',
  'subjective_opinion',
] as const;

export type DetectorCategory = (typeof DETECTOR_CATEGORIES)[number];

/** One finding in a text: JavaScript string indices, end exclusive. */
export interface Detection {
  category: DetectorCategory;
  start: number;
  end: number;
}
