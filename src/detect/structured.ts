/**
 * Detectors for identifiers and contact data: checksummed ids (BSN, IBAN), e-mail, phone, IP addresses,
 * and the values of the context-bound ones (date of birth, ID document number, licence plate), whose
 * context words the lexicon scan finds. Each is one precompiled regex plus a cheap validation of the few candidates.
 */
import { bsnDigits, elfproef, isValidCompactIban, IBAN_LENGTHS } from './checksums';
import type { Detection, DetectorCategory } from './types';

type Emit = (category: DetectorCategory, start: number, end: number) => void;

/** Words just before a number that make it an order, invoice, registry or version number rather than personal data. */
const NUMBER_CONTEXT =
  /(?<![A-Za-zÀ-ÿ])(?:order|bestel|factuur|factuurnr|invoice|inv|klantnummer|klantnr|klant-?id|customer(?:\s+(?:no|number|id))?|ref|referentie|reference|ticket|case|zaak|dossier|artikel|article|sku|kvk|coc|btw|vat|polis|policy|contract|offerte|quote|po|pakket|tracking|zending|shipment|rekening|account|project|serie|serial|versie|version|build|release|lot|batch)\.?\s*(?:nr|no|nummer|number|#|id)?\.?\s*[:#]?\s*$/i;
const BSN_CONTEXT = /(?:bsn|sofi|burgerservicenummer|burgerservice\s+nummer|sofinummer|citizen\s+service\s+number|social\s+security)/i;
const PHONE_PREFIX = /(?:\+|00)\d{1,3}[\s.-]*(?:\(0\)[\s.-]*)?$/;

function before(text: string, start: number, n: number): string {
  return text.slice(Math.max(0, start - n), start);
}

// --- BSN -------------------------------------------------------------------------------------------
const BSN_RE =
  /(?<![\w.,/+\-]|\d[ .])(?:\d{9}|\d{8}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3}|\d{2}\.\d{3}\.\d{3}|\d{3} \d{3} \d{3}|\d{4} \d{2} \d{3})(?![\w/\-]|[.,: ]\d)/g;

function findBsn(text: string, emit: Emit): void {
  BSN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = BSN_RE.exec(text)) !== null) {
    const raw = m[0];
    const digits = bsnDigits(raw);
    if (digits === null || !elfproef(digits)) continue;
    const pre = before(text, m.index, 40);
    const named = BSN_CONTEXT.test(pre);
    // 8 digits is an old number without its leading zero: too common otherwise, so only when named.
    if (raw.replace(/\D/g, '').length === 8 && !named) continue;
    if (!named && (NUMBER_CONTEXT.test(before(text, m.index, 30)) || PHONE_PREFIX.test(before(text, m.index, 12)))) continue;
    emit('bsn', m.index, m.index + raw.length);
  }
}

// --- IBAN ------------------------------------------------------------------------------------------
const IBAN_START_RE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?=[ ]?[A-Za-z0-9]{4})/g;

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function findIban(text: string, emit: Emit): void {
  IBAN_START_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = IBAN_START_RE.exec(text)) !== null) {
    const start = m.index;
    // Walk alphanumerics, allowing single spaces between them; remember each possible end.
    let compact = '';
    const ends: number[] = [];
    let i = start;
    while (i < text.length && compact.length < 34) {
      const c = text.charCodeAt(i);
      if (isAlnum(c)) {
        compact += text[i]!.toUpperCase();
        i++;
        ends.push(i);
      } else if (c === 32 && i + 1 < text.length && isAlnum(text.charCodeAt(i + 1)) && compact.length >= 4) {
        i++;
      } else break;
    }
    // Only registered IBAN countries, each with its fixed length: a random code plus mod-97 passes 1 in 97.
    const len = IBAN_LENGTHS[compact.slice(0, 2)];
    if (len !== undefined && len <= compact.length) {
      const end = ends[len - 1]!;
      const printed = text.slice(start, end);
      // Printed with spaces, every group but the last has 4 characters (ISO 13616 paper format).
      const groups = printed.split(' ');
      const grouped = groups.length === 1 || groups.slice(0, -1).every((g) => g.length === 4);
      if ((end >= text.length || !isAlnum(text.charCodeAt(end))) && grouped && isValidCompactIban(compact.slice(0, len))) {
        emit('iban', start, end);
        IBAN_START_RE.lastIndex = end;
      }
    }
  }
}

// --- e-mail ----------------------------------------------------------------------------------------
function isLocalChar(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || c === 39;
}
function isDomainChar(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 45 || c > 127;
}

const FILE_EXTENSION = /\.(?:png|jpe?g|gif|svg|webp|bmp|tiff?|pdf|docx?|xlsx?|pptx?|csv|txt|zip|heic|mp4|mov)$/i;

