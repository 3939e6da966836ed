/**
 * Salesforce facts as data (reference/salesforce.md sections 1, 2, 6 and 7): API version, page and
 * batch sizes, daily request allocations per edition, concurrency, retry policy and how an instance
 * name tells the data-hosting location. The client, the sandbox and the benchmark read the same table.
 */
export const SF_API_VERSION = '62.0';

export const QUERY = {
  /** Records per query batch: default and max 2,000, min 200 (Sforce-Query-Options batchSize). */
  batchSize: 2_000,
  minBatchSize: 200,
  /** URI + headers max 16,384 bytes: keep `Id IN (...)` lists well below (18-char ids + quotes + comma). */
  maxIdsPerQuery: 300,
} as const;

export const COLLECTIONS = {
  /** sObject Collections: up to 200 records (or ids) per call. */
  maxRecords: 200,
} as const;

export const BULK2 = {
  /** Bulk 2.0 is recommended above 2,000 records (app limits cheatsheet). */
  recommendedAbove: 2_000,
  /** Records per results page we ask for (maxRecords); pages bound memory (the next one downloads while one is mapped), the locator pages on. */
  resultsPageRecords: 10_000,
  pollIntervalMs: 1_000,
  pollTimeoutMs: 10 * 60_000,
  /** Query jobs per rolling 24 h (DailyBulkV2QueryJobs). */
  dailyQueryJobs: 10_000,
} as const;

/** Daily API request allocation (rolling 24 h) per edition: base + per Salesforce licence (help 000386972). */
export const EDITIONS = {
  developer: { base: 15_000, perLicence: 0, concurrentLongRunning: 5 },
  professional: { base: 100_000, perLicence: 1_000, concurrentLongRunning: 25 },
  enterprise: { base: 100_000, perLicence: 1_000, concurrentLongRunning: 25 },
  unlimited: { base: 100_000, perLicence: 5_000, concurrentLongRunning: 25 },
  performance: { base: 100_000, perLicence: 5_000, concurrentLongRunning: 25 },
  sandbox: { base: 5_000_000, perLicence: 0, concurrentLongRunning: 25 },
} as const;
export type Edition = keyof typeof EDITIONS;

export function dailyApiRequests(edition: Edition, licences: number): number {
  const e = EDITIONS[edition];
  return e.base + e.perLicence * licences;
}

export const DAY_MS = 86_400_000;

/** Requests of 20 s or more count against the concurrent long-running limit. */
export const LONG_RUNNING_MS = 20_000;

/** Retry policy for 429/503 (REQUEST_LIMIT_EXCEEDED, server busy) and other 5xx. */
export const RETRY = {
  maxAttempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  /** Retry-After beyond this is not waited out in-process: the call fails with the vendor's code. */
  maxRetryAfterMs: 60_000,
} as const;

/** Parses `Sforce-Limit-Info: api-usage=18/5000[, api-bursts=1/750]`. */
export function parseLimitInfo(header: string | undefined | null): { used: number; limit: number } | null {
  if (!header) return null;
  const m = /api-usage=(\d+)\/(\d+)/.exec(header);
  return m ? { used: Number(m[1]), limit: Number(m[2]) } : null;
}

// ---------------------------------------------------------------- data residency

/** EU member states + the EEA's Iceland, Liechtenstein, Norway (ISO 3166 alpha-3). */
const EEA_ALPHA3 = new Set([
  'AUT', 'BEL', 'BGR', 'HRV', 'CYP', 'CZE', 'DNK', 'EST', 'FIN', 'FRA', 'DEU', 'GRC', 'HUN', 'IRL', 'ITA', 'LVA', 'LTU', 'LUX', 'MLT', 'NLD', 'POL', 'PRT', 'ROU', 'SVK', 'SVN', 'ESP', 'SWE',
  'ISL', 'LIE', 'NOR',
]);
/** Countries with an EU adequacy decision (Art. 45) that host Salesforce instances. */
const ADEQUACY_ALPHA3 = new Set(['GBR', 'CHE', 'JPN', 'CAN', 'KOR', 'ISR', 'NZL']);
const LEGACY_PODS: Record<string, { location: string; inEea: boolean }> = {
  NA: { location: 'north_america', inEea: false },
  EU: { location: 'europe', inEea: true },
  AP: { location: 'asia_pacific', inEea: false },
  UM: { location: 'north_america', inEea: false },
  // CS sandboxes may be hosted anywhere: not proven inside the EEA.
  CS: { location: 'unknown_sandbox_pod', inEea: false },
};

export interface InstanceLocation {
  /** The instance name as reported, lower-cased (Portal.region). */
  region: string;
  /** Where it is hosted: a legacy pod area or a Hyperforce country (alpha-3), or `unknown`. */
  location: string;
  inEea: boolean;
  transferMechanism: 'adequacy' | 'none';
}

/**
 * Organization.InstanceName -> hosting location. Legacy pods NA/EU/AP/CS + number; Hyperforce instances
 * are a country code + number (sandboxes end in S; `CHN` is Alibaba-hosted). The country-code reading is a
 * convention (reference section 7, UNCONFIRMED): anything unrecognised is reported as not in the EEA.
 */
export function locationFromInstance(instanceName: string): InstanceLocation {
  const name = instanceName.trim().toUpperCase();
  const region = name.toLowerCase() || 'unknown';
  const hyper = /^([A-Z]{3})(\d+)S?$/.exec(name);
  if (hyper) {
    const cc = hyper[1]!;
    if (EEA_ALPHA3.has(cc)) return { region, location: cc, inEea: true, transferMechanism: 'none' };
    if (ADEQUACY_ALPHA3.has(cc)) return { region, location: cc, inEea: false, transferMechanism: 'adequacy' };
    if (/^(USA|AUS|IND|BRA|SGP|CHN|ZAF|ARE|IDN|MEX|SAU)$/.test(cc)) return { region, location: cc, inEea: false, transferMechanism: 'none' };
  }
  const legacy = /^([A-Z]{2})(\d+)S?$/.exec(name);
  if (legacy && LEGACY_PODS[legacy[1]!]) {
    const p = LEGACY_PODS[legacy[1]!]!;
    return { region, location: p.location, inEea: p.inEea, transferMechanism: 'none' };
  }
  return { region, location: 'unknown', inEea: false, transferMechanism: 'none' };
}

/** Id key prefixes (first three characters) of the objects the connector touches. */
export const KEY_PREFIX = {
  Contact: '003',
  Lead: '00Q',
  User: '005',
  Task: '00T',
  Note: '002',
  ContentNote: '069',
  ContentDocumentLink: '06A',
  Individual: '0PK',
  ContactPointTypeConsent: '0ZY',
  DataUsePurpose: '0ZW',
  Organization: '00D',
} as const;

export function objectOfId(id: string): 'Contact' | 'Lead' | null {
  if (id.startsWith(KEY_PREFIX.Contact)) return 'Contact';
  if (id.startsWith(KEY_PREFIX.Lead)) return 'Lead';
  return null;
}
