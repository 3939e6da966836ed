import { decrypt, decryptText, digestsEqual, encrypt, hmacSha256, randomKey, sha256Hex } from '../../src/crypto';

describe('AES-256-GCM helpers', () => {
  const key = randomKey();

  it('round-trips and uses a fresh IV every time', () => {
    const a = encrypt(key, 'BSN 123456782', 'tenant:t1:note');
    const b = encrypt(key, 'BSN 123456782', 'tenant:t1:note');
    expect(a).not.toBe(b);
    expect(a).not.toContain('123456782');
    expect(decryptText(key, a, 'tenant:t1:note')).toBe('BSN 123456782');
    expect(decrypt(key, encrypt(key, Buffer.from([0, 1, 2]))).equals(Buffer.from([0, 1, 2]))).toBe(true);
  });

  it('fails on a wrong key, a wrong context, or one altered byte', () => {
    const sealed = encrypt(key, 'secret', 'ctx');
    expect(() => decrypt(randomKey(), sealed, 'ctx')).toThrow(/failed authentication/);
    expect(() => decrypt(key, sealed, 'other')).toThrow(/failed authentication/);
    expect(() => decrypt(key, sealed)).toThrow(/failed authentication/);
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => decrypt(key, `v1:${raw.toString('base64')}`, 'ctx')).toThrow(/failed authentication/);
    expect(() => decrypt(key, 'v2:abc', 'ctx')).toThrow(/unknown format/);
    expect(() => decrypt(key, 'v1:AAAA', 'ctx')).toThrow(/truncated/);
    expect(() => encrypt(Buffer.alloc(16), 'x')).toThrow(/32 bytes/);
  });
});

describe('hash helpers', () => {
  it('computes HMAC-SHA256 and SHA-256 (RFC 4231 case 2, FIPS 180 "abc")', () => {
    expect(hmacSha256(Buffer.from('Jefe'), 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('compares digests in constant time', () => {
    const d = sha256Hex('x');
    expect(digestsEqual(d, d)).toBe(true);
    expect(digestsEqual(d, sha256Hex('y'))).toBe(false);
    expect(digestsEqual(d, d.slice(2))).toBe(false);
  });
});