function findEmail(text: string, emit: Emit): void {
  let at = text.indexOf('@');
  while (at !== -1) {
    let s = at;
    while (s > 0 && isLocalChar(text.charCodeAt(s - 1))) s--;
    while (s < at && (text[s] === '.' || text[s] === "'")) s++;
    let e = at + 1;
    while (e < text.length && isDomainChar(text.charCodeAt(e))) e++;
    while (e > at + 1 && (text[e - 1] === '.' || text[e - 1] === '-')) e--;
    const domain = text.slice(at + 1, e);
    // logo@2x.png is a file name, not an address.
    if (s < at && /^[^.]+(?:\.[^.]+)*\.[A-Za-z]{2,}$/.test(domain) && !FILE_EXTENSION.test(domain)) emit('email', s, e);
    at = text.indexOf('@', Math.max(e, at + 1));
  }
}

// --- phone -----------------------------------------------------------------------------------------
const PHONE_RE = new RegExp(
  [
    String.raw`(?:\+|\b00)[1-9]\d{0,2}(?:[\s.\-]?\(0\))?(?:[\s.\-]?\(?\d{1,5}\)?){2,6}`, // international
    String.raw`\(0\d{1,4}\)[\s.\-]?\d{2,4}(?:[\s.\-]?\d{2,4}){1,3}`, // (020) 123 4567
    String.raw`\b0\d{10}`, // 11 digits, UK style without spaces
    String.raw`\b0\d{4}[\s\-]\d{6}|\b0\d{3}[\s\-]\d{3}[\s\-]\d{4}|\b0\d{2}[\s\-]\d{4}[\s\-]\d{4}`, // UK grouped
    String.raw`\b0[1-9](?:[\s.\-]?\d){8}`, // NL 10 digits: 06-12345678, 020-1234567, 010 123 45 67
    String.raw`\(\d{3}\)\s?\d{3}[\s.\-]\d{4}`, // US
  ].join('|'),
  'g',
);

function findPhone(text: string, emit: Emit): void {
  PHONE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PHONE_RE.exec(text)) !== null) {
    let raw = m[0];
    const start = m.index;
    // Trim separators a greedy group may have taken at the end.
    while (raw.length > 0 && !/[\d)]/.test(raw[raw.length - 1]!)) raw = raw.slice(0, -1);
    if (raw.endsWith(')') && !raw.includes('(')) raw = raw.slice(0, -1);
    const end = start + raw.length;
    const next = text.charCodeAt(end);
    if (isAlnum(next) || ((next === 45 || next === 46 || next === 47) && isDigitAt(text, end + 1))) continue;
    const prev = text.charCodeAt(start - 1);
    if (isAlnum(prev) || prev === 46 || prev === 47 || prev === 45 || prev === 44) continue;
    const digits = raw.replace(/\D/g, '').length;
    const intl = raw[0] === '+' || raw.startsWith('00');
    if (intl ? digits < 9 || digits > 15 + (raw.startsWith('00') ? 2 : 0) : digits < 10 || digits > 11) continue;
    if (/^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}/.test(raw)) continue; // a date, not a number
    if (NUMBER_CONTEXT.test(before(text, start, 30)) && !/(?:tel|telefoon|phone|mobiel|mobile|gsm|bel)\w*\.?\s*[:#]?\s*(?:nr|no|nummer|number)?\.?\s*[:#]?\s*$/i.test(before(text, start, 30))) continue;
    emit('phone', start, end);
  }
}

function isDigitAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57;
}

// --- IP addresses ----------------------------------------------------------------------------------
const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const IPV4_RE = new RegExp(String.raw`(?<![\w.])${OCTET}(?:\.${OCTET}){3}(?![\w]|\.\d)`, 'g');
const VERSION_CONTEXT = /(?:\bv|versie|version|release|build|ver\.?|firmware|update|patch|sdk|api|node|java|python|ios|android|windows|macos)\s*[:=]?\s*$/i;

function findIp(text: string, emit: Emit): void {
  IPV4_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = IPV4_RE.exec(text)) !== null) {
    if (VERSION_CONTEXT.test(before(text, m.index, 20))) continue;
    emit('ip_address', m.index, m.index + m[0].length);
  }
  // IPv6: grow a token of hex digits and colons around each colon, then validate it whole.
  let colon = text.indexOf(':');
  while (colon !== -1) {
    let s0 = colon;
    while (s0 > 0 && isHexOrColon(text.charCodeAt(s0 - 1))) s0--;
    let e0 = colon;
    while (e0 < text.length && isHexOrColon(text.charCodeAt(e0))) e0++;
    const token = text.slice(s0, e0);
    if (token.length >= 6 && isIpv6(token) && !isAlnum(text.charCodeAt(s0 - 1)) && !isAlnum(text.charCodeAt(e0))) emit('ip_address', s0, e0);
    colon = text.indexOf(':', e0 + 1);
  }
}

