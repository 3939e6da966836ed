/**
 * A small SOQL parser and evaluator for the sandbox: enough for what the connector sends, in the forms
 * real Salesforce accepts:
 *   SELECT field | Parent.field [, ...] FROM obj
 *   [WHERE cond {AND|OR} cond ...]   cond: a op v | a [NOT] IN (v, ...) | a [NOT] IN (SELECT f FROM o [WHERE ...]) | ( cond ... )
 *   [ORDER BY f [ASC|DESC], ...] [LIMIT n]
 * AND and OR may not be mixed at one level without parentheses. Semi-/anti-joins follow Salesforce's rules
 * (SOQL reference, "Semi-Joins with IN and Anti-Joins with NOT IN"): the subquery selects one field, has
 * no ORDER BY or LIMIT and no semi-join of its own, at most two per WHERE, only in the top-level AND
 * chain. Field types (Id/reference) are checked by the server, which knows the catalog. Anything else is
 * rejected the way Salesforce rejects bad SOQL: 400 MALFORMED_QUERY.
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
export type Cmp = { field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal };
export type InList = { field: string; op: 'IN' | 'NOT IN'; values: Literal[] };
/** `field [NOT] IN (SELECT f FROM o ...)`; `ids` is filled by the server before rows are matched. */
export type SemiJoin = { field: string; op: 'IN' | 'NOT IN'; sub: ParsedQuery; ids?: ReadonlySet<string> };
/** A parenthesised group or an OR chain. */
export type Group = { op: 'AND' | 'OR'; terms: Cond[] };
export type Cond = Cmp | InList | SemiJoin | Group;
export interface ParsedQuery {
  fields: string[];
  from: string;
  /** Top-level conditions, all of which must hold (a top-level OR chain is one Group). */
  where: Cond[];
  orderBy: { field: string; desc: boolean }[];
  limit: number | null;
}

export const isGroup = (c: Cond): c is Group => 'terms' in c;
export const isSemiJoin = (c: Cond): c is SemiJoin => 'sub' in c;
export const isInList = (c: Cond): c is InList => 'values' in c;

/** Every condition of a WHERE tree, groups included (depth-first). */
export function* walkConds(where: readonly Cond[]): Generator<Cond> {
  for (const c of where) {
    yield c;
    if (isGroup(c)) yield* walkConds(c.terms);
  }
}

type Tok = { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'dt'; ms: number } | { t: 'date'; v: string } | { t: 'op'; v: string } | { t: 'p'; v: '(' | ')' | ',' };

