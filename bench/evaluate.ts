/**
 * Benchmark: the policy engine. Not a test: it prints figures.
 *
 * 1. Throughput: already-parsed normalised contacts (bench/contacts.ts: the sandbox seed through the
 *    HubSpot mapping, ~30% clean, the rest with one problem each) evaluated against the structured rules
 *    of policies/avg-default.yaml (`scanText: false`) on this one thread; goal >= 200,000 contacts/s.
 *    Also with the free-text detectors on (notes and text fields), for information. A pool of distinct
 *    contacts is evaluated round after round for a fixed time after a warm-up; the figure is contacts per
 *    wall-clock second, with the process's CPU time per wall second beside it (1.0 = one core busy).
 * 2. Streaming memory: `gdpr-crm evaluate --no-text` (the real CLI, as a child process) over 100k and
 *    1M contacts as JSON Lines; peak RSS of each run (the kernel's max RSS via /usr/bin/time, or VmHWM
 *    polled from /proc); goal: flat, 1M / 100k <= 1.3. The smaller size runs three times and its highest
 *    peak counts: V8 lets garbage collect in the old generation until a full GC, and a 12-second run
 *    may end before its first one, while the 2-minute 1M run goes through many.
 *
 *   tsx bench/evaluate.ts [--quick] [--seconds N] [--no-memory] [--sizes 100000,1000000] [--keep-files]
 *   (--quick: 2-second timings, 50k and 300k contacts)
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compilePolicy, type CompiledPolicy } from '../src/policy/compile';
import { evaluateContact } from '../src/policy/evaluate';
import { loadPolicy } from '../src/policy/load';
import { Contact } from '../src/model';
import { BENCH_NOW, BENCH_NOW_MS, benchContacts, iterateBenchContacts, validateSample } from './contacts';

export const EVALUATE_GOAL_PER_SEC = 200_000;
export const MEMORY_GOAL_RATIO = 1.3;

export interface ThroughputFigures {
  scanText: boolean;
  /** Distinct contacts in the pool. */
  pool: number;
  evaluated: number;
  seconds: number;
  contactsPerSec: number;
  findingsPerContact: number;
  /** Process CPU seconds per wall second while measuring (1.0 = one core). */
  cpuPerWall: number;
  /** Contacts per CPU second of this process (what one fully available core would do). */
  contactsPerCpuSec: number;
}

export interface MemoryRun {
  contacts: number;
  fileMb: number;
  seconds: number;
  contactsPerSec: number;
  findings: number;
  peakRssMb: number;
  /** Peak RSS of each run (the smaller sizes run several times; peakRssMb is the highest). */
  peaksMb: number[];
  method: 'time -v' | 'VmHWM';
}

export interface EvaluateBenchResult {
  validatedSample: number;
  structured: ThroughputFigures;
  withText: ThroughputFigures;
  /**
   * For information: the same contacts with their empty properties left out (the connectors emit every
   * fetched property, null when unset; the engine skips those but must still read them).
   */
  filledOnly: ThroughputFigures & { propertiesPerContact: number };
  memory: { runs: MemoryRun[]; ratio: number } | null;
}

export interface EvaluateBenchOptions {
  /** Distinct contacts to cycle through (default 20,000). */
  pool?: number;
  /** Measured seconds for the structured rules (default 5) and with text (default 3). */
  seconds?: number;
  textSeconds?: number;
  /** Contact counts for the streaming-memory runs (default [100k, 1M]); null skips them. */
  memorySizes?: readonly number[] | null;
  keepFiles?: boolean;
  /** Runs of each smaller size (default 3); the largest runs once. */
  smallRepeats?: number;
  log?: (line: string) => void;
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const mb = (bytes: number): number => round(bytes / 1024 / 1024, 1);

function throughput(contacts: readonly Contact[], policy: CompiledPolicy, scanText: boolean, seconds: number): ThroughputFigures {
  const opts = { scanText };
  let findings = 0;
  // Warm-up: two rounds (JIT, the policy's caches).
  for (let r = 0; r < 2; r++) for (const c of contacts) findings += evaluateContact(c, policy, BENCH_NOW_MS, opts).length;
  global.gc?.();
  findings = 0;
  let evaluated = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < contacts.length; i++) findings += evaluateContact(contacts[i]!, policy, BENCH_NOW_MS, opts).length;
    evaluated += contacts.length;
    elapsed = performance.now() - t0;
  } while (elapsed < seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  return {
    scanText,
    pool: contacts.length,
    evaluated,
    seconds: round(elapsed / 1000, 2),
    contactsPerSec: Math.round(evaluated / (elapsed / 1000)),
    findingsPerContact: round(findings / evaluated, 3),
    cpuPerWall: round((cpu.user + cpu.system) / 1000 / elapsed, 2),
    contactsPerCpuSec: Math.round(evaluated / ((cpu.user + cpu.system) / 1e6)),
  };
}

