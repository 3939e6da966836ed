/**
 * SOQL built from parts, never by pasting input: field and object names are checked against a strict
 * identifier pattern (and the caller checks them against describe), ids against the Salesforce id
 * pattern, strings are quoted with SOQL's escapes, instants become SOQL datetime literals.
 */
const IDENT = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;
const SF_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

export class SoqlInputError extends Error {}

export function ident(name: string): string {
  if (!IDENT.test(name) || name.includes('__c__') || /__$/.test(name)) throw new SoqlInputError(`not a field or object name: ${JSON.stringify(name.slice(0, 40))}`);
  return name;
}

/** A field or a child-to-parent relationship path (Individual.ShouldForget): each part an identifier. */
export function fieldPath(name: string): string {
  const parts = name.split('.');
  if (parts.length > 5) throw new SoqlInputError('relationship path too deep');
  return parts.map(ident).join('.');
}

export function isSalesforceId(v: string): boolean {
  return SF_ID.test(v);
}

export function idLiteral(id: string): string {
  if (!SF_ID.test(id)) throw new SoqlInputError('not a Salesforce id');
  return `'${id}'`;
}

/** SOQL string literal: backslash escapes for \ ' " and control characters (SOQL "Quoted String Escape Sequences"). */
export function stringLiteral(v: string): string {
  const esc = v.replace(/[\\'"\n\r\t\b\f]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' })[c]!);
  return `'${esc}'`;
}

/** SOQL datetime literal (unquoted, second precision, UTC). Floors, so `>=` stays inclusive. */
export function datetimeLiteral(d: Date): string {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new SoqlInputError('invalid instant');
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export type Cond =
  | { field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: { id: string } | { str: string } | { dt: Date } | { bool: boolean } | null }
  | { field: string; op: 'IN'; ids: readonly string[] }
  /** Semi-/anti-join: the sub-select queries one Id or reference field, no ORDER BY or LIMIT (SOQL rules). */
  | { field: string; op: 'IN' | 'NOT IN'; sub: SelectSpec }
  /** OR of AND-groups: `((a AND b) OR c)`. */
  | { anyOf: readonly (readonly Cond[])[] };

function condText(c: Cond): string {
  if ('anyOf' in c) {
    if (c.anyOf.length === 0 || c.anyOf.some((g) => g.length === 0)) throw new SoqlInputError('empty OR group');
    return `(${c.anyOf.map((g) => (g.length === 1 ? condText(g[0]!) : `(${g.map(condText).join(' AND ')})`)).join(' OR ')})`;
  }
  const f = fieldPath(c.field);
  if ('sub' in c) {
    if (c.sub.fields.length !== 1 || c.sub.fields[0]!.includes('.') || c.sub.orderBy?.length || c.sub.limit !== undefined) throw new SoqlInputError('a semi-join selects one field, without ORDER BY or LIMIT');
    if (c.sub.where?.some((w) => 'sub' in w)) throw new SoqlInputError('semi-joins do not nest');
    return `${f} ${c.op} (${select(c.sub)})`;
  }
  if (c.op === 'IN') {
    if (c.ids.length === 0) throw new SoqlInputError('empty IN list');
    return `${f} IN (${c.ids.map(idLiteral).join(', ')})`;
  }
  const v = c.value;
  const lit = v === null ? 'null' : 'id' in v ? idLiteral(v.id) : 'str' in v ? stringLiteral(v.str) : 'dt' in v ? datetimeLiteral(v.dt) : v.bool ? 'true' : 'false';
  return `${f} ${c.op} ${lit}`;
}

export interface SelectSpec {
  fields: readonly string[];
  from: string;
  where?: readonly Cond[];
  orderBy?: readonly { field: string; dir?: 'ASC' | 'DESC' }[];
  limit?: number;
}

export function select(spec: SelectSpec): string {
  if (spec.fields.length === 0) throw new SoqlInputError('no fields');
  let q = `SELECT ${[...new Set(spec.fields)].map(fieldPath).join(', ')} FROM ${ident(spec.from)}`;
  if (spec.where && spec.where.length > 0) q += ` WHERE ${spec.where.map(condText).join(' AND ')}`;
  if (spec.orderBy && spec.orderBy.length > 0) q += ` ORDER BY ${spec.orderBy.map((o) => `${fieldPath(o.field)} ${o.dir ?? 'ASC'}`).join(', ')}`;
  if (spec.limit !== undefined) {
    if (!Number.isInteger(spec.limit) || spec.limit < 1) throw new SoqlInputError('bad LIMIT');
    q += ` LIMIT ${spec.limit}`;
  }
  return q;
}
