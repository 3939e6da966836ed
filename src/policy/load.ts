import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { PolicyPack } from './pack-schema';

export class PolicyError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly issues: { path: string; line: number | null; message: string }[],
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

export interface LoadedPolicy {
  pack: PolicyPack;
  file: string;
  /** sha256 of the pack as validated (after `extends`), recorded in plans and the audit log. */
  sha256: string;
}

/** Directory of the shipped packs; `--policy avg-default` resolves here. */
export const BUILTIN_POLICY_DIR = path.resolve(__dirname, '..', '..', 'policies');

export function resolvePolicyPath(nameOrPath: string, relativeTo = process.cwd()): string {
  if (/^[a-z0-9-]+$/.test(nameOrPath)) {
    const builtin = path.join(BUILTIN_POLICY_DIR, `${nameOrPath}.yaml`);
    if (existsSync(builtin)) return builtin;
  }
  return path.resolve(relativeTo, nameOrPath);
}

function pathToString(p: readonly PropertyKey[]): string {
  return p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '') || '(root)';
}

/** Finds the line of a YAML path, or of its nearest existing parent. */
function lineOf(doc: ReturnType<typeof parseDocument>, counter: LineCounter, p: readonly PropertyKey[]): number | null {
  let node: unknown = doc.contents;
  let best: number | null = null;
  const lineFor = (n: unknown) => {
    const range = (n as YamlNode | null)?.range;
    return range ? counter.linePos(range[0]).line : null;
  };
  best = lineFor(node);
  for (const key of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      best = lineFor(pair.key) ?? best;
      node = pair.value;
      best = lineFor(node) ?? best;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      best = lineFor(node) ?? best;
    } else break;
  }
  return best;
}

function readYaml(file: string): { raw: unknown; doc: ReturnType<typeof parseDocument>; counter: LineCounter } {
  if (!existsSync(file)) throw new PolicyError(`policy file not found: ${file}`, file, []);
  const counter = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({ path: '(yaml)', line: e.linePos?.[0]?.line ?? counter.linePos(e.pos[0]).line, message: e.message.split('\n')[0] ?? e.message }));
    throw new PolicyError(`${file}: not valid YAML: ${issues.map((i) => `line ${i.line}: ${i.message}`).join('; ')}`, file, issues);
  }
  return { raw: doc.toJS(), doc, counter };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `extends`: maps merge key by key; purposes merge by id; other arrays replace. */
function mergePacks(base: Obj, child: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(child)) {
    if (k === 'extends') continue;
    if (k === 'purposes' && Array.isArray(v) && Array.isArray(base.purposes)) {
      const byId = new Map<string, unknown>((base.purposes as Obj[]).map((p) => [String(p.id), p]));
      for (const p of v as Obj[]) {
        const prev = byId.get(String(p.id));
        byId.set(String(p.id), isObj(prev) && p.remove !== true ? mergePacks(prev, p) : p);
        if (p.remove === true) byId.delete(String(p.id));
      }
      out.purposes = [...byId.values()];
    } else if (isObj(v) && isObj(base[k])) {
      out[k] = mergePacks(base[k] as Obj, v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

function formatIssues(file: string, issues: { path: string; line: number | null; message: string }[]): string {
  const lines = issues.slice(0, 20).map((i) => `  ${i.path}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`);
  return `${file}: invalid policy pack\n${lines.join('\n')}${issues.length > 20 ? `\n  ... and ${issues.length - 20} more` : ''}`;
}

export function loadPolicy(nameOrPath: string, seen: string[] = []): LoadedPolicy {
  const file = resolvePolicyPath(nameOrPath);
  if (seen.includes(file)) throw new PolicyError(`${file}: extends cycle (${[...seen, file].join(' -> ')})`, file, []);
  const { raw, doc, counter } = readYaml(file);
  if (!isObj(raw)) throw new PolicyError(`${file}: expected a mapping at the top level`, file, []);
  let merged: Obj = raw;
  if (typeof raw.extends === 'string') {
    const base = loadPolicy(resolvePolicyPath(raw.extends, path.dirname(file)), [...seen, file]);
    merged = mergePacks(base.pack as unknown as Obj, raw);
  }
  const result = PolicyPack.safeParse(merged);
  if (!result.success) {
    const issues = result.error.issues.flatMap((i: z.core.$ZodIssue) => {
      // Name each unknown key at its own path, so a typo points at its line.
      const paths = i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k]) : [i.path];
      return paths.map((p) => ({
        path: pathToString(p),
        line: lineOf(doc, counter, p),
        message: i.code === 'unrecognized_keys' ? 'unknown key (check its spelling)' : i.message,
      }));
    });
    throw new PolicyError(formatIssues(file, issues), file, issues);
  }
  const sha256 = createHash('sha256').update(JSON.stringify(result.data)).digest('hex');
  return { pack: result.data, file, sha256 };
}
