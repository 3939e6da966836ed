/**
 * Zod schemas for what HubSpot (through SDK 14) hands us. Validated at the boundary so a changed
 * or broken response fails with a field name instead of a confusing error deep in mapping.
 * Only the fields the connector uses are declared; the rest pass through.
 */
import { z } from 'zod';

const When = z.union([z.date(), z.string()]);

export const HsRecord = z.object({
  id: z.string().min(1),
  properties: z.record(z.string(), z.string().nullable().optional()).default({}),
  createdAt: When.optional(),
  updatedAt: When.optional(),
  archived: z.boolean().optional(),
  archivedAt: When.optional().nullable(),
});
export type HsRecord = z.infer<typeof HsRecord>;

export const HsPage = z.object({
  results: z.array(HsRecord),
  paging: z.object({ next: z.object({ after: z.string() }).optional() }).optional().nullable(),
  total: z.number().optional(),
});
export type HsPage = z.infer<typeof HsPage>;

/** Error `context` values are documented as string lists; anything else is dropped rather than failing the batch. */
const ErrorContext = z
  .record(z.string(), z.unknown())
  .transform((o) => Object.fromEntries(Object.entries(o).flatMap(([k, v]) => (Array.isArray(v) ? [[k, v.map(String)]] : []))) as Record<string, string[]>);

export const HsBatchError = z.object({
  status: z.string().optional(),
  category: z.string().optional(),
  message: z.string().optional(),
  context: ErrorContext.optional(),
  errors: z.array(z.object({ code: z.string().optional(), context: ErrorContext.optional() }).passthrough()).optional(),
});
export type HsBatchError = z.infer<typeof HsBatchError>;

export const HsBatchResponse = z.object({
  status: z.string().optional(),
  results: z.array(HsRecord).default([]),
  errors: z.array(HsBatchError).optional(),
  numErrors: z.number().optional(),
});
export type HsBatchResponse = z.infer<typeof HsBatchResponse>;

export const HsPropertyDef = z.object({
  name: z.string().min(1),
  label: z.string().default(''),
  type: z.string(),
  fieldType: z.string(),
  groupName: z.string().optional(),
  calculated: z.boolean().optional(),
  hubspotDefined: z.boolean().optional(),
  modificationMetadata: z.object({ readOnlyValue: z.boolean().optional() }).passthrough().optional(),
  options: z.array(z.object({ label: z.string(), value: z.string() }).passthrough()).optional(),
});
export type HsPropertyDef = z.infer<typeof HsPropertyDef>;

export const HsSubscriptionDefinition = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  name: z.string(),
  isActive: z.boolean().optional(),
});
export type HsSubscriptionDefinition = z.infer<typeof HsSubscriptionDefinition>;

/** `toObjectId` is a JSON number on the wire though the SDK types it as a string. */
const ObjectId = z.union([z.string(), z.number()]).transform(String);
export const HsAssociationTargets = z.array(z.object({ toObjectId: ObjectId }).passthrough()).default([]);
/** The SDK renames `from` to `_from` when it deserialises; accept both. */
export const HsAssociationBatch = z.object({
  results: z
    .array(
      z.preprocess(
        (r) => (r && typeof r === 'object' && !('from' in r) && '_from' in r ? { ...(r as object), from: (r as { _from: unknown })._from } : r),
        z.object({
        from: z.object({ id: ObjectId }),
        to: HsAssociationTargets,
        paging: z.object({ next: z.object({ after: z.string() }).optional() }).optional().nullable(),
        }),
      ),
    )
    .default([]),
  errors: z.array(HsBatchError).optional(),
});

export const HsAccountDetails = z.object({
  portalId: z.union([z.number(), z.string()]).transform(String),
  dataHostingLocation: z.string().min(1),
  uiDomain: z.string().optional(),
  accountType: z.string().optional(),
  timeZone: z.string().optional(),
});
export type HsAccountDetails = z.infer<typeof HsAccountDetails>;

/** HubSpot's error body (every field optional). */
export const HsErrorBody = z
  .object({
    status: z.string().optional(),
    message: z.string().optional(),
    category: z.string().optional(),
    errorType: z.string().optional(),
    policyName: z.string().optional(),
    correlationId: z.string().optional(),
  })
  .passthrough();
