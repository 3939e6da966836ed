import { z } from 'zod';
import { ActionType, AnonymiseStrategy, DataCategory, LawfulBasis } from '../model';
import { parsePeriod } from './duration';

const Period = z.string().refine((s) => parsePeriod(s) !== null, {
  message: 'expected an ISO-8601 period such as P3Y, P18M or P30D',
});

/** The event a retention period counts from. */
export const RetentionEvent = z.enum([
  'last_activity',
  'relationship_end',
  'created',
  'last_modified',
  'consent_withdrawn',
]);

export const Purpose = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lower_snake_case id'),
    description: z.string().optional(),
    lawfulBasis: LawfulBasis,
    /** When true, a consent-based purpose needs Art. 9(2)(a) explicit consent (special categories). */
    explicitConsent: z.boolean().default(false),
    /** Which contacts the purpose covers; omitted = everyone. */
    appliesTo: z
      .object({ lifecycle: z.array(z.string()).optional(), minAge: z.number().int().optional() })
      .strict()
      .optional(),
    /** How we see the purpose is in use for a contact. */
    usedWhen: z
      .object({
        /** Subscription names (case-insensitive) that mean this purpose, e.g. Newsletter. */
        subscriptions: z.array(z.string()).default([]),
        /** Properties whose non-empty value means this purpose is in use (e.g. a lead score for profiling). */
        properties: z.array(z.string()).default([]),
        /** Always in use for contacts it applies to (e.g. customer administration). */
        always: z.boolean().default(false),
      })
      .strict()
      .default({ subscriptions: [], properties: [], always: false }),
    /** Legitimate interest for marketing needs an easy opt-out offered (Telecommunicatiewet 11.7). */
    requiresOptOutOffered: z.boolean().default(false),
    retention: z
      .object({ period: Period, after: RetentionEvent })
      .strict()
      .optional(),
    /** Data categories and property names this purpose needs (Art. 5(1)(c)). */
    needs: z
      .object({
        categories: z.array(DataCategory).default([]),
        properties: z.array(z.string()).default([]),
      })
      .strict()
      .default({ categories: [], properties: [] }),
    /** Categories a law requires us to keep for this purpose (e.g. BSN for payroll, Wet op de loonbelasting). */
    legalObligation: z
      .object({ categories: z.array(DataCategory).min(1), law: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();
export type Purpose = z.infer<typeof Purpose>;

export const RuleId = z.enum([
  'special-category-field',
  'special-category-note',
  'bsn-field',
  'bsn-note',
  'other-identifier-note',
  'subjective-note',
  'unneeded-field',
  'retention-no-activity',
  'retention-purpose-expired',
  'consent-missing',
  'consent-no-evidence',
  'consent-pre-ticked',
  'consent-withdrawn-still-used',
  'consent-minor-no-parental',
  'consent-optout-contradiction',
  'no-lawful-basis',
  'residency-no-transfer-mechanism',
  'suppressed-reappeared',
]);
export type RuleId = z.infer<typeof RuleId>;

export const RuleConfig = z
  .object({
    enabled: z.boolean().default(true),
    action: ActionType,
    graceDays: z.number().int().min(0).max(3650),
    severity: z.enum(['high', 'medium', 'low']).default('medium'),
    /** Only for retention-no-activity: how long without activity counts as stale. */
    period: Period.optional(),
  })
  .strict();
export type RuleConfig = z.infer<typeof RuleConfig>;

export const PolicyPack = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-kebab-case id'),
    version: z.string().min(1),
    name: z.string().min(1),
    description: z.string().optional(),
    extends: z.string().optional(),
    /** Age under which consent needs a parent (Art. 8; NL: 16). */
    minorAge: z.number().int().min(13).max(16).default(16),
    /** property name or glob (`*` wildcard, case-insensitive) -> data category. */
    properties: z.record(z.string(), DataCategory).default({}),
    /** Categories that are never needed by any purpose unless a purpose's legalObligation lists them. */
    forbiddenCategories: z.array(DataCategory).default(['national_id']),
    /** Categories always allowed (record-keeping). */
    alwaysAllowedCategories: z.array(DataCategory).default(['system', 'consent']),
    purposes: z.array(Purpose).min(1),
    rules: z.partialRecord(RuleId, RuleConfig),
    anonymise: z
      .object({
        /** Categories overwritten when a record is anonymised. */
        categories: z.array(DataCategory).min(1),
        strategies: z.partialRecord(DataCategory, AnonymiseStrategy).default({}),
        notes: z.enum(['delete', 'redact', 'keep']).default('delete'),
      })
      .strict(),
    /** Which note detector categories count as which kind of finding. */
    tasks: z
      .object({
        /** Owner id to assign tasks to when a contact has no owner (ops queue). */
        fallbackOwnerId: z.string().nullable().default(null),
      })
      .strict()
      .default({ fallbackOwnerId: null }),
  })
  .strict()
  .superRefine((pack, ctx) => {
    const ids = new Set<string>();
    pack.purposes.forEach((p, i) => {
      if (ids.has(p.id)) ctx.addIssue({ code: 'custom', path: ['purposes', i, 'id'], message: `duplicate purpose id "${p.id}"` });
      ids.add(p.id);
      if (p.lawfulBasis === 'legal_obligation' && !p.legalObligation) {
        ctx.addIssue({ code: 'custom', path: ['purposes', i, 'legalObligation'], message: 'a legal_obligation purpose must name the law' });
      }
    });
    const stale = pack.rules['retention-no-activity'];
    if (stale && stale.enabled && !stale.period) {
      ctx.addIssue({ code: 'custom', path: ['rules', 'retention-no-activity', 'period'], message: 'required: how long without activity is stale, e.g. P3Y' });
    }
  });
export type PolicyPack = z.infer<typeof PolicyPack>;
