import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openStore } from '../../src/store';
import { postgresBackend } from './backends';
import { PORTAL } from './fixtures';

describe('openStore on the default embedded PGlite', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-open-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps its database under <dataDir>/db, generates master.key (0600) once, and survives a reopen', async () => {
    const env = {}; // no GDPR_CRM_MASTER_KEY, no DATABASE_URL
    const s1 = await openStore({ dataDir: dir, env });
    let hmac: Buffer;
    try {
      expect(s1.backend).toBe('pglite');
      hmac = (await s1.ensureTenant('tenant-a')).hmacKey;
      await s1.upsertPortal(PORTAL);
    } finally {
      await s1.close();
    }
    expect(existsSync(path.join(dir, 'db'))).toBe(true);
    const keyFile = path.join(dir, 'master.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const s2 = await openStore({ dataDir: dir, env });
    try {
      expect(await s2.getPortal(PORTAL.id)).toEqual(PORTAL);
      expect((await s2.getTenantKeys('tenant-a')).hmacKey.equals(hmac)).toBe(true);
      const applied = (await sql<{ name: string }>`select name from kysely_migration`.execute(s2.db)).rows.map((r) => r.name);
      expect(applied).toEqual(['0001_initial', '0002_action_claims']);
    } finally {
      await s2.close();
    }

    // Another master key cannot open the tenant keys: a clear error, not garbage keys.
    const s3 = await openStore({ dataDir: dir, env: { GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64') } });
    try {
      await expect(s3.getTenantKeys('tenant-a')).rejects.toThrow(/GDPR_CRM_MASTER_KEY .* is not the key they were created with/);
    } finally {
      await s3.close();
    }
  });

  it('rejects a master key that is not 32 bytes of base64', async () => {
    await expect(openStore({ dataDir: dir, env: { GDPR_CRM_MASTER_KEY: 'c2hvcnQ=' } })).rejects.toThrow(/GDPR_CRM_MASTER_KEY must be 32 bytes/);
  });
});

describe('openStore on PostgreSQL', () => {
  const pg = postgresBackend();
  beforeAll(() => pg.setup());
  afterAll(() => pg.teardown());

  it('migrates once; a second process on the same schema finds it up to date', async () => {
    const a = await pg.open();
    await a.upsertPortal(PORTAL);
    const b = await pg.openAgain!();
    expect(b.backend).toBe('postgres');
    expect(await b.getPortal(PORTAL.id)).toEqual(PORTAL);
    const applied = (await sql<{ name: string }>`select name from kysely_migration`.execute(b.db)).rows.map((r) => r.name);
    expect(applied).toEqual(['0001_initial', '0002_action_claims']);
  });

  it('fails with a clear message, and no password, when PostgreSQL cannot be reached', async () => {
    const url = 'postgres://app:s3cret@127.0.0.1:1/test';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-open-'));
    try {
      const err = await openStore({ databaseUrl: url, dataDir: dir, env: { GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64') } }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/^cannot reach PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/test/);
      expect(err?.message).not.toContain('s3cret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});
