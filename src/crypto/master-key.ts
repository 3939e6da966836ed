import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KEY_BYTES, randomKey } from './aead';

export const MASTER_KEY_ENV = 'GDPR_CRM_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';

function parseKey(b64: string, where: string): Buffer {
  const key = Buffer.from(b64.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${where} must be ${KEY_BYTES} bytes, base64-encoded (got ${key.length} bytes)`);
  return key;
}

/**
 * The key that wraps every tenant's keys. Production must set GDPR_CRM_MASTER_KEY (base64 of 32 random
 * bytes, e.g. `openssl rand -base64 32`) from its secret store. For local use without it, one key is generated
 * once and kept in `<dataDir>/master.key` (mode 0600); losing that file makes the stored tenant keys unreadable.
 */
export function loadMasterKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return parseKey(fromEnv, MASTER_KEY_ENV);
  const file = path.join(dataDir, MASTER_KEY_FILE);
  try {
    return parseKey(readFileSync(file, 'utf8'), file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx': if another process created it first, use theirs instead of overwriting it.
    writeFileSync(file, `${randomKey().toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    chmodSync(file, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return parseKey(readFileSync(file, 'utf8'), file);
}