const DT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![T\d])/;
const KEYWORDS = ['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'ORDER', 'BY', 'LIMIT', 'IN'];
const MAX_SEMI_JOINS = 2;

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
  const punct = (v: '(' | ')' | ',') => {
    const t = toks[i];
    return t?.t === 'p' && t.v === v;
  };
  const expectKw = (w: string) => {
    if (!kw(w)) throw new SoqlError('MALFORMED_QUERY', `expected ${w}`);
    i++;
  };
  /** A field name or a relationship path (Parent.Field); the server checks both against the catalog. */
  const ident = (): string => {
    const t = toks[i];
    if (t?.t !== 'id' || KEYWORDS.includes(t.v.toUpperCase())) throw new SoqlError('MALFORMED_QUERY', 'expected a field name');
    if (t.v.startsWith('.') || t.v.endsWith('.') || t.v.includes('..')) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${t.v}'`);
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

  /** One condition: comparison, value list or semi-join; `(` starts a nested group. */
  const condition = (inSub: boolean): Cond => {
    if (punct('(')) {
      i++;
      const g = expression(inSub);
      if (!punct(')')) throw new SoqlError('MALFORMED_QUERY', 'expected )');
      i++;
      return g.length === 1 ? g[0]! : { op: 'AND', terms: g };
    }
    const field = ident();
    if (kw('NOT') || kw('IN')) {
      const not = kw('NOT');
      i++;
      if (not) expectKw('IN');
      if (!punct('(')) throw new SoqlError('MALFORMED_QUERY', 'expected (');
      i++;
      const op = not ? 'NOT IN' : 'IN';
      if (kw('SELECT')) {
        if (inSub) throw new SoqlError('MALFORMED_QUERY', 'Nesting of semi join sub-selects is not supported');
        const sub = query(true);
        if (!punct(')')) throw new SoqlError('MALFORMED_QUERY', 'expected )');
        i++;
        return { field, op, sub };
      }
      const values: Literal[] = [];
      for (;;) {
        values.push(literal());
        const sep = toks[i++];
        if (sep?.t === 'p' && sep.v === ',') continue;
        if (sep?.t === 'p' && sep.v === ')') break;
        throw new SoqlError('MALFORMED_QUERY', 'expected , or )');
      }
      return { field, op, values };
    }
    const op = toks[i++];
    if (op?.t !== 'op') throw new SoqlError('MALFORMED_QUERY', 'expected an operator');
    return { field, op: op.v as Cmp['op'], value: literal() };
  };

  /** cond {AND cond} or cond {OR cond}: one connective per level (SOQL has no precedence between them). */
  const expression = (inSub: boolean): Cond[] => {
    const terms: Cond[] = [condition(inSub)];
    let joiner: 'AND' | 'OR' | null = null;
    while (kw('AND') || kw('OR')) {
      const j = kw('AND') ? 'AND' : 'OR';
      if (joiner && joiner !== j) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${j}' (mixing AND and OR needs parentheses)`);
      joiner = j;
      i++;
      terms.push(condition(inSub));
    }
    return joiner === 'OR' ? [{ op: 'OR', terms }] : terms;
  };

  const query = (inSub: boolean): ParsedQuery => {
    expectKw('SELECT');
    const fields: string[] = [];
    for (;;) {
      const t = peek();
      if (t?.t === 'p' && t.v === '(') throw new SoqlError('MALFORMED_QUERY', 'relationship subqueries are not supported by this sandbox');
      if (t?.t === 'id' && toks[i + 1]?.t === 'p' && (toks[i + 1] as { v: string }).v === '(') throw new SoqlError('MALFORMED_QUERY', 'functions and subqueries are not supported');
      fields.push(ident());
      if (punct(',')) {
        i++;
        continue;
      }
      break;
    }
    expectKw('FROM');
    const from = ident();
    if (from.includes('.')) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${from}'`);
    const where: Cond[] = [];
    if (kw('WHERE')) {
      i++;
      where.push(...expression(inSub));
    }
    const orderBy: ParsedQuery['orderBy'] = [];
    if (kw('ORDER')) {
      if (inSub) throw new SoqlError('MALFORMED_QUERY', 'ORDER BY is not supported in a semi join sub-select');
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
        if (punct(',')) {
          i++;
          continue;
        }
        break;
      }
    }
    let limit: number | null = null;
    if (kw('LIMIT')) {
      if (inSub) throw new SoqlError('MALFORMED_QUERY', 'LIMIT is not supported in a semi join sub-select');
      i++;
      const t = toks[i++];
      if (t?.t !== 'num' || !Number.isInteger(t.v) || t.v < 0) throw new SoqlError('MALFORMED_QUERY', 'LIMIT expects a non-negative integer');
      limit = t.v;
    }
    if (inSub && fields.length !== 1) throw new SoqlError('MALFORMED_QUERY', 'semi join sub selects can only query one field');
    return { fields, from, where, orderBy, limit };
  };

  const parsed = query(false);
  if (i !== toks.length) throw new SoqlError('MALFORMED_QUERY', `unexpected token after the query (${toks[i]?.t})`);
  // Semi-/anti-joins: only as terms of the top-level AND chain, at most two.
  const top = parsed.where.filter(isSemiJoin).length;
  const all = [...walkConds(parsed.where)].filter(isSemiJoin).length;
  if (all > top) throw new SoqlError('MALFORMED_QUERY', 'Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions.');
  if (top > MAX_SEMI_JOINS) throw new SoqlError('MALFORMED_QUERY', `At most ${MAX_SEMI_JOINS} semi join or anti join sub-selects are allowed in a WHERE clause`);
  return parsed;
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
    case 'str': {
      // Salesforce compares ids and strings case-insensitively for `=`; ranges (`Id > '003...'`) in code-unit
      // order, the order ORDER BY uses, not the locale's.
      if (typeof a !== 'string') return null;
      const x = a.toLowerCase();
      const y = lit.v.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

/** Reads a field or relationship path of a row (the server resolves parents). */
export type Getter = (row: Record<string, unknown>, field: string) => unknown;
const plainGet: Getter = (row, field) => row[field];

function holds(row: Record<string, unknown>, c: Cond, get: Getter): boolean {
  if (isGroup(c)) return c.op === 'AND' ? c.terms.every((t) => holds(row, t, get)) : c.terms.some((t) => holds(row, t, get));
  const v = get(row, c.field);
  if (isSemiJoin(c)) {
    if (!c.ids) throw new Error('semi-join not resolved');
    const hit = typeof v === 'string' && c.ids.has(v);
    return c.op === 'IN' ? hit : !hit;
  }
  if (isInList(c)) {
    const hit = c.values.some((l) => cmp(v, l) === 0);
    return hit !== (c.op === 'NOT IN');
  }
  const r = cmp(v, c.value);
  if (c.op === '=') return r === 0;
  if (c.op === '!=') return r !== 0;
  if (r === null) return false;
  if (c.op === '<') return r < 0;
  if (c.op === '<=') return r <= 0;
  if (c.op === '>') return r > 0;
  return r >= 0;
}

export function matches(row: Record<string, unknown>, where: readonly Cond[], get: Getter = plainGet): boolean {
  for (const c of where) if (!holds(row, c, get)) return false;
  return true;
}

export function compareRows(a: Record<string, unknown>, b: Record<string, unknown>, orderBy: ParsedQuery['orderBy'], get: Getter = plainGet): number {
  for (const o of orderBy) {
    const x = get(a, o.field);
    const y = get(b, o.field);
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
