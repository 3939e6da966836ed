/** CRM search (reference §1 "Search"): filter groups, one sort, offset paging, the 10,000-result cap. */
import { z } from 'zod';
import { hsError, type Ctx, type Router } from '../http';
import { present, toObjectType } from '../present';
import type { CrmRecord, ObjectType, PropertyDef } from '../types';
import { toEpochMs } from '../values';
import { parseBody } from './objects';

const OPERATORS = ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'] as const;
const Scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const Filter = z.object({
  propertyName: z.string().min(1),
  operator: z.enum(OPERATORS),
  value: Scalar.optional(),
  highValue: Scalar.optional(),
  values: z.array(Scalar).optional(),
});
const Sort = z.union([
  z.string().transform((s) => ({ propertyName: s.replace(/^-/, ''), direction: s.startsWith('-') ? 'DESCENDING' : 'ASCENDING' })),
  z.object({ propertyName: z.string(), direction: z.enum(['ASCENDING', 'DESCENDING']).default('ASCENDING') }),
]);
const SearchBody = z.object({
  filterGroups: z.array(z.object({ filters: z.array(Filter) })).default([]),
  sorts: z.array(Sort).default([]),
  properties: z.array(z.string()).optional(),
  limit: z.number().int().min(0).default(10),
  after: z.union([z.string(), z.number()]).transform(String).optional(),
  query: z.string().optional(),
});
type FilterT = z.infer<typeof Filter>;

const MAX_RESULTS = 10_000;
const TEXT_FIELDS = ['email', 'firstname', 'lastname', 'phone', 'company', 'hs_note_body', 'hs_task_subject'];

/** Comparable form of a value: epoch ms for dates, numbers for numbers, lower-case text otherwise. */
function norm(def: PropertyDef | undefined, v: string): number | string | null {
  if (def?.type === 'datetime' || def?.type === 'date') return toEpochMs(v);
  if (def?.type === 'number') {
    const n = Number(v);
    return Number.isNaN(n) ? null : n;
  }
  return v.toLowerCase();
}

function valueOf(ctx: Ctx, type: ObjectType, rec: CrmRecord, name: string): string | null {
  if (name === 'hs_object_id') return rec.id;
  return rec.properties[name] ?? null;
}

function matches(ctx: Ctx, type: ObjectType, rec: CrmRecord, f: FilterT): boolean {
  if (f.propertyName.startsWith('associations.')) {
    const other = toObjectType(f.propertyName.slice('associations.'.length));
    if (!other) return false;
    const ids = ctx.state.associatedIds(type, rec.id, other);
    const want = f.operator === 'IN' ? (f.values ?? []) : [f.value ?? ''];
    const hit = want.some((w) => ids.includes(w));
    return f.operator === 'NEQ' || f.operator === 'NOT_IN' ? !hit : hit;
  }
  const def = ctx.state.properties[type].get(f.propertyName);
  const raw = valueOf(ctx, type, rec, f.propertyName);
  if (f.operator === 'HAS_PROPERTY') return raw !== null && raw !== '';
  if (f.operator === 'NOT_HAS_PROPERTY') return raw === null || raw === '';
  if (raw === null) return f.operator === 'NEQ' || f.operator === 'NOT_IN' || f.operator === 'NOT_CONTAINS_TOKEN';
  const a = norm(def, raw);
  const b = f.value !== undefined ? norm(def, f.value) : null;
  switch (f.operator) {
    case 'EQ':
      return def?.fieldType === 'checkbox' ? raw.toLowerCase().split(';').includes(String(b)) : a === b;
    case 'NEQ':
      return a !== b;
    case 'LT':
      return a !== null && b !== null && a < b;
    case 'LTE':
      return a !== null && b !== null && a <= b;
    case 'GT':
      return a !== null && b !== null && a > b;
    case 'GTE':
      return a !== null && b !== null && a >= b;
    case 'BETWEEN': {
      const hi = f.highValue !== undefined ? norm(def, f.highValue) : null;
      return a !== null && b !== null && hi !== null && a >= b && a <= hi;
    }
    case 'IN':
      return (f.values ?? []).some((v) => norm(def, v) === a);
    case 'NOT_IN':
      return !(f.values ?? []).some((v) => norm(def, v) === a);
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const pattern = (f.value ?? '').toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
      const re = new RegExp(`(^|[^a-z0-9])${pattern}($|[^a-z0-9])`);
      const hit = re.test(raw.toLowerCase());
      return f.operator === 'CONTAINS_TOKEN' ? hit : !hit;
    }
  }
}

