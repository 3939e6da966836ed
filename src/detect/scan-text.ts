/**
 * The core of `gdpr-crm scan-text`: JSON Lines {"id","text"} in, {"id","findings"} out, in input order.
 * A bad line is reported on errOut with its line number (and the field at fault) and skipped; the text
 * itself is never written anywhere.
 */
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { detect } from './index';

export const ScanTextLine = z.object({ id: z.string(), text: z.string() });

export interface ScanCounts {
  /** Non-blank input lines read. */
  lines: number;
  ok: number;
  bad: number;
}

function write(stream: NodeJS.WritableStream, s: string): Promise<void> | undefined {
  if (stream.write(s)) return undefined;
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}

/** Describes a zod failure by field and expected type, never by the value received. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(line)';
  if (issue.code === 'invalid_type') return `field "${field}": expected ${issue.expected}`;
  return `field "${field}": ${issue.code}`;
}

export async function scanTextStream(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  errOut: NodeJS.WritableStream,
): Promise<ScanCounts> {
  const counts: ScanCounts = { lines: 0, ok: 0, bad: 0 };
  const rl = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    counts.lines++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      counts.bad++;
      await write(errOut, `line ${lineNo}: invalid JSON\n`);
      continue;
    }
    const r = ScanTextLine.safeParse(parsed);
    if (!r.success) {
      counts.bad++;
      const id = typeof (parsed as { id?: unknown } | null)?.id === 'string' ? ` (id ${JSON.stringify((parsed as { id: string }).id)})` : '';
      await write(errOut, `line ${lineNo}${id}: ${r.error.issues.map(describeIssue).join('; ')}\n`);
      continue;
    }
    const findings = detect(r.data.text).map((d) => ({ category: d.category, start: d.start, end: d.end }));
    counts.ok++;
    await write(output, JSON.stringify({ id: r.data.id, findings }) + '\n');
  }
  return counts;
}
