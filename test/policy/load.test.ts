import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPolicy, PolicyError } from '../../src/policy/load';

const dir = mkdtempSync(path.join(tmpdir(), 'gdpr-policy-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('policy packs', () => {
  it('ships avg-default and a stricter avg-strict that extends it', () => {
    const d = loadPolicy('avg-default');
    const s = loadPolicy('avg-strict');
    expect(d.pack.id).toBe('avg-default');
    expect(s.pack.rules['retention-no-activity']).toMatchObject({ action: 'gdpr_delete', period: 'P2Y' });
    expect(d.pack.rules['retention-no-activity']).toMatchObject({ action: 'anonymise', period: 'P3Y' });
    expect(s.pack.purposes.map((p) => p.id)).not.toContain('marketing_existing_customers');
    expect(s.pack.purposes.find((p) => p.id === 'customer_administration')!.retention!.period).toBe('P1Y');
    expect(s.sha256).not.toBe(d.sha256);
  });

  it('names the YAML path, line and expectation of an invalid value', () => {
    const file = write('bad.yaml', [
      'id: bad',
      'version: "1"',
      'name: Bad',
      'purposes:',
      '  - id: newsletter',
      '    lawfulBasis: because',
      'rules:',
      '  consent-missing: { action: unsubscribe, graceDays: -1 }',
      'anonymise: { categories: [contact] }',
    ].join('\n'));
    let err: unknown;
    try {
      loadPolicy(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    const issues = (err as PolicyError).issues;
    expect(issues).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: 'purposes[0].lawfulBasis', line: 6 }),
      expect.objectContaining({ path: 'rules.consent-missing.graceDays', line: 8 }),
    ]));
    expect((err as Error).message).toMatch(/purposes\[0\]\.lawfulBasis \(line 6\): .*consent/);
  });

  it('rejects unknown keys (a typo must not silently disable a rule)', () => {
    const file = write('typo.yaml', 'id: t\nversion: "1"\nname: T\npurposes: [{id: a, lawfulBasis: contract}]\nrules: { consent-mising: { action: none, graceDays: 0 } }\nanonymise: { categories: [contact] }\n');
    expect(() => loadPolicy(file)).toThrow(/rules\.consent-mising/);
  });

  it('requires a period for the no-activity rule and a law for legal obligations', () => {
    const file = write('missing.yaml', 'id: m\nversion: "1"\nname: M\npurposes: [{id: payroll, lawfulBasis: legal_obligation}]\nrules: { retention-no-activity: { action: anonymise, graceDays: 1 } }\nanonymise: { categories: [contact] }\n');
    expect(() => loadPolicy(file)).toThrow(/purposes\[0\]\.legalObligation[\s\S]*retention-no-activity\.period|retention-no-activity\.period[\s\S]*legalObligation/);
  });

  it('reports broken YAML with its line', () => {
    const file = write('broken.yaml', 'id: x\nname: [unclosed\n');
    expect(() => loadPolicy(file)).toThrow(/not valid YAML: line \d/);
  });

  it('reports a missing file clearly', () => {
    expect(() => loadPolicy(path.join(dir, 'nope.yaml'))).toThrow(/policy file not found/);
  });
});
