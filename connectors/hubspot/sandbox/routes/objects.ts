/** CRM v3 object routes for contacts, notes and tasks (reference §1, §4). */
import { z } from 'zod';
import { arrayParam, badInput, boolParam, hsError, intParam, notFound, type Ctx, type Reply, type Router } from '../http';
import { present, toObjectType } from '../present';
import { TYPE_ID_TARGETS } from '../state';
import type { CrmRecord, ObjectType } from '../types';
import { checkValues, validationError } from '../values';

const BATCH_MAX = 100;
const PropsIn = z.record(z.string(), z.unknown());
const AssocIn = z.array(
  z.object({
    to: z.object({ id: z.union([z.string(), z.number()]).transform(String) }),
    types: z.array(z.object({ associationCategory: z.string(), associationTypeId: z.number() })).min(1),
  }),
);
const CreateBody = z.object({ properties: PropsIn, associations: AssocIn.optional() });
const UpdateBody = z.object({ properties: PropsIn });
const IdInputs = z.object({ inputs: z.array(z.object({ id: z.union([z.string(), z.number()]).transform(String) })) });
const BatchReadBody = z.object({
  inputs: z.array(z.object({ id: z.union([z.string(), z.number()]).transform(String) })),
  properties: z.array(z.string()).optional(),
  propertiesWithHistory: z.array(z.string()).optional(),
  idProperty: z.string().optional(),
});
const BatchUpdateBody = z.object({
  inputs: z.array(
    z.object({
      id: z.union([z.string(), z.number()]).transform(String),
      idProperty: z.string().optional(),
      objectWriteTraceId: z.string().optional(),
      properties: PropsIn,
    }),
  ),
});
const BatchCreateBody = z.object({ inputs: z.array(CreateBody) });
const GdprBody = z.object({ objectId: z.union([z.string(), z.number()]).transform(String), idProperty: z.string().optional() });
const MergeBody = z.object({ primaryObjectId: z.union([z.string(), z.number()]).transform(String), objectIdToMerge: z.union([z.string(), z.number()]).transform(String) });

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw badInput(`Cannot build ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

function objectType(ctx: Ctx): ObjectType {
  const t = toObjectType(ctx.params.objectType ?? '');
  if (!t) throw hsError(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${ctx.params.objectType ?? ''}`);
  return t;
}

/** Finds a live (or, with archived=true, archived) record by id or by a unique property (email). */
function lookup(ctx: Ctx, type: ObjectType, id: string, idProperty: string | null, archived = false): CrmRecord | undefined {
  let rec: CrmRecord | undefined;
  if (idProperty && idProperty !== 'hs_object_id') {
    if (type !== 'contacts' || idProperty !== 'email') throw hsError(400, 'VALIDATION_ERROR', `${idProperty} is not a unique property`);
    rec = ctx.state.findContactByEmail(id);
  } else rec = ctx.state.get(type, id);
  if (!rec || rec.archived !== archived) return undefined;
  return rec;
}

function batchEnvelope(ctx: Ctx, results: unknown[], errors: unknown[], startedAt: string): Reply {
  const body: Record<string, unknown> = { status: 'COMPLETE', results, startedAt, completedAt: new Date(ctx.state.clock()).toISOString() };
  if (errors.length) {
    body.numErrors = errors.length;
    body.errors = errors;
  }
  return { status: errors.length ? 207 : 200, body };
}

function notFoundBatchError(type: ObjectType, ids: string[]): Record<string, unknown> {
  const label = type === 'contacts' ? 'CONTACT' : type === 'notes' ? 'NOTE' : 'TASK';
  return {
    status: 'error',
    category: 'OBJECT_NOT_FOUND',
    message: `Could not get some ${label} objects, they may be deleted or not exist. Check that ids are valid.`,
    context: { ids },
  };
}

