/**
 * Runs the Salesforce sandbox from the command line (demo, benchmarks in a separate process).
 *   npx tsx connectors/salesforce/sandbox/cli.ts [--port 0] [--count 500] [--lazy 1000000] [--no-consent-objects]
 *     [--instance EU45] [--latency 0] [--daily 5000000] [--token T]
 * Prints one JSON line {"url": ...} when listening; never prints personal values.
 */
import { z } from 'zod';
import { startSalesforceSandbox } from './server';

const Args = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(0),
  count: z.coerce.number().int().min(0).default(500),
  lazy: z.coerce.number().int().positive().optional(),
  seed: z.coerce.number().int().default(42),
  instance: z.string().regex(/^[A-Za-z]{2,3}\d+S?$/).default('EU45'),
  latency: z.coerce.number().int().min(0).default(0),
  daily: z.coerce.number().int().positive().optional(),
  token: z.string().min(8).optional(),
  consentObjects: z.boolean().default(true),
});

function parseArgs(argv: string[]): z.infer<typeof Args> {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-consent-objects') raw.consentObjects = false;
    else if (a.startsWith('--')) raw[a.slice(2)] = argv[++i];
  }
  return Args.parse(raw);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const sb = await startSalesforceSandbox({
    port: a.port,
    latencyMs: a.latency,
    instanceName: a.instance,
    hasConsentObjects: a.consentObjects,
    ...(a.lazy ? { lazy: { count: a.lazy, seed: a.seed } } : a.count > 0 ? { seed: { count: a.count, seed: a.seed } } : {}),
    ...(a.daily ? { limits: { dailyApiRequests: a.daily } } : {}),
    ...(a.token ? { accessToken: a.token } : {}),
  });
  process.stdout.write(JSON.stringify({ url: sb.url, accessToken: a.token ? '(given)' : sb.state.accessToken, refreshToken: sb.state.refreshToken, clientId: sb.state.clientId, consentObjects: a.consentObjects }) + '\n');
  const stop = () => void sb.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main().catch((e: unknown) => {
  process.stderr.write(`sandbox failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