/**
 * Writes `count` contacts as JSON Lines. A pool of distinct contacts is serialised once and repeated
 * with fresh ids (so every line is a different record to the CLI), to keep a 1M-line file quick to write.
 */
async function writeContactsFile(file: string, count: number, pool: readonly Contact[]): Promise<number> {
  const MARK = '\u0000bench-id\u0000';
  const parts = pool.map((c) => {
    const s = JSON.stringify({ ...c, id: MARK });
    const i = s.indexOf(JSON.stringify(MARK));
    return [s.slice(0, i), s.slice(i + JSON.stringify(MARK).length)] as const;
  });
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
  });
  let buf = '';
  for (let n = 1; n <= count; n++) {
    const [head, tail] = parts[(n - 1) % parts.length]!;
    buf += `${head}"${n}"${tail}\n`;
    if (buf.length >= 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.end(buf);
  await done;
  return statSync(file).size;
}

function readVmHwmKb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Runs `gdpr-crm evaluate` over one file as a child process and measures its peak RSS. */
async function runCli(contactsFile: string, outFile: string, dataDir: string): Promise<{ seconds: number; contacts: number; findings: number; peakKb: number; method: MemoryRun['method'] }> {
  const root = path.join(__dirname, '..');
  const cli = [path.join(root, 'bin', 'gdpr-crm.js'), 'evaluate', '--contacts', contactsFile, '--out', outFile, '--no-text', '--now', BENCH_NOW];
  const timeBin = '/usr/bin/time';
  const useTime = existsSync(timeBin);
  const timeOut = path.join(dataDir, `time-${process.pid}-${Date.now()}.txt`);
  const [cmd, args] = useTime ? [timeBin, ['-f', '%M', '-o', timeOut, process.execPath, ...cli]] : [process.execPath, cli];
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, GDPR_CRM_DATA_DIR: dataDir, NODE_OPTIONS: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let polled = 0;
  const poll = useTime ? null : setInterval(() => (polled = Math.max(polled, readVmHwmKb(child.pid!) ?? 0)), 50);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  });
  if (poll) clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`gdpr-crm evaluate exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const m = /evaluated (\d+) contacts: (\d+) findings/.exec(stderr);
  if (!m) throw new Error('gdpr-crm evaluate did not report its counts');
  let peakKb = polled;
  if (useTime) {
    peakKb = Number(readFileSync(timeOut, 'utf8').trim().split('\n').pop());
    rmSync(timeOut, { force: true });
  }
  return { seconds, contacts: Number(m[1]), findings: Number(m[2]), peakKb, method: useTime ? 'time -v' : 'VmHWM' };
}

export async function benchEvaluate(opts: EvaluateBenchOptions = {}): Promise<EvaluateBenchResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const policy = compilePolicy(loadPolicy('avg-default').pack);
  const poolSize = opts.pool ?? 20_000;
  const t0 = performance.now();
  const pool = benchContacts(poolSize, policy);
  const validatedSample = validateSample(pool);
  const notes = pool.reduce((s, c) => s + c.notes.length, 0);
  const props = pool.reduce((s, c) => s + Object.keys(c.properties).length, 0);
  log(
    `evaluate: ${pool.length} distinct contacts generated in ${round((performance.now() - t0) / 1000)} s (sandbox seed -> HubSpot mapping; ${round(props / pool.length)} properties and ${round(notes / pool.length, 2)} notes a contact; ${validatedSample} sampled and valid against the Contact schema)`,
  );

  const structured = throughput(pool, policy, false, opts.seconds ?? 5);
  log(
    `evaluate, structured rules (scanText: false): ${structured.contactsPerSec.toLocaleString('en')} contacts/s (${structured.evaluated} evaluations in ${structured.seconds} s, ${structured.findingsPerContact} findings a contact; CPU ${structured.cpuPerWall} core, ${structured.contactsPerCpuSec.toLocaleString('en')} contacts per CPU second)`,
  );
  const withText = throughput(pool, policy, true, opts.textSeconds ?? 3);
  log(
    `evaluate, with text detectors (scanText: true): ${withText.contactsPerSec.toLocaleString('en')} contacts/s (${withText.evaluated} evaluations in ${withText.seconds} s, ${withText.findingsPerContact} findings a contact; CPU ${withText.cpuPerWall} core, ${withText.contactsPerCpuSec.toLocaleString('en')} contacts per CPU second)`,
  );

  const slim = pool.map((c) =>
    Contact.parse({ ...c, properties: Object.fromEntries(Object.entries(c.properties).filter(([, v]) => v.value !== null && v.value !== '')) }),
  );
  const slimProps = slim.reduce((sum, c) => sum + Object.keys(c.properties).length, 0) / slim.length;
  const filledOnly = { ...throughput(slim, policy, false, opts.textSeconds ?? 3), propertiesPerContact: round(slimProps) };
  slim.length = 0;
  log(
    `evaluate, structured rules, same contacts without their empty properties (${filledOnly.propertiesPerContact} a contact; for information): ${filledOnly.contactsPerSec.toLocaleString('en')} contacts/s (${filledOnly.findingsPerContact} findings a contact)`,
  );

  let memory: EvaluateBenchResult['memory'] = null;
  const sizes = opts.memorySizes === undefined ? [100_000, 1_000_000] : opts.memorySizes;
  if (sizes && sizes.length > 0) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-bench-evaluate-'));
    try {
      // A bigger pool for the files, so repeats are far apart; generated lazily, not kept twice.
      const filePool = [...iterateBenchContacts(Math.min(50_000, Math.max(...sizes)), policy, { seed: 1042 })];
      const runs: MemoryRun[] = [];
      for (const n of sizes) {
        const file = path.join(dir, `contacts-${n}.jsonl`);
        const tw = performance.now();
        const bytes = await writeContactsFile(file, n, filePool);
        log(`evaluate --no-text over ${n.toLocaleString('en')} contacts: wrote ${mb(bytes)} MB of JSON Lines in ${round((performance.now() - tw) / 1000)} s; running the CLI...`);
        // V8 lets garbage build up in the old generation until a full GC, so one short run may end before
        // its first full GC and show a peak below the process's real one; the largest run lasts through many.
        // The smaller sizes are therefore run several times and their highest peak is compared.
        const repeats = n === Math.max(...sizes) ? 1 : (opts.smallRepeats ?? 3);
        const peaks: number[] = [];
        let r: Awaited<ReturnType<typeof runCli>> | null = null;
        for (let k = 0; k < repeats; k++) {
          r = await runCli(file, path.join(dir, `findings-${n}.jsonl`), dir);
          if (r.contacts !== n) throw new Error(`the CLI evaluated ${r.contacts} of ${n} contacts`);
          peaks.push(round(r.peakKb / 1024, 1));
        }
        const run: MemoryRun = {
          contacts: n,
          fileMb: mb(bytes),
          seconds: round(r!.seconds),
          contactsPerSec: Math.round(n / r!.seconds),
          findings: r!.findings,
          peakRssMb: Math.max(...peaks),
          peaksMb: peaks,
          method: r!.method,
        };
        runs.push(run);
        log(
          `  ${n.toLocaleString('en')} contacts: ${run.findings} findings in ${run.seconds} s (${run.contactsPerSec.toLocaleString('en')} contacts/s end to end); peak RSS ${run.peakRssMb} MB${peaks.length > 1 ? ` (highest of ${peaks.length} runs: ${peaks.join(', ')})` : ''} (${run.method})`,
        );
        if (!opts.keepFiles) rmSync(file, { force: true });
        rmSync(path.join(dir, `findings-${n}.jsonl`), { force: true });
      }
      const first = runs[0]!;
      const last = runs[runs.length - 1]!;
      memory = { runs, ratio: round(last.peakRssMb / first.peakRssMb, 2) };
      log(`  peak RSS ${last.contacts.toLocaleString('en')} / ${first.contacts.toLocaleString('en')}: ${memory.ratio} (goal <= ${MEMORY_GOAL_RATIO})`);
    } finally {
      if (!opts.keepFiles) rmSync(dir, { recursive: true, force: true });
      else log(`  files kept in ${dir}`);
    }
  }
  return { validatedSample, structured, withText, filledOnly, memory };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const num = (flag: string): number | undefined => {
    const i = args.indexOf(flag);
    const v = i >= 0 ? Number(args[i + 1]) : NaN;
    return Number.isFinite(v) ? v : undefined;
  };
  const quick = args.includes('--quick');
  const si = args.indexOf('--sizes');
  const sizes = args.includes('--no-memory') ? null : si >= 0 ? (args[si + 1] ?? '').split(',').map(Number) : quick ? [50_000, 300_000] : undefined;
  const o: EvaluateBenchOptions = { keepFiles: args.includes('--keep-files') };
  if (sizes !== undefined) o.memorySizes = sizes;
  const seconds = num('--seconds') ?? (quick ? 2 : undefined);
  if (seconds !== undefined) {
    o.seconds = seconds;
    o.textSeconds = seconds;
  }
  benchEvaluate(o).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : 'bench failed');
    process.exit(1);
  });
}
