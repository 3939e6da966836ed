/**
 * Zoho CRM facts as data (reference/zoho.md sections 1, 2 and 6): data-centre hosts, page and batch
 * sizes, credit plans and concurrency. The client and the sandbox read the same table.
 */
export const ZOHO_API_VERSION = 'v8';

export const DATA_CENTRES = {
  com: { accounts: 'https://accounts.zoho.com', api: 'https://www.zohoapis.com', location: 'us', inEea: false },
  eu: { accounts: 'https://accounts.zoho.eu', api: 'https://www.zohoapis.eu', location: 'eu', inEea: true },
  in: { accounts: 'https://accounts.zoho.in', api: 'https://www.zohoapis.in', location: 'in', inEea: false },
  'com.au': { accounts: 'https://accounts.zoho.com.au', api: 'https://www.zohoapis.com.au', location: 'au', inEea: false },
  jp: { accounts: 'https://accounts.zoho.jp', api: 'https://www.zohoapis.jp', location: 'jp', inEea: false },
  'com.cn': { accounts: 'https://accounts.zoho.com.cn', api: 'https://www.zohoapis.com.cn', location: 'cn', inEea: false },
  // CA's accounts host is zohocloud.ca, not zoho.ca (reference section 1).
  ca: { accounts: 'https://accounts.zohocloud.ca', api: 'https://www.zohoapis.ca', location: 'ca', inEea: false },
  sa: { accounts: 'https://accounts.zoho.sa', api: 'https://www.zohoapis.sa', location: 'sa', inEea: false },
} as const;
export type DataCentre = keyof typeof DATA_CENTRES;

export function isDataCentre(v: string): v is DataCentre {
  return Object.prototype.hasOwnProperty.call(DATA_CENTRES, v);
}

/** The DC is the residency fact: derive it from the token response's api_domain (reference section 1). */
export function dataCentreFromApiDomain(apiDomain: string): DataCentre | null {
  let host: string;
  try {
    host = new URL(apiDomain).hostname;
  } catch {
    return null;
  }
  // Longest suffix first so com.au / com.cn win over com.
  const entries = Object.entries(DATA_CENTRES).sort((a, b) => b[0].length - a[0].length);
  for (const [dc, v] of entries) {
    const tld = new URL(v.api).hostname.replace(/^www\.zohoapis\./, '');
    if (host.endsWith(`zohoapis.${tld}`)) return dc as DataCentre;
  }
  return null;
}

export const RECORDS = {
  /** per_page default and max. */
  perPage: 200,
  /** page x per_page may reach 2,000; beyond that page_token. */
  discreteLimit: 2_000,
  /** page_token pagination stops at 100,000 records (PAGINATION_LIMIT_EXCEEDED). */
  tokenLimit: 100_000,
  /** Max field API names in `fields`. */
  maxFields: 50,
  /** Max records per insert/update/delete call. */
  writeBatch: 100,
  /** Max ids per delete call. */
  deleteBatch: 100,
} as const;

export const BULK_READ = {
  /** Records per bulk read job page; the next page is a new job with the page_token. */
  perPage: 200_000,
  /** Result downloads per minute before 429. */
  downloadsPerMinute: 10,
} as const;

/**
 * Credits per rolling 24 h and concurrency per org per app (reference section 6). Most calls cost one
 * credit; insert/update/upsert cost one per 10 records (UNCONFIRMED in the reference; we count it so).
 */
export const PLANS = {
  free: { base: 5_000, perUser: 0, max: 5_000, concurrency: 5 },
  standard: { base: 50_000, perUser: 250, max: 100_000, concurrency: 10 },
  professional: { base: 50_000, perUser: 500, max: 3_000_000, concurrency: 15 },
  enterprise: { base: 50_000, perUser: 1_000, max: 5_000_000, concurrency: 20 },
  ultimate: { base: 50_000, perUser: 2_000, max: Number.POSITIVE_INFINITY, concurrency: 25 },
} as const;
export type ZohoPlan = keyof typeof PLANS;

/**
 * Sub-concurrency: at most 10 "complex" calls of an org at once, on every edition, besides the plan's
 * concurrency (reference section 6, UNCONFIRMED exact list). Complex per Zoho's "Sub-concurrency for
 * complex APIs" note: Get Records with `sort_by` or `cvid`, insert/update/upsert of more than 10
 * records, Convert Lead, search, COQL. A records sync sorts by Modified_Time, so its cursors count here.
 */
export const SUB_CONCURRENCY = 10;

/** Whether a call counts against SUB_CONCURRENCY (the client and the sandbox decide the same way). */
export function isComplexCall(method: string, path: string, query: Readonly<Record<string, unknown>> | undefined, records: number): boolean {
  if (method === 'GET') return query?.sort_by !== undefined || query?.cvid !== undefined || /\/(search|coql)$/.test(path);
  if (method === 'POST' && /\/coql$/.test(path)) return true;
  return (method === 'PUT' || method === 'POST') && records > 10;
}

export function dailyCredits(plan: ZohoPlan, users: number): number {
  const p = PLANS[plan];
  return Math.min(p.base + p.perUser * users, p.max);
}

/** Credits one call costs: writes one per 10 records (rounded up), everything else one. */
export function creditsFor(kind: 'read' | 'write', records = 1): number {
  return kind === 'write' ? Math.max(1, Math.ceil(records / 10)) : 1;
}

export const DAY_MS = 86_400_000;

/** Retry policy for 429 (no Retry-After from Zoho CRM) and 5xx. */
export const RETRY = {
  maxAttempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
} as const;

/** Access tokens live an hour; refresh a little early so a call never carries a token about to lapse. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
