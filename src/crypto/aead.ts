import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Format tag of a sealed value, so the format can change later without guessing. */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new Error(`AES-256-GCM key must be ${KEY_BYTES} bytes, got ${key.length}`);
}

/**
 * AES-256-GCM with a random 96-bit IV. `aad` binds the ciphertext to its context (e.g. tenant and purpose),
 * so a sealed value copied to another row or tenant fails to open. Output: `v1:<base64(iv|tag|ciphertext)>`.
 */
export function encrypt(key: Buffer, plaintext: Buffer | string, aad?: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
}

/** Opens a value sealed by `encrypt`; throws if the key, the AAD or any byte is wrong. */
export function decrypt(key: Buffer, sealed: string, aad?: string): Buffer {
  checkKey(key);
  const [version, body] = sealed.split(':', 2);
  if (version !== VERSION || body === undefined) throw new Error('sealed value has an unknown format');
  const raw = Buffer.from(body, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new Error('sealed value failed authentication (wrong key, wrong context or altered data)');
  }
}

export function decryptText(key: Buffer, sealed: string, aad?: string): string {
  return decrypt(key, sealed, aad).toString('utf8');
}

export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
