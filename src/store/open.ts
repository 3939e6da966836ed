import path from 'node:path';
import { Kysely, Migrator, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import { Pool } from 'pg';
import { loadMasterKey } from '../crypto';
import { SearchPathPostgresDialect } from './introspector';
import { PGliteThread, PGliteThreadDialect } from './pglite-thread';
import { migrationProvider } from './migrations';
import type { Database } from './schema';
import { Store, type Backend } from './store';

export interface OpenStoreOptions {
  /** PostgreSQL connection string; defaults to env DATABASE_URL. When absent, embedded PGlite is used. */
  databaseUrl?: string;
  /** Defaults to env GDPR_CRM_DATA_DIR or ./.gdpr-crm. Holds `db/` (PGlite) and, without GDPR_CRM_MASTER_KEY, `master.key`. */
  dataDir?: string;
  /**
   * For tests and benchmarks: an open PGlite (e.g. a `clone()`) or PGliteThread; the store takes it over
   * and closes it in `close()`.
   */
  pglite?: PGlite | PGliteInterface | PGliteThread;
  /**
   * Embedded PGlite only: where its statements run. `main` (default): on this thread, as a one-shot CLI
   * command wants. `worker`: in a worker thread of its own (PGliteThread), so a long-running server's
   * thread answers webhooks while the store works; the same database and semantics.
   */
  pgliteThread?: 'main' | 'worker';
  /** PostgreSQL only: the schema to keep the tables in (created if missing). Tests use one per run. */
  schema?: string;
  /** Where GDPR_CRM_MASTER_KEY and the defaults are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens the store and brings its schema up to date (one set of migrations for PGlite and PostgreSQL). */
export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const env = opts.env ?? process.env;
  const dataDir = path.resolve(opts.dataDir ?? (env.GDPR_CRM_DATA_DIR || './.gdpr-crm'));
  const masterKey = loadMasterKey(dataDir, env);
  const databaseUrl = opts.pglite ? undefined : opts.databaseUrl ?? (env.DATABASE_URL || undefined);

  let db: Kysely<Database>;
  let backend: Backend;
  if (databaseUrl) {
    if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) throw new Error(`invalid schema name "${opts.schema}"`);
    const pool = new Pool({
      connectionString: databaseUrl,
      max: 10,
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    db = new Kysely<Database>({ dialect: new SearchPathPostgresDialect({ pool }) });
    backend = 'postgres';
    try {
      if (opts.schema) await sql`create schema if not exists ${sql.id(opts.schema)}`.execute(db);
      else await sql`select 1`.execute(db);
    } catch (e) {
      await db.destroy();
      throw new Error(`cannot reach PostgreSQL at ${redactUrl(databaseUrl)}: ${(e as Error).message}`);
    }
  } else {
    let pg = opts.pglite;
    if (!pg) {
      const dir = path.join(dataDir, 'db');
      pg = opts.pgliteThread === 'worker' ? await PGliteThread.open(dir) : await PGlite.create(dir);
    }
    db = new Kysely<Database>({ dialect: pg instanceof PGliteThread ? new PGliteThreadDialect(pg) : new PGliteDialect(pg as PGlite) });
    backend = 'pglite';
  }

  try {
    // With a schema, the Migrator must look for its own tables there: unqualified, it finds another schema's.
    const migrator = new Migrator({ db, provider: migrationProvider, ...(databaseUrl && opts.schema ? { migrationTableSchema: opts.schema } : {}) });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(`store migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
    }
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return new Store(db, backend, masterKey);
}

/** Connection strings may carry a password: never print it. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
