/**
 * Runs the lexicon (one compiled regex for every term of every word-based category) and applies the
 * category guards to the few matches.
 */
import { TERMS, type Guard, type Term } from './lexicon';
import { K as PREFIX_LEN, wordPrefixes } from './prefixes';
import { contextValue } from './structured';

/** Local copy: reading an imported binding per word costs a getter call in CommonJS output. */
const K: number = PREFIX_LEN;
import type { Detection, DetectorCategory } from './types';

const LETTER = String.raw`[a-zà-ÿ0-9]`;

/** Splits a regex source at its top-level `|`. */
function topLevelAlternatives(src: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inClass = false;
  let from = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(src.slice(from, i));
      from = i + 1;
    }
  }
  out.push(src.slice(from));
  return out;
}

interface Alternative {
  term: number; // index into TERMS
  src: string;
}

/** Alternatives by the word-start prefix they can begin with (see prefixes.ts: 'abcd' or a whole word 'ab$'). */
const BY_PREFIX = new Map<string, Alternative[]>();
TERMS.forEach((term, index) => {
  for (const src of topLevelAlternatives(term.src)) {
    for (const p of wordPrefixes(src)) {
      if (p === '') throw new Error(`lexicon alternative without a literal start: ${src}`);
      const list = BY_PREFIX.get(p);
      if (list) list.push({ term: index, src });
      else BY_PREFIX.set(p, [{ term: index, src }]);
    }
  }
});

interface Matcher {
  re: RegExp;
  terms: number[]; // capture group k+1 belongs to TERMS[terms[k]]
}

/** One small sticky regex per word start, built on first use from the alternatives that can match there. */
const MATCHERS = new Map<string, Matcher | null>();

/** `key` is a word's first K lower-case characters, or the whole word plus '$' when it is that short. */
function matcherFor(key: string): Matcher | null {
  let m = MATCHERS.get(key);
  if (m !== undefined) return m;
  const seen = new Set<Alternative>();
  const chars = key.endsWith('$') ? key.slice(0, -1) : key;
  for (let n = 1; n <= chars.length; n++) for (const a of BY_PREFIX.get(chars.slice(0, n)) ?? []) seen.add(a);
  if (key.endsWith('$')) for (const a of BY_PREFIX.get(key) ?? []) seen.add(a);
  if (seen.size === 0) m = null;
  else {
    // Keep the lexicon's order so earlier (more specific) terms win as they would in one big regex.
    const alts = [...seen].sort((a, b) => a.term - b.term);
    m = {
      re: new RegExp(`(?:${alts.map((a) => `(${a.src})`).join('|')})(?!${LETTER})`, 'iy'),
      terms: alts.map((a) => a.term),
    };
  }
  if (MATCHERS.size < 50_000) MATCHERS.set(key, m);
  return m;
}

/** Words that make a sentence about a product, offer or project rather than about a person. */
const PRODUCT_WORDS =
  /(?<![a-zà-ÿ])(?:verzeker\w*|polis\w*|pakket\w*|dekking\w*|premie\w*|product\w*|aanbod|aanbieding\w*|offerte\w*|brochure\w*|campagne\w*|module\w*|webinar\w*|lancering|lanceert|lanceren|verkoopt|verkopen|verkoop|app|software|licentie\w*|platform|tool|oplossing|insurance|insurer\w*|policy|policies|coverage|package\w*|products?|offer\w*|quote\w*|campaign\w*|launch\w*|sells|selling|sell|plan|plans|cover|vergoed\w*|zorgverzekeraar\w*|zorgaanbieder\w*|leverancier\w*|levering\w*|bestelling\w*|bestelt|besteld|project\w*|bouw\w*|renovatie\w*|installatie\w*|installeren|aanbesteding\w*|tender\w*|delivery|deliveries|supplier\w*|demo\w*|workshop\w*|training\w*|onderzoeksproject|research\s+project|klantsegment\w*|doelgroep\w*|target\s+group|markt|market\w*|sector|branche|feature\w*|functie|functionaliteit\w*|scanner\w*|lezer\w*|reader\w*|sensor\w*|terminal\w*|hardware|systeem|systemen|system\w*|toegangscontrole|access\s+control|api|integratie\w*|integration\w*|rapport\w*|report\w*|artikel\w*|article\w*|nieuwsbrief\w*|newsletter\w*|sponsor\w*|event\w*|evenement\w*)(?![a-zà-ÿ])/i;

/** Words that put a person in the sentence: then a product word does not cancel the finding. */
const PERSON_WORDS =
  /(?<![a-zà-ÿ])(?:hij|zij|ze|hem|zijn\s+(?:vrouw|man|zoon|dochter|partner|kind)|haar|mevrouw|meneer|mevr|dhr|mw|klant\s+(?:is|heeft|had|was|zit|ligt|lijdt)|he|she|him|his|her|mr|mrs|ms|patiënt|patient|medewerker\s+(?:is|heeft)|employee\s+(?:is|has)|customer\s+(?:is|has|was)|client\s+(?:is|has|was)|lijdt|leed|zit\s+in\s+de|ligt\s+in|herstelt|kampt|diagnosed|suffers|suffering|recovering)(?![a-zà-ÿ])/i;

