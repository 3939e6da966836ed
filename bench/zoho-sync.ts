/**
 * Zoho sync benchmark against the local sandbox set to Zoho's documented limits.
 *
 * 1. Records API sync (no notes) paced by a shared RateBudget at the plan's daily credits spread over
 *    24 h: contacts/s against the ceiling those limits allow (credits/s x 200 records a call).
 *    Run for Enterprise with 100 users (credit-bound: one cursor suffices), 1,000 users (12 calls/s:
 *    about two cursors) and at its 5M-credit cap (58 calls/s: at 100 ms a call that takes about six
 *    cursors over Modified_Time ranges; the sandbox enforces the plan's concurrency and the
 *    sub-concurrency of 10).
 *    A rate is only meaningful over a run much longer than one latency, so each plan's org holds at
 *    least `seconds` (default 10) of contacts at its ceiling: 6,000 contacts last 17 s at 100 users but
 *    half a second at the cap, where the cursors' ramp-up and the last ranges' tail (each a few round
 *    trips) would dominate; at the cap that is 116,000 contacts (a 10,000-user org holds far more).
 *    Each line ends with a machine check (see ZohoRecordsBench): the calls/s plain loops get from the
 *    same sandbox on this machine right then, the bound no sync can pass.
 * 2. Bulk Read full scan of a large org (people generated lazily by the sandbox) with RSS sampled
 *    before, during and after, to show memory stays flat.
 *
 * Run: npx tsx bench/zoho-sync.ts [--bulk 1000000 | --bulk 0 (skip)] [--latency 100] [--contacts 6000] [--seconds 10] [--users 100,1000,10000]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMemoryRateBudget } from '../connectors/memory-rate-budget';
import { ZohoClient } from '../connectors/zoho/client';
import { createZohoConnector } from '../connectors/zoho/connector';
import { DAY_MS, PLANS, RECORDS, SUB_CONCURRENCY, dailyCredits } from '../connectors/zoho/limits';
import type { SandboxStats } from '../connectors/zoho/sandbox/server';
import { fieldsToFetch } from '../connectors/zoho/sync';

const PROPERTIES = ['Email', 'First_Name', 'Last_Name', 'Mailing_City'];
const MACHINE_CHECK_MS = 2_000;
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
  /** List calls made, and the fewest that could carry these contacts (200 a call). */
  listCalls: number;
  minimumListCalls: number;
  /** Most list calls in flight at once (the cursors), and 429s the sandbox answered. */
  maxConcurrentLists: number;
  rejected429: number;
  /** CPU used by this process (the connector; the sandbox runs in its own) per wall second. */
  cpuPerWall: number;
  /**
   * Machine check, right after the sync against the same sandbox: sorted list calls/s that
   * SUB_CONCURRENCY plain loops get (same fields, no budget, nothing mapped), as % of the plan's call
   * rate. Below 100% this machine (2 shared cores) cannot deliver the ceiling at this moment at all.
   */
  machineCallsPerSecond: number;
  machinePercentOfCeiling: number;
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (n: number): number => Math.round(n / 1024 / 1024);

async function recordsRun(plan: 'enterprise', users: number, minCount: number, latencyMs: number, minSeconds: number): Promise<ZohoRecordsBench> {
  const credits = dailyCredits(plan, users);
  const perSecond = credits / (DAY_MS / 1000);
  const count = Math.max(minCount, Math.ceil((perSecond * RECORDS.perPage * minSeconds) / 1000) * 1000);
  // Zoho is not in our process: the sandbox (and its 100k-record heap, its GC) runs in its own.
  const sb = await sandboxProcess([
    ...['--count', String(count), '--seed', '11', '--latency', String(latencyMs)],
    ...['--credits', String(credits), '--concurrency', String(PLANS[plan].concurrency), '--sub-concurrency', String(SUB_CONCURRENCY)],
  ]);
  // The daily credits spread evenly, shared by every worker of the portal: at most `points` calls in
  // any window of points/perSecond s (~250 ms). One point per 1/perSecond s would make every grant wait
  // for a timer, and a busy event loop fires timers late, each lateness delaying all later grants (at
  // 58 calls/s a 10 ms loop delay alone costs a third of the ceiling); over a window of several points
  // a late grant costs only itself. Zoho counts credits per 24 h, so this is far stricter than Zoho.
  const interval = 1000 / perSecond;
  const points = Math.max(1, Math.round(250 / interval));
  const budget = createMemoryRateBudget({ default: { points, durationMs: points * interval } }, { edgeMarginMs: 0 });
  const c = createZohoConnector({ vendor: 'zoho', tenantId: 'bench', budget, options: { ...CREDS, accountsUrl: sb.accountsUrl, apiDomain: sb.url, concurrency: String(PLANS[plan].concurrency) } });
  try {
    await c.describePortal();
    await c.listProperties();
    // Fill the window at the paced rate before the clock starts, so the run gets no burst of saved-up calls.
    for (let i = 0; i < points; i++) {
      await budget.take();
      await sleep(interval);
    }
    const lists0 = (await sb.stats()).byRoute['GET /crm/v8/Contacts'] ?? 0;
    global.gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let n = 0;
    for await (const page of c.streamContacts({ properties: PROPERTIES, includeNotes: false })) n += page.contacts.length;
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const stats = await sb.stats();
    const machine = await machineCheck(sb);
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
      listCalls: (stats.byRoute['GET /crm/v8/Contacts'] ?? 0) - lists0,
      minimumListCalls: Math.ceil(n / RECORDS.perPage),
      maxConcurrentLists: stats.maxConcurrentComplex,
      rejected429: stats.rejected429,
      cpuPerWall: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) / 100,
      machineCallsPerSecond: round(machine),
      machinePercentOfCeiling: round((machine / perSecond) * 100),
    };
  } finally {
    await c.close?.();
    await sb.close();
  }
}

