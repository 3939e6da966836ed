/** Evidence strings that say what was found without showing it: only the tail digits of checksummed ids. */
import type { Detection } from './types';

const LABELS: Record<string, string> = {
  email: 'e-mail address',
  phone: 'phone number',
  date_of_birth: 'date of birth',
  id_document: 'ID document number',
  ip_address: 'IP address',
  license_plate: 'licence plate',
};

/** Masks every character of `s` that is a letter or digit, keeping separators and the last `keep` digits. */
function maskKeepingTail(s: string, keep: number): string {
  let digitsLeft = keep;
  const out: string[] = [];
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s[i]!;
    if (/[0-9]/.test(c) && digitsLeft > 0) {
      out.push(c);
      digitsLeft--;
    } else if (/[A-Za-z0-9]/.test(c)) out.push('*');
    else out.push(c);
  }
  return out.reverse().join('');
}

/**
 * A redacted description of one detection, safe for logs, reports and the audit trail:
 * `BSN ****.**.782`, `IBAN NL** **** **** **** **34`, `health: 1 term`, `phone number (10 chars)`.
 */
export function redactEvidence(d: Detection, text: string): string {
  const raw = text.slice(d.start, d.end);
  switch (d.category) {
    case 'bsn': {
      const digits = raw.replace(/\D/g, '');
      const shaped = /^\d+$/.test(raw) && digits.length === 9 ? `${digits.slice(0, 4)}.${digits.slice(4, 6)}.${digits.slice(6)}` : raw;
      return `BSN ${maskKeepingTail(shaped, 3)}`;
    }
    case 'iban': {
      const compact = raw.replace(/\s/g, '').toUpperCase();
      const groups = compact.match(/.{1,4}/g) ?? [];
      const country = compact.slice(0, 2);
      const masked = maskKeepingTail(groups.join(' '), 2);
      return `IBAN ${country}${masked.slice(2)}`;
    }
    case 'email':
    case 'phone':
    case 'date_of_birth':
    case 'id_document':
    case 'ip_address':
    case 'license_plate':
      return `${LABELS[d.category]} (${raw.length} chars)`;
    default:
      return `${d.category}: 1 term`;
  }
}
