/** Checksums for the identifiers that carry one: BSN (elfproef) and IBAN (ISO 13616 mod-97). */

/** Digits of a BSN as people type it: 9 digits (or 8, an old number without its leading zero), dots or spaces allowed. */
export function bsnDigits(s: string): string | null {
  const t = s.trim();
  if (!/^\d[\d. ]*\d$/.test(t)) return null;
  const digits = t.replace(/[. ]/g, '');
  if (digits.length === 9) return digits;
  if (digits.length === 8) return '0' + digits;
  return null;
}

/** Elfproef on 9 digits: weights 9..2 and -1; the sum must be a multiple of 11 and not 0. */
export function elfproef(d: string): boolean {
  if (d.length !== 9) return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (d.charCodeAt(i) - 48) * (9 - i);
  sum -= d.charCodeAt(8) - 48;
  return sum !== 0 && sum % 11 === 0;
}

/** A BSN in plain, dotted (1234.56.782, 123.456.782) or spaced form whose elfproef holds. */
export function isValidBsn(s: string): boolean {
  const d = bsnDigits(s);
  return d !== null && elfproef(d);
}

/** IBAN lengths per country (SWIFT registry); countries not listed are checked on mod-97 alone. */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22,
  GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31,
  MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24,
  SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** mod-97 of an already compact, upper-case IBAN (country moved to the end, letters as 10..35). */
function ibanMod97(iban: string): number {
  let rem = 0;
  const n = iban.length;
  for (let k = 0; k < n; k++) {
    const c = iban.charCodeAt((k + 4) % n);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return -1;
  }
  return rem;
}

/** Compact, upper-case IBAN check: country letters, 2 check digits, 11..30 alphanumerics, length per country, mod-97 = 1. */
export function isValidCompactIban(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected !== undefined && expected !== iban.length) return false;
  return ibanMod97(iban) === 1;
}

/** An IBAN of any country, with or without spaces, any case, whose mod-97 check holds. */
export function isValidIban(s: string): boolean {
  return isValidCompactIban(s.replace(/[\s]/g, '').toUpperCase());
}
