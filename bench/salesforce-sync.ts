/**
 * Salesforce sync benchmark against the local sandbox set to Salesforce's documented limits.
 *
 * 1. SOQL sync (no notes) paced by a shared RateBudget at the edition's daily API request allocation
 *    spread over 24 h (the only request-rate limit Salesforce documents; concurrency limits apply to
 *    long-running requests only): contacts/s against the ceiling those limits allow (requests/s x 2,000
 *    records a query batch). Run for an org with the opt-out fields only (1 request a page) and for an
 *    org with the consent objects. There every contact's ContactPointTypeConsent rows must be read too, at
 *    most 2,000 rows a request like the contacts themselves, so the ceiling is requests/s x 2,000 /
 *    (1 + consent rows per contact); the contacts-only ceiling is reported beside it for comparison.
 * 2. Bulk API 2.0 full scan of a large org generated lazily by a sandbox in a child process, RSS of this
 *    process sampled throughout to show memory stays flat (results are paged by Sforce-Locator).
 *
 * Run: npx tsx bench/salesforce-sync.ts [--bulk 1000000] [--latency 50] [--count 60000]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMemoryRateBudget } from '../connectors/memory-rate-budget';
import { createSalesforceConnector } from '../connectors/salesforce/connector';
import { DAY_MS, dailyApiRequests, QUERY } from '../connectors/salesforce/limits';
import { startSalesforceSandbox } from '../connectors/salesforce/sandbox/server';

export interface SalesforceSoqlBench {
  org: 'opt-out fields only' | 'consent objects';
  edition: string;
  dailyApiRequests: number;
  latencyMs: number;
  contacts: number;
  requests: number;
  seconds: number;
  contactsPerSecond: number;
  ceilingContactsPerSecond: number;
  percentOfCeiling: number;
  /** Consent-object orgs: ContactPointTypeConsent rows of the synced people, and % of the contacts-only ceiling. */
  consentRows: number;
  percentOfContactsOnlyCeiling: number;
}
export interface SalesforceBulkBench {
  records: number;
  target: number;
  seconds: number;
  recordsPerSecond: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
  heapPeakMb: number;
  stoppedEarly: boolean;
}
export interface SalesforceBenchResult {
  soql: SalesforceSoqlBench[];
  bulk: SalesforceBulkBench;
}

const mb = (n: number): number => Math.round(n / 1024 / 1024);
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

async function soqlRun(hasConsentObjects: boolean, count: number, latencyMs: number): Promise<SalesforceSoqlBench> {
  const edition = 'enterprise';
  const licences = 100;
  const daily = dailyApiRequests(edition, licences);
  const perSecond = daily / (DAY_MS / 1000);
  const sb = await startSalesforceSandbox({ seed: { count, seed: 11 }, latencyMs, hasConsentObjects, limits: { dailyApiRequests: daily } });
  const budget = createMemoryRateBudget({ default: { points: 1, durationMs: 1000 / perSecond } }, { edgeMarginMs: 0 });
  const c = createSalesforceConnector({ vendor: 'salesforce', tenantId: 'bench', baseUrl: sb.url, accessToken: sb.state.accessToken, budget, options: { bulkThreshold: String(10_000_000) } });
  try {
    await c.describePortal();
    await c.listProperties();
    const calls0 = sb.stats.apiCalls;
    const t0 = performance.now();
    let n = 0;
    for await (const p of c.streamContacts({ properties: [], includeNotes: false })) n += p.contacts.length;
    const seconds = (performance.now() - t0) / 1000;
    // Rows that must cross the wire besides the contacts: the consent rows of the synced people's Individuals.
    const parties = new Set([...sb.state.live('Contact'), ...sb.state.live('Lead')].map((r) => r.IndividualId).filter((v) => typeof v === 'string'));
    const consentRows = hasConsentObjects ? sb.state.live('ContactPointTypeConsent').filter((r) => parties.has(r.PartyId as string)).length : 0;
    const contactsOnly = perSecond * QUERY.batchSize;
    const ceiling = n > 0 ? contactsOnly / (1 + consentRows / n) : contactsOnly;
    const cps = n / seconds;
    return {
      org: hasConsentObjects ? 'consent objects' : 'opt-out fields only',
      edition: `${edition} (${licences} licences)`,
      dailyApiRequests: daily,
      latencyMs,
      contacts: n,
      requests: sb.stats.apiCalls - calls0,
      seconds: round(seconds, 2),
      contactsPerSecond: Math.round(cps),
      ceilingContactsPerSecond: Math.round(ceiling),
      percentOfCeiling: round((cps / ceiling) * 100),
      consentRows,
      percentOfContactsOnlyCeiling: round((cps / contactsOnly) * 100),
    };
  } finally {
    await c.close?.();
    await sb.close();
  }
}

