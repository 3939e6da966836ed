import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import { decrypt, encrypt, hmacSha256, randomKey } from '../crypto';
import { Action, ActionResult, DataCategory, Finding, IsoDateTime, Portal, type PortalInput } from '../model';
import { hashInput, normaliseIdentifiers, type Identifiers } from './identifiers';
import type { ActionState, Database } from './schema';

export type Backend = 'pglite' | 'postgres';
type Db = Kysely<Database> | Transaction<Database>;

export interface TenantKeys {
  /** HMAC-SHA256 key for suppression hashes. */
  hmacKey: Buffer;
  /** AES-256-GCM key for personal values that must be kept. */
  dataKey: Buffer;
}

export interface ContactSeen {
  id: string;
  modifiedAt: string;
}

export interface ContactInventoryRow {
  id: string;
  modifiedAt: string;
  lastSeenAt: string;
  deleted: boolean;
}

export interface FieldInventoryRow {
  property: string;
  category: DataCategory;
  filledCount: number;
}

export interface Checkpoint {
  value: string;
  cursorTime: string | null;
  updatedAt: string;
}

export interface RecordFindingsResult {
  /** The findings as stored: firstSeenAt from the first scan that saw them, dueAt = firstSeenAt + graceDays. */
  findings: Finding[];
  /** Ids of open findings of the scanned contacts that this scan did not report again. */
  resolved: string[];
}

export interface ActionRecord {
  action: Action;
  state: ActionState;
  result: ActionResult | null;
  attempts: number;
}

/** Portal-level findings (contactId null) are resolved when `null` is among the scanned ids. */
export type ScannedContacts = ReadonlyArray<string | null> | 'all';

const OPEN_ACTION_STATES: ActionState[] = ['planned', 'running', 'failed'];
/**
 * How long a claim on an action (Store.claimActions) keeps other processes off it. Longer than an apply
 * batch takes from claim to result, vendor budget waits included; a process that died holding a claim
 * delays its actions by this much (on PostgreSQL; on PGlite a restarted process takes them over at once).
 */
export const DEFAULT_CLAIM_LEASE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
/** Rows per statement: keeps every statement well under PostgreSQL's 65,535 bind parameters. */
const CHUNK = 1000;

const FieldInventoryInput = z.array(z.object({ property: z.string().min(1), category: DataCategory, filledCount: z.number().int().nonnegative() }));
const ContactsSeenInput = z.array(z.object({ id: z.string().min(1), modifiedAt: IsoDateTime }));

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const iso = (d: Date | string): string => (typeof d === 'string' ? new Date(d).toISOString() : d.toISOString());
const isoOrNull = (d: Date | string | null): string | null => (d === null ? null : iso(d));

/** Last write wins for duplicate ids in one call (an upsert cannot touch the same row twice). */
function dedupeById<T extends { id: string }>(items: readonly T[]): T[] {
  return [...new Map(items.map((i) => [i.id, i])).values()];
}

/** In-memory only fields never reach the store. */
function storableAction(a: Action): Action {
  if (a.type !== 'redact_note') return a;
  const { redactedBody: _dropped, ...rest } = a;
  return rest;
}

/**
 * Persistence for one installation, on PGlite or PostgreSQL. Every method is scoped by tenant or portal.
 * Keeps the minimum (ids, keyed hashes, timestamps, inventory, findings, actions, audit), never personal values.
 * The audit log lives in the same database; see src/audit.
 */
export class Store {
  private readonly keyCache = new Map<string, TenantKeys>();
  /**
   * Names this store object in action claims: host, process and a random part, so a restarted process
   * (or a second store in one process) is another holder.
   */
  readonly claimOwner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly openedAt = Date.now();
  /** Actions claimed by an apply of this store that is still running (see claimActions). */
  private readonly claimsHeld = new Set<string>();

  constructor(
    /** The query builder; for src/audit and tests. Prefer the methods. */
    readonly db: Kysely<Database>,
    readonly backend: Backend,
    private readonly masterKey: Buffer,
  ) {}

