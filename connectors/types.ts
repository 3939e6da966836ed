/**
 * The contract every vendor connector implements. Nothing outside connectors/<vendor>/ knows a
 * vendor's paths, payloads or limits; the pipeline only speaks this interface and the model.
 */
import type { Action, ActionResult, Contact, DataCategory, Portal, Vendor } from '../src/model';

/** A vendor property (field) definition, normalised. */
export interface PropertyDefinition {
  name: string;
  label: string;
  type: 'text' | 'textarea' | 'email' | 'phone' | 'number' | 'date' | 'datetime' | 'enum' | 'bool';
  /** True for fields the vendor computes or forbids writing. Write bodies leave these out. */
  readOnly: boolean;
  /** True for fields the vendor defines (not custom). */
  vendorDefined: boolean;
  /** Category the vendor mapping knows for this field (e.g. email -> contact), if any. */
  category?: DataCategory;
}

export interface StreamOptions {
  /** Vendor property names to fetch (plus whatever the connector needs to build a Contact). */
  properties: string[];
  /** Incremental: only records modified at or after this instant (inclusive; duplicates are dropped by id). */
  since?: Date;
  /** Resume a previous run from its last saved checkpoint. */
  checkpoint?: string;
  includeNotes: boolean;
  /** Force the vendor's bulk/export path (full scans of large orgs). */
  bulk?: boolean;
  signal?: AbortSignal;
}

export interface ContactPage {
  contacts: Contact[];
  /** Opaque resume point after this page; save it to resume a crashed scan. */
  checkpoint: string | null;
  /** Vendor's total when known, for progress. */
  total?: number;
}

/** Per-record outcome when a vendor rejects part of a batch. */
export type ApplyResult = ActionResult;

export interface Connector {
  readonly vendor: Vendor;
  /** Account id, name and data-hosting location. */
  describePortal(): Promise<Portal>;
  listProperties(): Promise<PropertyDefinition[]>;
  /** Pages of contacts (with notes when asked), mapped to the model. */
  streamContacts(opts: StreamOptions): AsyncIterable<ContactPage>;
  /** One contact by id, or null when it does not exist (deleted). */
  getContact(id: string, properties: string[]): Promise<Contact | null>;
  /**
   * Many contacts by id in the vendor's batch sizes (with notes); ids missing from the map no longer
   * exist. Optional: without it the pipeline falls back to getContact per id.
   */
  getContacts?(ids: readonly string[], properties: string[]): Promise<Map<string, Contact>>;
  /** Ids of contacts deleted or archived in the vendor since an instant. */
  listDeletedSince(since: Date): Promise<string[]>;
  /** Creates the connector's own status properties (gdpr_status, ...) if missing. Idempotent. */
  ensureStatusProperties(): Promise<void>;
  /**
   * Executes actions in vendor-sized batches. One record's vendor validation error is that record's
   * failed result, never fatal for the batch. Must be safe to call again with the same actions.
   */
  apply(actions: Action[]): Promise<ApplyResult[]>;
  close?(): Promise<void>;
}

/** What the pipeline needs to create a connector for a portal. */
export interface ConnectorConfig {
  vendor: Vendor;
  tenantId: string;
  /** Base URL override (sandbox). */
  baseUrl?: string;
  /** Access token or equivalent; read from the environment by the CLI, never stored in files. */
  accessToken?: string;
  /** Extra vendor-specific settings (Zoho data centre, client id, refresh token, ...). */
  options?: Record<string, string | undefined>;
}

/** Names of our own status properties written to the vendor record. */
export const STATUS_PROPERTIES = {
  status: 'gdpr_status',
  nextActionAt: 'gdpr_next_action_at',
  lastScanAt: 'gdpr_last_scan_at',
  ruleIds: 'gdpr_rule_ids',
} as const;

/**
 * A request budget for one portal. The CLI uses an in-process one; workers share one through Redis
 * (src/jobs) so every process on a portal stays inside the vendor's limits together.
 * `bucket` separates limits the vendor counts apart (e.g. HubSpot search has its own 5 req/s).
 */
export interface RateBudget {
  /** Resolves when one request in `bucket` may be sent. */
  take(bucket?: string): Promise<void>;
  /** Tells the budget the vendor asked us to wait (429 Retry-After, 477, 423). */
  backoff(ms: number, bucket?: string): void;
}
