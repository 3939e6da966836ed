import { z } from 'zod';
import { Action, Contact, Finding, Plan } from '../model';

const SCHEMAS = { contact: Contact, finding: Finding, action: Action, plan: Plan } as const;
export type SchemaName = keyof typeof SCHEMAS;
export const SCHEMA_NAMES = Object.keys(SCHEMAS) as SchemaName[];

/** JSON Schema (draft 2020-12) of the input formats users write and the outputs they read. */
export function jsonSchemas(names: readonly SchemaName[] = ['contact', 'finding']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) out[n] = z.toJSONSchema(SCHEMAS[n], { io: 'input', unrepresentable: 'any' });
  return out;
}
