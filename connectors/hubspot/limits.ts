/**
 * HubSpot's limits, page sizes, header names and fixed vocabularies as data (reference/hubspot.md).
 * Everything vendor-numeric the connector relies on lives here, so a changed limit is a one-line edit.
 */

/** Budget buckets: HubSpot counts search apart from the rolling burst limit. */
export const BUCKET_DEFAULT = 'default';
export const BUCKET_SEARCH = 'search';

export const HUBSPOT_LIMITS = {
  /** Private app, Free/Starter: 100 requests per rolling 10 s (Pro/Enterprise 190). */
  burst: { points: 100, durationMs: 10_000 },
  /** Search: 5 requests/s per account; we keep one in reserve for other integrations. */
  search: { points: 4, durationMs: 1_000 },
  listPageSize: 100,
  searchPageSize: 200,
  /** Search refuses to page beyond 10,000 results. */
  searchResultCap: 10_000,
  batchReadSize: 100,
  batchUpdateSize: 100,
  batchArchiveSize: 100,
  batchCreateSize: 100,
  /** v4 associations batch read: up to 1,000 source ids per call. */
  associationBatchSize: 1_000,
  /** Search filter limits (5 groups, 6 filters each, 18 in total). */
  searchMaxFilterGroups: 5,
} as const;

export const RATE_LIMIT_HEADERS = {
  daily: 'x-hubspot-ratelimit-daily',
  dailyRemaining: 'x-hubspot-ratelimit-daily-remaining',
  intervalMs: 'x-hubspot-ratelimit-interval-milliseconds',
  max: 'x-hubspot-ratelimit-max',
  remaining: 'x-hubspot-ratelimit-remaining',
  secondly: 'x-hubspot-ratelimit-secondly',
  secondlyRemaining: 'x-hubspot-ratelimit-secondly-remaining',
  correlationId: 'x-hubspot-correlation-id',
  retryAfter: 'retry-after',
} as const;

export const RETRY = {
  /** Attempts per call including the first. */
  maxAttempts: 6,
  /** A 429 without Retry-After: wait out the rolling window. */
  rateLimitWaitMs: 10_000,
  /** Never wait longer than this for one Retry-After (477 may say hours: fail and let a later run finish). */
  maxRetryAfterMs: 120_000,
  /** 5xx backoff base; doubles per attempt with jitter. */
  serverErrorBaseMs: 250,
  /** 423 Locked: "wait at least 2 seconds". */
  lockedMinMs: 2_000,
} as const;

/** HubSpot-defined association type ids (SDK AssociationTypes). */
export const ASSOCIATION_TYPES = {
  contactToNote: 201,
  noteToContact: 202,
  contactToTask: 203,
  taskToContact: 204,
} as const;

/** `hs_legal_basis` checkbox values, exactly as HubSpot spells them (two use an EN DASH U+2013). */
export const LEGAL_BASIS_VALUES = {
  liProspect: 'Legitimate interest \u2013 prospect/lead',
  liCustomer: 'Legitimate interest \u2013 existing customer',
  liOther: 'Legitimate interest - other',
  contract: 'Performance of a contract',
  consent: 'Freely given consent from contact',
  notApplicable: 'Not applicable',
} as const;

/** Communication-preferences v3 legal basis sent with an unsubscribe (required on GDPR-enabled portals). */
export const UNSUBSCRIBE_LEGAL_BASIS = 'LEGITIMATE_INTEREST_OTHER';

/** Text that replaces a redacted note body when no span-level redaction was supplied. */
export const REDACTED_NOTE_TEXT = '[verwijderd wegens AVG / removed under GDPR]';
/** Fixed text written by the `fixed_text` anonymisation strategy. */
export const ANONYMISED_TEXT = '[geanonimiseerd / anonymised]';
export const ANONYMISED_EMAIL_DOMAIN = 'anonymised.invalid';
/** Prefix of values written by the `keyed_hash` strategy, so a second run can see they are done. */
export const KEYED_HASH_PREFIX = 'h1:';
/** Marker in task subjects that makes task creation idempotent. */
/** hs_task_status values we write (reference hubspot.md §4: COMPLETED | NOT_STARTED). */
export const TASK_STATUS = { open: 'NOT_STARTED', completed: 'COMPLETED' } as const;

export function taskMarker(actionId: string): string {
  return `[gdpr:${actionId}]`;
}

/** Data-hosting locations inside the EU/EEA (`eu1` today; any `eu*` hublet). */
export function isEeaHostingLocation(location: string): boolean {
  return /^eu\d*$/i.test(location.trim());
}

/** Purposes whose consent_* properties ensureStatusProperties creates unless configured otherwise. */
export const DEFAULT_CONSENT_PURPOSES = ['newsletter', 'profiling', 'call_recording'] as const;
