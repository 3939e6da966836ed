/** Shared by the runtime tests: the real Redis (fail fast when absent), unique prefixes, cleanup, small real handlers. */
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import type { RateBudget } from '../../connectors/types';
import { assertRedisReachable, deletePrefix as deleteRedisPrefix } from '../../src/jobs/redis';
import type { PipelineHandlers, PortalSecrets } from '../../src/jobs/types';
import type { ChangeEvent, Vendor } from '../../src/model';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function requireRedis(url = REDIS_URL): Promise<void> {
  await assertRedisReachable(url); // throws "Redis is not reachable at ... Start Redis or set REDIS_URL."
}

export function uniquePrefix(label: string): string {
  return `test-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  await deleteRedisPrefix(prefix, url);
}

export interface Recorded {
  checks: { portalId: string; contactId: string; eventId: string }[];
  applies: { portalId: string; actionIds?: string[] }[];
  syncs: { portalId: string; mode: string }[];
  digests: string[];
}

export interface PortalEntry {
  vendor: Vendor;
  account: string;
  portalId: string;
  secrets: PortalSecrets;
}

/**
 * A small real pipeline: a portal table, and handlers that record what they were asked and spend one
 * budget unit per call. Behaviour per test through the hooks.
 */
export function recordingHandlers(
  portals: PortalEntry[],
  hooks: {
    check?: (portalId: string, contactId: string, event: ChangeEvent, budget: RateBudget) => Promise<{ findings: number; dueActionIds?: string[] }>;
    apply?: (portalId: string, budget: RateBudget, actionIds?: string[]) => Promise<{ done: number; failed: number; skipped: number }>;
  } = {},
): PipelineHandlers & { recorded: Recorded } {
  const recorded: Recorded = { checks: [], applies: [], syncs: [], digests: [] };
  return {
    recorded,
    async resolvePortal(vendor, account) {
      const p = portals.find((x) => x.vendor === vendor && x.account === account);
      return p ? { portalId: p.portalId, secrets: p.secrets } : null;
    },
    async checkContact(portalId, contactId, event, budget) {
      await budget.take();
      recorded.checks.push({ portalId, contactId, eventId: event.eventId });
      return hooks.check ? hooks.check(portalId, contactId, event, budget) : { findings: 0 };
    },
    async applyDue(portalId, budget, opts) {
      recorded.applies.push({ portalId, actionIds: opts.actionIds });
      if (hooks.apply) return hooks.apply(portalId, budget, opts.actionIds);
      await budget.take();
      return { done: opts.actionIds?.length ?? 0, failed: 0, skipped: 0 };
    },
    async syncPortal(portalId, mode, budget) {
      await budget.take();
      recorded.syncs.push({ portalId, mode });
      return { contacts: 0, findings: 0 };
    },
    async digest(portalId) {
      recorded.digests.push(portalId);
      return { text: `portal ${portalId}: 0 open findings` };
    },
    async listPortals() {
      return portals.map((p) => ({ portalId: p.portalId }));
    },
  };
}

/** Polls until `cond` holds (these tests wait on outcomes, not on durations). */
export async function eventually(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
