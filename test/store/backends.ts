/**
 * The store backends every store and audit suite runs on: PGlite on the test's thread (one instance per
 * file, migrated once, emptied per test), PGlite in a worker thread on disk (as `gdpr-crm serve` opens it;
 * the same, through PGliteThread) and PostgreSQL (a fresh schema per test, dropped afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { Client } from 'pg';
import { openStore, PGliteThread, Store } from '../../src/store';

export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  name: 'pglite' | 'pglite-thread' | 'postgres';
  /** Once per file. */
  setup(): Promise<void>;
  /** A migrated, empty store. */
  open(): Promise<Store>;
  /** A second store on the same database as the last `open()` (PostgreSQL: another pool, like another process). */
  openAgain?(): Promise<Store>;
  /** Closes stores and instances, drops schemas. */
  teardown(): Promise<void>;
  /** Per test. */
  afterEach(): Promise<void>;
}

function tmpDataDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-store-'));
}

/** Master key from the environment so tests do not depend on a key file (one test covers the file). */
export const TEST_ENV: NodeJS.ProcessEnv = { GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64') };

/** Every table the migrations create, emptied between tests on the shared PGlite. */
const TABLES = ['tenants', 'portals', 'contacts', 'field_inventory', 'checkpoints', 'findings', 'actions', 'action_findings', 'suppression', 'audit_log', 'audit_head'];

/**
 * One PGlite per file (opening one takes seconds; so does clone() on this machine): tables are emptied after
 * each test and every test gets a new Store object over the same database, so no key cache carries over.
 */
export function pgliteBackend(where: 'main' | 'thread' = 'main'): Backend {
  let base: Store | undefined;
  const dir = tmpDataDir();
  return {
    name: where === 'main' ? 'pglite' : 'pglite-thread',
    async setup() {
      const pglite = where === 'main' ? await PGlite.create() : await PGliteThread.open(path.join(dir, 'db'));
      base = await openStore({ pglite, dataDir: dir, env: TEST_ENV });
    },
    async open() {
      if (!base) throw new Error('pglite backend not set up');
      return new Store(base.db, 'pglite', Buffer.from(TEST_ENV.GDPR_CRM_MASTER_KEY!, 'base64'));
    },
    async afterEach() {
      if (base) await sql`truncate table ${sql.join(TABLES.map((t) => sql.table(t)))} cascade`.execute(base.db);
    },
    async teardown() {
      await base?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresBackend(): Backend {
  const runId = `t${process.pid}_${randomBytes(4).toString('hex')}`;
  let n = 0;
  let current: string | undefined;
  const schemas: string[] = [];
  const open: Store[] = [];
  const dir = tmpDataDir();
  const openOn = async (schema: string) => {
    const s = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, dataDir: dir, env: TEST_ENV });
    open.push(s);
    return s;
  };
  const dropSchemas = async () => {
    if (schemas.length === 0) return;
    const c = new Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    try {
      for (const s of schemas.splice(0)) await c.query(`drop schema if exists "${s}" cascade`);
    } finally {
      await c.end();
    }
  };
  return {
    name: 'postgres',
    async setup() {
      const c = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
      try {
        await c.connect();
        await c.query('select 1');
      } catch (e) {
        throw new Error(
          `PostgreSQL is not reachable at ${TEST_DATABASE_URL} (${(e as Error).message}). ` +
            'The store suite must pass on PostgreSQL too: start it (see DEVELOPERS.md) or set DATABASE_URL.',
        );
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    async open() {
      current = `${runId}_${++n}`;
      schemas.push(current);
      return openOn(current);
    },
    async openAgain() {
      if (!current) throw new Error('open() first');
      return openOn(current);
    },
    async afterEach() {
      while (open.length > 0) await open.pop()!.close();
      await dropSchemas();
    },
    async teardown() {
      while (open.length > 0) await open.pop()!.close();
      await dropSchemas();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const backends = (): Backend[] => [pgliteBackend(), pgliteBackend('thread'), postgresBackend()];
