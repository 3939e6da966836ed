import type { DataCategory } from '../model';
import type { RuleId } from './pack-schema';

/** The provision each rule enforces (AVG = GDPR; UAVG = Dutch implementation act). */
export const RULE_ARTICLES: Record<RuleId, string> = {
  'special-category-field': 'Art. 9(1) AVG',
  'special-category-note': 'Art. 9(1) AVG',
  'bsn-field': 'Art. 87 AVG, UAVG art. 46',
  'bsn-note': 'Art. 87 AVG, UAVG art. 46',
  'other-identifier-note': 'Art. 5(1)(c) AVG',
  'subjective-note': 'Art. 5(1)(c)-(d) AVG',
  'unneeded-field': 'Art. 5(1)(c) AVG',
  'retention-no-activity': 'Art. 5(1)(e) AVG',
  'retention-purpose-expired': 'Art. 5(1)(e) AVG',
  'consent-missing': 'Art. 6(1)(a) AVG',
  'consent-no-evidence': 'Art. 7(1) AVG',
  'consent-pre-ticked': 'Art. 4(11), 7 AVG',
  'consent-withdrawn-still-used': 'Art. 7(3) AVG',
  'consent-minor-no-parental': 'Art. 8 AVG, UAVG art. 5',
  'consent-optout-contradiction': 'Art. 21(3) AVG',
  'no-lawful-basis': 'Art. 6(1) AVG',
  'residency-no-transfer-mechanism': 'Art. 44-46 AVG',
  'suppressed-reappeared': 'Art. 17 AVG',
};

/** Criminal data has its own article; the other special categories are Art. 9. */
export function articleFor(rule: RuleId, category: DataCategory | null): string {
  if (category === 'criminal_record' && rule.startsWith('special-category')) return 'Art. 10 AVG, UAVG art. 31';
  return RULE_ARTICLES[rule];
}

const CATEGORY_LABELS: Partial<Record<DataCategory, string>> = {
  health: 'health data',
  religion: 'religious belief',
  political_opinion: 'political opinion',
  ethnicity: 'racial or ethnic origin',
  sexual_orientation: 'sexual orientation',
  trade_union: 'trade-union membership',
  biometric_genetic: 'biometric or genetic data',
  criminal_record: 'criminal-record data',
  national_id: 'a BSN (citizen service number)',
  subjective_opinion: 'a subjective judgement about the person',
  financial: 'a bank account number',
  id_document: 'an identity-document number',
};
export function categoryLabel(c: DataCategory): string {
  return CATEGORY_LABELS[c] ?? c.replace(/_/g, ' ');
}