/** Sorted list calls/s that SUB_CONCURRENCY plain loops get from the sandbox (pages 1-10, nothing mapped). */
async function machineCheck(sb: { url: string; accountsUrl: string }): Promise<number> {
  const client = new ZohoClient({ ...CREDS, accountsUrl: sb.accountsUrl, apiDomain: sb.url, pinApiDomain: true, concurrency: SUB_CONCURRENCY });
  try {
    const res = await client.expect<{ fields: { api_name: string; data_type: string }[] }>({ method: 'GET', path: '/crm/v8/settings/fields', params: { module: 'Contacts' } });
    const types = Object.fromEntries(res.data.fields.map((f) => [f.api_name, f.data_type]));
    const fields = fieldsToFetch(PROPERTIES, types).join(',');
    let calls = 0;
    const t0 = performance.now();
    const loop = async (first: number): Promise<void> => {
      for (let page = first; performance.now() - t0 < MACHINE_CHECK_MS; page = (page % 10) + 1) {
        await client.expect({ method: 'GET', path: '/crm/v8/Contacts', params: { fields, per_page: RECORDS.perPage, page, sort_by: 'Modified_Time', sort_order: 'asc' } });
        calls++;
      }
    };
    await Promise.all(Array.from({ length: SUB_CONCURRENCY }, (_, i) => loop(1 + i)));
    return calls / ((performance.now() - t0) / 1000);
  } finally {
    (client.http.defaults.httpAgent as { destroy?: () => void } | undefined)?.destroy?.();
  }
}

/** The sandbox in its own process (cli.ts), so what is measured here is the connector's alone. */
async function sandboxProcess(args: string[]): Promise<{ url: string; accountsUrl: string; stats(): Promise<SandboxStats>; close(): Promise<void> }> {
  const child = spawn(join(__dirname, '..', 'node_modules', '.bin', 'tsx'), [join(__dirname, '..', 'connectors', 'zoho', 'sandbox', 'cli.ts'), '--stdin-control', '1', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const statsWaiters: ((s: SandboxStats) => void)[] = [];
  const urls = await new Promise<{ url: string; accountsUrl: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const api = /Zoho sandbox API\s+(\S+)/.exec(out);
      const acc = /Zoho sandbox accounts\s+(\S+)/.exec(out);
      if (api && acc) resolve({ url: api[1] as string, accountsUrl: acc[1] as string });
      for (let m = /SANDBOX_STATS (.*)\n/.exec(out); m; m = /SANDBOX_STATS (.*)\n/.exec(out)) {
        out = out.slice(m.index + m[0].length);
        statsWaiters.shift()?.(JSON.parse(m[1] as string) as SandboxStats);
      }
    });
  });
  return {
    ...urls,
    stats: () =>
      new Promise<SandboxStats>((resolve) => {
        statsWaiters.push(resolve);
        child.stdin.write('stats\n');
      }),
    close: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function bulkRun(records: number): Promise<ZohoBulkBench> {
  const sb = await sandboxProcess(['--count', '0', '--lazy', String(records)]);
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

export interface ZohoRecordsOptions {
  latencyMs?: number;
  /** Contacts in each plan's org at least (default 6,000). */
  contacts?: number;
  /** ...and at least this many seconds of contacts at the plan's ceiling (default 10). */
  seconds?: number;
  /** Enterprise plans measured, by user count (default 100, 1,000 and 10,000: one cursor, a few, at the 5M cap). */
  users?: readonly number[];
}

/** The records API part alone (each plan in `users`). */
export async function benchZohoRecords(opts: ZohoRecordsOptions = {}): Promise<ZohoRecordsBench[]> {
  const latency = opts.latencyMs ?? 100;
  const records: ZohoRecordsBench[] = [];
  for (const users of opts.users ?? [100, 1_000, 10_000]) {
    const r = await recordsRun('enterprise', users, opts.contacts ?? 6_000, latency, opts.seconds ?? 10);
    records.push(r);
    console.log(
      `zoho records sync, ${r.plan}, ${r.creditsPerDay} credits/day, latency ${r.latencyMs} ms: ${r.contacts} contacts in ${r.seconds} s = ${r.contactsPerSecond} contacts/s; ceiling ${r.ceilingContactsPerSecond} contacts/s (${r.percentOfCeiling}%); ${r.listCalls} list calls (${r.minimumListCalls} minimum), up to ${r.maxConcurrentLists} in flight, ${r.rejected429} 429s; CPU ${r.cpuPerWall} core; machine check ${r.machineCallsPerSecond} calls/s = ${r.machinePercentOfCeiling}% of the plan's call rate`,
    );
  }
  return records;
}

export async function benchZohoSync(opts: ZohoRecordsOptions & { bulkRecords?: number } = {}): Promise<ZohoBenchResult> {
  const records = await benchZohoRecords(opts);
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
  const seconds = arg('seconds');
  const ui = process.argv.indexOf('--users');
  const users = ui >= 0 ? String(process.argv[ui + 1]).split(',').map(Number).filter((u) => Number.isInteger(u) && u >= 0) : undefined;
  const o = { ...(latencyMs !== undefined ? { latencyMs } : {}), ...(contacts !== undefined ? { contacts } : {}), ...(seconds !== undefined ? { seconds } : {}), ...(users?.length ? { users } : {}) };
  (bulkRecords === 0 ? benchZohoRecords(o) : benchZohoSync({ ...o, ...(bulkRecords !== undefined ? { bulkRecords } : {}) })).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : 'benchmark failed');
    process.exit(1);
  });
}
