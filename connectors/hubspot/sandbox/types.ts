import type { SeedOptions } from '../../sandbox-seed/types';

export type ObjectType = 'contacts' | 'notes' | 'tasks';
export const OBJECT_TYPES: readonly ObjectType[] = ['contacts', 'notes', 'tasks'];

export interface CrmRecord {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export interface PropertyOption {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
  description: string;
}

export interface PropertyDef {
  name: string;
  label: string;
  type: 'string' | 'number' | 'bool' | 'enumeration' | 'date' | 'datetime';
  fieldType: string;
  groupName: string;
  description: string;
  options: PropertyOption[];
  displayOrder: number;
  calculated: boolean;
  externalOptions: boolean;
  hasUniqueValue: boolean;
  hidden: boolean;
  hubspotDefined: boolean;
  formField: boolean;
  modificationMetadata: { archivable: boolean; readOnlyDefinition: boolean; readOnlyValue: boolean };
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface PropertyGroup {
  name: string;
  label: string;
  displayOrder: number;
  archived: boolean;
}

export interface SubscriptionDefinition {
  id: string;
  name: string;
  description: string;
  purpose: string;
  communicationMethod: string;
  isActive: boolean;
  isDefault: boolean;
  isInternal: boolean;
  businessUnitId: number;
  createdAt: string;
  updatedAt: string;
}

export type LegalBasisV3 =
  | 'LEGITIMATE_INTEREST_PQL'
  | 'LEGITIMATE_INTEREST_CLIENT'
  | 'PERFORMANCE_OF_CONTRACT'
  | 'CONSENT_WITH_NOTICE'
  | 'NON_GDPR'
  | 'PROCESS_AND_STORE'
  | 'LEGITIMATE_INTEREST_OTHER';

export interface SubscriptionStatusEntry {
  status: 'SUBSCRIBED' | 'NOT_SUBSCRIBED';
  legalBasis: LegalBasisV3 | null;
  legalBasisExplanation: string | null;
  updatedAt: string;
}

export interface Owner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  userId: number;
  userIdIncludingInactive: number;
  type: 'PERSON';
  teams: { id: string; name: string; primary: boolean }[];
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

/** A test hook: the next `count` requests matching method/path get `status` instead of a real answer. */
export interface FailureRule {
  method?: string;
  /** Exact path (without query) or a RegExp tested against it. */
  path: string | RegExp;
  /** An HTTP status, or 'reset': the connection is dropped without an answer (a kept-alive socket closed under the client). */
  status: 429 | 477 | 423 | 500 | 502 | 503 | 504 | 'reset';
  count: number;
  /** Seconds for Retry-After (429/477/423); default 10 for 429, 1 for others. */
  retryAfterSeconds?: number;
  /** For 429: which policy to imitate; default TEN_SECONDLY_ROLLING. */
  policy?: 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY';
}

export interface HubSpotSandboxLimits {
  /** Requests per rolling 10 s per token (search excluded); default 100. */
  tenSecondly: number;
  /** Requests per day per portal; default 250,000. */
  daily: number;
  /** Search requests per second per portal; default 5. */
  searchPerSecond: number;
}

export interface HubSpotSandboxOptions {
  /** Default 0 (an ephemeral port). Always bound to 127.0.0.1. */
  port?: number;
  /** The bearer token clients must send. */
  accessToken: string;
  /** Added before every answer; default 0. */
  latencyMs?: number;
  limits?: Partial<HubSpotSandboxLimits> | false;
  /** Max page size for object lists; default 100. */
  pageMax?: number;
  /** Seed people mapped into contacts, notes and owners. */
  seed?: SeedOptions;
  portalId?: number;
  dataHostingLocation?: string;
  /** Custom consent / date_of_birth / bsn properties exist from the start; default true. */
  includeCustomProperties?: boolean;
  /** GDPR-enabled portal: subscribe needs legalBasis + explanation; default true. */
  gdprEnabled?: boolean;
  failures?: FailureRule[];
  /** Clock for timestamps and rate windows (ms since epoch); default Date.now. */
  clock?: () => number;
}