async function bulkRun(target: number, latencyMs: number, maxSeconds: number): Promise<SalesforceBulkBench> {
  const cli = join(__dirname, '..', 'connectors', 'salesforce', 'sandbox', 'cli.ts');
  const child = spawn(process.execPath, [join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), cli, '--lazy', String(target), '--no-consent-objects', '--latency', String(latencyMs), '--token', 'bench-token-123'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const line = buf.split('\n')[0];
        if (buf.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
      });
      child.on('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
    });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let heapPeak = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 100);
    const c = createSalesforceConnector({ vendor: 'salesforce', tenantId: 'bench', baseUrl: url, accessToken: 'bench-token-123', options: { bulkPollIntervalMs: '200' } });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), maxSeconds * 1000);
    const t0 = performance.now();
    let n = 0;
    try {
      for await (const p of c.streamContacts({ properties: [], includeNotes: false, bulk: true, signal: ac.signal })) n += p.contacts.length;
    } finally {
      clearTimeout(timer);
      clearInterval(sampler);
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      records: n,
      target,
      seconds: round(seconds, 1),
      recordsPerSecond: Math.round(n / seconds),
      rssBeforeMb: mb(rssBefore),
      rssPeakMb: mb(rssPeak),
      rssAfterMb: mb(process.memoryUsage().rss),
      heapPeakMb: mb(heapPeak),
      stoppedEarly: ac.signal.aborted,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

export async function benchSalesforceSync(opts: { count?: number; bulk?: number; latencyMs?: number; maxBulkSeconds?: number } = {}): Promise<SalesforceBenchResult> {
  const latency = opts.latencyMs ?? 50;
  const soql = [await soqlRun(false, opts.count ?? 60_000, latency), await soqlRun(true, opts.count ?? 60_000, latency)];
  const bulk = await bulkRun(opts.bulk ?? 1_000_000, latency, opts.maxBulkSeconds ?? 110);
  return { soql, bulk };
}

if (require.main === module) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const o: Parameters<typeof benchSalesforceSync>[0] = {};
  if (arg('count')) o.count = arg('count')!;
  if (arg('bulk')) o.bulk = arg('bulk')!;
  if (arg('latency') !== undefined) o.latencyMs = arg('latency')!;
  void benchSalesforceSync(o).then((r) => {
    for (const s of r.soql) {
      console.log(`salesforce soql [${s.org}] ${s.edition}, ${s.dailyApiRequests} req/day, latency ${s.latencyMs} ms: ${s.contacts} contacts in ${s.seconds} s (${s.requests} requests) = ${s.contactsPerSecond}/s; ceiling ${s.ceilingContactsPerSecond}/s; ${s.percentOfCeiling}% of ceiling${s.consentRows ? ` (${s.consentRows} consent rows; ${s.percentOfContactsOnlyCeiling}% of the contacts-only ceiling)` : ''}`);
    }
    const b = r.bulk;
    console.log(`salesforce bulk 2.0: ${b.records}/${b.target} records in ${b.seconds} s = ${b.recordsPerSecond}/s${b.stoppedEarly ? ' (stopped at the time cap)' : ''}; RSS before ${b.rssBeforeMb} MB, peak ${b.rssPeakMb} MB, after ${b.rssAfterMb} MB; heap peak ${b.heapPeakMb} MB`);
  });
}
