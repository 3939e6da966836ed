/**
 * `npm run demo [-- --vendor hubspot|zoho|salesforce] [--contacts N] [--keep]`
 *
 * The whole job on a fresh machine with no credentials, Redis or network: starts the vendor's local
 * sandbox seeded with a few thousand realistic (fake) Dutch and English contacts, scans it, plans,
 * applies what is due, fast-forwards past the grace periods and applies again, re-scans, and shows
 * before and after. The data directory is a temporary one (embedded PGlite) unless --keep is given.
 * Only ids and counts are printed; no personal values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createConnector } from '../connectors';
import { startHubSpotSandbox } from '../connectors/hubspot/sandbox';
import { createMemoryRateBudget } from '../connectors/memory-rate-budget';
import { startSalesforceSandbox } from '../connectors/salesforce/sandbox/server';
import type { Connector } from '../connectors/types';
import { startZohoSandbox } from '../connectors/zoho/sandbox/server';
import { verifyAudit } from '../src/audit';
import { printApply, printPlan, printScanSummary } from '../src/cli/summary';
import { table } from '../src/cli/table';
import { Vendor } from '../src/model';
import { applyPlan } from '../src/pipeline/apply';
import { buildPlan } from '../src/pipeline/plan';
import { stderrProgress } from '../src/pipeline/progress';
import { runScan, type ScanSummary } from '../src/pipeline/scan';
import { compilePolicy } from '../src/policy/compile';
import { loadPolicy } from '../src/policy/load';
import { openStore, type Store } from '../src/store';

const DAY_MS = 86_400_000;
const TENANT = 'demo';

interface Sandbox {
  connector: Connector;
  label: string;
  close(): Promise<void>;
}

/** The sandbox runs without rate limits here so the demo takes seconds; `npm run bench` runs them at the vendors' limits. */
async function startSandbox(vendor: Vendor, count: number, now: Date): Promise<Sandbox> {
  const seed = { count, seed: 42, now: now.toISOString() };
  const budget = createMemoryRateBudget({ default: { points: 1_000, durationMs: 1_000 }, search: { points: 100, durationMs: 1_000 } });
  const demoKey = 'demo-anonymisation-key-not-for-production';
  switch (vendor) {
    case 'hubspot': {
      const token = 'demo-token';
      const sb = await startHubSpotSandbox({ accessToken: token, seed, limits: false, latencyMs: 0 });
      const connector = createConnector({ vendor, tenantId: TENANT, baseUrl: sb.url, accessToken: token, options: { anonymiseKey: demoKey }, budget });
      return { connector, label: `HubSpot sandbox at ${sb.url}`, close: () => sb.close() };
    }
    case 'zoho': {
      const creds = { clientId: '1000.DEMO', clientSecret: 'demo-secret', refreshToken: '1000.demo.refresh' };
      const sb = await startZohoSandbox({ seed, latencyMs: 0, limits: { tokensPer10Min: 10_000 }, ...creds });
      const connector = createConnector({ vendor, tenantId: TENANT, options: { ...creds, accountsUrl: sb.accountsUrl, apiDomain: sb.url, dataCentre: 'eu', hashKey: demoKey }, budget });
      return { connector, label: `Zoho CRM sandbox at ${sb.url}`, close: () => sb.close() };
    }
    case 'salesforce': {
      const sb = await startSalesforceSandbox({ seed, latencyMs: 0 });
      const connector = createConnector({
        vendor,
        tenantId: TENANT,
        baseUrl: sb.url,
        accessToken: sb.state.accessToken,
        options: { refreshToken: sb.state.refreshToken, clientId: sb.state.clientId, clientSecret: sb.state.clientSecret, bulkPollIntervalMs: '20', hashKey: demoKey },
        budget,
      });
      return { connector, label: `Salesforce sandbox at ${sb.url}`, close: () => sb.close() };
    }
  }
}

function heading(s: string): void {
  process.stdout.write(`\n=== ${s} ${'='.repeat(Math.max(3, 76 - s.length))}\n`);
}

