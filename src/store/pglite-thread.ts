/**
 * The embedded PGlite store on its own thread. PGlite is PostgreSQL compiled to WebAssembly: every
 * statement runs on the thread that owns the instance. In the always-on server that is the thread
 * that also answers webhooks, so each store round trip (0.3–2 ms of wasm each) held up webhook
 * receipt and enqueue. Here the instance lives in a worker thread and statements travel over a
 * MessagePort; the webhook thread only waits for their results.
 *
 * Semantics are those of PGlite on the thread: one database, one connection, statements run one at a
 * time in the order sent (the Kysely driver below hands the connection to one user at a time, so a
 * transaction's statements are never interleaved with another's). Results and errors come back as
 * PGlite gives them (rows, affectedRows; an error's message, code, detail, constraint ...).
 */
import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/** Runs in the worker (plain JavaScript: no TypeScript loader there). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pgliteModule);
const opened = PGlite.create(workerData.dataDir);
opened.then(() => parentPort.postMessage({ type: 'ready' }), (e) => parentPort.postMessage({ type: 'failed', error: plain(e) }));
function plain(e) {
  const out = { name: (e && e.name) || 'Error', message: (e && e.message) || String(e) };
  if (e && typeof e === 'object') for (const [k, v] of Object.entries(e)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}
// One statement at a time, in the order received; close after every statement sent before it.
let tail = opened;
const run = (fn) => (tail = tail.then(fn, fn));
parentPort.on('message', (m) => {
  if (m.type === 'query') {
    run(async () => {
      try {
        const pg = await opened;
        if (m.begin) await pg.query(m.begin); // a transaction's begin, sent with its first statement
        const r = await pg.query(m.sql, m.params);
        parentPort.postMessage({ type: 'result', id: m.id, rows: r.rows, affectedRows: r.affectedRows });
      } catch (e) {
        parentPort.postMessage({ type: 'result', id: m.id, error: plain(e) });
      }
    });
  } else if (m.type === 'close') {
    run(async () => {
      try {
        await (await opened).close();
        parentPort.postMessage({ type: 'closed' });
      } catch (e) {
        parentPort.postMessage({ type: 'closed', error: plain(e) });
      }
    });
  }
});
`;

export interface PGliteThreadResult {
  rows: Record<string, unknown>[];
  affectedRows?: number;
}

interface WireError {
  name: string;
  message: string;
  [k: string]: unknown;
}
type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; error: WireError }
  | { type: 'result'; id: number; rows?: Record<string, unknown>[]; affectedRows?: number; error?: WireError }
  | { type: 'closed'; error?: WireError };

function toError(w: WireError): Error {
  const e = new Error(w.message);
  Object.assign(e, w);
  return e;
}

/** A PGlite instance in a worker thread; `query` as PGlite's. */
export class PGliteThread {
  private readonly pending = new Map<number, { resolve: (r: PGliteThreadResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  private closed: { resolve: () => void; reject: (e: Error) => void } | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => this.fail(new Error(`the PGlite thread failed: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`the PGlite thread stopped (exit code ${code})`)));
  }

  /**
   * Opens PGlite in a new worker thread: on disk at `dataDir` (created if missing), in memory without.
   * Resolves once the database is open (a new one initialised), rejects if it cannot be.
   */
  static async open(dataDir?: string): Promise<PGliteThread> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { pgliteModule: require.resolve('@electric-sql/pglite'), dataDir },
      // Plain JavaScript: none of this process's loaders (tsx, test transforms) in the worker.
      execArgv: [],
    });
    const thread = new PGliteThread(worker);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'failed') reject(toError(m.error));
        else return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      const onExit = (code: number) => reject(new Error(`the PGlite thread stopped while opening (exit code ${code})`));
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    }).catch(async (e: unknown) => {
      await worker.terminate();
      throw e;
    });
    // Idle, the thread does not keep the process alive (as PGlite on the main thread would not).
    worker.unref();
    return thread;
  }

  /**
   * Runs one statement. With `begin` (e.g. 'begin'), that statement runs first, in the same message: a
   * transaction's start costs no round trip of its own; if it fails, `sql` is not run.
   */
  query(sql: string, params: readonly unknown[] = [], begin?: string): Promise<PGliteThreadResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the store is closed'));
    const id = this.nextId++;
    return new Promise<PGliteThreadResult>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref(); // a query in flight keeps the process alive
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'query', id, sql, params, ...(begin ? { begin } : {}) });
    });
  }

  /** Waits for the statements sent, closes the database (PGlite's close), then ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.failure) {
        this.worker.ref();
        const done = new Promise<void>((resolve, reject) => (this.closed = { resolve, reject }));
        this.worker.postMessage({ type: 'close' });
        try {
          await done;
        } finally {
          await this.worker.terminate();
        }
      }
    })();
    return this.closing;
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'result') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0 && !this.closing) this.worker.unref();
      if (m.error) p.reject(toError(m.error));
      else p.resolve({ rows: m.rows ?? [], ...(m.affectedRows !== undefined ? { affectedRows: m.affectedRows } : {}) });
    } else if (m.type === 'closed') {
      const c = this.closed;
      this.closed = null;
      if (m.error) c?.reject(toError(m.error));
      else c?.resolve();
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    this.closed?.reject(this.failure);
    this.closed = null;
  }
}

// ---- Kysely dialect ----------------------------------------------------------------------------------

class PGliteThreadConnection implements DatabaseConnection {
  /** A begun transaction's start, not sent yet: it goes with the transaction's first statement. */
  private begin: string | null = null;

  constructor(private readonly thread: PGliteThread) {}

  /** Starts a transaction with its first statement (one round trip fewer per transaction). */
  deferBegin(sql: string): void {
    this.begin = sql;
  }

  /** Ends a transaction: false when nothing of it was sent (no statement ran in it), so there is nothing to end. */
  takeEnd(): boolean {
    const sent = this.begin === null;
    this.begin = null;
    return sent;
  }

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const begin = this.begin;
    this.begin = null;
    const r = await this.thread.query(q.sql, q.parameters, begin ?? undefined);
    return { rows: r.rows as R[], ...(r.affectedRows ? { numAffectedRows: BigInt(r.affectedRows) } : {}) };
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported by the PGlite thread store');
  }
}

/** One connection, handed to one user at a time (a transaction holds it from begin to commit). */
class PGliteThreadDriver implements Driver {
  private readonly connection: PGliteThreadConnection;
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly thread: PGliteThread) {
    this.connection = new PGliteThreadConnection(thread);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.busy) await new Promise<void>((r) => this.waiting.push(r));
    this.busy = true;
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    const next = this.waiting.shift();
    if (next) next(); // stays busy: handed straight to the next user
    else this.busy = false;
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    (conn as PGliteThreadConnection).deferBegin(settings.isolationLevel ? `start transaction isolation level ${settings.isolationLevel}` : 'begin');
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    if ((conn as PGliteThreadConnection).takeEnd()) await conn.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    if ((conn as PGliteThreadConnection).takeEnd()) await conn.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    await this.thread.close();
  }
}

/** Kysely over a PGliteThread: PostgreSQL's SQL, PGlite's semantics. */
export class PGliteThreadDialect implements Dialect {
  constructor(private readonly thread: PGliteThread) {}
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteThreadDriver(this.thread);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
