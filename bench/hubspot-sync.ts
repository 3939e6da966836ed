/**
 * Benchmark: full HubSpot sync against the sandbox at HubSpot's limits (100 requests / rolling 10 s,
 * 100 contacts a page, 150 ms latency). Not a test: it prints figures.
 *
 * The ceiling, honestly: the limits allow P/W requests per second *sustained*. A rolling window also
 * lets the first P requests through at once, which would flatter a short run (5,000 contacts fit in
 * one free burst). So, by default, the bench first spends the window evenly (P requests spread over
 * W, as a busy portal would) and then times the sync in steady state. The ceiling is then
 *   contacts / (minimum requests the job needs / (P/W))
 * where the minimum counts every request a sync must make: account info, property and subscription
 * definitions, one list page per 100 contacts, and with notes one association read per 1,000 contacts
 * plus one notes read per 100 notes (search has its own limit and is not counted).
 *
 *   tsx bench/hubspot-sync.ts [contacts] [--notes|--no-notes] [--latency MS] [--no-warmup] [--concurrency N]
 * (default: both modes; --concurrency 1 shows what a single serial cursor reaches)
 */
import { createMemoryRateBudget } from '../connectors/memory-rate-budget';
import { HubSpotApi } from '../connectors/hubspot/client';
import { createHubSpotConnector } from '../connectors/hubspot/connector';
import { BUCKET_DEFAULT, BUCKET_SEARCH, HUBSPOT_LIMITS } from '../connectors/hubspot/limits';
import { startHubSpotSandbox } from '../connectors/hubspot/sandbox';

export interface BenchOptions {
  contacts?: number;
  includeNotes?: boolean;
  latencyMs?: number;
  /** Requests per window (default 100) and window (10 s). */
  points?: number;
  windowMs?: number;
  /** Spend the rolling window evenly before timing (default true). */
  warmup?: boolean;
  /** Fixed cursor count (default adaptive). */
  concurrency?: number;
  seed?: number;
}

export interface BenchFigures {
  contacts: number;
  notes: number;
  includeNotes: boolean;
  elapsedMs: number;
  contactsPerSec: number;
  /** Requests the sync sent in the limited bucket (sandbox count, warm-up excluded). */
  requests: number;
  minimumRequests: number;
  ceilingContactsPerSec: number;
  pctOfCeiling: number;
  /** 429s the sandbox sent (all absorbed by the client's retry). */
  rateLimited429: number;
  /** 429s that reached the caller as errors. */
  surfaced429: number;
  byRoute: Record<string, number>;
  /** Fixed cursor count when one was set. */
  concurrency?: number;
}

const TOKEN = 'bench-token';

