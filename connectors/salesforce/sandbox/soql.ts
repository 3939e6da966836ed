/**
 * A small SOQL parser and evaluator for the sandbox: enough for what the connector sends
 * (SELECT fields FROM obj [WHERE a op v AND b IN (...)] [ORDER BY f [ASC|DESC], ...] [LIMIT n]).
 * Anything else is rejected the way Salesforce rejects bad SOQL: 400 MALFORMED_QUERY.
 */
export class SoqlError extends Error {
  constructor(
    readonly errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE',
    message: string,
  ) {
    super(message);
  }
}

export type Literal = { k: 'str'; v: string } | { k: 'num'; v: number } | { k: 'bool'; v: boolean } | { k: 'null' } | { k: 'dt'; ms: number } | { k: 'date'; v: string };
export type Cond = { field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal } | { field: string; op: 'IN' | 'NOT IN'; values: Literal[] };
export interface ParsedQuery {
  fields: string[];
  from: string;
  where: Cond[];
  orderBy: { field: string; desc: boolean }[];
  limit: number | null;
}

type Tok = { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'dt'; ms: number } | { t: 'date'; v: string } | { t: 'op'; v: string } | { t: 'p'; v: '(' | ')' | ',' };

const DT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![T\d])/;

function tokenize(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = q.slice(i);
    if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= q.length) throw new SoqlError('MALFORMED_QUERY', 'unterminated string literal');
        const ch = q[i]!;
        if (ch === '\\') {
          const n = q[i + 1];
          const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '\\': '\\', "'": "'", '"': '"', _: '\\_', '%': '\\%' };
          if (n === undefined || map[n] === undefined) throw new SoqlError('MALFORMED_QUERY', 'invalid escape sequence in string literal');
          s += map[n];
          i += 2;
          continue;
        }
        if (ch === "'") {
          i++;
          break;
        }
        s += ch;
        i++;
      }
      out.push({ t: 'str', v: s });
      continue;
    }
    let m = DT.exec(rest);
    if (m) {
      const iso = m[0].replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
      out.push({ t: 'dt', ms: Date.parse(iso) });
      i += m[0].length;
      continue;
    }
    m = DATE.exec(rest);
    if (m) {
      out.push({ t: 'date', v: m[0] });
      i += m[0].length;
      continue;
    }
    m = /^-?\d+(\.\d+)?/.exec(rest);
    if (m) {
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest);
    if (m) {
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
      continue;
    }
    m = /^(<=|>=|!=|<>|=|<|>)/.exec(rest);
    if (m) {
      out.push({ t: 'op', v: m[0] === '<>' ? '!=' : m[0] });
      i += m[0].length;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'p', v: c });
      i++;
      continue;
    }
    throw new SoqlError('MALFORMED_QUERY', `unexpected token at position ${i}`);
  }
  return out;
}