  /**
   * Runs `fn` with a Store over one transaction: every method it calls (and src/audit's appends) commits
   * together, or nothing does if `fn` throws. Methods that use a transaction of their own run inside this
   * one. Inside a transaction already, runs `fn` with this store. Keep vendor calls out of `fn`: the
   * transaction holds its rows (and on PGlite, the one connection) until `fn` returns.
   */
  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    return this.db.transaction().execute((trx) => {
      // Same claims and owner as this store; its own key cache (keys read in a transaction that rolls
      // back are not kept).
      const tx = Object.create(this) as Store;
      Object.defineProperty(tx, 'db', { value: trx });
      Object.defineProperty(tx, 'keyCache', { value: new Map<string, TenantKeys>() });
      return fn(tx);
    });
  }

  /** A transaction of this method's own, or the one this store is in (Store.transaction). */
  private inTransaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.isTransaction ? fn(this.db as Transaction<Database>) : this.db.transaction().execute(fn);
  }

  async close(): Promise<void> {
    this.keyCache.clear();
    // PGlite's close() runs the Emscripten exit path, which sets process.exitCode to 0: keep the
    // caller's exit status (e.g. `audit verify` reporting a broken chain) intact.
    const exitCode = process.exitCode;
    await this.db.destroy();
    process.exitCode = exitCode;
  }

  // ---- tenants -------------------------------------------------------------------------------------

  /** Creates the tenant with fresh keys on first use; idempotent (concurrent callers end with the same keys). */
  async ensureTenant(tenantId: string): Promise<TenantKeys> {
    z.string().min(1).parse(tenantId);
    const exists = await this.db.selectFrom('tenants').select('tenant_id').where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!exists) {
      await this.db
        .insertInto('tenants')
        .values({
          tenant_id: tenantId,
          hmac_key_sealed: encrypt(this.masterKey, randomKey(), `tenant:${tenantId}:hmac`),
          data_key_sealed: encrypt(this.masterKey, randomKey(), `tenant:${tenantId}:data`),
          created_at: new Date().toISOString(),
        })
        .onConflict((oc) => oc.column('tenant_id').doNothing())
        .execute();
    }
    return this.getTenantKeys(tenantId);
  }

  async getTenantKeys(tenantId: string): Promise<TenantKeys> {
    const cached = this.keyCache.get(tenantId);
    if (cached) return cached;
    const row = await this.db.selectFrom('tenants').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!row) throw new Error(`unknown tenant ${tenantId}: call ensureTenant first`);
    let keys: TenantKeys;
    try {
      keys = {
        hmacKey: decrypt(this.masterKey, row.hmac_key_sealed, `tenant:${tenantId}:hmac`),
        dataKey: decrypt(this.masterKey, row.data_key_sealed, `tenant:${tenantId}:data`),
      };
    } catch {
      throw new Error(`cannot unwrap the keys of tenant ${tenantId}: GDPR_CRM_MASTER_KEY (or master.key) is not the key they were created with`);
    }
    this.keyCache.set(tenantId, keys);
    return keys;
  }

  private async tenantExists(tenantId: string): Promise<boolean> {
    if (this.keyCache.has(tenantId)) return true;
    return (await this.db.selectFrom('tenants').select('tenant_id').where('tenant_id', '=', tenantId).executeTakeFirst()) !== undefined;
  }

  // ---- portals -------------------------------------------------------------------------------------

  async upsertPortal(input: PortalInput): Promise<Portal> {
    const portal = Portal.parse(input);
    await this.ensureTenant(portal.tenantId);
    const existing = await this.db.selectFrom('portals').select('tenant_id').where('portal_id', '=', portal.id).executeTakeFirst();
    // Moving a portal between tenants would mix one customer's findings into another's: refuse.
    if (existing && existing.tenant_id !== portal.tenantId) {
      throw new Error(`portal ${portal.id} belongs to tenant ${existing.tenant_id}, not ${portal.tenantId}`);
    }
    const now = new Date().toISOString();
    await this.db
      .insertInto('portals')
      .values({
        portal_id: portal.id,
        tenant_id: portal.tenantId,
        vendor: portal.vendor,
        vendor_account_id: portal.vendorAccountId,
        portal_json: JSON.stringify(portal),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('portal_id').doUpdateSet((eb) => ({
          vendor: eb.ref('excluded.vendor'),
          vendor_account_id: eb.ref('excluded.vendor_account_id'),
          portal_json: eb.ref('excluded.portal_json'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
    return portal;
  }

  async getPortal(portalId: string): Promise<Portal | null> {
    const row = await this.db.selectFrom('portals').select('portal_json').where('portal_id', '=', portalId).executeTakeFirst();
    return row ? Portal.parse(JSON.parse(row.portal_json)) : null;
  }

  async listPortals(tenantId?: string): Promise<Portal[]> {
    let q = this.db.selectFrom('portals').select('portal_json').orderBy('portal_id');
    if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
    return (await q.execute()).map((r) => Portal.parse(JSON.parse(r.portal_json)));
  }

  /**
   * Disconnect: deletes everything kept for the portal (inventory, checkpoints, findings, actions, the portal).
   * Kept on purpose: the audit log (ids only, must outlive the portal) and the tenant's suppression hashes
   * (so people forgotten through this portal stay forgotten in the tenant's other CRMs).
   */
  async deletePortalData(portalId: string): Promise<Record<string, number>> {
    return this.inTransaction(async (trx) => {
      const counts: Record<string, number> = {};
      for (const table of ['action_findings', 'actions', 'findings', 'checkpoints', 'field_inventory', 'contacts', 'portals'] as const) {
        const r = await trx.deleteFrom(table).where('portal_id', '=', portalId).executeTakeFirst();
        counts[table] = Number(r.numDeletedRows);
      }
      return counts;
    });
  }

  // ---- contacts inventory (ids and timestamps only) ------------------------------------------------

  async upsertContactsSeen(portalId: string, contacts: readonly ContactSeen[], seenAt: string = new Date().toISOString()): Promise<void> {
    const rows = dedupeById(ContactsSeenInput.parse(contacts));
    for (const part of chunks(rows)) {
      await this.db
        .insertInto('contacts')
        .values(part.map((c) => ({ portal_id: portalId, contact_id: c.id, modified_at: c.modifiedAt, last_seen_at: seenAt, deleted: false })))
        .onConflict((oc) =>
          oc.columns(['portal_id', 'contact_id']).doUpdateSet((eb) => ({
            modified_at: eb.ref('excluded.modified_at'),
            last_seen_at: eb.ref('excluded.last_seen_at'),
            deleted: false,
          })),
        )
        .execute();
    }
  }

  /** Contacts deleted in the vendor; returns how many known contacts were marked. */
  async markDeleted(portalId: string, contactIds: readonly string[]): Promise<number> {
    let n = 0;
    for (const part of chunks([...new Set(contactIds)])) {
      const r = await this.db
        .updateTable('contacts')
        .set({ deleted: true })
        .where('portal_id', '=', portalId)
        .where('contact_id', 'in', part)
        .executeTakeFirst();
      n += Number(r.numUpdatedRows);
    }
    return n;
  }

  async listContactsInventory(portalId: string): Promise<ContactInventoryRow[]> {
    const rows = await this.db.selectFrom('contacts').selectAll().where('portal_id', '=', portalId).orderBy('contact_id').execute();
    return rows.map((r) => ({ id: r.contact_id, modifiedAt: iso(r.modified_at), lastSeenAt: iso(r.last_seen_at), deleted: r.deleted }));
  }

  // ---- field inventory -----------------------------------------------------------------------------

  async upsertFieldInventory(portalId: string, fields: readonly FieldInventoryRow[]): Promise<void> {
    const rows = [...new Map(FieldInventoryInput.parse(fields).map((f) => [f.property, f])).values()];
    const now = new Date().toISOString();
    for (const part of chunks(rows)) {
      await this.db
        .insertInto('field_inventory')
        .values(part.map((f) => ({ portal_id: portalId, property: f.property, category: f.category, filled_count: f.filledCount, updated_at: now })))
        .onConflict((oc) =>
          oc.columns(['portal_id', 'property']).doUpdateSet((eb) => ({
            category: eb.ref('excluded.category'),
            filled_count: eb.ref('excluded.filled_count'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }

  async listFieldInventory(portalId: string): Promise<FieldInventoryRow[]> {
    const rows = await this.db.selectFrom('field_inventory').selectAll().where('portal_id', '=', portalId).orderBy('property').execute();
    return rows.map((r) => ({ property: r.property, category: DataCategory.parse(r.category), filledCount: r.filled_count }));
  }

  // ---- checkpoints ---------------------------------------------------------------------------------

  /** The saved value, or null when none was saved or it was cleared by saving `''`. */
  async getCheckpoint(portalId: string, kind: string): Promise<string | null> {
    const row = await this.getCheckpointRecord(portalId, kind);
    return row && row.value !== '' ? row.value : null;
  }

  async getCheckpointRecord(portalId: string, kind: string): Promise<Checkpoint | null> {
    const row = await this.db.selectFrom('checkpoints').selectAll().where('portal_id', '=', portalId).where('kind', '=', kind).executeTakeFirst();
    return row ? { value: row.value, cursorTime: isoOrNull(row.cursor_time), updatedAt: iso(row.updated_at) } : null;
  }

  async saveCheckpoint(portalId: string, kind: string, value: string, cursorTime?: string | Date | null): Promise<void> {
    const ct = cursorTime == null ? null : IsoDateTime.parse(iso(cursorTime));
    await this.db
      .insertInto('checkpoints')
      .values({ portal_id: portalId, kind, value, cursor_time: ct, updated_at: new Date().toISOString() })
      .onConflict((oc) =>
        oc.columns(['portal_id', 'kind']).doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          cursor_time: eb.ref('excluded.cursor_time'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  // ---- findings ------------------------------------------------------------------------------------

  /**
   * Records one scan's findings. A finding keeps the firstSeenAt of the scan that first saw it (while it
   * stays open), so its grace period is not restarted by later scans; a resolved finding that comes back
   * starts again. Open findings of `scannedContacts` that this scan did not report are resolved.
   */
  async recordFindings(portalId: string, scanAt: string, scannedContacts: ScannedContacts, findings: readonly Finding[]): Promise<RecordFindingsResult> {
    IsoDateTime.parse(scanAt);
    const input = dedupeById(findings.map((f) => Finding.parse(f)));
    for (const f of input) if (f.portalId !== portalId) throw new Error(`finding ${f.id} belongs to portal ${f.portalId}, not ${portalId}`);

    return this.inTransaction(async (trx) => {
      const existing = new Map<string, { status: string; firstSeenAt: string }>();
      // A few contacts (a webhook check): their stored findings and the open ones of those contacts in one
      // read. Open findings read before the upsert are the same candidates as after it: every finding the
      // upsert writes is reported, so none of them is resolved.
      const ids = input.map((f) => f.id);
      const contactIds = scannedContacts !== 'all' && !scannedContacts.includes(null) ? [...new Set(scannedContacts as readonly string[])] : [];
      let candidates: string[] | null = null;
      if (contactIds.length > 0 && contactIds.length <= CHUNK && ids.length <= CHUNK) {
        const wanted = new Set(ids);
        const contacts = new Set(contactIds);
        const openOfContacts = (eb: ExpressionBuilder<Database, 'findings'>) => eb.and([eb('status', '=', 'open'), eb('contact_id', 'in', contactIds)]);
        const rows = await trx
          .selectFrom('findings')
          .select(['finding_id', 'status', 'first_seen_at', 'contact_id'])
          .where('portal_id', '=', portalId)
          .where((eb) => (ids.length > 0 ? eb.or([eb('finding_id', 'in', ids), openOfContacts(eb)]) : openOfContacts(eb)))
          .execute();
        candidates = [];
        for (const r of rows) {
          if (wanted.has(r.finding_id)) existing.set(r.finding_id, { status: r.status, firstSeenAt: iso(r.first_seen_at) });
          if (r.status === 'open' && r.contact_id !== null && contacts.has(r.contact_id)) candidates.push(r.finding_id);
        }
      } else {
        for (const part of chunks(ids)) {
          const rows = await trx
            .selectFrom('findings')
            .select(['finding_id', 'status', 'first_seen_at'])
            .where('portal_id', '=', portalId)
            .where('finding_id', 'in', part)
            .execute();
          for (const r of rows) existing.set(r.finding_id, { status: r.status, firstSeenAt: iso(r.first_seen_at) });
        }
      }

      const stored: Finding[] = input.map((f) => {
        const prev = existing.get(f.id);
        const firstSeenAt = prev && prev.status === 'open' ? prev.firstSeenAt : scanAt;
        return { ...f, firstSeenAt, dueAt: new Date(Date.parse(firstSeenAt) + f.graceDays * DAY_MS).toISOString() };
      });
      for (const part of chunks(stored, 500)) {
        await trx
          .insertInto('findings')
          .values(
            part.map((f) => ({
              portal_id: portalId,
              finding_id: f.id,
              contact_id: f.contactId,
              rule_id: f.ruleId,
              status: 'open' as const,
              first_seen_at: f.firstSeenAt,
              last_seen_at: scanAt,
              resolved_at: null,
              due_at: f.dueAt,
              finding_json: JSON.stringify(f),
            })),
          )
          .onConflict((oc) =>
            oc.columns(['portal_id', 'finding_id']).doUpdateSet((eb) => ({
              contact_id: eb.ref('excluded.contact_id'),
              rule_id: eb.ref('excluded.rule_id'),
              status: eb.ref('excluded.status'),
              first_seen_at: eb.ref('excluded.first_seen_at'),
              last_seen_at: eb.ref('excluded.last_seen_at'),
              resolved_at: null,
              due_at: eb.ref('excluded.due_at'),
              finding_json: eb.ref('excluded.finding_json'),
            })),
          )
          .execute();
      }

      const reported = new Set(stored.map((f) => f.id));
      candidates ??= await this.openFindingIdsFor(trx, portalId, scannedContacts);
      const resolved = candidates.filter((id) => !reported.has(id));
      for (const part of chunks(resolved)) {
        await trx
          .updateTable('findings')
          .set({ status: 'resolved', resolved_at: scanAt })
          .where('portal_id', '=', portalId)
          .where('finding_id', 'in', part)
          .execute();
      }
      return { findings: stored, resolved };
    });
  }

  private async openFindingIdsFor(db: Db, portalId: string, scanned: ScannedContacts): Promise<string[]> {
    const base = db.selectFrom('findings').select('finding_id').where('portal_id', '=', portalId).where('status', '=', 'open');
    if (scanned === 'all') return (await base.execute()).map((r) => r.finding_id);
    const ids: string[] = [];
    if (scanned.includes(null)) ids.push(...(await base.where('contact_id', 'is', null).execute()).map((r) => r.finding_id));
    const contactIds = [...new Set(scanned.filter((c): c is string => c !== null))];
    for (const part of chunks(contactIds)) {
      ids.push(...(await base.where('contact_id', 'in', part).execute()).map((r) => r.finding_id));
    }
    return ids;
  }

  async listOpenFindings(portalId: string): Promise<Finding[]> {
    const rows = await this.db
      .selectFrom('findings')
      .select('finding_json')
      .where('portal_id', '=', portalId)
      .where('status', '=', 'open')
      .orderBy('due_at')
      .orderBy('finding_id')
      .execute();
    return rows.map((r) => Finding.parse(JSON.parse(r.finding_json)));
  }

  // ---- actions -------------------------------------------------------------------------------------

  /**
   * Saves planned actions by their stable id. Actions already done or running are left alone (a done
   * action is never run again); cancelled, skipped and failed ones are planned again, since the scan
   * still reports their cause. `states`: each action's state once saved ('planned', or the done or
   * running it kept), as of this transaction.
   */
  async savePlannedActions(portalId: string, actions: readonly Action[]): Promise<{ planned: number; unchanged: number; states: Map<string, ActionState> }> {
    const input = dedupeById(actions.map((a) => storableAction(Action.parse(a))));
    for (const a of input) if (a.portalId !== portalId) throw new Error(`action ${a.id} belongs to portal ${a.portalId}, not ${portalId}`);
    if (input.length === 0) return { planned: 0, unchanged: 0, states: new Map() };

    return this.inTransaction(async (trx) => {
      // One statement per 500 actions: the upsert leaves done and running actions as they are (its WHERE)
      // and returns the ids it wrote; only the states of those it left need a read.
      const saved = new Set<string>();
      const now = new Date().toISOString();
      for (const part of chunks(input, 500)) {
        const rows = await trx
          .insertInto('actions')
          .values(
            part.map((a) => ({
              action_id: a.id,
              portal_id: portalId,
              contact_id: a.contactId,
              type: a.type,
              state: 'planned' as const,
              destructive: a.destructive,
              due_at: a.dueAt,
              action_json: JSON.stringify(a),
              result_json: null,
              attempts: 0,
              created_at: now,
              updated_at: now,
            })),
          )
          .onConflict((oc) =>
            oc
              .column('action_id')
              .doUpdateSet((eb) => ({
                contact_id: eb.ref('excluded.contact_id'),
                type: eb.ref('excluded.type'),
                state: 'planned' as const,
                destructive: eb.ref('excluded.destructive'),
                due_at: eb.ref('excluded.due_at'),
                action_json: eb.ref('excluded.action_json'),
                updated_at: eb.ref('excluded.updated_at'),
              }))
              .where('actions.state', 'not in', ['done', 'running']),
          )
          .returning('action_id')
          .execute();
        for (const r of rows) saved.add(r.action_id);
        const toLink = part.filter((a) => saved.has(a.id));
        if (toLink.length === 0) continue;
        await trx.deleteFrom('action_findings').where('action_id', 'in', toLink.map((a) => a.id)).execute();
        const links = toLink.flatMap((a) => [...new Set(a.findingIds)].map((fid) => ({ portal_id: portalId, action_id: a.id, finding_id: fid })));
        for (const lp of chunks(links)) await trx.insertInto('action_findings').values(lp).execute();
      }
      const states = new Map<string, ActionState>(input.filter((a) => saved.has(a.id)).map((a) => [a.id, 'planned' as const]));
      const kept = input.filter((a) => !saved.has(a.id)).map((a) => a.id);
      for (const part of chunks(kept)) {
        for (const r of await trx.selectFrom('actions').select(['action_id', 'state']).where('action_id', 'in', part).execute()) states.set(r.action_id, r.state);
      }
      return { planned: saved.size, unchanged: input.length - saved.size, states };
    });
  }

  async getActionState(actionId: string): Promise<ActionState | null> {
    const row = await this.db.selectFrom('actions').select('state').where('action_id', '=', actionId).executeTakeFirst();
    return row ? row.state : null;
  }

  async getAction(actionId: string): Promise<ActionRecord | null> {
    const row = await this.db.selectFrom('actions').selectAll().where('action_id', '=', actionId).executeTakeFirst();
    if (!row) return null;
    return {
      action: Action.parse(JSON.parse(row.action_json)),
      state: row.state,
      result: row.result_json ? ActionResult.parse(JSON.parse(row.result_json)) : null,
      attempts: row.attempts,
    };
  }

  /** Actions still to run: planned, failed (retried) and running (interrupted by a crash; re-run). */
  /** Contacts we anonymised (done anonymise actions): no longer personal data, so scans leave them alone. */
  async listAnonymisedContactIds(portalId: string): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('actions')
      .select('contact_id')
      .where('portal_id', '=', portalId)
      .where('type', '=', 'anonymise')
      .where('state', '=', 'done')
      .execute();
    return new Set(rows.map((r) => r.contact_id));
  }

  async listOpenActions(portalId: string): Promise<Action[]> {
    const rows = await this.db
      .selectFrom('actions')
      .select('action_json')
      .where('portal_id', '=', portalId)
      .where('state', 'in', OPEN_ACTION_STATES)
      .orderBy('due_at')
      .orderBy('action_id')
      .execute();
    return rows.map((r) => Action.parse(JSON.parse(r.action_json)));
  }

  /** Marks an action as being sent. Returns false (and changes nothing) if it is already done. */
  async markActionStarted(actionId: string): Promise<boolean> {
    const now = new Date().toISOString();
    const r = await this.db
      .updateTable('actions')
      .set((eb) => ({ state: 'running' as const, attempts: eb('attempts', '+', 1), started_at: now, updated_at: now }))
      .where('action_id', '=', actionId)
      .where('state', '!=', 'done')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) return true;
    if ((await this.getActionState(actionId)) === null) throw new Error(`unknown action ${actionId}: it was not planned in this store`);
    return false;
  }

  /** Records a result. A done action keeps its done result (returns false); unknown ids throw. */
  async markActionResult(actionId: string, result: ActionResult): Promise<boolean> {
    const r = ActionResult.parse(result);
    if (r.actionId !== actionId) throw new Error(`result for ${r.actionId} recorded against action ${actionId}`);
    const now = new Date().toISOString();
    const u = await this.db
      .updateTable('actions')
      .set({ state: r.status, result_json: JSON.stringify(r), finished_at: now, updated_at: now })
      .where('action_id', '=', actionId)
      .where('state', '!=', 'done')
      .executeTakeFirst();
    if (Number(u.numUpdatedRows) > 0) return true;
    if ((await this.getActionState(actionId)) === null) throw new Error(`unknown action ${actionId}: it was not planned in this store`);
    return false;
  }

  // ---- batches of actions and claims (applyPlan) ---------------------------------------------------

  /** States of many actions, one read per 1000 ids. Ids not in the store are absent from the map. */
  async getActionStates(actionIds: readonly string[]): Promise<Map<string, ActionState>> {
    const out = new Map<string, ActionState>();
    for (const part of chunks([...new Set(actionIds)])) {
      for (const r of await this.db.selectFrom('actions').select(['action_id', 'state']).where('action_id', 'in', part).execute()) out.set(r.action_id, r.state);
    }
    return out;
  }

  /**
   * Of `contactIds`, those with a destructive action still open (planned, running or failed) in the
   * portal. One indexed read, however many actions the rest of the portal has open.
   */
  async contactsWithOpenDestructiveActions(portalId: string, contactIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks([...new Set(contactIds)])) {
      const rows = await this.db
        .selectFrom('actions')
        .select('contact_id')
        .distinct()
        .where('portal_id', '=', portalId)
        .where('state', 'in', OPEN_ACTION_STATES)
        .where('destructive', '=', true)
        .where('contact_id', 'in', part)
        .execute();
      for (const r of rows) out.add(r.contact_id);
    }
    return out;
  }

  /**
   * Claims actions for sending, atomically (one UPDATE ... RETURNING per 1000 ids), so that two processes
   * applying the same action at the same instant do not both send it. Claimable: planned and failed
   * actions, and running ones whose claim has lapsed: older than `leaseMs`, left by an apply of this store
   * that has ended, without a holder (marked started before claims existed), or, on PGlite (one process
   * opens a data directory at a time), made before this store was opened. Done, skipped and cancelled
   * actions are never claimed. Returns the ids claimed (now 'running', held by `claimOwner`); the others
   * are finished or held by another apply. Record results with markActionResults; call releaseClaims when
   * the apply ends either way. With `start`, the claimed actions are also marked as being sent (as
   * markActionsStarted does) in the same statement: for a batch that is sent as soon as it is claimed.
   */
  async claimActions(actionIds: readonly string[], opts: { leaseMs?: number; start?: boolean } = {}): Promise<Set<string>> {
    const now = Date.now();
    let cutoff = now - (opts.leaseMs ?? DEFAULT_CLAIM_LEASE_MS);
    if (this.backend === 'pglite') cutoff = Math.max(cutoff, this.openedAt);
    // Reserved in memory before the first await: two applies of this process never claim one id both.
    const ids = [...new Set(actionIds)].filter((id) => !this.claimsHeld.has(id));
    for (const id of ids) this.claimsHeld.add(id);
    const claimed = new Set<string>();
    const at = new Date(now).toISOString();
    try {
      for (const part of chunks(ids)) {
        const rows = await this.db
          .updateTable('actions')
          .set((eb) => ({
            state: 'running' as const,
            claimed_by: this.claimOwner,
            claimed_at: at,
            updated_at: at,
            ...(opts.start ? { attempts: eb('attempts', '+', 1), started_at: at } : {}),
          }))
          .where('action_id', 'in', part)
          .where((eb) =>
            eb.or([
              eb('state', 'in', ['planned', 'failed']),
              eb.and([eb('state', '=', 'running'), eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<', new Date(cutoff)), eb('claimed_by', '=', this.claimOwner)])]),
            ]),
          )
          .returning('action_id')
          .execute();
        for (const r of rows) claimed.add(r.action_id);
      }
    } catch (e) {
      // Rows already claimed stay ours in the database: this store may claim them again at once.
      for (const id of ids) this.claimsHeld.delete(id);
      throw e;
    }
    for (const id of ids) if (!claimed.has(id)) this.claimsHeld.delete(id);
    return claimed;
  }

  /**
   * Marks claimed actions as being sent (attempts + 1, started_at), in one statement. Returns the ids
   * this store still holds: send only those (a claim that lapsed may have been taken over).
   */
  async markActionsStarted(actionIds: readonly string[]): Promise<Set<string>> {
    const now = new Date().toISOString();
    const out = new Set<string>();
    for (const part of chunks([...new Set(actionIds)])) {
      const rows = await this.db
        .updateTable('actions')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), started_at: now, updated_at: now }))
        .where('action_id', 'in', part)
        .where('state', '=', 'running')
        .where('claimed_by', '=', this.claimOwner)
        .returning('action_id')
        .execute();
      for (const r of rows) out.add(r.action_id);
    }
    return out;
  }

  /**
   * Records many results in one statement per 1000 and ends their claims; with `alsoInTransaction` (e.g.
   * the audit rows of these results) both commit together or not at all. A done action keeps its done
   * result, and a running action that another store holds now (our claim lapsed and was taken over) is
   * left to it. Returns the ids recorded.
   */
  async markActionResults(results: readonly ActionResult[], alsoInTransaction?: (trx: Transaction<Database>) => Promise<unknown>): Promise<Set<string>> {
    const input = [...new Map(results.map((r) => ActionResult.parse(r)).map((r) => [r.actionId, r])).values()];
    const now = new Date().toISOString();
    const write = async (db: Db): Promise<Set<string>> => {
      const out = new Set<string>();
      for (const part of chunks(input)) {
        const rows = await sql<{ action_id: string }>`
          update actions as a
          set state = v.state, result_json = v.result_json, finished_at = ${now}::timestamptz, updated_at = ${now}::timestamptz
          from (values ${sql.join(part.map((r) => sql`(${r.actionId}::text, ${r.status}::text, ${JSON.stringify(r)}::text)`))}) as v(action_id, state, result_json)
          where a.action_id = v.action_id and a.state <> 'done' and (a.state <> 'running' or a.claimed_by is null or a.claimed_by = ${this.claimOwner})
          returning a.action_id`.execute(db);
        for (const r of rows.rows) out.add(r.action_id);
      }
      if (alsoInTransaction) await alsoInTransaction(db as Transaction<Database>);
      return out;
    };
    const recorded = alsoInTransaction || input.length > CHUNK ? await this.inTransaction(write) : await write(this.db);
    this.releaseClaims(input.map((r) => r.actionId));
    return recorded;
  }

  /**
   * Ends this store's in-memory hold on claims (an apply finished, or stopped before recording). The rows
   * stay as they are: a claim left 'running' may be claimed again by this store at once, by others after
   * the lease.
   */
  releaseClaims(actionIds: readonly string[]): void {
    for (const id of actionIds) this.claimsHeld.delete(id);
  }

  /**
   * Cancels planned or failed actions whose findings are all resolved now (an action serving a finding
   * that is still open stays). Returns the cancelled action ids.
   */
  async cancelActionsForResolvedFindings(findingIds: readonly string[]): Promise<string[]> {
    if (findingIds.length === 0) return [];
    return this.inTransaction(async (trx) => {
      const candidates = new Set<string>();
      for (const part of chunks([...new Set(findingIds)])) {
        const rows = await trx
          .selectFrom('action_findings as af')
          .innerJoin('actions as a', 'a.action_id', 'af.action_id')
          .select('af.action_id')
          .where('af.finding_id', 'in', part)
          .where('a.state', 'in', ['planned', 'failed'])
          .execute();
        for (const r of rows) candidates.add(r.action_id);
      }
      const stillNeeded = new Set<string>();
      for (const part of chunks([...candidates])) {
        const rows = await trx
          .selectFrom('action_findings as af')
          .innerJoin('findings as f', (j) => j.onRef('f.portal_id', '=', 'af.portal_id').onRef('f.finding_id', '=', 'af.finding_id'))
          .select('af.action_id')
          .where('af.action_id', 'in', part)
          .where('f.status', '=', 'open')
          .execute();
        for (const r of rows) stillNeeded.add(r.action_id);
      }
      const cancel = [...candidates].filter((id) => !stillNeeded.has(id)).sort();
      const now = new Date().toISOString();
      for (const part of chunks(cancel)) {
        await trx
          .updateTable('actions')
          .set({ state: 'cancelled', updated_at: now })
          .where('action_id', 'in', part)
          .where('state', 'in', ['planned', 'failed'])
          .execute();
      }
      return cancel;
    });
  }

  // ---- suppression (keyed hashes only) -------------------------------------------------------------

  /**
   * Remembers a forgotten person by HMAC-SHA256(tenant key, normalised identifier) only. Returns how many
   * identifiers were kept (0 when there were none to keep).
   */
  async addSuppression(tenantId: string, identifiers: Identifiers, reason: string, contactRef: string): Promise<number> {
    const { hmacKey } = await this.ensureTenant(tenantId);
    const ids = normaliseIdentifiers(identifiers);
    if (ids.length === 0) return 0;
    const now = new Date().toISOString();
    await this.db
      .insertInto('suppression')
      .values(ids.map((i) => ({ tenant_id: tenantId, identifier_hash: hmacSha256(hmacKey, hashInput(i)), kind: i.kind, reason, contact_ref: contactRef, created_at: now })))
      .onConflict((oc) => oc.columns(['tenant_id', 'identifier_hash']).doNothing())
      .execute();
    return ids.length;
  }

  async matchSuppression(tenantId: string, identifiers: Identifiers): Promise<boolean> {
    const ids = normaliseIdentifiers(identifiers);
    if (ids.length === 0 || !(await this.tenantExists(tenantId))) return false;
    const { hmacKey } = await this.getTenantKeys(tenantId);
    const row = await this.db
      .selectFrom('suppression')
      .select('identifier_hash')
      .where('tenant_id', '=', tenantId)
      .where(
        'identifier_hash',
        'in',
        ids.map((i) => hmacSha256(hmacKey, hashInput(i))),
      )
      .executeTakeFirst();
    return row !== undefined;
  }

  /** matchSuppression for several records in one read (a webhook check batch): one answer per record, in order. */
  async matchSuppressionMany(tenantId: string, records: readonly Identifiers[]): Promise<boolean[]> {
    const ids = records.map((r) => normaliseIdentifiers(r));
    if (ids.every((i) => i.length === 0) || !(await this.tenantExists(tenantId))) return records.map(() => false);
    const { hmacKey } = await this.getTenantKeys(tenantId);
    const hashes = ids.map((list) => list.map((i) => hmacSha256(hmacKey, hashInput(i))));
    const found = new Set<string>();
    for (const part of chunks([...new Set(hashes.flat())])) {
      const rows = await this.db.selectFrom('suppression').select('identifier_hash').where('tenant_id', '=', tenantId).where('identifier_hash', 'in', part).execute();
      for (const r of rows) found.add(r.identifier_hash);
    }
    return hashes.map((list) => list.some((h) => found.has(h)));
  }

  /** Loads the tenant's suppression hashes once, for matching every contact of a scan in memory. */
  async loadSuppressionSet(tenantId: string): Promise<(identifiers: Identifiers) => boolean> {
    if (!(await this.tenantExists(tenantId))) return () => false;
    const { hmacKey } = await this.getTenantKeys(tenantId);
    const rows = await this.db.selectFrom('suppression').select('identifier_hash').where('tenant_id', '=', tenantId).execute();
    const hashes = new Set(rows.map((r) => r.identifier_hash));
    if (hashes.size === 0) return () => false;
    return (identifiers) => normaliseIdentifiers(identifiers).some((i) => hashes.has(hmacSha256(hmacKey, hashInput(i))));
  }
}
