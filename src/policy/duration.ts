/** ISO-8601 calendar periods (P3Y, P18M, P30D, P1Y6M) as used in policy packs. */
const PERIOD = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/;

export interface Period {
  years: number;
  months: number;
  days: number;
}

export function parsePeriod(text: string): Period | null {
  const m = PERIOD.exec(text);
  if (!m || text === 'P') return null;
  return {
    years: Number(m[1] ?? 0),
    months: Number(m[2] ?? 0),
    days: Number(m[3] ?? 0) * 7 + Number(m[4] ?? 0),
  };
}

/** Adds a period to an instant in UTC calendar terms (month ends clamp like date libraries do). */
export function addPeriod(epochMs: number, p: Period): number {
  const d = new Date(epochMs);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCFullYear(d.getUTCFullYear() + p.years, d.getUTCMonth() + p.months, 1);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return d.getTime() + p.days * 86_400_000;
}

export function addDays(epochMs: number, days: number): number {
  return epochMs + days * 86_400_000;
}

/** Whole years between a birth date and an instant. */
export function ageAt(birthDate: string, atMs: number): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const at = new Date(atMs);
  let age = at.getUTCFullYear() - y;
  const beforeBirthday = at.getUTCMonth() + 1 < m || (at.getUTCMonth() + 1 === m && at.getUTCDate() < d);
  if (beforeBirthday) age -= 1;
  return age;
}
