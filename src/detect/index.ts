/**
 * Detectors for personal and special-category data in free text (CRM notes, call logs, text properties),
 * Dutch and English. Pure functions: no I/O except scanTextStream, which is the `scan-text` CLI core.
 */
import { detectLexical } from './lexical';
import { detectStructured } from './structured';
import { DETECTOR_CATEGORIES, type Detection, type DetectorCategory } from './types';

export { DETECTOR_CATEGORIES, type Detection, type DetectorCategory } from './types';
export { isValidBsn, isValidIban } from './checksums';
export { redactEvidence } from './evidence';
export { scanTextStream, type ScanCounts } from './scan-text';

export interface DetectOptions {
  /** Only these categories (default: all). */
  categories?: readonly DetectorCategory[];
}

/** When two detections overlap, the more specific one wins (checksums first, then context-bound ids). */
const PRIORITY: Record<DetectorCategory, number> = {
  iban: 10,
  bsn: 9,
  id_document: 8,
  email: 8,
  date_of_birth: 7,
  license_plate: 7,
  phone: 6,
  ip_address: 5,
  health: 1,
  religion: 1,
  political_opinion: 1,
  ethnicity: 1,
  sexual_orientation: 1,
  criminal_record: 1,
  trade_union: 1,
  biometric_genetic: 1,
  subjective_opinion: 1,
};

const ALL = (): boolean => true;

/** Finds personal data in `text`; detections are sorted by start and never overlap. */
export function detect(text: string, opts?: DetectOptions): Detection[] {
  if (text.length === 0) return [];
  let want: (c: DetectorCategory) => boolean = ALL;
  if (opts?.categories !== undefined) {
    const set = new Set(opts.categories);
    if (set.size === 0) return [];
    want = (c) => set.has(c);
  }
  const found: Detection[] = [];
  detectStructured(text, want, found);
  detectLexical(text, want, found);
  if (found.length < 2) return found;
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Detection[] = [];
  for (const d of found) {
    const last = out[out.length - 1];
    if (last === undefined || d.start >= last.end) {
      out.push(d);
      continue;
    }
    // Overlap: keep the higher priority, then the longer one.
    const better = PRIORITY[d.category] > PRIORITY[last.category] || (PRIORITY[d.category] === PRIORITY[last.category] && d.end - d.start > last.end - last.start);
    if (better) out[out.length - 1] = d;
  }
  return out;
}

/** Type guard for a category name (e.g. from config or CLI flags). */
export function isDetectorCategory(s: string): s is DetectorCategory {
  return (DETECTOR_CATEGORIES as readonly string[]).includes(s);
}
