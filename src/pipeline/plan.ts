import type { Plan } from '../model';
import type { LoadedPolicy } from '../policy/load';
import type { Store } from '../store';

/** The plan for a portal as of `now`: open actions due now, and destructive ones still in their grace period. */
export async function buildPlan(store: Store, portalId: string, loaded: LoadedPolicy, now: Date): Promise<Plan> {
  const portal = await store.getPortal(portalId);
  if (!portal) throw new Error(`unknown portal ${portalId}: run "gdpr-crm scan" for it first`);
  const open = await store.listOpenActions(portalId);
  const nowIso = now.toISOString();
  const byDue = (a: { dueAt: string; id: string }, b: { dueAt: string; id: string }) => (a.dueAt === b.dueAt ? a.id.localeCompare(b.id) : a.dueAt.localeCompare(b.dueAt));
  return {
    version: 1,
    createdAt: nowIso,
    portalId,
    tenantId: portal.tenantId,
    policy: { id: loaded.pack.id, version: loaded.pack.version, sha256: loaded.sha256 },
    actions: open.filter((a) => a.dueAt <= nowIso).sort(byDue),
    pending: open.filter((a) => a.dueAt > nowIso).sort(byDue),
  };
}
