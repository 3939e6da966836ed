/**
 * The real `gdpr-crm` command as a user runs it: `node bin/gdpr-crm.js ...` in a child process, with
 * GDPR_CRM_DATA_DIR in a temporary directory (embedded PGlite) and a HubSpot sandbox in this process.
 * Covers --help everywhere, schema, evaluate (bad lines, atomic --out, redacted findings), scan-text,
 * and scan -> plan -> apply -> apply again -> audit verify, then a tampered and a removed audit row.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../connectors/hubspot/sandbox';
import { generatePeople } from '../../connectors/sandbox-seed/people';
import { Finding, Plan } from '../../src/model';
import { openStore } from '../../src/store';
import { contact } from '../helpers/contact';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'gdpr-crm.js');
const TOKEN = 'pat-eu1-cli-test';
const DAY = 86_400_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let tmp: string;
let dataDir: string;

/** Runs the CLI; never inherits DATABASE_URL or a master key from the machine, so it uses PGlite in dataDir. */
function cli(args: string[], o: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', GDPR_CRM_DATA_DIR: dataDir, ...o.env };
  for (const k of ['DATABASE_URL', 'GDPR_CRM_MASTER_KEY', 'HUBSPOT_BASE_URL', 'GDPR_CRM_DEBUG']) delete env[k];
  if (!o.env?.HUBSPOT_ACCESS_TOKEN) delete env.HUBSPOT_ACCESS_TOKEN;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd ?? tmp, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(o.input ?? '');
  });
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-cli-'));
  dataDir = path.join(tmp, 'data');
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('--help', () => {
  const subcommands = [['schema'], ['evaluate'], ['scan-text'], ['scan'], ['plan'], ['apply'], ['audit'], ['audit', 'verify'], ['portals']];

  it('the top level lists every subcommand', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: gdpr-crm /);
    for (const [name] of subcommands) expect(r.stdout).toMatch(new RegExp(`^\\s+${name!}\\b`, 'm'));
  });

  // Started together (each is a separate process), checked one by one.
  let helps: Map<string, Promise<Run>>;
  beforeAll(() => {
    helps = new Map(subcommands.map((words) => [words.join(' '), cli([...words, '--help'])]));
  });

  it.each(subcommands.map((s) => [s.join(' '), s] as const))('%s --help exits 0 and prints its own usage', async (name, words) => {
    const r = await helps.get(name)!;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: gdpr-crm ${words.join(' ')} `));
    expect(r.stdout).toMatch(/Options:/);
    expect(r.stderr).toBe('');
  });
});

describe('schema', () => {
  it('prints the JSON Schema of the contact and finding formats', async () => {
    const r = await cli(['schema']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, { type?: string; properties?: Record<string, unknown>; required?: string[]; $schema?: string }>;
    expect(Object.keys(s).sort()).toEqual(['contact', 'finding']);
    expect(s.contact!.$schema).toMatch(/json-schema\.org/);
    expect(s.contact!.type).toBe('object');
    expect(Object.keys(s.contact!.properties!)).toEqual(expect.arrayContaining(['id', 'portalId', 'tenantId', 'identifiers', 'properties', 'consents', 'notes', 'lifecycle']));
    expect(Object.keys(s.finding!.properties!)).toEqual(expect.arrayContaining(['ruleId', 'article', 'field', 'evidence', 'proposedAction', 'dueAt']));
    expect(s.finding!.required).toEqual(expect.arrayContaining(['ruleId', 'article', 'evidence', 'dueAt']));
  });
});

describe('evaluate', () => {
  const NOW = '2026-11-25T12:00:00.000Z';
  const BSN_NOTE = '111222333';
  const BSN_FIELD = '123456782';
  const EMAILS = ['anna.notitie@example.nl', 'bram.veld@example.nl', 'carla.gezond@example.nl', 'dirk.schoon@example.nl'];
  const good = [
    contact({ id: '601', identifiers: { emails: [EMAILS[0]!], phones: [] }, properties: { email: { value: EMAILS[0]!, category: 'contact', type: 'email' } }, notes: [{ id: 'n1', createdAt: '2026-10-01T10:00:00.000Z', body: `Belde over haar aanvraag, BSN ${BSN_NOTE} voor de controle.` }] }),
    contact({ id: '602', identifiers: { emails: [EMAILS[1]!], phones: [] }, properties: { email: { value: EMAILS[1]!, category: 'contact', type: 'email' }, bsn: { value: BSN_FIELD, category: 'national_id', type: 'text' } } }),
    contact({ id: '603', identifiers: { emails: [EMAILS[2]!], phones: [] }, properties: { email: { value: EMAILS[2]!, category: 'contact', type: 'email' } }, notes: [{ id: 'n3', createdAt: '2026-10-01T10:00:00.000Z', body: 'Is herstellende van een hartinfarct en heeft diabetes; bellen na de zomer.' }] }),
    contact({ id: '604', identifiers: { emails: [EMAILS[3]!], phones: [] }, properties: { email: { value: EMAILS[3]!, category: 'contact', type: 'email' } } }),
  ];
  const lines = good.map((c) => JSON.stringify(c));

  it('writes findings as JSON Lines that parse as Findings and carry no raw BSN or e-mail', async () => {
    const input = path.join(tmp, 'good.jsonl');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const out = path.join(tmp, 'findings.jsonl');
    const r = await cli(['evaluate', '--contacts', input, '--now', NOW, '--out', out]);
    expect(r.stderr).toMatch(/evaluated 4 contacts: \d+ findings/);
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    const findings = text.trim().split('\n').map((l) => Finding.parse(JSON.parse(l)));
    const rules = findings.map((f) => `${f.contactId}:${f.ruleId}`);
    expect(rules).toEqual(expect.arrayContaining(['601:bsn-note', '602:bsn-field', '603:special-category-note']));
    expect(findings.filter((f) => f.contactId === '604')).toEqual([]);
    for (const f of findings) {
      expect(f.dueAt >= NOW).toBe(true);
      expect(f.article.length).toBeGreaterThan(0);
    }
    for (const secret of [BSN_NOTE, BSN_FIELD, '1112.22.333', '1234.56.782', ...EMAILS, 'hartinfarct', 'diabetes']) expect(`${text}${r.stdout}${r.stderr}`).not.toContain(secret);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);

    // Without --out the same findings go to stdout.
    const s = await cli(['evaluate', '--contacts', input, '--now', NOW]);
    expect(s.code).toBe(0);
    expect(s.stdout).toBe(text);
  });

  it('a bad line 3 fails with exit code 2 naming the line and the field, and writes nothing', async () => {
    const bad = { ...good[2]!, createdAt: 'gisteren om 10 uur' };
    const input = path.join(tmp, 'bad.jsonl');
    writeFileSync(input, `${lines[0]}\n${lines[1]}\n${JSON.stringify(bad)}\n${lines[3]}\n`);
    const out = path.join(tmp, 'bad-findings.jsonl');
    const r = await cli(['evaluate', '--contacts', input, '--now', NOW, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 3\b/);
    expect(r.stderr).toMatch(/createdAt/);
    expect(r.stderr).not.toContain('gisteren');
    expect(r.stderr).not.toContain(EMAILS[2]!);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);

    // An existing --out file is left exactly as it was.
    writeFileSync(out, 'previous findings\n');
    const again = await cli(['evaluate', '--contacts', input, '--now', NOW, '--out', out]);
    expect(again.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('previous findings\n');
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a line that is not JSON fails with its line number', async () => {
    const input = path.join(tmp, 'broken.jsonl');
    writeFileSync(input, `${lines[0]}\n{"id": "602", \n`);
    const r = await cli(['evaluate', '--contacts', input, '--now', NOW]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2\b/);
    expect(r.stdout).toBe('');
  });

  it('a missing --contacts file or an unreadable --portal file is an input error (exit 2) that writes nothing', async () => {
    const out = path.join(tmp, 'never.jsonl');
    const missing = await cli(['evaluate', '--contacts', path.join(tmp, 'no-such.jsonl'), '--now', NOW, '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--contacts: no such file/);
    const input = path.join(tmp, 'one.jsonl');
    writeFileSync(input, `${lines[0]}\n`);
    const portal = path.join(tmp, 'portal.json');
    writeFileSync(portal, '{"id": "hubspot:1", "region": ');
    const bad = await cli(['evaluate', '--contacts', input, '--now', NOW, '--portal', portal, '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--portal: cannot read .*portal\.json: not valid JSON/);
    expect(bad.stderr).not.toContain('"region"');
    expect(existsSync(out)).toBe(false);
  });
});

describe('scan-text', () => {
  it('reports a bad line by number, processes the others, and gives offsets as JS string indices', async () => {
    const texts = {
      a: '😀 Café — 𝒳 BSN 111222333 staat in de notitie',
      c: 'Rekening NL91ABNA0417164300 en 🙂🙂 bsn 123456782.',
    };
    const input = [JSON.stringify({ id: 'a', text: texts.a }), JSON.stringify({ id: 7, text: 'geen id' }), '', JSON.stringify({ id: 'c', text: texts.c })].join('\n');
    const r = await cli(['scan-text'], { input });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2\b[^\n]*\bid\b/);
    expect(r.stderr).toMatch(/3 lines: 2 ok, 1 bad/);
    expect(r.stderr).not.toContain('geen id');
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; findings: { category: string; start: number; end: number }[] });
    expect(out.map((o) => o.id)).toEqual(['a', 'c']);
    const spans = (id: 'a' | 'c', category: string) => out.find((o) => o.id === id)!.findings.filter((f) => f.category === category).map((f) => texts[id].slice(f.start, f.end));
    expect(spans('a', 'bsn')).toEqual(['111222333']);
    expect(spans('c', 'bsn')).toEqual(['123456782']);
    expect(spans('c', 'iban')).toEqual(['NL91ABNA0417164300']);
  });
});

describe('scan -> plan -> apply -> audit verify against the HubSpot sandbox', () => {
  const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);
  const T1 = new Date(T0.getTime() + 31 * DAY);
  const SEED = { count: 60, seed: 7, now: T0.toISOString() };
  let sb: HubSpotSandbox;
  let planFile: string;
  const outputs: string[] = [];
  const hub = (args: string[]) =>
    cli(args, { env: { HUBSPOT_ACCESS_TOKEN: TOKEN } }).then((r) => {
      outputs.push(r.stdout, r.stderr);
      return r;
    });

  beforeAll(async () => {
    sb = await startHubSpotSandbox({ accessToken: TOKEN, seed: SEED, limits: false, latencyMs: 0 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it('scan syncs every contact and reports findings by rule', async () => {
    const r = await hub(['scan', '--vendor', 'hubspot', '--base-url', sb.url, '--now', T0.toISOString(), '--json']);
    expect(r.stderr).not.toMatch(/gdpr-crm: /);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { contacts: number; findings: number; byRule: Record<string, number>; reportFile: string; plannedActions: number };
    expect(s.contacts).toBe(60);
    expect(Object.keys(s.byRule).length).toBeGreaterThanOrEqual(4);
    expect(s.plannedActions).toBeGreaterThan(0);
    expect(s.reportFile.startsWith(dataDir)).toBe(true);
    expect(existsSync(s.reportFile)).toBe(true);

    const p = await hub(['portals']);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/^hubspot:\S+\s+hubspot\s+default\s+eu1\s+yes$/m);
  });

  it('plan writes a valid plan file past the grace periods and prints it as a table', async () => {
    planFile = path.join(tmp, 'plan.json');
    const r = await hub(['plan', '--now', T1.toISOString(), '--out', planFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Due now \(\d+ actions/);
    expect(r.stderr).toContain(`gdpr-crm apply ${planFile}`);
    const plan = Plan.parse(JSON.parse(readFileSync(planFile, 'utf8')));
    expect(plan.actions.length).toBeGreaterThan(10);
    expect(plan.pending).toEqual([]);
    const types = new Set(plan.actions.map((a) => a.type));
    expect(types).toContain('create_task');
    expect(plan.actions.some((a) => a.destructive)).toBe(true);
  });

  it('apply executes the plan (exit 3 when part fails, the same apply again finishes it); a further apply changes nothing; the audit chain is intact', async () => {
    const plan = Plan.parse(JSON.parse(readFileSync(planFile, 'utf8')));
    const n = plan.actions.length;
    // The first batch of task creations fails (a 500 on a create is never resent).
    sb.failNext({ method: 'POST', path: '/crm/v3/objects/tasks/batch/create', status: 500, count: 1 });
    const partial = await hub(['apply', planFile, '--base-url', sb.url, '--now', T1.toISOString()]);
    expect(partial.stderr).not.toMatch(/gdpr-crm: /);
    expect(partial.stdout).toMatch(new RegExp(`Applied ${n} actions: \\d+ done, \\d+ skipped, \\d+ cancelled \\(cause gone\\), [1-9]\\d* failed`));
    expect(partial.stdout).toMatch(/run the same apply again/);
    expect(partial.code).toBe(3);
    expect(sb.state.objects.tasks.size).toBe(0);

    const r = await hub(['apply', planFile, '--base-url', sb.url, '--now', T1.toISOString()]);
    expect(r.stderr).not.toMatch(/gdpr-crm: /);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Applied ${n} actions: [1-9]\\d* done, \\d+ skipped, 0 cancelled \\(cause gone\\), 0 failed, [1-9]\\d* already done before`));
    const taskActions = plan.actions.filter((a) => a.type === 'create_task');
    expect(sb.state.objects.tasks.size).toBe(taskActions.length);
    for (const a of taskActions) expect(sb.state.associatedIds('contacts', a.contactId, 'tasks')).toHaveLength(1);

    const tasks = sb.state.objects.tasks.size;
    const writes = sb.stats.requests;
    const again = await hub(['apply', planFile, '--base-url', sb.url, '--now', T1.toISOString()]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`Applied ${n} actions: 0 done, 0 skipped, 0 cancelled \\(cause gone\\), 0 failed, ${n} already done before`));
    expect(sb.state.objects.tasks.size).toBe(tasks);
    expect(sb.stats.requests).toBe(writes);

    const v = await hub(['audit', 'verify']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/audit log intact: \d+ rows verified/);
    expect(Number(/intact: (\d+) rows/.exec(v.stdout)![1])).toBeGreaterThan(n);
  });

  it('no seeded e-mail address or BSN reached the output of any command', () => {
    const all = outputs.join('\n').toLowerCase();
    const people = generatePeople(SEED);
    for (const p of people) {
      expect(all).not.toContain(p.email.toLowerCase());
      if (p.bsn) expect(all).not.toContain(p.bsn);
    }
  });

  it('audit verify fails and names the row when one row is altered, and again when one is removed', async () => {
    const open = () => openStore({ dataDir, env: {} });
    let store = await open();
    let original: { chain: string; seq: number; detail: string | null };
    let last: number;
    try {
      const rows = await store.db.selectFrom('audit_log').select(['chain', 'seq', 'detail']).orderBy('seq').execute();
      expect(rows.length).toBeGreaterThan(10);
      original = rows[Math.floor(rows.length / 2)]!;
      last = rows[rows.length - 1]!.seq;
      await store.db.updateTable('audit_log').set({ detail: 'nothing to see here' }).where('chain', '=', original.chain).where('seq', '=', original.seq).execute();
    } finally {
      await store.close();
    }
    const altered = await cli(['audit', 'verify']);
    expect(altered.code).not.toBe(0);
    expect(altered.stdout).toMatch(new RegExp(`BROKEN at row ${original.seq}\\b`));
    expect(altered.stdout).toMatch(/altered/);

    // Put the row back as it was: the chain verifies again, so it was that one change that broke it.
    store = await open();
    try {
      await store.db.updateTable('audit_log').set({ detail: original.detail }).where('chain', '=', original.chain).where('seq', '=', original.seq).execute();
    } finally {
      await store.close();
    }
    const restored = await cli(['audit', 'verify']);
    expect(restored.code).toBe(0);

    // Remove a row in the middle: the gap is named.
    const removeSeq = original.seq - 3;
    store = await open();
    let saved: Record<string, unknown>;
    try {
      saved = (await store.db.selectFrom('audit_log').selectAll().where('chain', '=', original.chain).where('seq', '=', removeSeq).executeTakeFirstOrThrow()) as Record<string, unknown>;
      const del = await store.db.deleteFrom('audit_log').where('chain', '=', original.chain).where('seq', '=', removeSeq).executeTakeFirst();
      expect(Number(del.numDeletedRows)).toBe(1);
    } finally {
      await store.close();
    }
    const removed = await cli(['audit', 'verify']);
    expect(removed.code).not.toBe(0);
    expect(removed.stdout).toMatch(new RegExp(`BROKEN at row ${removeSeq}\\b`));
    expect(removed.stdout).toMatch(/missing/);

    // Put it back, then remove the newest row: the chain head remembers it.
    store = await open();
    try {
      await store.db.insertInto('audit_log').values(saved as never).execute();
      await store.db.deleteFrom('audit_log').where('chain', '=', original.chain).where('seq', '=', last).execute();
    } finally {
      await store.close();
    }
    const cut = await cli(['audit', 'verify']);
    expect(cut.code).not.toBe(0);
    expect(cut.stdout).toMatch(new RegExp(`BROKEN at row ${last}\\b`));
    expect(cut.stdout).toMatch(/missing from the end/);
  });
});