function createOne(ctx: Ctx, type: ObjectType, body: z.infer<typeof CreateBody>): CrmRecord {
  const { values, errors } = checkValues(ctx.state, type, body.properties, null);
  if (errors.length) throw validationError(ctx.state, errors);
  if (type !== 'contacts' && !values.hs_timestamp) {
    throw validationError(ctx.state, [{ name: 'hs_timestamp', code: 'REQUIRED_FIELD', message: 'hs_timestamp is required' }]);
  }
  if (type === 'contacts' && values.email) {
    const existing = ctx.state.findContactByEmail(values.email);
    if (existing && !existing.archived) {
      throw hsError(409, 'CONFLICT', `Contact already exists. Existing ID: ${existing.id}`, { context: { id: [existing.id] } });
    }
  }
  const targets: { toType: ObjectType; toId: string }[] = [];
  for (const a of body.associations ?? []) {
    for (const t of a.types) {
      const spec = TYPE_ID_TARGETS[t.associationTypeId];
      if (!spec || spec.from !== type) {
        throw hsError(400, 'VALIDATION_ERROR', `${t.associationTypeId} is not a valid association type id from ${type}`);
      }
      const target = ctx.state.get(spec.to, a.to.id);
      if (!target || target.archived) throw hsError(400, 'VALIDATION_ERROR', `One or more associations are invalid: ${spec.to} ${a.to.id} does not exist`);
      targets.push({ toType: spec.to, toId: a.to.id });
    }
  }
  const clean: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(values)) if (v !== null) clean[k] = v;
  const rec = ctx.state.insert(type, clean);
  for (const t of targets) ctx.state.associate(type, rec.id, t.toType, t.toId);
  return rec;
}

