/**
 * Bulk Read (reference 2.3): create a job, poll it, download its ZIP and stream-parse the one CSV inside,
 * so a full scan of a large org holds one page of rows in memory, never the file. The next 200,000
 * rows come from a new job with the previous result's page_token.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { z } from 'zod';
import type { ZohoClient } from './client';
import { ZohoApiError } from './client';

export const BulkCreateResponse = z.object({
  data: z.array(z.object({ status: z.string(), code: z.string(), details: z.object({ id: z.string(), state: z.string().optional() }).loose() })).min(1),
});
export const BulkStatusResponse = z.object({
  data: z
    .array(
      z
        .object({
          id: z.string(),
          state: z.enum(['ADDED', 'QUEUED', 'IN PROGRESS', 'COMPLETED', 'FAILURE']),
          result: z
            .object({
              page: z.number(),
              per_page: z.number(),
              count: z.number(),
              download_url: z.string(),
              more_records: z.boolean(),
              next_page_token: z.string().nullable().optional(),
            })
            .optional(),
        })
        .loose(),
    )
    .min(1),
});
export type BulkResult = NonNullable<z.infer<typeof BulkStatusResponse>['data'][number]['result']>;

export interface BulkQuery {
  fields: string[];
  criteria?: unknown;
  page?: number;
  pageToken?: string;
}

export async function createBulkJob(client: ZohoClient, module: string, q: BulkQuery): Promise<string> {
  const query: Record<string, unknown> = q.pageToken ? { page_token: q.pageToken } : { module: { api_name: module }, fields: q.fields, page: q.page ?? 1 };
  if (!q.pageToken && q.criteria) query.criteria = q.criteria;
  // Creating a job is not idempotent; a 429 (rejected before processing) is still retried by the client.
  const res = await client.expect({ method: 'POST', path: '/crm/bulk/v8/read', data: { query }, idempotent: false, bucket: 'bulk' }, [200, 201]);
  return BulkCreateResponse.parse(res.data).data[0]!.details.id;
}

export async function waitForBulkJob(client: ZohoClient, jobId: string, opts: { pollMs?: number; maxPollMs?: number; signal?: AbortSignal } = {}): Promise<BulkResult> {
  let delay = opts.pollMs ?? 50;
  for (;;) {
    opts.signal?.throwIfAborted();
    const res = await client.expect({ method: 'GET', path: `/crm/bulk/v8/read/${jobId}`, bucket: 'bulk' });
    const job = BulkStatusResponse.parse(res.data).data[0]!;
    if (job.state === 'COMPLETED') {
      if (!job.result) throw new ZohoApiError(200, 'BULK_NO_RESULT', 'completed bulk job without result');
      return job.result;
    }
    if (job.state === 'FAILURE') throw new ZohoApiError(200, 'BULK_FAILURE', `bulk read job ${jobId} failed`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, opts.maxPollMs ?? 5_000);
  }
}

/** Downloads a job's result and yields CSV rows as objects keyed by the header row. */
export async function* downloadBulkRows(client: ZohoClient, downloadUrl: string): AsyncGenerator<Record<string, string>> {
  const res = await client.expect<Readable>({ method: 'GET', path: downloadUrl, responseType: 'stream', bucket: 'bulk-download' });
  const inflated = res.data.pipe(new ZipFirstEntry()).pipe(createInflateRaw());
  let header: string[] | null = null;
  for await (const row of parseCsv(inflated)) {
    if (!header) {
      header = row;
      continue;
    }
    const o: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) o[header[i] as string] = row[i] ?? '';
    yield o;
  }
}

/**
 * Passes on the compressed bytes of a ZIP's first entry (local header parsed from the stream). With
 * sizes in the header it stops there; with a data descriptor (bit 3) it passes everything and the
 * raw inflater stops at the end of the deflate stream.
 */
export class ZipFirstEntry extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private remaining: number | null = null;
  private started = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.started) {
      this.buf = Buffer.concat([this.buf, chunk]);
      if (this.buf.length < 30) return cb();
      if (this.buf.readUInt32LE(0) !== 0x04034b50) return cb(new Error('bulk read result is not a ZIP file'));
      const flags = this.buf.readUInt16LE(6);
      const method = this.buf.readUInt16LE(8);
      if (method !== 8) return cb(new Error(`unsupported ZIP compression method ${method}`));
      const compressed = this.buf.readUInt32LE(18);
      const headerLen = 30 + this.buf.readUInt16LE(26) + this.buf.readUInt16LE(28);
      if (this.buf.length < headerLen) return cb();
      this.remaining = flags & 0x08 ? null : compressed;
      this.started = true;
      chunk = this.buf.subarray(headerLen);
      this.buf = Buffer.alloc(0);
    }
    if (this.remaining === null) return cb(null, chunk);
    if (this.remaining <= 0) return cb();
    const take = chunk.subarray(0, this.remaining);
    this.remaining -= take.length;
    cb(null, take);
  }
}

/** RFC 4180 CSV rows from a byte stream (quoted fields, doubled quotes, CRLF, newlines inside quotes). */
export async function* parseCsv(src: AsyncIterable<Buffer | string>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder('utf-8');
  let field = '';
  let row: string[] = [];
  let inQuotes = false;
  let pendingQuote = false;
  let sawAny = false;
  for await (const chunk of src) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    const rows: string[][] = [];
    let i = 0;
    const n = text.length;
    while (i < n) {
      const ch = text[i] as string;
      if (inQuotes) {
        if (pendingQuote) {
          pendingQuote = false;
          if (ch === '"') {
            field += '"';
            i++;
            continue;
          }
          inQuotes = false;
          continue;
        }
        const q = text.indexOf('"', i);
        if (q < 0) {
          field += text.slice(i);
          i = n;
        } else {
          field += text.slice(i, q);
          pendingQuote = true;
          i = q + 1;
        }
        continue;
      }
      sawAny = true;
      if (ch === '"') {
        inQuotes = true;
        i++;
      } else if (ch === ',') {
        row.push(field);
        field = '';
        i++;
      } else if (ch === '\n') {
        row.push(field);
        rows.push(row);
        row = [];
        field = '';
        sawAny = false;
        i++;
      } else if (ch === '\r') {
        i++;
      } else {
        // Fast path: copy up to the next special character.
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === 44 || c === 10 || c === 13 || c === 34) break;
          j++;
        }
        field += text.slice(i, j);
        i = j;
      }
    }
    yield* rows;
  }
  if (sawAny || field !== '' || row.length > 0) {
    row.push(field);
    yield row;
  }
}
