/**
 * gdpr-crm: find what the GDPR (AVG) says must not be in a CRM or must not stay, and fix it there.
 * Every subcommand has --help. Personal values are never printed: ids, counts and redacted evidence only.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { dataDir, readEnv } from '../config';
import { IsoDateTime, Plan, TransferMechanism, Vendor } from '../model';
import { InputError } from './jsonl';
import { table } from './table';
import { verifyAudit } from '../audit';
import { scanTextStream } from '../detect';
import { applyPlan } from '../pipeline/apply';
import { buildPlan } from '../pipeline/plan';
import { stderrProgress } from '../pipeline/progress';
import { runScan } from '../pipeline/scan';
import { compilePolicy } from '../policy/compile';
import { loadPolicy } from '../policy/load';
import { openStore } from '../store';
import { connectorFromEnv } from './connect';
import { evaluateCommand } from './evaluate-command';
import { openInput } from './jsonl';
import { jsonSchemas } from './schema-command';
import { registerServe } from './serve-command';
import { printApply, printPlan, printScanSummary } from './summary';

const program = new Command();

function parseNow(v: string): string {
  if (!IsoDateTime.safeParse(v).success) throw new InvalidArgumentError('expected an ISO-8601 date-time such as 2026-11-25T00:00:00Z');
  return v;
}

const nowOption = () => new Option('--now <iso>', 'evaluate as of this instant (default: the current time)').argParser(parseNow);
const policyOption = () => new Option('--policy <name|file>', 'policy pack: a shipped name (avg-default, avg-strict) or a YAML file').default('avg-default');

async function openStoreFromEnv() {
  const env = readEnv();
  return openStore({ databaseUrl: env.DATABASE_URL, dataDir: dataDir(env) });
}

const actor = () => process.env.GDPR_CRM_ACTOR ?? `cli:${os.userInfo().username}`;

program
  .name('gdpr-crm')
  .description('Find unlawful, stale and unconsented personal data in HubSpot, Zoho CRM and Salesforce, and fix it in the CRM.')
  .version(require('../../package.json').version)
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Environment:
  GDPR_CRM_DATA_DIR   where the embedded database, reports and plans live (default ./.gdpr-crm)
  DATABASE_URL        use PostgreSQL instead of the embedded database
  HUBSPOT_ACCESS_TOKEN, ZOHO_CLIENT_ID/ZOHO_CLIENT_SECRET/ZOHO_REFRESH_TOKEN/ZOHO_DATA_CENTRE,
  SALESFORCE_INSTANCE_URL/SALESFORCE_ACCESS_TOKEN   vendor credentials

Typical run:  gdpr-crm scan --vendor hubspot  ->  gdpr-crm plan  ->  gdpr-crm apply <plan file>`,
  );

program
  .command('schema')
  .description('print the JSON Schema of the normalised contact and finding formats')
  .addOption(new Option('--only <name>', 'print just one schema').choices(['contact', 'finding', 'action', 'plan']))
  .action(async (o: { only?: 'contact' | 'finding' | 'action' | 'plan' }) => {
    const all = jsonSchemas(o.only ? [o.only] : ['contact', 'finding']);
    process.stdout.write(`${JSON.stringify(o.only ? all[o.only] : all, null, 2)}\n`);
  });

program
  .command('evaluate')
  .description('evaluate normalised contacts (JSON Lines) against a policy and write findings (JSON Lines); pure, no network')
  .requiredOption('--contacts <file>', 'contacts as JSON Lines, one normalised contact per line ("-" for stdin); see `gdpr-crm schema`')
  .addOption(policyOption())
  .addOption(nowOption())
  .option('--out <file>', 'write findings here (default stdout); written atomically')
  .option('--portal <file>', 'a portal JSON file, to check residency too')
  .option('--no-text', 'skip the free-text detectors on notes and text fields')
  .action(async (o: { contacts: string; policy: string; now?: string; out?: string; portal?: string; text: boolean }) => {
    const r = await evaluateCommand(o);
    process.stderr.write(`evaluated ${r.contacts} contacts: ${r.findings} findings\n`);
  });

program
  .command('scan-text')
  .description('detect personal and special-category data in free text: JSON Lines {"id","text"} in, {"id","findings"} out')
  .option('--in <file>', 'read from this file instead of stdin')
  .action(async (o: { in?: string }) => {
    const r = await scanTextStream(openInput(o.in), process.stdout, process.stderr);
    process.stderr.write(`scanned ${r.lines} lines: ${r.ok} ok, ${r.bad} bad\n`);
    if (r.bad > 0) process.exitCode = 2;
  });

program
  .command('scan')
  .description('sync a portal from its CRM, evaluate every contact, record findings and plan actions')
  .addOption(new Option('--vendor <vendor>', 'which CRM').choices(Vendor.options).makeOptionMandatory())
  .option('--tenant <id>', 'the customer organisation this portal belongs to (agencies: one per client)', 'default')
  .addOption(policyOption())
  .addOption(new Option('--mode <mode>', 'full: every contact; incremental: changed since the last scan').choices(['full', 'incremental']).default('full'))
  .option('--resume', 'resume a full scan that stopped part-way from its last saved page')
  .option('--base-url <url>', 'API base URL (a sandbox, or a vendor proxy)')
  .addOption(new Option('--transfer-mechanism <m>', 'for portals hosted outside the EU/EEA: the transfer mechanism in place').choices(TransferMechanism.options))
  .addOption(nowOption())
  .option('--json', 'print the summary as JSON')
  .action(async (o: { vendor: Vendor; tenant: string; policy: string; mode: 'full' | 'incremental'; resume?: boolean; baseUrl?: string; transferMechanism?: TransferMechanism; now?: string; json?: boolean }) => {
    const env = readEnv();
    const policy = compilePolicy(loadPolicy(o.policy).pack);
    const connector = connectorFromEnv(o.vendor, o.tenant, env, o.baseUrl);
    const store = await openStoreFromEnv();
    const progress = stderrProgress('scan');
    try {
      const s = await runScan({
        store,
        connector,
        policy,
        tenantId: o.tenant,
        mode: o.mode,
        resume: o.resume,
        now: o.now ? new Date(o.now) : new Date(),
        transferMechanism: o.transferMechanism,
        reportDir: path.join(dataDir(env), 'reports'),
        actor: actor(),
        onProgress: progress,
      });
      progress.finish();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        return;
      }
      process.stdout.write(printScanSummary(s));
    } finally {
      await connector.close?.();
      await store.close();
    }
  });

program
  .command('plan')
  .description('list the actions due now and those waiting out their grace period; writes a plan file for `apply`')
  .option('--portal <id>', 'portal id as shown by `gdpr-crm portals` (default: the only portal)')
  .addOption(policyOption())
  .addOption(nowOption())
  .option('--out <file>', 'where to write the plan (default <data dir>/plans/plan-<portal>-<time>.json)')
  .option('--json', 'print the plan as JSON instead of a table')
  .action(async (o: { portal?: string; policy: string; now?: string; out?: string; json?: boolean }) => {
    const env = readEnv();
    const store = await openStoreFromEnv();
    try {
      const portalId = o.portal ?? (await onlyPortal(store));
      const plan = await buildPlan(store, portalId, loadPolicy(o.policy), o.now ? new Date(o.now) : new Date());
      const file = o.out ?? path.join(dataDir(env), 'plans', `plan-${portalId.replace(/[^a-z0-9]+/gi, '_')}-${plan.createdAt.replace(/[:.]/g, '-')}.json`);
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);
      if (o.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      else {
        process.stdout.write(printPlan(plan));
      }
      process.stderr.write(`plan written to ${file}\nrun: gdpr-crm apply ${file}\n`);
    } finally {
      await store.close();
    }
  });

program
  .command('apply')
  .description('execute exactly the actions of a plan file; safe to run again (done actions are never repeated)')
  .argument('<plan>', 'plan file written by `gdpr-crm plan`')
  .option('--dry-run', 'show what would run, change nothing')
  .option('--base-url <url>', 'API base URL (a sandbox, or a vendor proxy)')
  .option('--policy <name|file>', 'the policy the plan was made with (default: the one named in the plan)')
  .addOption(nowOption())
  .action(async (file: string, o: { dryRun?: boolean; baseUrl?: string; policy?: string; now?: string }) => {
    const env = readEnv();
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new InputError(`${file}: cannot read the plan (${(e as Error).message.split('\n')[0]})`);
    }
    const parsed = Plan.safeParse(raw);
    if (!parsed.success) throw new InputError(`${file}: not a valid plan: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const plan = parsed.data;
    const loaded = loadPolicy(o.policy ?? plan.policy.id);
    if (loaded.sha256 !== plan.policy.sha256) throw new InputError(`the policy ${loaded.pack.id} has changed since this plan was made; run "gdpr-crm plan" again`);
    const store = await openStoreFromEnv();
    try {
      const portal = await store.getPortal(plan.portalId);
      if (!portal) throw new InputError(`unknown portal ${plan.portalId} in this data directory`);
      const connector = connectorFromEnv(portal.vendor, portal.tenantId, env, o.baseUrl);
      const progress = stderrProgress('apply');
      const s = await applyPlan({ store, connector, policy: compilePolicy(loaded.pack), plan, now: o.now ? new Date(o.now) : new Date(), actor: actor(), dryRun: o.dryRun, onProgress: progress });
      progress.finish();
      await connector.close?.();
      process.stdout.write(printApply(s));
      if (s.failed > 0) process.exitCode = 3;
    } finally {
      await store.close();
    }
  });

const audit = program.command('audit').description('the tamper-evident audit trail');
audit
  .command('verify')
  .description('check the hash chain; reports the first broken link if a row was altered or removed')
  .option('--tenant <id>', 'verify one tenant only')
  .action(async (o: { tenant?: string }) => {
    const store = await openStoreFromEnv();
    try {
      const r = await verifyAudit(store, { tenantId: o.tenant });
      if (r.ok) process.stdout.write(`audit log intact: ${r.rows} rows verified\n`);
      else {
        process.stdout.write(`audit log BROKEN at row ${r.firstBrokenSeq}: ${r.reason} (${r.rows} rows checked)\n`);
        process.exitCode = 4;
      }
    } finally {
      await store.close();
    }
  });

program
  .command('portals')
  .description('list the connected portals in this data directory')
  .action(async () => {
    const store = await openStoreFromEnv();
    try {
      const ps = await store.listPortals();
      process.stdout.write(`${table(['portal', 'vendor', 'tenant', 'region', 'in EEA'], ps.map((p) => [p.id, p.vendor, p.tenantId, p.region, p.regionInEea ? 'yes' : 'no']))}\n`);
    } finally {
      await store.close();
    }
  });

registerServe(program);

async function onlyPortal(store: { listPortals(): Promise<{ id: string }[]> }): Promise<string> {
  const ps = await store.listPortals();
  if (ps.length === 1) return ps[0]!.id;
  if (ps.length === 0) throw new InputError('no portal scanned yet: run "gdpr-crm scan --vendor <vendor>" first');
  throw new InputError(`several portals here (${ps.map((p) => p.id).join(', ')}): choose one with --portal`);
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as Error & { issues?: unknown };
    const known = err.name === 'InputError' || err.name === 'PolicyError';
    process.stderr.write(`gdpr-crm: ${known ? err.message : `error: ${err.message.split('\n')[0]}`}\n`);
    if (!known && process.env.GDPR_CRM_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = known ? 2 : 1;
  }
}

if (require.main === module || process.argv[1]?.endsWith('gdpr-crm.js') || process.argv[1]?.endsWith('gdpr-crm')) {
  void main(process.argv);
}
