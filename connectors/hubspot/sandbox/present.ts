/** Renders records the way HubSpot answers them (SimplePublicObject / WithAssociations). */
import { ASSOCIATION_LABELS, createdProp, modifiedProp, type SandboxState } from './state';
import { OBJECT_TYPES, type CrmRecord, type ObjectType } from './types';

export const DEFAULT_PROPS: Record<ObjectType, string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  notes: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  tasks: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};

export interface PresentOpts {
  properties: string[] | null;
  withHistory?: string[] | null;
  associations?: string[] | null;
}

export function pickProperties(state: SandboxState, type: ObjectType, rec: CrmRecord, requested: string[] | null): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const defs = state.properties[type];
  const names = requested ? [createdProp(type), 'hs_object_id', modifiedProp(type), ...requested] : DEFAULT_PROPS[type];
  for (const n of names) {
    // Unknown names are ignored; known but empty ones come back as null.
    if (!defs.has(n) && !(n in rec.properties)) continue;
    out[n] = rec.properties[n] ?? null;
  }
  return out;
}

export function toObjectType(s: string): ObjectType | null {
  const alias: Record<string, ObjectType> = { contact: 'contacts', note: 'notes', task: 'tasks', '0-1': 'contacts', '0-46': 'notes', '0-27': 'tasks' };
  const t = (OBJECT_TYPES as readonly string[]).includes(s) ? (s as ObjectType) : alias[s];
  return t ?? null;
}

export function present(state: SandboxState, type: ObjectType, rec: CrmRecord, o: PresentOpts): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: rec.id,
    properties: pickProperties(state, type, rec, o.properties),
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    archived: rec.archived,
  };
  if (rec.archived && rec.archivedAt) out.archivedAt = rec.archivedAt;
  if (o.withHistory && o.withHistory.length) {
    const hist: Record<string, unknown[]> = {};
    for (const n of o.withHistory) {
      const v = rec.properties[n];
      if (v === undefined || v === null) continue;
      // The sandbox keeps current values only: one history entry per property.
      hist[n] = [{ value: v, timestamp: rec.updatedAt, sourceType: 'API', sourceId: 'sandbox' }];
    }
    out.propertiesWithHistory = hist;
  }
  if (o.associations && o.associations.length) {
    const assoc: Record<string, unknown> = {};
    for (const a of o.associations) {
      const toType = toObjectType(a);
      if (!toType || toType === type) continue;
      const ids = state.associatedIds(type, rec.id, toType);
      if (ids.length === 0) continue;
      const label = ASSOCIATION_LABELS[`${type}->${toType}`] ?? `${type}_to_${toType}`;
      assoc[toType] = { results: ids.map((id) => ({ id, type: label })) };
    }
    if (Object.keys(assoc).length) out.associations = assoc;
  }
  return out;
}
