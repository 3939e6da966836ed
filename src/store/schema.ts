import type { ColumnType } from 'kysely';

/** Timestamps are timestamptz: read as Date, written as ISO strings. */
type Timestamp = ColumnType<Date, string, string>;
type NullableTimestamp = ColumnType<Date | null, string | null, string | null>;

/**
 * The store keeps the minimum the engine needs (DESIGN "Principles"): ids, keyed hashes, timestamps,
 * field inventory, findings (redacted evidence only), actions, audit. No names, e-mails or note text.
 */
export interface TenantsTable {
  tenant_id: string;
  /** Per-tenant HMAC key for suppression hashes, sealed with the master key. */
  hmac_key_sealed: string;
  /** Per-tenant AES-256-GCM data key, sealed with the master key. */
  data_key_sealed: string;
  created_at: Timestamp;
}

export interface PortalsTable {
  portal_id: string;
  tenant_id: string;
  vendor: string;
  vendor_account_id: string;
  /** Portal JSON (ids, region, transfer mechanism; nothing personal). */
  portal_json: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ContactsTable {
  portal_id: string;
  contact_id: string;
  modified_at: Timestamp;
  last_seen_at: Timestamp;
  deleted: boolean;
}

export interface FieldInventoryTable {
  portal_id: string;
  property: string;
  category: string;
  filled_count: number;
  updated_at: Timestamp;
}

export interface CheckpointsTable {
  portal_id: string;
  kind: string;
  value: string;
  cursor_time: NullableTimestamp;
  updated_at: Timestamp;
}

export interface FindingsTable {
  portal_id: string;
  finding_id: string;
  contact_id: string | null;
  rule_id: string;
  status: 'open' | 'resolved';
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  resolved_at: NullableTimestamp;
  due_at: Timestamp;
  /** Finding JSON as the engine made it (redacted evidence), with firstSeenAt/dueAt as stored. */
  finding_json: string;
}

export type ActionState = 'planned' | 'running' | 'done' | 'failed' | 'cancelled' | 'skipped';

export interface ActionsTable {
  action_id: string;
  portal_id: string;
  contact_id: string;
  type: string;
  state: ActionState;
  destructive: boolean;
  due_at: Timestamp;
  /** Action JSON without in-memory-only fields (redactedBody). */
  action_json: string;
  result_json: string | null;
  attempts: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  /**
   * Who holds the action while it runs (Store.claimActions): an apply in one process, so that two
   * processes never send the same action. A claim older than the lease may be taken over.
   */
  claimed_by: string | null;
  claimed_at: NullableTimestamp;
}

export interface ActionFindingsTable {
  portal_id: string;
  action_id: string;
  finding_id: string;
}

export interface SuppressionTable {
  tenant_id: string;
  /** HMAC-SHA256(tenant key, normalised identifier), hex. */
  identifier_hash: string;
  kind: 'email' | 'phone';
  reason: string;
  /** `<portal id>/<contact id>` of the record that was forgotten; ids only. */
  contact_ref: string;
  created_at: Timestamp;
}

export interface AuditLogTable {
  /** One hash chain per tenant (`''` for entries without a tenant). */
  chain: string;
  seq: number;
  /** ISO string, kept as text so the hashed value is exactly what is stored. */
  at: string;
  actor: string;
  tenant_id: string | null;
  portal_id: string | null;
  contact_id: string | null;
  rule_id: string | null;
  action: string;
  result: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

/** Last seq and hash of each chain: lets verify notice rows cut off the end, and serialises appends. */
export interface AuditHeadTable {
  chain: string;
  seq: number;
  hash: string;
}

export interface Database {
  tenants: TenantsTable;
  portals: PortalsTable;
  contacts: ContactsTable;
  field_inventory: FieldInventoryTable;
  checkpoints: CheckpointsTable;
  findings: FindingsTable;
  actions: ActionsTable;
  action_findings: ActionFindingsTable;
  suppression: SuppressionTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
}

