/**
 * Detector benchmark: our detectors against @openredaction/openredaction and redact-pii on the labelled
 * notes corpus (test/fixtures/notes/corpus.jsonl). Prints per-category precision/recall/F1 side by side,
 * the false-alarm rate on hard negatives and throughput, then checks the goals of issue #3 and exits 1
 * if any fails. Run: npm run bench:detect   (options: --corpus FILE, --mb N of text for our throughput)
 *
 * Each library is scored only on the categories it has patterns for (its types mapped to ours below);
 * a detection counts when it overlaps a label of the same category. redact-pii is used through its
 * local SyncRedactor only (no Google DLP, no network); it returns redacted text, so its spans are
 * recovered by aligning the redacted text with the original.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OpenRedaction } from '@openredaction/openredaction';
import { SyncRedactor } from 'redact-pii';
import { DETECTOR_CATEGORIES, detect, type DetectorCategory } from '../src/detect';
import { scoreCorpus, type CorpusScore, type LabelledNote, type Span } from '../src/detect/score';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const corpusPath = resolve(arg('--corpus', 'test/fixtures/notes/corpus.jsonl'));
const oursMb = Number(arg('--mb', '20'));

const corpus: LabelledNote[] = readFileSync(corpusPath, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as LabelledNote);

// ------------------------------------------------------------------------------- openredaction
/** openredaction pattern types mapped to our categories (types it has no counterpart for are dropped). */
function mapOpenRedaction(type: string): DetectorCategory | null {
  if (type === 'DUTCH_BSN') return 'bsn';
  if (type.includes('IBAN')) return 'iban';
  if (type === 'EMAIL') return 'email';
  if (type.startsWith('PHONE')) return 'phone';
  if (type === 'IPV4' || type === 'IPV6') return 'ip_address';
  if (type === 'DATE_OF_BIRTH') return 'date_of_birth';
  if (type.includes('PASSPORT') || type.startsWith('DRIVING_LICENSE') || type.includes('NATIONAL_ID') || type.includes('ID_CARD')) return 'id_document';
  if (type.includes('LICENSE_PLATE')) return 'license_plate';
  if (type.startsWith('MEDICAL_') || type.startsWith('HEALTH_') || type === 'PRESCRIPTION_NUMBER') return 'health';
  if (type === 'BIOMETRIC_ID' || type === 'GENETIC_MARKER') return 'biometric_genetic';
  return null;
}
const OPENREDACTION_SUPPORTS = new Set<DetectorCategory>(['bsn', 'iban', 'email', 'phone', 'date_of_birth', 'id_document', 'ip_address', 'license_plate', 'health', 'biometric_genetic']);
const openRedaction = new OpenRedaction();

function openRedactionSpans(text: string): Span[] {
  const out: Span[] = [];
  for (const d of openRedaction.detect(text).detections) {
    const category = mapOpenRedaction(d.type);
    if (category === null) continue;
    let [start, end] = d.position;
    // Trust the reported position only if it holds the reported value.
    if (text.slice(start, end) !== d.value) {
      start = text.indexOf(d.value);
      if (start < 0) continue;
      end = start + d.value.length;
    }
    out.push({ category, start, end });
  }
  return out;
}

// ------------------------------------------------------------------------------------ redact-pii
const REDACT_PII_TOKENS: Record<string, DetectorCategory | null> = {
  EMAIL_ADDRESS: 'email',
  PHONE_NUMBER: 'phone',
  IP_ADDRESS: 'ip_address',
  CREDIT_CARD_NUMBER: null,
  STREET_ADDRESS: null,
  ZIPCODE: null,
  US_SOCIAL_SECURITY_NUMBER: null,
  USERNAME: null,
  PASSWORD: null,
  CREDENTIALS: null,
  DIGITS: null,
  URL: null,
  PERSON_NAME: null,
};
const REDACT_PII_SUPPORTS = new Set<DetectorCategory>(['email', 'phone', 'ip_address']);
const TOKEN_RE = new RegExp(Object.keys(REDACT_PII_TOKENS).join('|'), 'g');
const redactPii = new SyncRedactor();

/** Recovers redact-pii's spans: literal text between tokens is copied unchanged, so align on it. */
function redactPiiSpans(text: string): Span[] {
  const redacted = redactPii.redact(text);
  const parts: { token: string | null; literal: string }[] = [];
  let last = 0;
  TOKEN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  let lead = '';
  while ((m = TOKEN_RE.exec(redacted)) !== null) {
    const literal = redacted.slice(last, m.index);
    if (parts.length === 0) lead = literal;
    else parts[parts.length - 1]!.literal = literal;
    parts.push({ token: m[0], literal: '' });
    last = m.index + m[0].length;
  }
  if (parts.length === 0) return [];
  parts[parts.length - 1]!.literal = redacted.slice(last);
  const out: Span[] = [];
  let pos = lead.length;
  for (let i = 0; i < parts.length; i++) {
    const { token, literal } = parts[i]!;
    let end: number;
    if (i === parts.length - 1) end = text.length - literal.length;
    else if (literal === '') end = pos + 1; // adjacent tokens: boundary unknown, keep it minimal
    else {
      end = text.indexOf(literal, pos + 1);
      if (end < 0) break;
    }
    const category = REDACT_PII_TOKENS[token!];
    if (category && end > pos) out.push({ category, start: pos, end });
    pos = end + literal.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------- throughput
function throughput(fn: (text: string) => unknown, texts: readonly string[], minBytes: number): number {
  const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t, 'utf8'), 0);
  for (const t of texts) fn(t); // warm up
  const rounds = Math.max(1, Math.ceil(minBytes / bytes));
  const rates: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < rounds; k++) for (const t of texts) fn(t);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push((bytes * rounds) / 1e6 / seconds);
  }
  return rates.sort((a, b) => a - b)[1]!; // median of three
}

