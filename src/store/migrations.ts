import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * The one set of migrations for PGlite and PostgreSQL. Append new entries; never edit a shipped one
 * (the Migrator refuses to run when an applied migration is missing or renamed).
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('tenants')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('hmac_key_sealed', 'text', (c) => c.notNull())
        .addColumn('data_key_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('portals')
        .addColumn('portal_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.tenant_id'))
        .addColumn('vendor', 'text', (c) => c.notNull())
        .addColumn('vendor_account_id', 'text', (c) => c.notNull())
        .addColumn('portal_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('portals_tenant_idx').on('portals').column('tenant_id').execute();

      // Everything kept per portal references it with ON DELETE CASCADE, so disconnecting cannot leave rows behind.
      const portalRef = 'portals.portal_id';
      await db.schema
        .createTable('contacts')
        .addColumn('portal_id', 'text', (c) => c.notNull().references(portalRef).onDelete('cascade'))
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'timestamptz', (c) => c.notNull())
        .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
        .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
        .addPrimaryKeyConstraint('contacts_pk', ['portal_id', 'contact_id'])
        .execute();

      await db.schema
        .createTable('field_inventory')
        .addColumn('portal_id', 'text', (c) => c.notNull().references(portalRef).onDelete('cascade'))
        .addColumn('property', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('filled_count', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('field_inventory_pk', ['portal_id', 'property'])
        .execute();

      await db.schema
        .createTable('checkpoints')
        .addColumn('portal_id', 'text', (c) => c.notNull().references(portalRef).onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('cursor_time', 'timestamptz')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('checkpoints_pk', ['portal_id', 'kind'])
        .execute();

      await db.schema
        .createTable('findings')
        .addColumn('portal_id', 'text', (c) => c.notNull().references(portalRef).onDelete('cascade'))
        .addColumn('finding_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text')
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'resolved')`))
        .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
        .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
        .addColumn('resolved_at', 'timestamptz')
        .addColumn('due_at', 'timestamptz', (c) => c.notNull())
        .addColumn('finding_json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('findings_pk', ['portal_id', 'finding_id'])
        .execute();
      await db.schema.createIndex('findings_contact_idx').on('findings').columns(['portal_id', 'contact_id', 'status']).execute();

      await db.schema
        .createTable('actions')
        .addColumn('action_id', 'text', (c) => c.primaryKey())
        .addColumn('portal_id', 'text', (c) => c.notNull().references(portalRef).onDelete('cascade'))
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('planned', 'running', 'done', 'failed', 'cancelled', 'skipped')`),
        )
        .addColumn('destructive', 'boolean', (c) => c.notNull())
        .addColumn('due_at', 'timestamptz', (c) => c.notNull())
        .addColumn('action_json', 'text', (c) => c.notNull())
        .addColumn('result_json', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('started_at', 'timestamptz')
        .addColumn('finished_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('actions_portal_state_idx').on('actions').columns(['portal_id', 'state']).execute();

      await db.schema
        .createTable('action_findings')
        .addColumn('portal_id', 'text', (c) => c.notNull().references(portalRef).onDelete('cascade'))
        .addColumn('action_id', 'text', (c) => c.notNull().references('actions.action_id').onDelete('cascade'))
        .addColumn('finding_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('action_findings_pk', ['action_id', 'finding_id'])
        .execute();
      await db.schema.createIndex('action_findings_finding_idx').on('action_findings').column('finding_id').execute();

      // Suppression is per tenant, not per portal: a forgotten person stays forgotten across the tenant's CRMs.
      await db.schema
        .createTable('suppression')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.tenant_id'))
        .addColumn('identifier_hash', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('email', 'phone')`))
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('contact_ref', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('suppression_pk', ['tenant_id', 'identifier_hash'])
        .execute();

      // Audit rows outlive portals (no foreign keys): the record of what was done must survive a disconnect.
      await db.schema
        .createTable('audit_log')
        .addColumn('chain', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('portal_id', 'text')
        .addColumn('contact_id', 'text')
        .addColumn('rule_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_log_pk', ['chain', 'seq'])
        .execute();
      await db.schema.createIndex('audit_log_portal_idx').on('audit_log').columns(['portal_id', 'seq']).execute();

      await db.schema
        .createTable('audit_head')
        .addColumn('chain', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const t of ['audit_head', 'audit_log', 'suppression', 'action_findings', 'actions', 'findings', 'checkpoints', 'field_inventory', 'contacts', 'portals', 'tenants']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
  '0002_action_claims': {
    // Store.claimActions: the process running an action and since when (a lease; null for unclaimed rows).
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('actions').addColumn('claimed_by', 'text').execute();
      await db.schema.alterTable('actions').addColumn('claimed_at', 'timestamptz').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('actions').dropColumn('claimed_at').execute();
      await db.schema.alterTable('actions').dropColumn('claimed_by').execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