export async function benchHubSpotSync(opts: BenchOptions = {}): Promise<BenchFigures> {
  const n = opts.contacts ?? 5000;
  const includeNotes = opts.includeNotes ?? false;
  const points = opts.points ?? HUBSPOT_LIMITS.burst.points;
  const windowMs = opts.windowMs ?? HUBSPOT_LIMITS.burst.durationMs;
  const latencyMs = opts.latencyMs ?? 150;
  const sb = await startHubSpotSandbox({
    accessToken: TOKEN,
    latencyMs,
    limits: { tenSecondly: points, searchPerSecond: 5 },
    pageMax: HUBSPOT_LIMITS.listPageSize,
    seed: { count: n, seed: opts.seed ?? 42 },
  });
  try {
    const budget = createMemoryRateBudget({ [BUCKET_DEFAULT]: { points, durationMs: windowMs }, [BUCKET_SEARCH]: HUBSPOT_LIMITS.search });
    if (opts.warmup ?? true) {
      // A portal in steady use: the last window already holds P requests, evenly spread.
      const warm = new HubSpotApi({ accessToken: TOKEN, basePath: sb.url, budget });
      const gap = windowMs / points;
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: points }, async (_, i) => {
          await new Promise((r) => setTimeout(r, Math.max(0, t0 + i * gap - Date.now())));
          await warm.call('warmup', () => warm.sdk.crm.owners.ownersApi.getPageWithHttpInfo(undefined, undefined, 1));
        }),
      );
    }
    const before = { requests: sb.stats.requests, byRoute: { ...sb.stats.byRoute }, rejected: sb.stats.rejected429 };
    const connector = createHubSpotConnector({
      vendor: 'hubspot',
      tenantId: 'bench',
      baseUrl: sb.url,
      accessToken: TOKEN,
      budget,
      ...(opts.concurrency ? { options: { concurrency: String(opts.concurrency) } } : {}),
    });
    let contacts = 0;
    let notes = 0;
    let surfaced429 = 0;
    const t0 = Date.now();
    try {
      for await (const page of connector.streamContacts({ properties: ['email', 'firstname', 'lastname', 'phone'], includeNotes })) {
        contacts += page.contacts.length;
        for (const c of page.contacts) notes += c.notes.length;
      }
    } catch (err) {
      if ((err as { status?: number }).status === 429) surfaced429 += 1;
      else throw err;
    }
    const elapsedMs = Date.now() - t0;
    const byRoute: Record<string, number> = {};
    for (const [k, v] of Object.entries(sb.stats.byRoute)) if (v - (before.byRoute[k] ?? 0) > 0) byRoute[k] = v - (before.byRoute[k] ?? 0);
    const searches = Object.entries(byRoute).filter(([k]) => k.endsWith('/search')).reduce((s, [, v]) => s + v, 0);
    const requests = sb.stats.requests - before.requests - searches;
    const minimumRequests =
      3 + Math.ceil(contacts / HUBSPOT_LIMITS.listPageSize) + (includeNotes ? Math.ceil(contacts / HUBSPOT_LIMITS.associationBatchSize) + Math.ceil(notes / HUBSPOT_LIMITS.batchReadSize) : 0);
    const ceiling = contacts / (minimumRequests / (points / (windowMs / 1000)));
    const rate = contacts / (elapsedMs / 1000);
    return {
      contacts,
      notes,
      includeNotes,
      elapsedMs,
      contactsPerSec: Math.round(rate),
      requests,
      minimumRequests,
      ceilingContactsPerSec: Math.round(ceiling),
      pctOfCeiling: Math.round((rate / ceiling) * 1000) / 10,
      rateLimited429: sb.stats.rejected429 - before.rejected,
      surfaced429,
      byRoute,
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    };
  } finally {
    await sb.close();
  }
}

function print(f: BenchFigures): void {
  console.log(
    [
      `hubspot sync ${f.includeNotes ? 'with notes' : 'without notes'}${f.concurrency ? ` (${f.concurrency} cursor${f.concurrency > 1 ? 's' : ''})` : ''}: ${f.contacts} contacts${f.includeNotes ? `, ${f.notes} notes` : ''} in ${(f.elapsedMs / 1000).toFixed(1)} s`,
      `  contacts/s        ${f.contactsPerSec}`,
      `  ceiling           ${f.ceilingContactsPerSec} contacts/s (${f.minimumRequests} requests minimum at the sustained limit)`,
      `  % of ceiling      ${f.pctOfCeiling}%`,
      `  requests sent     ${f.requests} (+ search: ${Object.entries(f.byRoute).filter(([k]) => k.endsWith('/search')).reduce((s, [, v]) => s + v, 0)})`,
      `  429s seen         ${f.rateLimited429} (surfaced to caller: ${f.surfaced429})`,
    ].join('\n'),
  );
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 5000);
  const li = args.indexOf('--latency');
  const latencyMs = li >= 0 ? Number(args[li + 1]) : 150;
  const warmup = !args.includes('--no-warmup');
  const ci = args.indexOf('--concurrency');
  const concurrency = ci >= 0 ? Number(args[ci + 1]) : undefined;
  const modes = args.includes('--notes') ? [true] : args.includes('--no-notes') ? [false] : [false, true];
  (async () => {
    for (const includeNotes of modes) print(await benchHubSpotSync({ contacts: count, includeNotes, latencyMs, warmup, ...(concurrency ? { concurrency } : {}) }));
  })().catch((err) => {
    console.error(err instanceof Error ? err.message : 'bench failed');
    process.exit(1);
  });
}
