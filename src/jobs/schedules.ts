/**
 * Per-portal schedules as BullMQ job schedulers (stored in Redis, so any number of worker processes
 * share one schedule and a job fires once): incremental scan nightly, full scan weekly, due actions
 * hourly (grace periods that ended), digest daily. Upserting is idempotent; a changed setting
 * replaces the old pattern.
 */
import type { QueueSet } from './queues';
import { DEFAULT_SCHEDULE, PortalSchedule } from './types';

export type ScheduleKind = keyof typeof DEFAULT_SCHEDULE;
export const SCHEDULE_KINDS = Object.keys(DEFAULT_SCHEDULE) as ScheduleKind[];

/** Scheduler ids are per portal and kind; portal ids contain ':' which ids must not. */
export function schedulerId(portalId: string, kind: ScheduleKind): string {
  return `${kind}-${encodeURIComponent(portalId)}`;
}

export async function syncPortalSchedules(qs: QueueSet, portalId: string, input: PortalSchedule = {}): Promise<void> {
  const s = PortalSchedule.parse(input);
  if (s.enabled === false) {
    await removePortalSchedules(qs, portalId);
    return;
  }
  const pattern = (k: ScheduleKind) => ({ pattern: s[k] ?? DEFAULT_SCHEDULE[k], ...(s.tz ? { tz: s.tz } : {}) });
  await qs.sync.upsertJobScheduler(schedulerId(portalId, 'incremental'), pattern('incremental'), { name: 'sync', data: { portalId, mode: 'incremental' } });
  await qs.sync.upsertJobScheduler(schedulerId(portalId, 'full'), pattern('full'), { name: 'sync', data: { portalId, mode: 'full' } });
  await qs.apply.upsertJobScheduler(schedulerId(portalId, 'applyDue'), pattern('applyDue'), { name: 'apply', data: { portalId } });
  await qs.notify.upsertJobScheduler(schedulerId(portalId, 'digest'), pattern('digest'), { name: 'digest', data: { portalId, kind: 'digest' } });
}

export async function removePortalSchedules(qs: QueueSet, portalId: string): Promise<void> {
  await qs.sync.removeJobScheduler(schedulerId(portalId, 'incremental'));
  await qs.sync.removeJobScheduler(schedulerId(portalId, 'full'));
  await qs.apply.removeJobScheduler(schedulerId(portalId, 'applyDue'));
  await qs.notify.removeJobScheduler(schedulerId(portalId, 'digest'));
}

/**
 * For runtimes without long-running workers to materialise schedulers (the Lambda scheduler function):
 * queue one run of `kind` for each portal now, with a job id per portal and period so a repeated
 * trigger in the same period adds nothing.
 */
export async function enqueueScheduledRun(qs: QueueSet, portalIds: readonly string[], kind: ScheduleKind, now = Date.now()): Promise<number> {
  const period = kind === 'applyDue' ? 3_600_000 : 86_400_000;
  const slot = Math.floor(now / period);
  let added = 0;
  for (const portalId of portalIds) {
    const jobId = `${schedulerId(portalId, kind)}-${slot}`.replace(/%/g, '_');
    if (kind === 'incremental' || kind === 'full') await qs.sync.add('sync', { portalId, mode: kind }, { jobId });
    else if (kind === 'applyDue') await qs.apply.add('apply', { portalId }, { jobId });
    else await qs.notify.add('digest', { portalId, kind: 'digest' }, { jobId });
    added++;
  }
  return added;
}