function beforeAfter(before: ScanSummary, after: ScanSummary): string {
  const rules = [...new Set([...Object.keys(before.byRule), ...Object.keys(after.byRule)])].sort(
    (a, b) => (before.byRule[b] ?? 0) - (before.byRule[a] ?? 0) || a.localeCompare(b),
  );
  const rows = rules.map((r) => [r, String(before.byRule[r] ?? 0), String(after.byRule[r] ?? 0)]);
  rows.push(['total', String(before.findings), String(after.findings)]);
  return table(['rule', 'before', 'after'], rows);
}

async function scanOnce(store: Store, sb: Sandbox, policyName: string, now: Date, dataDir: string): Promise<ScanSummary> {
  const progress = stderrProgress('scan');
  const s = await runScan({
    store,
    connector: sb.connector,
    policy: compilePolicy(loadPolicy(policyName).pack),
    tenantId: TENANT,
    mode: 'full',
    now,
    reportDir: path.join(dataDir, 'reports'),
    actor: 'demo',
    onProgress: progress,
  });
  progress.finish();
  return s;
}

async function planAndApply(store: Store, sb: Sandbox, portalId: string, policyName: string, now: Date): Promise<void> {
  const loaded = loadPolicy(policyName);
  const plan = await buildPlan(store, portalId, loaded, now);
  process.stdout.write(printPlan(plan));
  const progress = stderrProgress('apply');
  const s = await applyPlan({ store, connector: sb.connector, policy: compilePolicy(loaded.pack), plan, now, actor: 'demo', onProgress: progress });
  progress.finish();
  process.stdout.write(`\n${printApply(s)}`);
}

async function main(): Promise<void> {
  const program = new Command('demo')
    .description('scan, plan, apply and re-scan a seeded local CRM sandbox; no credentials, Redis or network needed')
    .addOption(new Option('--vendor <vendor>', 'which CRM to imitate').choices(Vendor.options).default('hubspot'))
    .option('--contacts <n>', 'seeded contacts', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 10 || n > 200_000) throw new InvalidArgumentError('a whole number from 10 to 200000');
      return n;
    }, 3000)
    .option('--policy <name|file>', 'policy pack', 'avg-default')
    .option('--keep', 'keep the data directory (reports, plans, database) and print where it is')
    .parse();
  const o = program.opts<{ vendor: Vendor; contacts: number; policy: string; keep?: boolean }>();

  const started = Date.now();
  const now = new Date();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-demo-'));
  const sb = await startSandbox(o.vendor, o.contacts, now);
  const store = await openStore({ dataDir });
  try {
    heading(`1. Scan: ${o.contacts} seeded contacts in a ${sb.label}`);
    const before = await scanOnce(store, sb, o.policy, now, dataDir);
    process.stdout.write(printScanSummary(before));

    heading('2. Plan and apply what is due today: tasks for owners, status, lawful basis, unsubscribes');
    await planAndApply(store, sb, before.portal.id, o.policy, now);

    // Destructive actions wait out their grace period (7 to 30 days in avg-default); show them run.
    const later = new Date(now.getTime() + 31 * DAY_MS);
    heading(`3. ${later.toISOString().slice(0, 10)}: the grace periods have ended; plan and apply again`);
    await planAndApply(store, sb, before.portal.id, o.policy, later);

    heading('4. Re-scan the CRM');
    const after = await scanOnce(store, sb, o.policy, later, dataDir);
    process.stdout.write(printScanSummary(after));

    heading('Before and after (open findings by rule)');
    process.stdout.write(`${beforeAfter(before, after)}\n`);
    process.stdout.write(
      '\nWhat remains is what a person must decide (e.g. an e-mail opt-out that contradicts a granted consent)\n' +
        'or what became due only in the meantime; each has a task with its owner in the CRM.\n',
    );

    const audit = await verifyAudit(store, { tenantId: TENANT });
    heading('Audit trail');
    process.stdout.write(audit.ok ? `hash chain intact: ${audit.rows} rows verified\n` : `hash chain BROKEN at row ${audit.firstBrokenSeq}: ${audit.reason}\n`);
    process.stdout.write(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
    if (o.keep) process.stdout.write(`Data directory kept: ${dataDir}\n  GDPR_CRM_DATA_DIR=${dataDir} npx gdpr-crm portals\n`);
  } finally {
    await store.close();
    await sb.connector.close?.();
    await sb.close();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${(e as Error).message}\n`);
  if (process.env.GDPR_CRM_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = 1;
});
