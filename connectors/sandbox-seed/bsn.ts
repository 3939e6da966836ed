import type { Rng } from './prng';

/** BSN "elfproef": 9 digits, sum(d_i * w_i) with weights 9..2 and -1 for the last digit, divisible by 11. */
export function isValidBsn(value: string): boolean {
  const digits = value.replace(/[\s.-]/g, '');
  if (!/^\d{8,9}$/.test(digits)) return false;
  const d = digits.padStart(9, '0');
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(d[i]) * (9 - i);
  sum -= Number(d[8]);
  return sum % 11 === 0 && d !== '000000000';
}

/** A random valid BSN (9 digits, first digit 1-9). */
export function generateBsn(rng: Rng): string {
  for (;;) {
    const d: number[] = [rng.int(1, 9)];
    for (let i = 1; i < 8; i++) d.push(rng.int(0, 9));
    let sum = 0;
    for (let i = 0; i < 8; i++) sum += (d[i] as number) * (9 - i);
    const last = sum % 11;
    if (last === 10) continue;
    return d.join('') + String(last);
  }
}

/** How people type a BSN in a note: plain, with dots, or with spaces. */
export function formatBsn(bsn: string, style: number): string {
  switch (style % 3) {
    case 1:
      return `${bsn.slice(0, 4)}.${bsn.slice(4, 6)}.${bsn.slice(6)}`;
    case 2:
      return `${bsn.slice(0, 3)} ${bsn.slice(3, 6)} ${bsn.slice(6)}`;
    default:
      return bsn;
  }
}
