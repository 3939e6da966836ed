/**
 * Property value validation and normalisation as HubSpot does it on writes (reference §2): unknown names,
 * read-only values, enumeration options, numbers, booleans, ISO/epoch-ms dates; "" clears; a leading ";"
 * appends to a multi-checkbox.
 */
import { HttpError } from './http';
import { createdProp, modifiedProp, type SandboxState } from './state';
import type { CrmRecord, ObjectType } from './types';

export interface ValueError {
  name: string;
  code: string;
  message: string;
}

export function toEpochMs(v: string): number | null {
  if (/^-?\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

export function checkValues(
  state: SandboxState,
  type: ObjectType,
  input: Record<string, unknown>,
  existing: CrmRecord | null,
): { values: Record<string, string | null>; errors: ValueError[] } {
  const defs = state.properties[type];
  const values: Record<string, string | null> = {};
  const errors: ValueError[] = [];
  for (const [name, raw] of Object.entries(input)) {
    const def = defs.get(name);
    if (!def || def.archived) {
      errors.push({ name, code: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
      continue;
    }
    if (def.modificationMetadata.readOnlyValue || name === createdProp(type) || name === modifiedProp(type)) {
      errors.push({ name, code: 'READ_ONLY_VALUE', message: `"${name}" is a read only property; its value cannot be set.` });
      continue;
    }
    if (raw === null || raw === undefined || raw === '') {
      values[name] = null;
      continue;
    }
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      errors.push({ name, code: 'INVALID_VALUE', message: `${String(raw)} was not a valid value for ${name}` });
      continue;
    }
    const v = String(raw);
    switch (def.type) {
      case 'number':
        if (!/^-?\d+(\.\d+)?$/.test(v.trim())) errors.push({ name, code: 'INVALID_INTEGER', message: `${v} was not a valid number.` });
        else values[name] = v.trim();
        break;
      case 'bool':
        if (!/^(true|false)$/i.test(v)) errors.push({ name, code: 'INVALID_BOOLEAN', message: `${v} was not a valid boolean.` });
        else values[name] = v.toLowerCase();
        break;
      case 'datetime': {
        const ms = toEpochMs(v);
        if (ms === null) errors.push({ name, code: 'INVALID_DATE', message: `${v} was not a valid date-time.` });
        else values[name] = new Date(ms).toISOString();
        break;
      }
      case 'date': {
        const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : toEpochMs(v);
        if (ms === null || Number.isNaN(ms)) errors.push({ name, code: 'INVALID_DATE', message: `${v} was not a valid date.` });
        else if (ms % 86_400_000 !== 0) errors.push({ name, code: 'INVALID_DATE', message: `${v} is not midnight UTC.` });
        else values[name] = new Date(ms).toISOString().slice(0, 10);
        break;
      }
      case 'enumeration': {
        const append = def.fieldType === 'checkbox' && v.startsWith(';');
        const parts = v.split(';').filter((p) => p !== '');
        let allowed: Set<string> | null = def.options.length ? new Set(def.options.map((o) => o.value)) : null;
        if (name === 'hubspot_owner_id') allowed = new Set(state.owners.map((o) => o.id));
        const bad = allowed ? parts.filter((p) => !allowed.has(p)) : [];
        if (bad.length) {
          const code = name === 'hubspot_owner_id' ? 'INVALID_OWNER_ID' : 'INVALID_OPTION';
          errors.push({ name, code, message: `${bad.join(';')} was not one of the allowed options: [${[...(allowed ?? [])].join(', ')}]` });
          break;
        }
        if (def.fieldType !== 'checkbox' && parts.length > 1) {
          errors.push({ name, code: 'INVALID_OPTION', message: `${v} has more than one option for a single-select property.` });
          break;
        }
        if (append && existing?.properties[name]) {
          const cur = (existing.properties[name] as string).split(';').filter(Boolean);
          values[name] = [...new Set([...cur, ...parts])].join(';');
        } else values[name] = parts.join(';');
        break;
      }
      default:
        if (name === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) errors.push({ name, code: 'INVALID_EMAIL', message: `Email address ${v} is invalid` });
        else values[name] = v;
    }
  }
  return { values, errors };
}

/** HubSpot's 400 for invalid property values. */
export function validationError(state: SandboxState, errors: ValueError[], extraContext: Record<string, unknown> = {}): HttpError {
  const legacy = errors.map((e) => ({ isValid: false, message: e.message, error: e.code, name: e.name, localizedErrorMessage: e.message, portalId: state.portalId }));
  return new HttpError(400, {
    status: 'error',
    message: `Property values were not valid: ${JSON.stringify(legacy)}`,
    category: 'VALIDATION_ERROR',
    context: { propertyName: errors.map((e) => e.name), ...extraContext },
    errors: errors.map((e) => ({ message: e.message, code: e.code, context: { propertyName: [e.name] } })),
  });
}
