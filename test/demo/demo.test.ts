/**
 * The README's demo command, for each vendor, on a small seed: it must finish, fix what it can, and
 * leave the audit chain intact, and print no personal values from the seed.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { generatePeople } from '../../connectors/sandbox-seed/people';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

describe.each(['hubspot', 'zoho', 'salesforce'] as const)('npm run demo -- --vendor %s', (vendor) => {
  it('scans, applies, re-scans with fewer findings and an intact audit chain', async () => {
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/demo.ts', '--vendor', vendor, '--contacts', '60'], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const total = /^total\s+(\d+)\s+(\d+)$/m.exec(stdout);
    expect(total).not.toBeNull();
    const [before, after] = [Number(total![1]), Number(total![2])];
    expect(before).toBeGreaterThan(0);
    expect(after).toBeLessThan(before / 2);
    expect(stdout).toMatch(/hash chain intact: \d+ rows verified/);
    expect(stdout).toMatch(/Applied \d+ actions: \d+ done, \d+ skipped, \d+ cancelled \(cause gone\), 0 failed/);
    expect(stdout).not.toMatch(/, [1-9]\d* failed/);
    // No seeded e-mail address or surname reaches the output.
    const people = generatePeople({ count: 60, seed: 42, now: new Date().toISOString() });
    expect(people.length).toBe(60);
    for (const p of people) {
      expect(stdout).not.toContain(p.email);
      if (p.bsn) expect(stdout).not.toContain(p.bsn);
    }
  });
});
