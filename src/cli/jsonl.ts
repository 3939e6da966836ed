import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { z } from 'zod';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** `a.b[2].c` from a zod issue path. */
export function issuePath(p: readonly PropertyKey[]): string {
  return p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '') || '(root)';
}

/** Describes why a JSON line failed its schema, naming line and field, never echoing values. */
export function describeLineError(lineNo: number, err: z.ZodError): string {
  const first = err.issues.slice(0, 3).map((i) => `${issuePath(i.path)}: ${i.message}`);
  return `line ${lineNo}: ${first.join('; ')}${err.issues.length > 3 ? ` (+${err.issues.length - 3} more)` : ''}`;
}

/** Reads JSON Lines one record at a time (memory stays flat), validating each with a schema. */
export async function* readJsonl<T>(input: NodeJS.ReadableStream, schema: z.ZodType<T>): AsyncGenerator<{ lineNo: number; value: T }> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo += 1;
    if (line.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new InputError(`line ${lineNo}: not valid JSON`);
    }
    const r = schema.safeParse(raw);
    if (!r.success) throw new InputError(describeLineError(lineNo, r.error));
    yield { lineNo, value: r.data };
  }
}

export function openInput(file: string | undefined): NodeJS.ReadableStream {
  return file && file !== '-' ? createReadStream(file) : process.stdin;
}

/**
 * Writes to a temporary file beside the target and renames it into place only on success, so a
 * failure half-way leaves nothing half-written. For stdout the temp file is copied out at the end.
 */
export async function writeAtomically(target: string | undefined, fill: (out: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  const dest = target && target !== '-' ? path.resolve(target) : null;
  const tmp = dest ? `${dest}.tmp-${process.pid}` : path.join(require('node:os').tmpdir(), `gdpr-crm-${process.pid}-${Date.now()}.jsonl`);
  const out = createWriteStream(tmp);
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
  });
  try {
    await fill(out);
    out.end();
    await closed;
  } catch (e) {
    out.destroy();
    await closed.catch(() => undefined);
    rmSync(tmp, { force: true });
    throw e;
  }
  if (dest) {
    renameSync(tmp, dest);
  } else {
    await new Promise<void>((resolve, reject) => {
      const rs = createReadStream(tmp);
      rs.on('error', reject);
      rs.on('end', resolve);
      rs.pipe(process.stdout, { end: false });
    });
    rmSync(tmp, { force: true });
  }
}

/** Writes a line and waits for drain when the stream is full (back-pressure keeps memory flat). */
export function writeLine(out: NodeJS.WritableStream, line: string): Promise<void> | void {
  if (!out.write(`${line}\n`)) return new Promise((resolve) => out.once('drain', () => resolve()));
}