// -------------------------------------------------------------------------------------- report
const texts = corpus.map((n) => n.text);
const corpusBytes = texts.reduce((s, t) => s + Buffer.byteLength(t, 'utf8'), 0);
const ours = scoreCorpus(corpus, (t) => detect(t));
const open = scoreCorpus(corpus, openRedactionSpans, OPENREDACTION_SUPPORTS);
const rpii = scoreCorpus(corpus, redactPiiSpans, REDACT_PII_SUPPORTS);
const speedOurs = throughput((t) => detect(t), texts, oursMb * 1e6);
const speedOpen = throughput((t) => openRedaction.detect(t), texts, 0);
const speedRpii = throughput((t) => redactPii.redact(t), texts, 0);

const f = (x: number) => x.toFixed(3);
const cell = (s: CorpusScore, c: DetectorCategory, supported: ReadonlySet<DetectorCategory> | null) =>
  supported !== null && !supported.has(c) ? '      -      ' : `${f(s.perCategory[c].precision)} ${f(s.perCategory[c].recall)} ${f(s.perCategory[c].f1)}`.padEnd(17);

console.log(`corpus: ${corpus.length} notes (${ours.hardNegatives} hard negatives), ${(corpusBytes / 1e6).toFixed(2)} MB, ${corpusPath}`);
console.log('scoring: a detection counts when it overlaps a label of the same category; P R F1 per tool\n');
console.log(`${'category'.padEnd(20)} ${'labels'.padStart(6)}   ${'ours (P R F1)'.padEnd(17)} ${'openredaction'.padEnd(17)} ${'redact-pii'.padEnd(17)}`);
console.log('-'.repeat(84));
for (const c of DETECTOR_CATEGORIES) {
  console.log(`${c.padEnd(20)} ${String(ours.perCategory[c].labels).padStart(6)}   ${cell(ours, c, null)} ${cell(open, c, OPENREDACTION_SUPPORTS)} ${cell(rpii, c, REDACT_PII_SUPPORTS)}`);
}
console.log('-'.repeat(84));
const microOn = (only: ReadonlySet<DetectorCategory>) => scoreCorpus(corpus, (t) => detect(t), only).micro.f1;
console.log(`${'micro-F1 (all)'.padEnd(29)} ${f(ours.micro.f1).padEnd(17)} ${f(open.micro.f1).padEnd(17)} ${f(rpii.micro.f1)}`);
console.log(`${'micro-F1 ours on their cats'.padEnd(29)} ${''.padEnd(17)} ${f(microOn(OPENREDACTION_SUPPORTS)).padEnd(17)} ${f(microOn(REDACT_PII_SUPPORTS))}`);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
console.log(`${'hard-negative false alarms'.padEnd(29)} ${pct(ours.hardNegativeFalseAlarmRate).padEnd(17)} ${pct(open.hardNegativeFalseAlarmRate).padEnd(17)} ${pct(rpii.hardNegativeFalseAlarmRate)}`);
console.log(`${'throughput (MB/s, one core)'.padEnd(29)} ${speedOurs.toFixed(1).padEnd(17)} ${speedOpen.toFixed(2).padEnd(17)} ${speedRpii.toFixed(2)}`);
console.log('(false alarms for the libraries count only their supported categories)\n');

// ----------------------------------------------------------------------------------------- goals
const failures: string[] = [];
if (ours.micro.f1 < 0.95) failures.push(`micro-F1 ${f(ours.micro.f1)} < 0.95`);
for (const c of DETECTOR_CATEGORIES) if (ours.perCategory[c].f1 < 0.85) failures.push(`${c} F1 ${f(ours.perCategory[c].f1)} < 0.85`);
if (ours.hardNegativeFalseAlarmRate >= 0.02) failures.push(`hard-negative false alarms ${pct(ours.hardNegativeFalseAlarmRate)} >= 2%`);
for (const [name, s, supported] of [
  ['openredaction', open, OPENREDACTION_SUPPORTS],
  ['redact-pii', rpii, REDACT_PII_SUPPORTS],
] as const) {
  for (const c of supported) {
    const a = ours.perCategory[c].f1;
    const b = s.perCategory[c].f1;
    if (!(a > b || (a === 1 && b === 1))) failures.push(`${c}: ours F1 ${f(a)} does not beat ${name} ${f(b)}`);
  }
}
if (speedOurs < 20) failures.push(`throughput ${speedOurs.toFixed(1)} MB/s < 20`);
if (speedOurs <= speedOpen || speedOurs <= speedRpii) failures.push('throughput does not beat both libraries');

if (failures.length === 0) console.log('goals: all met (micro-F1 >= 0.95, every category >= 0.85, false alarms < 2%, beats both libraries per shared category, >= 20 MB/s)');
else {
  console.log(`goals: ${failures.length} failed`);
  for (const x of failures) console.log(`  - ${x}`);
  process.exitCode = 1;
}