export function parseSoql(q: string): ParsedQuery {
  const toks = tokenize(q);
  let i = 0;
  const peek = () => toks[i];
  const kw = (w: string) => {
    const t = toks[i];
    return t?.t === 'id' && t.v.toUpperCase() === w;
  };
  const expectKw = (w: string) => {
    if (!kw(w)) throw new SoqlError('MALFORMED_QUERY', `expected ${w}`);
    i++;
  };
  const ident = (): string => {
    const t = toks[i];
    if (t?.t !== 'id' || ['FROM', 'WHERE', 'AND', 'OR', 'ORDER', 'BY', 'LIMIT', 'IN', 'NOT'].includes(t.v.toUpperCase())) throw new SoqlError('MALFORMED_QUERY', 'expected a field name');
    if (t.v.includes('.')) throw new SoqlError('MALFORMED_QUERY', 'relationship fields are not supported by this sandbox');
    i++;
    return t.v;
  };
  const literal = (): Literal => {
    const t = toks[i++];
    if (!t) throw new SoqlError('MALFORMED_QUERY', 'expected a value');
    if (t.t === 'str') return { k: 'str', v: t.v };
    if (t.t === 'num') return { k: 'num', v: t.v };
    if (t.t === 'dt') return { k: 'dt', ms: t.ms };
    if (t.t === 'date') return { k: 'date', v: t.v };
    if (t.t === 'id' && /^(true|false)$/i.test(t.v)) return { k: 'bool', v: t.v.toLowerCase() === 'true' };
    if (t.t === 'id' && /^null$/i.test(t.v)) return { k: 'null' };
    throw new SoqlError('MALFORMED_QUERY', 'unexpected value (bind variables and functions are not SOQL over REST)');
  };

  expectKw('SELECT');
  const fields: string[] = [];
  for (;;) {
    const t = peek();
    if (t?.t === 'id' && /\(/.test(q) && toks[i + 1]?.t === 'p' && (toks[i + 1] as { v: string }).v === '(') throw new SoqlError('MALFORMED_QUERY', 'functions and subqueries are not supported');
    fields.push(ident());
    if (peek()?.t === 'p' && (peek() as { v: string }).v === ',') {
      i++;
      continue;
    }
    break;
  }
  expectKw('FROM');
  const from = ident();
  const where: Cond[] = [];
  if (kw('WHERE')) {
    i++;
    for (;;) {
      const field = ident();
      if (kw('NOT') || kw('IN')) {
        const not = kw('NOT');
        if (not) {
          i++;
          expectKw('IN');
        } else i++;
        const open = toks[i++];
        if (open?.t !== 'p' || open.v !== '(') throw new SoqlError('MALFORMED_QUERY', 'expected (');
        const values: Literal[] = [];
        for (;;) {
          values.push(literal());
          const sep = toks[i++];
          if (sep?.t === 'p' && sep.v === ',') continue;
          if (sep?.t === 'p' && sep.v === ')') break;
          throw new SoqlError('MALFORMED_QUERY', 'expected , or )');
        }
        where.push({ field, op: not ? 'NOT IN' : 'IN', values });
      } else {
        const op = toks[i++];
        if (op?.t !== 'op') throw new SoqlError('MALFORMED_QUERY', 'expected an operator');
        where.push({ field, op: op.v as '=', value: literal() });
      }
      if (kw('AND')) {
        i++;
        continue;
      }
      if (kw('OR')) throw new SoqlError('MALFORMED_QUERY', 'OR is not supported by this sandbox');
      break;
    }
  }
  const orderBy: ParsedQuery['orderBy'] = [];
  if (kw('ORDER')) {
    i++;
    expectKw('BY');
    for (;;) {
      const field = ident();
      let desc = false;
      if (kw('ASC')) i++;
      else if (kw('DESC')) {
        desc = true;
        i++;
      }
      orderBy.push({ field, desc });
      if (peek()?.t === 'p' && (peek() as { v: string }).v === ',') {
        i++;
        continue;
      }
      break;
    }
  }
  let limit: number | null = null;
  if (kw('LIMIT')) {
    i++;
    const t = toks[i++];
    if (t?.t !== 'num' || !Number.isInteger(t.v) || t.v < 0) throw new SoqlError('MALFORMED_QUERY', 'LIMIT expects a non-negative integer');
    limit = t.v;
  }
  if (i !== toks.length) throw new SoqlError('MALFORMED_QUERY', `unexpected token after the query (${toks[i]?.t})`);
  return { fields, from, where, orderBy, limit };
}

const tsCache = new Map<string, number | null>();
const tsOfRaw = (v: unknown): number | null => {
  if (typeof v !== 'string' || v === '') return null;
  const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isFinite(ms) ? ms : null;
};
/** Sorting re-reads the same timestamps many times: parse each string once. */
const tsOf = (v: unknown): number | null => {
  if (typeof v !== 'string') return null;
  let r = tsCache.get(v);
  if (r === undefined) {
    if (tsCache.size > 500_000) tsCache.clear();
    r = tsOfRaw(v);
    tsCache.set(v, r);
  }
  return r;
};

function cmp(a: unknown, lit: Literal): number | null {
  switch (lit.k) {
    case 'null':
      return a === null || a === undefined ? 0 : 1;
    case 'dt': {
      const ms = tsOf(a);
      return ms === null ? null : ms - lit.ms;
    }
    case 'date':
      return typeof a === 'string' ? a.slice(0, 10).localeCompare(lit.v) : null;
    case 'num':
      return typeof a === 'number' ? a - lit.v : null;
    case 'bool':
      return typeof a === 'boolean' ? (a === lit.v ? 0 : 1) : a === null || a === undefined ? (lit.v ? 1 : 0) : null;
    case 'str':
      // Salesforce compares ids and strings case-insensitively for `=`.
      return typeof a === 'string' ? a.toLowerCase().localeCompare(lit.v.toLowerCase()) : null;
  }
}

export function matches(row: Record<string, unknown>, where: readonly Cond[]): boolean {
  for (const c of where) {
    const v = row[c.field];
    if (c.op === 'IN' || c.op === 'NOT IN') {
      const hit = c.values.some((l) => cmp(v, l) === 0);
      if (hit === (c.op === 'NOT IN')) return false;
      continue;
    }
    const r = cmp(v, (c as Extract<Cond, { value: Literal }>).value);
    if (c.op === '=' && r !== 0) return false;
    if (c.op === '!=' && r === 0) return false;
    if (r === null && c.op !== '!=') return false;
    if (r !== null) {
      if (c.op === '<' && !(r < 0)) return false;
      if (c.op === '<=' && !(r <= 0)) return false;
      if (c.op === '>' && !(r > 0)) return false;
      if (c.op === '>=' && !(r >= 0)) return false;
    }
  }
  return true;
}

export function compareRows(a: Record<string, unknown>, b: Record<string, unknown>, orderBy: ParsedQuery['orderBy']): number {
  for (const o of orderBy) {
    const x = a[o.field];
    const y = b[o.field];
    let r = 0;
    const tx = tsOf(x);
    const ty = tsOf(y);
    if (x === y) r = 0;
    // Nulls first ascending (Salesforce default NULLS FIRST).
    else if (x === null || x === undefined) r = -1;
    else if (y === null || y === undefined) r = 1;
    else if (tx !== null && ty !== null && typeof x === 'string' && /^\d{4}-/.test(x)) r = tx - ty;
    else r = String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
    if (r !== 0) return o.desc ? -r : r;
  }
  return 0;
}
