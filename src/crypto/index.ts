export { encrypt, decrypt, decryptText, randomKey, KEY_BYTES } from './aead';
export { hmacSha256, sha256Hex, digestsEqual } from './hmac';
export { loadMasterKey, MASTER_KEY_ENV, MASTER_KEY_FILE } from './master-key';