export function registerSearchRoutes(r: Router): void {
  r.add(
    'POST',
    '/crm/v3/objects/:objectType/search',
    (ctx) => {
      const type = toObjectType(ctx.params.objectType ?? '');
      if (!type) throw hsError(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${ctx.params.objectType ?? ''}`);
      if (JSON.stringify(ctx.body ?? {}).length > 3000) throw hsError(400, 'VALIDATION_ERROR', 'Request body is too large: maximum 3000 characters');
      const b = parseBody(SearchBody, ctx.body);
      const groups = b.filterGroups;
      const total = groups.reduce((n, g) => n + g.filters.length, 0);
      if (groups.length > 5 || groups.some((g) => g.filters.length > 6) || total > 18) {
        throw hsError(400, 'VALIDATION_ERROR', 'Too many filters: at most 5 filterGroups, 6 filters per group and 18 filters in total', {
          context: { filterGroups: [String(groups.length)], filters: [String(total)] },
        });
      }
      if (b.sorts.length > 1) throw hsError(400, 'VALIDATION_ERROR', 'Only one sort is allowed');
      if (b.limit > 200) throw hsError(400, 'VALIDATION_ERROR', 'limit must be at most 200');
      const offset = b.after === undefined || b.after === '' ? 0 : Number(b.after);
      if (!Number.isInteger(offset) || offset < 0) throw hsError(400, 'VALIDATION_ERROR', 'after must be a numeric offset');
      // Paging beyond 10,000 results is refused (real body text UNCONFIRMED).
      if (offset >= MAX_RESULTS) {
        throw hsError(400, 'VALIDATION_ERROR', `Search results are limited to ${MAX_RESULTS} records; narrow the filters to page further`, {
          context: { after: [String(offset)] },
        });
      }
      const q = b.query?.toLowerCase();
      let hits: CrmRecord[] = [];
      for (const id of ctx.state.order[type]) {
        const rec = ctx.state.get(type, id);
        if (!rec || rec.archived) continue;
        if (groups.length && !groups.some((g) => g.filters.every((f) => matches(ctx, type, rec, f)))) continue;
        if (q && !TEXT_FIELDS.some((n) => (rec.properties[n] ?? '').toLowerCase().includes(q))) continue;
        hits.push(rec);
      }
      const sort = b.sorts[0];
      if (sort) {
        const def = ctx.state.properties[type].get(sort.propertyName);
        const dir = sort.direction === 'DESCENDING' ? -1 : 1;
        // Keys computed once (decorate-sort): parsing dates inside the comparator is slow on large portals.
        const keyed = hits.map((rec) => {
          const v = valueOf(ctx, type, rec, sort.propertyName);
          return { rec, key: v === null ? null : norm(def, v), id: Number(rec.id) };
        });
        keyed.sort((x, y) => {
          const a = x.key;
          const c = y.key;
          if (a === c) return x.id - y.id;
          if (a === null) return 1;
          if (c === null) return -1;
          return (a < c ? -1 : 1) * dir;
        });
        hits = keyed.map((k) => k.rec);
      }
      const page = hits.slice(offset, offset + b.limit);
      const body: Record<string, unknown> = {
        total: hits.length,
        results: page.map((rec) => present(ctx.state, type, rec, { properties: b.properties ?? null })),
      };
      if (offset + b.limit < hits.length) body.paging = { next: { after: String(offset + b.limit) } };
      return { status: 200, body };
    },
    { search: true },
  );
}
