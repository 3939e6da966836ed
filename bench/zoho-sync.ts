/**
 * Zoho sync benchmark against the local sandbox set to Zoho's documented limits.
 *
 * 1. Records API sync (no notes) paced by a shared RateBudget at the plan's daily credits spread over
 *    24 h: contacts/s against the ceiling those limits allow (credits/s x 200 records a call).
 *    Run for Enterprise with 100 users (credit-bound) and for Enterprise at its 5M-credit cap, where
 *    sequential page_token paging, not credits, becomes the bound (that is what Bulk Read is for).
 * 2. Bulk Read full scan of a large org (people generated lazily by the sandbox) with RSS sampled
 *    before, during and after, to show memory stays flat.
 *
 * Run: npx tsx bench/zoho-sync.ts [--bulk 1000000] [--latency 100]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMemoryRateBudget } from '../connectors/memory-rate-budget';
import { createZohoConnector } from '../connectors/zoho/connector';
import { DAY_MS, PLANS, RECORDS, dailyCredits } from '../connectors/zoho/limits';
import { startZohoSandbox } from '../connectors/zoho/sandbox/server';

const CREDS = { clientId: '1000.SANDBOXCLIENT', clientSecret: 'sandbox-secret', refreshToken: '1000.sandbox.refresh' };

export interface ZohoRecordsBench {
  plan: string;
  creditsPerDay: number;
  latencyMs: number;
  contacts: number;
  seconds: number;
  contactsPerSecond: number;
  ceilingContactsPerSecond: number;
  percentOfCeiling: number;
}

export interface ZohoBulkBench {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
  heapPeakMb: number;
}

export interface ZohoBenchResult {
  records: ZohoRecordsBench[];
  bulk: ZohoBulkBench;
}

const mb = (n: number): number => Math.round(n / 1024 / 1024);

async function recordsRun(plan: 'enterprise', users: number, count: number, latencyMs: number): Promise<ZohoRecordsBench> {
  const credits = dailyCredits(plan, users);
  const perSecond = credits / (DAY_MS / 1000);
  const sb = await startZohoSandbox({ seed: { count, seed: 11 }, latencyMs, limits: { credits, concurrency: PLANS[plan].concurrency } });
  // One call per 1/perSecond s: the daily credits spread evenly, shared by every worker of the portal.
  const budget = createMemoryRateBudget({ default: { points: 1, durationMs: 1000 / perSecond } }, { edgeMarginMs: 0 });
  const c = createZohoConnector({ vendor: 'zoho', tenantId: 'bench', budget, options: { ...CREDS, accountsUrl: sb.accountsUrl, apiDomain: sb.url, concurrency: String(PLANS[plan].concurrency) } });
  try {
    await c.describePortal();
    await c.listProperties();
    const t0 = performance.now();
    let n = 0;
    for await (const page of c.streamContacts({ properties: ['Email', 'First_Name', 'Last_Name', 'Mailing_City'], includeNotes: false })) n += page.contacts.length;
    const seconds = (performance.now() - t0) / 1000;
    const ceiling = perSecond * RECORDS.perPage;
    const rate = n / seconds;
    return {
      plan: `${plan} (${users} users)`,
      creditsPerDay: credits,
      latencyMs,
      contacts: n,
      seconds: round(seconds),
      contactsPerSecond: round(rate),
      ceilingContactsPerSecond: round(ceiling),
      percentOfCeiling: round((rate / ceiling) * 100),
    };
  } finally {
    await c.close?.();
    await sb.close();
  }
}

/** The sandbox in its own process, so the RSS measured here is the connector's alone. */
async function sandboxProcess(lazy: number): Promise<{ url: string; accountsUrl: string; close(): Promise<void> }> {
  const child = spawn(join(__dirname, '..', 'node_modules', '.bin', 'tsx'), [join(__dirname, '..', 'connectors', 'zoho', 'sandbox', 'cli.ts'), '--count', '0', '--lazy', String(lazy)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const urls = await new Promise<{ url: string; accountsUrl: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const api = /Zoho sandbox API\s+(\S+)/.exec(out);
      const acc = /Zoho sandbox accounts\s+(\S+)/.exec(out);
      if (api && acc) resolve({ url: api[1] as string, accountsUrl: acc[1] as string });
    });
  });
  return {
    ...urls,
    close: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function bulkRun(records: number): Promise<ZohoBulkBench> {
  const sb = await sandboxProcess(records);
  const c = createZohoConnector({ vendor: 'zoho', tenantId: 'bench', options: { ...CREDS, accountsUrl: sb.accountsUrl, apiDomain: sb.url } });
  try {
    await c.describePortal();
    const props = (await c.listProperties()).map((p) => p.name);
    global.gc?.();
    const before = process.memoryUsage();
    let peak = before.rss;
    let heapPeak = before.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 100);
    const t0 = performance.now();
    let n = 0;
    let lastPrint = 0;
    for await (const page of c.streamContacts({ properties: props, includeNotes: false, bulk: true })) {
      n += page.contacts.length;
      if (n - lastPrint >= 200_000) {
        lastPrint = n;
        console.log(`  bulk: ${n} records, rss ${mb(process.memoryUsage().rss)} MB`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const after = process.memoryUsage();
    return {
      records: n,
      seconds: round(seconds),
      recordsPerSecond: round(n / seconds),
      rssBeforeMb: mb(before.rss),
      rssPeakMb: mb(Math.max(peak, after.rss)),
      rssAfterMb: mb(after.rss),
      heapPeakMb: mb(heapPeak),
    };
  } finally {
    await c.close?.();
    await sb.close();
  }
}

const round = (x: number): number => Math.round(x * 10) / 10;

export async function benchZohoSync(opts: { bulkRecords?: number; latencyMs?: number; contacts?: number } = {}): Promise<ZohoBenchResult> {
  const latency = opts.latencyMs ?? 100;
  const records: ZohoRecordsBench[] = [];
  records.push(await recordsRun('enterprise', 100, opts.contacts ?? 6_000, latency));
  records.push(await recordsRun('enterprise', 10_000, opts.contacts ?? 6_000, latency));
  for (const r of records) {
    console.log(
      `zoho records sync, ${r.plan}, ${r.creditsPerDay} credits/day, latency ${r.latencyMs} ms: ${r.contacts} contacts in ${r.seconds} s = ${r.contactsPerSecond} contacts/s; ceiling ${r.ceilingContactsPerSecond} contacts/s (${r.percentOfCeiling}%)`,
    );
  }
  const bulk = await bulkRun(opts.bulkRecords ?? 1_000_000);
  console.log(
    `zoho bulk read full scan: ${bulk.records} records in ${bulk.seconds} s = ${bulk.recordsPerSecond} records/s; RSS before ${bulk.rssBeforeMb} MB, peak ${bulk.rssPeakMb} MB, after ${bulk.rssAfterMb} MB (heap peak ${bulk.heapPeakMb} MB)`,
  );
  return { records, bulk };
}

if (require.main === module) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
    return Number.isFinite(v) ? v : undefined;
  };
  const bulkRecords = arg('bulk');
  const latencyMs = arg('latency');
  const contacts = arg('contacts');
  benchZohoSync({ ...(bulkRecords !== undefined ? { bulkRecords } : {}), ...(latencyMs !== undefined ? { latencyMs } : {}), ...(contacts !== undefined ? { contacts } : {}) }).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : 'benchmark failed');
    process.exit(1);
  });
}
