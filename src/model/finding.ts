import { z } from 'zod';
import { DataCategory, IsoDateTime } from './common';

export const FindingKind = z.enum([
  'unlawful_field',
  'stale_record',
  'missing_consent',
  'no_lawful_basis',
  'residency',
  'suppressed_reappeared',
]);
export type FindingKind = z.infer<typeof FindingKind>;

export const ActionType = z.enum([
  'gdpr_delete',
  'anonymise',
  'clear_property',
  'redact_note',
  'delete_note',
  'set_lawful_basis',
  'unsubscribe',
  'set_status',
  'create_task',
  'none',
]);
export type ActionType = z.infer<typeof ActionType>;

export const Finding = z.object({
  /** Stable id: the same cause on the same contact yields the same id on every scan. */
  id: z.string().min(1),
  portalId: z.string().min(1),
  tenantId: z.string().min(1),
  contactId: z.string().nullable(),
  ruleId: z.string().min(1),
  kind: FindingKind,
  article: z.string().min(1),
  /** Property name, `note:<id>`, `consent:<purpose>` or null for record-level findings. */
  field: z.string().nullable(),
  category: DataCategory.nullable().default(null),
  purpose: z.string().nullable().default(null),
  /** Redacted: says what was found, never the value (e.g. `BSN ****.**.782`). */
  evidence: z.string(),
  message: z.string(),
  severity: z.enum(['high', 'medium', 'low']),
  proposedAction: ActionType,
  graceDays: z.number().int().nonnegative(),
  /** When the finding was first seen; the grace period counts from here. */
  firstSeenAt: IsoDateTime,
  dueAt: IsoDateTime,
});
export type Finding = z.infer<typeof Finding>;
