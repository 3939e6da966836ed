/**
 * Runs the Zoho sandbox standalone: `tsx connectors/zoho/sandbox/cli.ts --count 500 --port 4010 --latency 20`.
 * Prints the API and accounts URLs and the client credentials the sandbox accepts (sandbox-only values).
 * Limits: `--credits N` (per 24 h), `--concurrency N`, `--sub-concurrency N`, `--tokens-per-10min N`.
 * A line `stats` on stdin prints `SANDBOX_STATS <json>` (benchmarks run the sandbox in its own process);
 * with `--stdin-control 1` the sandbox also stops when stdin closes, so it never outlives its parent.
 */
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { startZohoSandbox } from './server';

const Args = z.object({
  count: z.coerce.number().int().nonnegative().default(500),
  lazy: z.coerce.number().int().nonnegative().default(0),
  port: z.coerce.number().int().nonnegative().default(0),
  latency: z.coerce.number().int().nonnegative().default(0),
  seed: z.coerce.number().int().default(42),
  dc: z.enum(['com', 'eu', 'in', 'com.au', 'jp', 'com.cn', 'ca', 'sa']).default('eu'),
  credits: z.coerce.number().int().positive().optional(),
  concurrency: z.coerce.number().int().positive().optional(),
  'sub-concurrency': z.coerce.number().int().positive().optional(),
  'tokens-per-10min': z.coerce.number().int().positive().optional(),
  /** `--stdin-control 1`: a parent drives the sandbox over stdin; it stops when stdin closes (the parent died). */
  'stdin-control': z.enum(['0', '1']).default('0'),
});

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) out[a.slice(2)] = argv[i + 1] ?? '';
  }
  return out;
}

async function main(): Promise<void> {
  const parsed = Args.safeParse(parseArgs(process.argv.slice(2)));
  if (!parsed.success) {
    console.error(`invalid arguments: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(2);
  }
  const a = parsed.data;
  const limits = {
    ...(a.credits !== undefined ? { credits: a.credits } : {}),
    ...(a.concurrency !== undefined ? { concurrency: a.concurrency } : {}),
    ...(a['sub-concurrency'] !== undefined ? { subConcurrency: a['sub-concurrency'] } : {}),
    ...(a['tokens-per-10min'] !== undefined ? { tokensPer10Min: a['tokens-per-10min'] } : {}),
  };
  const sb = await startZohoSandbox({ port: a.port, latencyMs: a.latency, dataCentre: a.dc, limits, seed: { count: a.count, seed: a.seed }, ...(a.lazy ? { lazySeed: { count: a.lazy, seed: a.seed + 1 } } : {}) });
  console.log(`Zoho sandbox API      ${sb.url}`);
  console.log(`Zoho sandbox accounts ${sb.accountsUrl}`);
  console.log(`contacts ${sb.state.contacts.size}, notes ${sb.state.notes.size}, bulk-only ${a.lazy}`);
  console.log('export ZOHO_API_DOMAIN=' + sb.url + ' ZOHO_ACCOUNTS_URL=' + sb.accountsUrl + ' ZOHO_CLIENT_ID=1000.SANDBOXCLIENT ZOHO_CLIENT_SECRET=sandbox-secret ZOHO_REFRESH_TOKEN=1000.sandbox.refresh ZOHO_DATA_CENTRE=' + a.dc);
  const stop = (): void => void sb.close().then(() => process.exit(0));
  const control = createInterface({ input: process.stdin });
  control.on('line', (line) => {
    if (line.trim() === 'stats') console.log(`SANDBOX_STATS ${JSON.stringify(sb.stats)}`);
  });
  if (a['stdin-control'] === '1') control.on('close', stop);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
