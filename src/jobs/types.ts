/**
 * The contract between the runtime (queues, workers, webhooks, Lambda) and the pipeline. The runtime
 * holds no business logic: every decision about contacts, findings and actions is the pipeline's,
 * reached through these handlers.
 */
import { z } from 'zod';
import type { RateBudget } from '../../connectors/types';
import { ChangeEvent, type Vendor } from '../model';

export interface PortalSecrets {
  /** HubSpot app client secret (signs webhook deliveries). */
  hubspotClientSecret?: string;
  /** The `token` registered with the Zoho notification channel. */
  zohoChannelToken?: string;
  /** Zoho channel id, when the token should only be accepted on that channel. */
  zohoChannelId?: string;
  /** Salesforce org id allowed to send outbound messages for this portal. */
  salesforceOrgId?: string;
}

/** Cron patterns per portal (BullMQ job schedulers); omitted entries use DEFAULT_SCHEDULE. */
export const PortalSchedule = z.object({
  incremental: z.string().min(9).optional(),
  full: z.string().min(9).optional(),
  applyDue: z.string().min(9).optional(),
  digest: z.string().min(9).optional(),
  /** IANA time zone the patterns are read in (default UTC). */
  tz: z.string().min(1).optional(),
  /** False stops every schedule of this portal. */
  enabled: z.boolean().optional(),
});
export type PortalSchedule = z.infer<typeof PortalSchedule>;

export const DEFAULT_SCHEDULE = {
  /** Nightly incremental scan. */
  incremental: '0 2 * * *',
  /** Weekly full scan (Sunday night). */
  full: '0 3 * * 0',
  /** Hourly: execute actions whose grace period has ended. */
  applyDue: '15 * * * *',
  /** Daily digest for the ops team. */
  digest: '0 7 * * *',
} as const;

export interface PipelineHandlers {
  syncPortal(portalId: string, mode: 'incremental' | 'full', budget: RateBudget): Promise<{ contacts: number; findings: number }>;
  /**
   * Re-checks one contact after a change. `dueActionIds`: actions that are due now (e.g. a task for the
   * owner); the runtime queues an apply job for exactly those.
   */
  checkContact(portalId: string, contactId: string, event: ChangeEvent, budget: RateBudget): Promise<{ findings: number; dueActionIds?: string[] }>;
  /** Executes due actions (all of the portal's, or only `actionIds`). Must be idempotent per action. */
  applyDue(portalId: string, budget: RateBudget, opts: { actionIds?: string[] }): Promise<{ done: number; failed: number; skipped: number }>;
  digest(portalId: string): Promise<{ text: string }>;
  resolvePortal(vendor: Vendor, vendorAccountId: string): Promise<{ portalId: string; secrets: PortalSecrets } | null>;
  /** Portals to schedule (and their settings); used by startWorkers({ schedules: true }) and the Lambda scheduler. */
  listPortals?(): Promise<{ portalId: string; schedule?: PortalSchedule }[]>;
}

export const QUEUE_NAMES = { sync: 'sync', evaluate: 'evaluate', apply: 'apply', notify: 'notify' } as const;
export type QueueName = keyof typeof QUEUE_NAMES;

export const SyncJob = z.object({ portalId: z.string().min(1), mode: z.enum(['incremental', 'full']) });
export type SyncJob = z.infer<typeof SyncJob>;
export const EvaluateJob = z.object({ portalId: z.string().min(1), event: ChangeEvent });
export type EvaluateJob = z.infer<typeof EvaluateJob>;
export const ApplyJob = z.object({ portalId: z.string().min(1), actionIds: z.array(z.string().min(1)).min(1).optional() });
export type ApplyJob = z.infer<typeof ApplyJob>;
export const NotifyJob = z.object({ portalId: z.string().min(1), kind: z.literal('digest') });
export type NotifyJob = z.infer<typeof NotifyJob>;

/** Structured log line: ids and counts only, never personal values. */
export type Logger = (event: string, fields?: Record<string, string | number | boolean | undefined>) => void;

export const stderrLogger: Logger = (event, fields = {}) => {
  process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), event, ...fields })}\n`);
};
export const silentLogger: Logger = () => {};