/** Nouns that make a capitalised religion or orientation word part of an organisation's or event's name. */
const ORG_NOUN =
  /^[\s-]*(?:school\w*|basisschool|hogeschool|universiteit|university|lyceum|college|gymnasium|scholengemeenschap|ziekenhuis|hospital|omroep|stichting|foundation|vereniging|association|organisatie\w*|organi[sz]ation\w*|kerkgenootschap|gemeenschap|community|communities|netwerk\w*|network\w*|partij|party|museum|charity|charities|aid|relief|zorg|thuiszorg|kinderopvang|opvang|centrum|center|centre|bond|raad|council|federatie|federation|pride|parade|event\w*|festival|bar|club|magazine|media|campagne\w*|campaign\w*|beleid|policy|policies|werkgroep|employee|medewerkersnetwerk|alliance|vriendelijk\w*|friendly|inclusi\w*|diversiteit|diversity|markt|market|doelgroep|segment|kerk|church|moskee|mosque|synagoge|synagogue|broadcasting|omroepvereniging|dagblad|krant|newspaper|uitgeverij|publisher)(?![a-zà-ÿ])/i;

/** Nouns after a biometric or genetic word that make it a device, feature or technique, not someone's data. */
const DEVICE_NOUN =
  /^[\s-]*(?:scanner\w*|lezer\w*|reader\w*|sensor\w*|terminal\w*|slot\w*|lock\w*|login|inlog\w*|authenticati\w*|authentication|verificati\w*|verification|module\w*|software|systeem|systemen|system\w*|technologie\w*|technology|technologies|toegang\w*|access|algoritme\w*|algorithm\w*|engineering|gemodificeerd\w*|modified|apparat\w*|device\w*|feature\w*|functie\w*|oplossing\w*|solution\w*|tijdregistratie|time\s+clock|prikklok\w*|kit\w*|lab\w*|laboratori\w*|bedrijf|company|onderzoek\s+naar\s+gewassen|zaden|seeds|van\s+(?:ons|het|onze|the|our)\s+(?:bedrijf|merk|organisatie|company|brand))(?![a-zà-ÿ])/i;

/** Abbreviations whose full stop does not end a sentence ("incl. fysiotherapie", "dhr. Jansen"). */
const ABBREVIATION = /(?:^|[^a-zà-ÿ])(?:incl|excl|bijv|bv|o\.a|a\.s|i\.v\.m|ivm|evt|ca|nr|tel|geb|dhr|mevr|mw|mr|mrs|ms|dr|drs|ir|ing|mr|st|etc|e\.g|i\.e|vs|no|ref|z\.s\.m|zsm|t\.a\.v|tav|m\.b\.t|mbt|jl|resp)$/i;

/** Whether the character at i ends a sentence: . ! ? or a line break, or a " - " separator. */
function endsSentence(text: string, i: number): boolean {
  const c = text[i];
  if (c === '\n' || c === '!' || c === '?' || c === ';') return true;
  if (c === '-') return text[i - 1] === ' ' && text[i + 1] === ' ';
  if (c !== '.') return false;
  const next = text[i + 1];
  if (next !== undefined && next !== ' ' && next !== '\n') return false; // 1.2.3, e-mail domains
  return !ABBREVIATION.test(text.slice(Math.max(0, i - 8), i));
}

/** Bounds of the sentence around a match (at most 160 characters each side). */
function sentenceBounds(text: string, start: number, end: number): [number, number] {
  let s = start;
  const minS = Math.max(0, start - 160);
  while (s > minS && !endsSentence(text, s - 1)) s--;
  let e = end;
  const maxE = Math.min(text.length, end + 160);
  while (e < maxE && !endsSentence(text, e)) e++;
  return [s, e];
}

function isUpper(c: string | undefined): boolean {
  return c !== undefined && c !== c.toLowerCase() && c === c.toUpperCase();
}

/** Start offsets of the product and person markers found in one scan. */
interface Marks {
  product: number[];
  person: number[];
}

/** Whether a marker lies in [from, to) outside the match itself. */
function markIn(marks: readonly number[], from: number, to: number, start: number, end: number): boolean {
  for (const p of marks) if (p >= from && p < to && (p < start || p >= end)) return true;
  return false;
}

/** A product word in the sentence cancels the match, unless a person is in it too. */
function aboutProduct(text: string, start: number, end: number, marks: Marks): boolean {
  if (marks.product.length === 0) return false;
  const [from, to] = sentenceBounds(text, start, end);
  return markIn(marks.product, from, to, start, end) && !markIn(marks.person, from, to, start, end);
}

