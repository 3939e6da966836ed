/**
 * Writes a one-entry ZIP (deflate) from a stream of CSV lines to a file, with sizes and CRC in the local
 * header (patched after writing, as a server-built archive has them), so memory stays flat for any size.
 */
import { open } from 'node:fs/promises';
import { createDeflateRaw } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Buffer, prev = 0): number {
  let c = (prev ^ 0xffffffff) >>> 0;
  for (let i = 0; i < buf.length; i++) c = (CRC_TABLE[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export async function writeZip(path: string, entryName: string, lines: Iterable<string>): Promise<{ bytes: number; rows: number }> {
  const fh = await open(path, 'w');
  try {
    const name = Buffer.from(entryName, 'utf8');
    const local = Buffer.alloc(30 + name.length);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    name.copy(local, 30);
    local.writeUInt16LE(name.length, 26);
    let pos = 0;
    await fh.write(local, 0, local.length, pos);
    pos += local.length;
    const dataStart = pos;

    const deflate = createDeflateRaw({ level: 1 });
    let crc = 0;
    let raw = 0;
    let rows = 0;
    const writes: Promise<unknown>[] = [];
    deflate.on('data', (chunk: Buffer) => {
      writes.push(fh.write(chunk, 0, chunk.length, pos));
      pos += chunk.length;
    });
    const ended = new Promise<void>((resolve, reject) => {
      deflate.on('end', resolve);
      deflate.on('error', reject);
    });
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      const b = Buffer.from(batch.join(''), 'utf8');
      batch = [];
      crc = crc32(b, crc);
      raw += b.length;
      if (!deflate.write(b)) await new Promise((r) => deflate.once('drain', r));
      if (writes.length > 64) await Promise.all(writes.splice(0));
    };
    for (const line of lines) {
      batch.push(line);
      rows++;
      if (batch.length >= 2000) await flush();
    }
    await flush();
    deflate.end();
    await ended;
    await Promise.all(writes);
    const compressed = pos - dataStart;
    const sizes = Buffer.alloc(12);
    sizes.writeUInt32LE(crc, 0);
    sizes.writeUInt32LE(compressed, 4);
    sizes.writeUInt32LE(raw, 8);
    await fh.write(sizes, 0, 12, 14);

    const central = Buffer.alloc(46 + name.length);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    sizes.copy(central, 16);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(0, 42); // local header offset
    name.copy(central, 46);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(1, 8);
    eocd.writeUInt16LE(1, 10);
    eocd.writeUInt32LE(central.length, 12);
    eocd.writeUInt32LE(pos, 16);
    await fh.write(central, 0, central.length, pos);
    await fh.write(eocd, 0, eocd.length, pos + central.length);
    return { bytes: pos + central.length + eocd.length, rows };
  } finally {
    await fh.close();
  }
}

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s: string;
  if (typeof v === 'object') s = 'id' in (v as object) ? String((v as { id: unknown }).id) : JSON.stringify(v);
  else s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
