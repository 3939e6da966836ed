/**
 * Scores span detections against a labelled corpus, per category. A detection counts as correct when
 * it overlaps a label of the same category (libraries draw span edges differently, e.g. "ziektewet" vs
 * "in de ziektewet"); precision counts detections, recall counts labels.
 */
import { DETECTOR_CATEGORIES, type DetectorCategory } from './types';

export interface Span {
  category: DetectorCategory;
  start: number;
  end: number;
}

export interface LabelledNote {
  id: string;
  text: string;
  labels: Span[];
  hardNegative?: boolean;
}

export interface CategoryScore {
  labels: number;
  detections: number;
  matchedLabels: number;
  matchedDetections: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface CorpusScore {
  perCategory: Record<DetectorCategory, CategoryScore>;
  micro: CategoryScore;
  hardNegatives: number;
  /** Hard-negative notes with at least one detection, as a share of hard-negative notes. */
  hardNegativeFalseAlarmRate: number;
}

function finish(s: Omit<CategoryScore, 'precision' | 'recall' | 'f1'>): CategoryScore {
  const precision = s.detections === 0 ? (s.labels === 0 ? 1 : 0) : s.matchedDetections / s.detections;
  const recall = s.labels === 0 ? 1 : s.matchedLabels / s.labels;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { ...s, precision, recall, f1 };
}

const overlaps = (a: Span, b: Span): boolean => a.category === b.category && a.start < b.end && b.start < a.end;

/**
 * `predict` returns the detections for one note; `only` limits scoring to the categories a detector
 * supports (others are neither counted as misses nor as false alarms).
 */
export function scoreCorpus(notes: readonly LabelledNote[], predict: (text: string) => Span[], only?: ReadonlySet<DetectorCategory>): CorpusScore {
  const raw = Object.fromEntries(
    DETECTOR_CATEGORIES.map((c) => [c, { labels: 0, detections: 0, matchedLabels: 0, matchedDetections: 0 }]),
  ) as Record<DetectorCategory, Omit<CategoryScore, 'precision' | 'recall' | 'f1'>>;
  let hardNegatives = 0;
  let falseAlarms = 0;
  for (const note of notes) {
    const keep = (s: Span) => only === undefined || only.has(s.category);
    const labels = note.labels.filter(keep);
    const ds = predict(note.text).filter(keep);
    if (note.hardNegative) {
      hardNegatives++;
      if (ds.length > 0) falseAlarms++;
    }
    for (const l of labels) {
      raw[l.category].labels++;
      if (ds.some((d) => overlaps(d, l))) raw[l.category].matchedLabels++;
    }
    for (const d of ds) {
      raw[d.category].detections++;
      if (labels.some((l) => overlaps(d, l))) raw[d.category].matchedDetections++;
    }
  }
  const perCategory = Object.fromEntries(DETECTOR_CATEGORIES.map((c) => [c, finish(raw[c])])) as Record<DetectorCategory, CategoryScore>;
  const sum = { labels: 0, detections: 0, matchedLabels: 0, matchedDetections: 0 };
  for (const c of DETECTOR_CATEGORIES) {
    if (only !== undefined && !only.has(c)) continue;
    sum.labels += raw[c].labels;
    sum.detections += raw[c].detections;
    sum.matchedLabels += raw[c].matchedLabels;
    sum.matchedDetections += raw[c].matchedDetections;
  }
  return { perCategory, micro: finish(sum), hardNegatives, hardNegativeFalseAlarmRate: hardNegatives === 0 ? 0 : falseAlarms / hardNegatives };
}
