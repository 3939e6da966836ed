/**
 * Salesforce sync benchmark against the local sandbox set to Salesforce's documented limits. The sandbox
 * runs in a child process, as the vendor's servers are not on our CPU.
 *
 * 1. SOQL sync (no notes) paced by a shared RateBudget at the edition's daily API request allocation
 *    spread over 24 h (the only request-rate limit Salesforce documents; concurrency limits apply to
 *    long-running requests only). The ceiling is what those limits allow: the fewest requests that can
 *    carry the data (a query batch holds at most 2,000 rows: per object ceil(records / 2,000), and with the
 *    consent objects also ceil(consent rows / 2,000), since every ContactPointTypeConsent row must be read
 *    too) at requests/s, as contacts/s. Run for an org with the opt-out fields only and one with the consent
 *    objects; for the latter the contacts-only ceiling is reported beside it.
 * 2. Bulk API 2.0 full scan of a large org generated lazily by a sandbox in a child process, RSS of this
 *    process sampled throughout to show memory stays flat (results are paged by Sforce-Locator).
 *
 * Run: npx tsx bench/salesforce-sync.ts [--bulk 1000000] [--latency 50] [--count 60000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createMemoryRateBudget } from '../connectors/memory-rate-budget';
import { QueryResponse } from '../connectors/salesforce/client';
import { createSalesforceConnector } from '../connectors/salesforce/connector';
import { OBJECTS } from '../connectors/salesforce/fields';
import { DAY_MS, dailyApiRequests, QUERY } from '../connectors/salesforce/limits';

export interface SalesforceSoqlBench {
  org: 'opt-out fields only' | 'consent objects';
  edition: string;
  dailyApiRequests: number;
  latencyMs: number;
  contacts: number;
  requests: number;
  /** The fewest requests that can carry the data (see the header). */
  minimalRequests: number;
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

const BENCH_TOKEN = 'bench-token-123';

/** A sandbox in a child process; resolves with its URL once it listens. */
async function childSandbox(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const cli = join(__dirname, '..', 'connectors', 'salesforce', 'sandbox', 'cli.ts');
  const child = spawn(process.execPath, [join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), cli, ...args, '--token', BENCH_TOKEN], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n')[0];
      if (buf.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
  });
  return { url, child };
}

async function soqlRun(hasConsentObjects: boolean, count: number, latencyMs: number): Promise<SalesforceSoqlBench> {
  const edition = 'enterprise';
  const licences = 100;
  const daily = dailyApiRequests(edition, licences);
  const perSecond = daily / (DAY_MS / 1000);
  const { url, child } = await childSandbox(['--count', String(count), '--seed', '11', '--latency', String(latencyMs), '--daily', String(daily), ...(hasConsentObjects ? [] : ['--no-consent-objects'])]);
  const budget = createMemoryRateBudget({ default: { points: 1, durationMs: 1000 / perSecond } }, { edgeMarginMs: 0 });
  const c = createSalesforceConnector({ vendor: 'salesforce', tenantId: 'bench', baseUrl: url, accessToken: BENCH_TOKEN, budget, options: { bulkThreshold: String(10_000_000) } });
  try {
    await c.describePortal();
    await c.listProperties();
    const granted0 = budget.granted.default ?? 0;
    const t0 = performance.now();
    let n = 0;
    for await (const p of c.streamContacts({ properties: [], includeNotes: false })) n += p.contacts.length;
    const seconds = (performance.now() - t0) / 1000;
    const requests = (budget.granted.default ?? 0) - granted0;
    // The data as the org holds it (read outside the budget): records per object and their people's consent rows.
    const reader = createSalesforceConnector({ vendor: 'salesforce', tenantId: 'bench', baseUrl: url, accessToken: BENCH_TOKEN });
    const totalOf = async (soql: string) => (await reader.client.get(`/query?q=${encodeURIComponent(soql)}`, QueryResponse)).totalSize;
    let minimal = 0;
    let consentRows = 0;
    let contactsOnlyRequests = 0;
    for (const obj of OBJECTS) {
      const records = await totalOf(`SELECT Id FROM ${obj}`);
      const rows = hasConsentObjects ? await totalOf(`SELECT Id FROM ContactPointTypeConsent WHERE PartyId IN (SELECT IndividualId FROM ${obj})`) : 0;
      consentRows += rows;
      contactsOnlyRequests += Math.ceil(records / QUERY.batchSize);
      minimal += Math.ceil(records / QUERY.batchSize) + Math.ceil(rows / QUERY.batchSize);
    }
    await reader.close?.();
    const ceiling = n / (minimal / perSecond);
    const contactsOnly = n / (contactsOnlyRequests / perSecond);
    const cps = n / seconds;
    return {
      org: hasConsentObjects ? 'consent objects' : 'opt-out fields only',
      edition: `${edition} (${licences} licences)`,
      dailyApiRequests: daily,
      latencyMs,
      contacts: n,
      requests,
      minimalRequests: minimal,
      seconds: round(seconds, 2),
      contactsPerSecond: Math.round(cps),
      ceilingContactsPerSecond: Math.round(ceiling),
      percentOfCeiling: round((cps / ceiling) * 100),
      consentRows,
      percentOfContactsOnlyCeiling: round((cps / contactsOnly) * 100),
    };
  } finally {
    await c.close?.();
    child.kill('SIGTERM');
  }
}

async function bulkRun(target: number, latencyMs: number, maxSeconds: number): Promise<SalesforceBulkBench> {
  const { url, child } = await childSandbox(['--lazy', String(target), '--no-consent-objects', '--latency', String(latencyMs)]);
  try {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let heapPeak = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 100);
    const c = createSalesforceConnector({ vendor: 'salesforce', tenantId: 'bench', baseUrl: url, accessToken: BENCH_TOKEN, options: { bulkPollIntervalMs: '200' } });
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
      console.log(`salesforce soql [${s.org}] ${s.edition}, ${s.dailyApiRequests} req/day, latency ${s.latencyMs} ms: ${s.contacts} contacts in ${s.seconds} s (${s.requests} requests, fewest possible ${s.minimalRequests}) = ${s.contactsPerSecond}/s; ceiling ${s.ceilingContactsPerSecond}/s; ${s.percentOfCeiling}% of ceiling${s.consentRows ? ` (${s.consentRows} consent rows; ${s.percentOfContactsOnlyCeiling}% of the contacts-only ceiling)` : ''}`);
    }
    const b = r.bulk;
    console.log(`salesforce bulk 2.0: ${b.records}/${b.target} records in ${b.seconds} s = ${b.recordsPerSecond}/s${b.stoppedEarly ? ' (stopped at the time cap)' : ''}; RSS before ${b.rssBeforeMb} MB, peak ${b.rssPeakMb} MB, after ${b.rssAfterMb} MB; heap peak ${b.heapPeakMb} MB`);
  });
}
