/**
 * The runtime's embedded store (openRuntimeFromEnv, as `gdpr-crm serve` and the Lambda handlers open it):
 * PGlite in a worker thread by default, so a long statement does not hold up this thread (webhooks);
 * GDPR_CRM_PGLITE_THREAD=main keeps it on this thread; anything else is refused at start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openRuntimeFromEnv } from '../../src/runtime/from-env';

/** Timer ticks this thread gets while the store runs a 300 ms statement. */
async function ticksDuringSleep(env: NodeJS.ProcessEnv): Promise<number> {
  const rt = await openRuntimeFromEnv({ env, actor: 'test' });
  try {
    expect(rt.store.backend).toBe('pglite');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await sql`select pg_sleep(0.3)`.execute(rt.store.db);
    clearInterval(timer);
    return ticks;
  } finally {
    await rt.close();
  }
}

describe('the runtime store from the environment', () => {
  let dir: string;
  const base = () => ({ GDPR_CRM_DATA_DIR: dir, GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64') });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-runtime-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the embedded PGlite in a worker thread: this thread keeps running while a statement does', async () => {
    expect(await ticksDuringSleep(base())).toBeGreaterThanOrEqual(5);
  });

  it('keeps it on this thread with GDPR_CRM_PGLITE_THREAD=main (the statement blocks it)', async () => {
    expect(await ticksDuringSleep({ ...base(), GDPR_CRM_PGLITE_THREAD: 'main' })).toBeLessThanOrEqual(1);
  });

  it('refuses any other GDPR_CRM_PGLITE_THREAD', async () => {
    await expect(openRuntimeFromEnv({ env: { ...base(), GDPR_CRM_PGLITE_THREAD: 'both' }, actor: 'test' })).rejects.toThrow(/GDPR_CRM_PGLITE_THREAD must be worker or main/);
  });
});