function isHexOrColon(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

const IPV6_RE = /^(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}$|^(?=.*::)(?!.*::.*::)(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?$/;

function isIpv6(token: string): boolean {
  if (!IPV6_RE.test(token)) return false;
  const groups = token.split(':').filter((g) => g.length > 0);
  if (groups.length < 2 || groups.length > 8) return false;
  return groups.some((g) => g.length >= 3 || /[a-f]/i.test(g)); // not a time like 10:30:00
}

// --- context-bound: date of birth, ID document, licence plate --------------------------------------
const MONTHS =
  String.raw`(?:jan(?:uari|uary)?|feb(?:ruari|ruary)?|maa(?:rt)?|mrt|mar(?:ch)?|apr(?:il)?|mei|may|jun[ie]?|jul[iy]?|aug(?:ustus|ust)?|sep(?:t(?:ember)?)?|okt(?:ober)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`;
const DATE_RE = new RegExp(
  [
    String.raw`\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)?\d{2}`,
    String.raw`(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}`,
    String.raw`\d{1,2}(?:e|ste|de|st|nd|rd|th)?\s+(?:of\s+)?${MONTHS}\.?,?\s+(?:19|20)?\d{2}`,
    String.raw`${MONTHS}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2}`,
  ].join('|'),
  'gi',
);
const DOC_VALUE_RE = /(?<![A-Za-z0-9])(?=(?:[A-Za-z]*\d){2})[A-Za-z0-9]{6,12}(?![A-Za-z0-9-]|[./]\d)/g;
const PLATE_VALUE_RE =
  /(?<![A-Za-z0-9-])(?:[A-Za-z0-9]{1,3}-[A-Za-z0-9]{1,3}-[A-Za-z0-9]{1,3}|[A-Z]{2}\d{2}\s?[A-Z]{3}|[A-Za-z0-9]{6,7})(?![A-Za-z0-9-])/g;

function findInWindow(re: RegExp, text: string, from: number, to: number, accept: (s: string) => boolean): [number, number] | null {
  const win = text.slice(from, to);
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(win)) !== null) {
    if (accept(m[0])) return [from + m.index, from + m.index + m[0].length];
    if (m[0].length === 0) re.lastIndex++;
  }
  return null;
}

/** End of the window after a context word: a fixed number of characters, not past a line break. */
function windowEnd(text: string, from: number, n: number): number {
  const end = Math.min(text.length, from + n);
  const nl = text.indexOf('\n', from);
  return nl !== -1 && nl < end ? nl : end;
}

function validPlate(s: string): boolean {
  const alnum = s.replace(/[^A-Za-z0-9]/g, '');
  if (alnum.length < 6 || alnum.length > 7) return false;
  if (!/\d/.test(alnum) || !/[A-Za-z]/.test(alnum)) return false;
  if (!s.includes('-') && !s.includes(' ')) {
    // Undashed: Dutch sidecodes alternate blocks of letters and digits (at most 3 blocks).
    const blocks = alnum.match(/[A-Za-z]+|\d+/g)!;
    if (blocks.length > 3) return false;
  }
  return true;
}

/**
 * The value a context word announces: the date after "geboren", the number after "paspoort", the plate
 * after "kenteken". Looks no further than 40 characters and never past a line break.
 */
export function contextValue(category: DetectorCategory, text: string, from: number): [number, number] | null {
  const to = windowEnd(text, from, 40);
  if (category === 'date_of_birth') return findInWindow(DATE_RE, text, from, to, () => true);
  if (category === 'id_document') return findInWindow(DOC_VALUE_RE, text, from, to, (s) => !/^(?:19|20)\d{2}$/.test(s));
  if (category === 'license_plate') return findInWindow(PLATE_VALUE_RE, text, from, to, validPlate);
  return null;
}

/** Runs the structured detectors that `want` asks for. */
export function detectStructured(text: string, want: (c: DetectorCategory) => boolean, out: Detection[]): void {
  const emit: Emit = (category, start, end) => out.push({ category, start, end });
  if (want('email') && text.indexOf('@') !== -1) findEmail(text, emit);
  if (!/\d/.test(text)) return;
  if (want('bsn')) findBsn(text, emit);
  if (want('iban')) findIban(text, emit);
  if (want('phone')) findPhone(text, emit);
  if (want('ip_address')) findIp(text, emit);
  // date_of_birth, id_document and license_plate start from their context words, found by the lexicon scan.
}