/** True when the match should be kept. */
function passesGuard(guard: Guard, text: string, start: number, end: number, marks: Marks): boolean {
  switch (guard) {
    case 'product':
    case 'project':
      return !aboutProduct(text, start, end, marks);
    case 'org': {
      const after = text.slice(end, end + 40);
      if (ORG_NOUN.test(after)) return false;
      // "Katholieke Universiteit", "Christian Aid", "Gay Pride": a capitalised name of two or more words.
      const nextWord = /^[\s-]+(\S)/.exec(after);
      if (isUpper(text[start]) && nextWord && isUpper(nextWord[1]) && start > 0 && !/[.!?\n]\s*$/.test(text.slice(Math.max(0, start - 3), start)))
        return false;
      return true;
    }
    case 'device':
      return !DEVICE_NOUN.test(text.slice(end, end + 40)) && !aboutProduct(text, start, end, marks);
    default:
      return true;
  }
}

/** Word character of the Latin-1 range (letters, digits, accented letters), as in LETTER. */
function isWordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || (c >= 192 && c <= 255 && c !== 215 && c !== 247);
}

function lowerCode(c: number): number {
  return (c >= 65 && c <= 90) || (c >= 192 && c <= 222 && c !== 215) ? c + 32 : c;
}

/** First characters (lower-case char codes) that can begin some term: other words are skipped at once. */
const FIRST_CHAR = new Uint8Array(256);
for (const p of BY_PREFIX.keys()) {
  const c = p.charCodeAt(0);
  if (c < 256) FIRST_CHAR[c] = 1;
  else for (let k = 192; k < 256; k++) FIRST_CHAR[k] = 1; // be safe with characters outside Latin-1
}

/** Matchers by the numeric key of a word's first (up to) K lower-case letters. */
const MATCHERS_BY_CODE = new Map<number, Matcher | null>();

/** Runs the word-based detectors for the categories `want` asks for. */
export function detectLexical(text: string, want: (c: DetectorCategory) => boolean, out: Detection[]): void {
  const n = text.length;
  const marks: Marks = { product: [], person: [] };
  // Matches waiting for the guards, which need the markers of the whole text.
  const pending: { term: Term; start: number; end: number }[] = [];
  let i = 0;
  while (i < n) {
    // Find the next word start without allocating: skip non-word characters.
    let c = text.charCodeAt(i);
    if (!isWordCode(c)) {
      i++;
      continue;
    }
    const start = i;
    if (FIRST_CHAR[lowerCode(c)] === 0) {
      i++;
      while (i < n && isWordCode(text.charCodeAt(i))) i++;
      continue;
    }
    // Key: up to K lower-case letters a-z packed 5 bits each, plus whether the word is that short (then
    // it is looked up as a whole word: 'a', 'is', 'van' can start a phrase term). Small integers keep the
    // cache lookup cheap; words with digits or accented letters in their first K go through a string key.
    let key = 0;
    let len = 0;
    let simple = true;
    while (i < n && isWordCode((c = text.charCodeAt(i)))) {
      if (len < K) {
        const code = lowerCode(c);
        if (code >= 97 && code <= 122) key = key * 32 + (code - 96);
        else simple = false;
      }
      len++;
      i++;
    }
    const keyLen = len < K ? len : K;
    const exact = len <= K;
    let matcher: Matcher | null | undefined;
    if (simple) {
      key = key * 2 + (exact ? 1 : 0);
      matcher = MATCHERS_BY_CODE.get(key);
      if (matcher === undefined) {
        matcher = matcherFor(text.slice(start, start + keyLen).toLowerCase() + (exact ? '$' : ''));
        MATCHERS_BY_CODE.set(key, matcher); // at most 2 * 32^5 keys, in practice a few thousand
      }
    } else matcher = matcherFor(text.slice(start, start + keyLen).toLowerCase() + (exact ? '$' : ''));
    if (matcher === null) continue;
    matcher.re.lastIndex = start;
    const m = matcher.re.exec(text);
    if (m === null) continue;
    const end = start + m[0].length;
    if (end > i) i = end;
    let k = 1;
    while (m[k] === undefined) k++;
    const term = TERMS[matcher.terms[k - 1]!]!;
    if (term.category === null) {
      (term.guard === 'mark-product' ? marks.product : marks.person).push(start);
      continue;
    }
    if (!want(term.category)) continue;
    if (term.guard === 'context') {
      const value = contextValue(term.category, text, end);
      if (value !== null) {
        out.push({ category: term.category, start: value[0], end: value[1] });
        if (value[1] > i) i = value[1];
      }
      continue;
    }
    pending.push({ term, start, end });
  }
  for (const { term, start, end } of pending) {
    if (passesGuard(term.guard, text, start, end, marks)) out.push({ category: term.category!, start, end });
  }
}
