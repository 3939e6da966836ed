import { z } from 'zod';
import { IsoDateTime, LawfulBasis } from './common';

/** Named anonymisation strategies (DESIGN: a small configured set). */
export const AnonymiseStrategy = z.enum(['clear', 'fixed_text', 'unique_email', 'keyed_hash']);
export type AnonymiseStrategy = z.infer<typeof AnonymiseStrategy>;

const base = {
  /** Stable id: (portal, contact, type, target) so re-planning yields the same id and apply is idempotent. */
  id: z.string().min(1),
  portalId: z.string().min(1),
  tenantId: z.string().min(1),
  contactId: z.string().min(1),
  findingIds: z.array(z.string()).min(1),
  ruleIds: z.array(z.string()).min(1),
  dueAt: IsoDateTime,
  destructive: z.boolean(),
};

export const Action = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('gdpr_delete') }),
  z.object({
    ...base,
    type: z.literal('anonymise'),
    /** property name -> strategy */
    properties: z.record(z.string(), AnonymiseStrategy),
    notes: z.enum(['delete', 'redact', 'keep']).default('delete'),
  }),
  z.object({ ...base, type: z.literal('clear_property'), property: z.string().min(1) }),
  z.object({
    ...base,
    type: z.literal('redact_note'),
    noteId: z.string().min(1),
    categories: z.array(z.string()),
    /** Filled in memory at apply time from the note as it is then (never written to plans or the store). */
    redactedBody: z.string().optional(),
  }),
  z.object({ ...base, type: z.literal('delete_note'), noteId: z.string().min(1) }),
  z.object({ ...base, type: z.literal('set_lawful_basis'), purpose: z.string(), basis: LawfulBasis }),
  z.object({ ...base, type: z.literal('unsubscribe'), subscriptionId: z.string().min(1), purpose: z.string() }),
  z.object({
    ...base,
    type: z.literal('set_status'),
    /** Our own status properties, e.g. gdpr_status, gdpr_next_action_at. */
    values: z.record(z.string(), z.string()),
  }),
  z.object({
    ...base,
    type: z.literal('create_task'),
    subject: z.string().min(1),
    body: z.string(),
    ownerId: z.string().nullable(),
  }),
  z.object({
    ...base,
    /**
     * Closes a task we created (a done create_task) once a finding it names has resolved: the vendor's
     * task is marked completed and `comment` appended (rule ids, finding kinds and categories, dates;
     * never personal values). A task already closed or deleted in the CRM is nothing to do.
     */
    type: z.literal('close_task'),
    /** The vendor's task id (the create_task result's vendorRef). */
    taskId: z.string().min(1),
    /** The create_task action that made the task. */
    taskActionId: z.string().min(1),
    comment: z.string().min(1),
  }),
]);
export type Action = z.infer<typeof Action>;
/** Action types include close_task, which is never a rule's proposed action (not in ActionType). */
export type ActionOf<T extends Action['type']> = Extract<Action, { type: T }>;

export const ActionResult = z.object({
  actionId: z.string(),
  status: z.enum(['done', 'skipped', 'failed']),
  /** Vendor error category/message with no personal values, or why it was skipped. */
  detail: z.string().optional(),
  vendorRef: z.string().optional(),
});
export type ActionResult = z.infer<typeof ActionResult>;

export const Plan = z.object({
  version: z.literal(1),
  createdAt: IsoDateTime,
  portalId: z.string(),
  tenantId: z.string(),
  policy: z.object({ id: z.string(), version: z.string(), sha256: z.string() }),
  /** Actions due now (or whose grace period has passed). */
  actions: z.array(Action),
  /** Destructive actions still waiting out their grace period (informational; apply skips them). */
  pending: z.array(Action),
});
export type Plan = z.infer<typeof Plan>;
