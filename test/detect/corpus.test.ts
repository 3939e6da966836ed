import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DETECTOR_CATEGORIES, detect } from '../../src/detect';
import { scoreCorpus, type LabelledNote } from '../../src/detect/score';

const corpus: LabelledNote[] = readFileSync(join(__dirname, '../fixtures/notes/corpus.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as LabelledNote);

describe('labelled notes corpus', () => {
  const score = scoreCorpus(corpus, (text) => detect(text));

  it('is large enough and covers every category, in Dutch and English, with hard negatives', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(1000);
    for (const c of DETECTOR_CATEGORIES) expect(score.perCategory[c].labels).toBeGreaterThanOrEqual(30);
    expect(score.hardNegatives).toBeGreaterThanOrEqual(200);
    expect(corpus.filter((n) => /\b(?:klant|de|het|een)\b/i.test(n.text)).length).toBeGreaterThan(300);
    expect(corpus.filter((n) => /\b(?:the|customer|was)\b/i.test(n.text)).length).toBeGreaterThan(200);
  });

  it('has labels that point at text inside the note', () => {
    for (const n of corpus) for (const l of n.labels) expect(l.end > l.start && l.end <= n.text.length).toBe(true);
  });

  it('reaches micro-F1 >= 0.95', () => expect(score.micro.f1).toBeGreaterThanOrEqual(0.95));

  it.each(DETECTOR_CATEGORIES)('%s reaches F1 >= 0.85', (c) => expect(score.perCategory[c].f1).toBeGreaterThanOrEqual(0.85));

  it('raises false alarms on fewer than 2% of hard negatives', () => expect(score.hardNegativeFalseAlarmRate).toBeLessThan(0.02));
});

describe('scoreCorpus', () => {
  const note: LabelledNote = {
    id: 'x',
    text: 'Klant zit in de ziektewet, BSN 123456782.',
    labels: [
      { category: 'health', start: 16, end: 25 },
      { category: 'bsn', start: 31, end: 40 },
    ],
  };

  it('counts an overlapping detection of the same category as a match', () => {
    const s = scoreCorpus([note], () => [
      { category: 'health', start: 6, end: 25 },
      { category: 'bsn', start: 31, end: 40 },
    ]);
    expect(s.micro.f1).toBe(1);
  });

  it('counts misses and false alarms', () => {
    const s = scoreCorpus([note, { id: 'h', text: 'Offerte verstuurd.', labels: [], hardNegative: true }], (text) =>
      text.startsWith('Offerte') ? [{ category: 'health', start: 0, end: 7 }] : [{ category: 'religion', start: 16, end: 25 }],
    );
    expect(s.perCategory.health.recall).toBe(0);
    expect(s.perCategory.health.precision).toBe(0);
    expect(s.perCategory.religion.precision).toBe(0);
    expect(s.micro.f1).toBe(0);
    expect(s.hardNegativeFalseAlarmRate).toBe(1);
  });

  it('ignores categories outside `only`', () => {
    const s = scoreCorpus([note], () => [{ category: 'bsn', start: 31, end: 40 }], new Set(['bsn']));
    expect(s.micro.f1).toBe(1);
    expect(s.perCategory.health.labels).toBe(0);
  });
});
