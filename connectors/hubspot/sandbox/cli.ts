/**
 * Runs the HubSpot sandbox standalone:
 *   tsx connectors/hubspot/sandbox/cli.ts --port 4010 --contacts 3000 --latency 150
 * Prints the URL and the bearer token (HUBSPOT_SANDBOX_TOKEN, or a random one) and runs until Ctrl-C.
 */
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { z } from 'zod';
import { startHubSpotSandbox } from './index';

const Args = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  contacts: z.coerce.number().int().min(0).max(2_000_000),
  latency: z.coerce.number().int().min(0).max(60_000),
  seed: z.coerce.number().int(),
  now: z.iso.datetime({ offset: true }).optional(),
  noLimits: z.boolean(),
  tenSecondly: z.coerce.number().int().min(1),
  daily: z.coerce.number().int().min(1),
  searchPerSecond: z.coerce.number().int().min(1),
  pageMax: z.coerce.number().int().min(1),
  dataHostingLocation: z.string().min(2),
});

async function main(): Promise<void> {
  const program = new Command('hubspot-sandbox')
    .description('Local imitation of the HubSpot API for tests, benchmarks and the demo')
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', '0')
    .option('--contacts <n>', 'seeded contacts', '3000')
    .option('--latency <ms>', 'added latency per request', '0')
    .option('--seed <n>', 'seed for the people generator', '42')
    .option('--now <iso>', 'reference "now" for seeded timestamps')
    .option('--no-limits', 'disable rate limits')
    .option('--ten-secondly <n>', 'requests per rolling 10 s', '100')
    .option('--daily <n>', 'requests per day', '250000')
    .option('--search-per-second <n>', 'search requests per second', '5')
    .option('--page-max <n>', 'max page size for object lists', '100')
    .option('--data-hosting-location <loc>', 'dataHostingLocation reported by account-info', 'eu1')
    .parse();
  const raw = program.opts<Record<string, unknown>>();
  const parsed = Args.safeParse({ ...raw, noLimits: raw.limits === false });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    console.error(`Invalid option --${String(issue?.path[0] ?? '?')}: ${issue?.message ?? ''}`);
    process.exit(2);
  }
  const a = parsed.data;
  const token = process.env.HUBSPOT_SANDBOX_TOKEN || `pat-eu1-${randomUUID()}`;
  const sandbox = await startHubSpotSandbox({
    port: a.port,
    accessToken: token,
    latencyMs: a.latency,
    limits: a.noLimits ? false : { tenSecondly: a.tenSecondly, daily: a.daily, searchPerSecond: a.searchPerSecond },
    pageMax: a.pageMax,
    seed: a.contacts > 0 ? { count: a.contacts, seed: a.seed, now: a.now } : undefined,
    dataHostingLocation: a.dataHostingLocation,
  });
  console.log(`HubSpot sandbox listening on ${sandbox.url}`);
  console.log(`portal ${sandbox.state.portalId}, ${sandbox.state.objects.contacts.size} contacts, ${sandbox.state.objects.notes.size} notes`);
  console.log(`token: ${token}`);
  const stop = (): void => {
    console.log(`stopping after ${sandbox.stats.requests} requests (${sandbox.stats.rejected429} answered 429)`);
    sandbox.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
