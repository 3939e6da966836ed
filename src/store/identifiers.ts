/** What a contact can be recognised by (the model's Contact.identifiers). */
export interface Identifiers {
  emails?: readonly string[];
  phones?: readonly string[];
}

export interface NormalisedIdentifier {
  kind: 'email' | 'phone';
  value: string;
}

/** Lower-cased and trimmed; empty or @-less strings are not e-mail addresses and are dropped. */
export function normaliseEmail(raw: string): string | null {
  const e = raw.trim().toLowerCase();
  return e.length > 0 && e.includes('@') ? e : null;
}

/**
 * Digits only, in international form without `+`: `+31 6 1234 5678`, `0031612345678` and the Dutch
 * national mobile form `06-12345678` and `+31 (0)6 ...` all become `31612345678`, so the same person matches however the
 * CRM stored the number. Too short to identify anyone (< 6 digits) is dropped.
 */
export function normalisePhone(raw: string): string | null {
  let d = raw.replace(/\D+/g, '');
  if (d.startsWith('00')) d = d.slice(2);
  else if (/^06\d{8}$/.test(d)) d = `316${d.slice(2)}`;
  // `+31 (0)6 ...`: the trunk 0 written after the country code.
  if (/^310\d{9}$/.test(d)) d = `31${d.slice(3)}`;
  return d.length >= 6 ? d : null;
}

/** Deduplicated normalised identifiers; the kind is part of the hashed text so an e-mail never equals a phone. */
export function normaliseIdentifiers(ids: Identifiers): NormalisedIdentifier[] {
  const out = new Map<string, NormalisedIdentifier>();
  for (const e of ids.emails ?? []) {
    const v = normaliseEmail(e);
    if (v) out.set(`email:${v}`, { kind: 'email', value: v });
  }
  for (const p of ids.phones ?? []) {
    const v = normalisePhone(p);
    if (v) out.set(`phone:${v}`, { kind: 'phone', value: v });
  }
  return [...out.values()];
}

export function hashInput(id: NormalisedIdentifier): string {
  return `${id.kind}:${id.value}`;
}