export function registerObjectRoutes(r: Router): void {
  const base = '/crm/v3/objects/:objectType';

  r.add('GET', base, (ctx) => {
    const type = objectType(ctx);
    const limit = Math.min(intParam(ctx.query, 'limit', 10), ctx.opts.pageMax);
    const after = ctx.query.get('after');
    const archived = boolParam(ctx.query, 'archived');
    const props = arrayParam(ctx.query, 'properties');
    const withHistory = arrayParam(ctx.query, 'propertiesWithHistory');
    const associations = arrayParam(ctx.query, 'associations');
    const order = ctx.state.order[type];
    // Cursor = the id the next page starts at (HubSpot: results up to 33451 -> after "33452"); first id >= it.
    let lo = 0;
    if (after) {
      const a = Number(after);
      if (!Number.isFinite(a)) throw hsError(400, 'VALIDATION_ERROR', 'after must be a numeric cursor');
      let hi = order.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (Number(order[mid]) < a) lo = mid + 1;
        else hi = mid;
      }
    }
    const results: unknown[] = [];
    let next: string | null = null;
    for (let i = lo; i < order.length; i++) {
      const rec = ctx.state.get(type, order[i] as string);
      if (!rec || rec.archived !== archived) continue;
      if (results.length === limit) {
        next = order[i] as string;
        break;
      }
      results.push(present(ctx.state, type, rec, { properties: props, withHistory, associations }));
    }
    const body: Record<string, unknown> = { results };
    if (next !== null) {
      body.paging = { next: { after: next, link: `${ctx.opts.publicUrl}/crm/v3/objects/${type}?limit=${limit}&after=${next}` } };
    }
    return { status: 200, body };
  });

  r.add('POST', base, (ctx) => {
    const type = objectType(ctx);
    const rec = createOne(ctx, type, parseBody(CreateBody, ctx.body));
    return { status: 201, body: present(ctx.state, type, rec, { properties: Object.keys(rec.properties) }) };
  });

  r.add('POST', `${base}/batch/read`, (ctx) => {
    const type = objectType(ctx);
    const body = parseBody(BatchReadBody, ctx.body);
    if (body.inputs.length > BATCH_MAX) throw hsError(400, 'VALIDATION_ERROR', `Batch operations are limited to ${BATCH_MAX} records`);
    const startedAt = new Date(ctx.state.clock()).toISOString();
    const archived = boolParam(ctx.query, 'archived');
    const results: unknown[] = [];
    const missing: string[] = [];
    const seen = new Set<string>();
    for (const { id } of body.inputs) {
      const rec = lookup(ctx, type, id, body.idProperty ?? null, archived);
      if (!rec) missing.push(id);
      else if (!seen.has(rec.id)) {
        seen.add(rec.id);
        results.push(present(ctx.state, type, rec, { properties: body.properties ?? null, withHistory: body.propertiesWithHistory ?? null }));
      }
    }
    return batchEnvelope(ctx, results, missing.length ? [notFoundBatchError(type, missing)] : [], startedAt);
  });

  r.add('POST', `${base}/batch/create`, (ctx) => {
    const type = objectType(ctx);
    const body = parseBody(BatchCreateBody, ctx.body);
    if (body.inputs.length > BATCH_MAX) throw hsError(400, 'VALIDATION_ERROR', `Batch operations are limited to ${BATCH_MAX} records`);
    const startedAt = new Date(ctx.state.clock()).toISOString();
    const recs = body.inputs.map((i) => createOne(ctx, type, i));
    const out = batchEnvelope(ctx, recs.map((rec) => present(ctx.state, type, rec, { properties: Object.keys(rec.properties) })), [], startedAt);
    return { ...out, status: 201 };
  });

  r.add('POST', `${base}/batch/update`, (ctx) => {
    const type = objectType(ctx);
    const body = parseBody(BatchUpdateBody, ctx.body);
    if (body.inputs.length > BATCH_MAX) throw hsError(400, 'VALIDATION_ERROR', `Batch operations are limited to ${BATCH_MAX} records`);
    const startedAt = new Date(ctx.state.clock()).toISOString();
    const ids = body.inputs.map((i) => i.id);
    const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (dupes.length) throw hsError(400, 'VALIDATION_ERROR', `Duplicate IDs found in batch input: [${[...new Set(dupes)].join(', ')}]. IDs must be unique`);
    // Property validation fails the whole batch (nothing written), as HubSpot answers 400 for it.
    const planned: { rec: CrmRecord; values: Record<string, string | null>; input: (typeof body.inputs)[number] }[] = [];
    const missing: (typeof body.inputs)[number][] = [];
    const allErrors: ReturnType<typeof checkValues>['errors'] = [];
    for (const input of body.inputs) {
      const rec = lookup(ctx, type, input.id, input.idProperty ?? null);
      if (!rec) {
        missing.push(input);
        continue;
      }
      const { values, errors } = checkValues(ctx.state, type, input.properties, rec);
      allErrors.push(...errors);
      planned.push({ rec, values, input });
    }
    if (allErrors.length) throw validationError(ctx.state, allErrors);
    const results = planned.map(({ rec, values }) => {
      ctx.state.update(type, rec, values);
      // Update answers hold the written values (cleared ones as "") plus the recalculated dates.
      const props: Record<string, string | null> = { hs_object_id: rec.id };
      for (const k of Object.keys(values)) props[k] = rec.properties[k] ?? '';
      props[type === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate'] = rec.updatedAt;
      return { id: rec.id, properties: props, createdAt: rec.createdAt, updatedAt: rec.updatedAt, archived: false };
    });
    const errors = missing.map((m) => {
      const e = notFoundBatchError(type, [m.id]);
      if (m.objectWriteTraceId) (e.context as Record<string, unknown>).objectWriteTraceId = [m.objectWriteTraceId];
      return e;
    });
    return batchEnvelope(ctx, results, errors, startedAt);
  });

  r.add('POST', `${base}/batch/archive`, (ctx) => {
    const type = objectType(ctx);
    const body = parseBody(IdInputs, ctx.body);
    if (body.inputs.length > BATCH_MAX) throw hsError(400, 'VALIDATION_ERROR', `Batch operations are limited to ${BATCH_MAX} records`);
    for (const { id } of body.inputs) {
      const rec = ctx.state.get(type, id);
      if (rec) ctx.state.archive(type, rec);
    }
    return { status: 204 };
  });

  r.add('POST', '/crm/v3/objects/contacts/gdpr-delete', (ctx) => {
    const body = parseBody(GdprBody, ctx.body);
    const byEmail = body.idProperty === 'email';
    const rec = byEmail ? ctx.state.findContactByEmail(body.objectId) : ctx.state.get('contacts', body.objectId);
    if (!rec) {
      // Documented: an unknown e-mail is added to the blocklist anyway.
      if (byEmail) {
        ctx.state.blocklistedEmails.add(body.objectId.trim().toLowerCase());
        return { status: 204 };
      }
      throw notFound(body.objectId);
    }
    for (const t of ['notes', 'tasks'] as const) {
      for (const id of ctx.state.associatedIds('contacts', rec.id, t)) ctx.state.purge(t, id);
    }
    const email = rec.properties.email?.toLowerCase();
    if (email) {
      ctx.state.blocklistedEmails.add(email);
      ctx.state.subscriptionStatuses.delete(email);
    }
    ctx.state.purge('contacts', rec.id);
    ctx.state.gdprDeletedIds.add(rec.id);
    return { status: 204 };
  });

  r.add('POST', '/crm/v3/objects/contacts/merge', (ctx) => {
    const body = parseBody(MergeBody, ctx.body);
    const primary = lookup(ctx, 'contacts', body.primaryObjectId, null);
    const merged = lookup(ctx, 'contacts', body.objectIdToMerge, null);
    if (!primary) throw notFound(body.primaryObjectId);
    if (!merged) throw notFound(body.objectIdToMerge);
    const fill: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(merged.properties)) {
      if (v !== null && (primary.properties[k] === undefined || primary.properties[k] === null)) fill[k] = v;
    }
    delete fill.hs_object_id;
    delete fill.createdate;
    delete fill.lastmodifieddate;
    delete fill.email;
    const extraEmails = [primary.properties.hs_additional_emails, merged.properties.email].filter(Boolean).join(';');
    if (extraEmails) fill.hs_additional_emails = extraEmails;
    fill.hs_merged_object_ids = [primary.properties.hs_merged_object_ids, merged.id].filter(Boolean).join(';');
    for (const t of ['notes', 'tasks'] as const) {
      for (const id of ctx.state.associatedIds('contacts', merged.id, t)) ctx.state.associate('contacts', primary.id, t, id);
    }
    ctx.state.purge('contacts', merged.id);
    ctx.state.update('contacts', primary, fill);
    return { status: 200, body: present(ctx.state, 'contacts', primary, { properties: null }) };
  });

  r.add('GET', `${base}/:objectId`, (ctx) => {
    const type = objectType(ctx);
    const id = ctx.params.objectId ?? '';
    const rec = lookup(ctx, type, id, ctx.query.get('idProperty'), boolParam(ctx.query, 'archived'));
    if (!rec) throw notFound(id);
    return {
      status: 200,
      body: present(ctx.state, type, rec, {
        properties: arrayParam(ctx.query, 'properties'),
        withHistory: arrayParam(ctx.query, 'propertiesWithHistory'),
        associations: arrayParam(ctx.query, 'associations'),
      }),
    };
  });

  r.add('PATCH', `${base}/:objectId`, (ctx) => {
    const type = objectType(ctx);
    const id = ctx.params.objectId ?? '';
    const body = parseBody(UpdateBody, ctx.body);
    const rec = lookup(ctx, type, id, ctx.query.get('idProperty'));
    if (!rec) throw notFound(id);
    const { values, errors } = checkValues(ctx.state, type, body.properties, rec);
    if (errors.length) throw validationError(ctx.state, errors);
    ctx.state.update(type, rec, values);
    return { status: 200, body: present(ctx.state, type, rec, { properties: Object.keys(values) }) };
  });

  r.add('DELETE', `${base}/:objectId`, (ctx) => {
    const type = objectType(ctx);
    const rec = ctx.state.get(type, ctx.params.objectId ?? '');
    // Archiving something missing or already archived is still 204.
    if (rec) ctx.state.archive(type, rec);
    return { status: 204 };
  });
}
