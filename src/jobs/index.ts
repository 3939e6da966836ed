export * from './types';
export { startWorkers, type StartWorkersOptions, type WorkerRuntime } from './workers';
export { openQueues, intakeEvents, jobIds, dedupeKey, DEFAULT_PREFIX, DEFAULT_JOB_OPTIONS, type QueueSet, type IntakeResult } from './queues';
export { createRedisRateBudget, BudgetWaitTooLong, type BudgetLimits, type RedisRateBudget } from './rate-budget';
export { defaultBudgetLimits } from './limits';
export { syncPortalSchedules, removePortalSchedules, enqueueScheduledRun, schedulerId, SCHEDULE_KINDS, type ScheduleKind } from './schedules';
export { assertRedisReachable, DEFAULT_REDIS_URL } from './redis';
export { postDigestWebhook } from './digest-webhook';
