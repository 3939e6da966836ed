/** CRM v3 properties and property groups (reference §2). */
import { z } from 'zod';
import { makeProperty } from '../catalog';
import { boolParam, hsError, type Ctx, type Router } from '../http';
import { toObjectType } from '../present';
import type { ObjectType, PropertyDef } from '../types';
import { parseBody } from './objects';

const OptionIn = z.object({ label: z.string(), value: z.string(), hidden: z.boolean().optional(), displayOrder: z.number().optional(), description: z.string().optional() });
const CreateProperty = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and underscores'),
  label: z.string().min(1),
  type: z.enum(['string', 'number', 'bool', 'enumeration', 'date', 'datetime']),
  fieldType: z.string().min(1),
  groupName: z.string().min(1),
  description: z.string().optional(),
  options: z.array(OptionIn).optional(),
  hasUniqueValue: z.boolean().optional(),
  hidden: z.boolean().optional(),
  formField: z.boolean().optional(),
  displayOrder: z.number().optional(),
});
const UpdateProperty = CreateProperty.omit({ name: true }).partial();
const CreateGroup = z.object({ name: z.string().min(1), label: z.string().min(1), displayOrder: z.number().optional() });

function objectType(ctx: Ctx): ObjectType {
  const t = toObjectType(ctx.params.objectType ?? '');
  if (!t) throw hsError(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${ctx.params.objectType ?? ''}`);
  return t;
}

function options(o: z.infer<typeof OptionIn>[] | undefined): PropertyDef['options'] {
  return (o ?? []).map((x, i) => ({ label: x.label, value: x.value, hidden: x.hidden ?? false, displayOrder: x.displayOrder ?? i, description: x.description ?? '' }));
}

export function registerPropertyRoutes(r: Router): void {
  const base = '/crm/v3/properties/:objectType';

  r.add('GET', `${base}/groups`, (ctx) => {
    const type = objectType(ctx);
    return { status: 200, body: { results: [...ctx.state.groups[type].values()].filter((g) => !g.archived) } };
  });
  r.add('POST', `${base}/groups`, (ctx) => {
    const type = objectType(ctx);
    const b = parseBody(CreateGroup, ctx.body);
    const groups = ctx.state.groups[type];
    if (groups.has(b.name)) throw hsError(409, 'CONFLICT', `A property group named '${b.name}' already exists.`);
    const g = { name: b.name, label: b.label, displayOrder: b.displayOrder ?? -1, archived: false };
    groups.set(b.name, g);
    return { status: 201, body: g };
  });
  r.add('GET', `${base}/groups/:groupName`, (ctx) => {
    const g = ctx.state.groups[objectType(ctx)].get(ctx.params.groupName ?? '');
    if (!g) throw hsError(404, 'OBJECT_NOT_FOUND', `Unable to find property group ${ctx.params.groupName ?? ''}`);
    return { status: 200, body: g };
  });

  r.add('GET', base, (ctx) => {
    const type = objectType(ctx);
    const archived = boolParam(ctx.query, 'archived');
    return { status: 200, body: { results: [...ctx.state.properties[type].values()].filter((p) => p.archived === archived) } };
  });
  r.add('GET', `${base}/:propertyName`, (ctx) => {
    const p = ctx.state.properties[objectType(ctx)].get(ctx.params.propertyName ?? '');
    if (!p || p.archived) throw hsError(404, 'OBJECT_NOT_FOUND', `Unable to find property ${ctx.params.propertyName ?? ''}`);
    return { status: 200, body: p };
  });
  r.add('POST', base, (ctx) => {
    const type = objectType(ctx);
    const b = parseBody(CreateProperty, ctx.body);
    const props = ctx.state.properties[type];
    const existing = props.get(b.name);
    // Duplicate body text UNCONFIRMED; status 409 per reference §2.
    if (existing && !existing.archived) throw hsError(409, 'CONFLICT', `Property named '${b.name}' already exists.`, { context: { name: [b.name] } });
    if (!ctx.state.groups[type].has(b.groupName)) throw hsError(400, 'VALIDATION_ERROR', `Property group ${b.groupName} does not exist`);
    if (b.type === 'enumeration' && !(b.options ?? []).length && b.fieldType !== 'booleancheckbox') {
      throw hsError(400, 'VALIDATION_ERROR', 'Enumeration properties need options');
    }
    const now = ctx.state.stamp();
    const def = makeProperty(b.name, { label: b.label, type: b.type, fieldType: b.fieldType, groupName: b.groupName, hubspotDefined: false, hasUniqueValue: b.hasUniqueValue, options: b.options ? options(b.options) : undefined }, b.displayOrder ?? -1);
    def.description = b.description ?? '';
    def.createdAt = now;
    def.updatedAt = now;
    props.set(b.name, def);
    return { status: 201, body: def };
  });
  r.add('PATCH', `${base}/:propertyName`, (ctx) => {
    const type = objectType(ctx);
    const p = ctx.state.properties[type].get(ctx.params.propertyName ?? '');
    if (!p || p.archived) throw hsError(404, 'OBJECT_NOT_FOUND', `Unable to find property ${ctx.params.propertyName ?? ''}`);
    if (p.hubspotDefined) throw hsError(400, 'VALIDATION_ERROR', `Property ${p.name} is HubSpot defined and cannot be changed`);
    const b = parseBody(UpdateProperty, ctx.body);
    Object.assign(p, { ...b, options: b.options ? options(b.options) : p.options, updatedAt: ctx.state.stamp() });
    return { status: 200, body: p };
  });
  r.add('DELETE', `${base}/:propertyName`, (ctx) => {
    const p = ctx.state.properties[objectType(ctx)].get(ctx.params.propertyName ?? '');
    if (p && !p.hubspotDefined) p.archived = true;
    return { status: 204 };
  });
}
