/**
 * The real PipelineHandlers (src/jobs/types.ts) on top of the pipeline: the queue workers, the webhook
 * routes and the Lambda scheduler call these, and these call runScan, evaluateContact, planContact,
 * buildPlan and applyPlan. Nothing here decides about contacts that the pipeline does not already
 * decide in a scan; this module only does for one contact (a webhook) what a scan does per page.
 *
 * Portal secrets are not stored: they come from the environment (see secretsFromEnv and README.md).
 */
import { z } from 'zod';
import type { Connector, RateBudget } from '../../connectors/types';
import { sameOrg } from '../../webhooks/salesforce';
import { appendAudit } from '../audit';
import { table } from '../cli/table';
import type { PipelineHandlers, PortalSchedule, PortalSecrets } from '../jobs/types';
import { silentLogger, type Logger } from '../jobs/types';
import { Plan, type Action, type ChangeEvent, type Contact, type Portal, type Vendor } from '../model';
import { applyPlan, type ApplySummary } from '../pipeline/apply';
import { buildPlan } from '../pipeline/plan';
import { propertiesToFetch } from '../pipeline/properties';
import { runScan } from '../pipeline/scan';
import { compilePolicy, type CompiledPolicy } from '../policy/compile';
import { evaluateContact } from '../policy/evaluate';
import type { LoadedPolicy } from '../policy/load';
import { actionId, planContact } from '../policy/plan';
import type { Store } from '../store';

export interface PipelineHandlersOptions {
  store: Store;
  /** The policy pack a portal is evaluated with (loadPolicy(...)); compiled once per pack version. */
  policyFor(portalId: string): LoadedPolicy | Promise<LoadedPolicy>;
  /** A connector for the portal that spends `budget` (the worker's Redis-shared budget) on every request. */
  connectorFor(portal: Portal, budget: RateBudget): Connector | Promise<Connector>;
  /** Clock (tests, benchmarks); default the wall clock. */
  now?: () => Date | number;
  /** Who the audit log names, e.g. `worker:<host>`. */
  actor: string;
  /** Webhook secrets of a portal; default secretsFromEnv(process.env). */
  secretsFor?(portal: Portal): PortalSecrets;
  /** Schedule settings of a portal (cron patterns); default DEFAULT_SCHEDULE. */
  scheduleFor?(portal: Portal): PortalSchedule | undefined;
  /** Where scans write their JSON report (default: none). */
  reportDir?: string;
  /**
   * Connectors are reused per portal and budget (they cache the portal's property definitions);
   * after this long a fresh one is made, so new custom properties are seen (default 10 min).
   */
  connectorTtlMs?: number;
  /** resolvePortal reads the store's portals at most this often (default 30 s; a miss re-reads after 2 s). */
  portalCacheMs?: number;
  logger?: Logger;
}

export interface RuntimePipelineHandlers extends PipelineHandlers {
  listPortals: NonNullable<PipelineHandlers['listPortals']>;
  /** Closes the cached connectors (not the store, which the caller owns). */
  close(): Promise<void>;
}

// ---- secrets from the environment ------------------------------------------------------------------

const Secret = z.string().trim().min(1).optional();
const SecretsEnv = z.object({
  HUBSPOT_CLIENT_SECRET: Secret,
  ZOHO_CHANNEL_TOKEN: Secret,
  ZOHO_CHANNEL_ID: Secret,
  SALESFORCE_ORG_IDS: z
    .string()
    .optional()
    .transform((s) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/, 'SALESFORCE_ORG_IDS: each entry must be a 15- or 18-character org id (00D...)'))),
});

/** `HUBSPOT_CLIENT_SECRET_<ACCOUNT>`: the account id upper-cased, anything but letters and digits as `_`. */
export function accountEnvSuffix(vendorAccountId: string): string {
  return vendorAccountId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * A portal's webhook secrets from environment variables (a per-account variable wins over the shared one):
 * - HUBSPOT_CLIENT_SECRET[_<portal id>]: the app's client secret, which signs HubSpot deliveries;
 * - ZOHO_CHANNEL_TOKEN[_<org id>] and optionally ZOHO_CHANNEL_ID[_<org id>]: the notification channel's token;
 * - SALESFORCE_ORG_IDS: comma-separated org ids allowed to send outbound messages; a Salesforce portal
 *   whose org is not listed gets no org id, so its messages are refused (403).
 */
export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): (portal: Portal) => PortalSecrets {
  const parsed = SecretsEnv.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; ')}`);
  }
  const shared = parsed.data;
  const own = (name: string, portal: Portal): string | undefined => {
    const v = env[`${name}_${accountEnvSuffix(portal.vendorAccountId)}`]?.trim();
    return v ? v : undefined;
  };
  return (portal) => {
    switch (portal.vendor) {
      case 'hubspot':
        return { hubspotClientSecret: own('HUBSPOT_CLIENT_SECRET', portal) ?? shared.HUBSPOT_CLIENT_SECRET };
      case 'zoho':
        return { zohoChannelToken: own('ZOHO_CHANNEL_TOKEN', portal) ?? shared.ZOHO_CHANNEL_TOKEN, zohoChannelId: own('ZOHO_CHANNEL_ID', portal) ?? shared.ZOHO_CHANNEL_ID };
      case 'salesforce':
        return { salesforceOrgId: shared.SALESFORCE_ORG_IDS.find((o) => sameOrg(o, portal.vendorAccountId)) };
    }
  };
}

// ---- small helpers ---------------------------------------------------------------------------------

/** Serialises work per key within this process (e.g. one contact checked by one job at a time). */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();
  async run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort(); // one global order: no deadlock between overlapping key sets
    const releases: (() => void)[] = [];
    try {
      for (const k of sorted) {
        const prev = this.tails.get(k) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((r) => (release = r));
        const tail = prev.then(() => mine);
        this.tails.set(k, tail);
        releases.push(() => {
          release();
          if (this.tails.get(k) === tail) this.tails.delete(k);
        });
        await prev;
      }
      return await fn();
    } finally {
      for (const r of releases.reverse()) r();
    }
  }
}

interface ConnectorEntry {
  connector: Promise<Connector>;
  createdAt: number;
  inUse: number;
  retired: boolean;
}

const OPEN_STATES = new Set(['planned', 'failed', 'running']);
const GONE_KINDS: ReadonlySet<ChangeEvent['kind']> = new Set(['deleted', 'privacy_deleted']);

/** The plan for exactly these actions: those of the portal that are still open and due at `now`. */
export async function planForActions(store: Store, portal: Portal, loaded: LoadedPolicy, actionIds: readonly string[], now: Date): Promise<{ plan: Plan; notOpen: number }> {
  const nowIso = now.toISOString();
  const actions: Action[] = [];
  const pending: Action[] = [];
  let notOpen = 0;
  for (const id of [...new Set(actionIds)].sort()) {
    const rec = await store.getAction(id);
    if (!rec || rec.action.portalId !== portal.id || !OPEN_STATES.has(rec.state)) {
      notOpen++;
      continue;
    }
    (rec.action.dueAt <= nowIso ? actions : pending).push(rec.action);
  }
  const byDue = (a: Action, b: Action) => (a.dueAt === b.dueAt ? a.id.localeCompare(b.id) : a.dueAt.localeCompare(b.dueAt));
  const plan = Plan.parse({
    version: 1,
    createdAt: nowIso,
    portalId: portal.id,
    tenantId: portal.tenantId,
    policy: { id: loaded.pack.id, version: loaded.pack.version, sha256: loaded.sha256 },
    actions: actions.sort(byDue),
    pending: pending.sort(byDue),
  });
  return { plan, notOpen: notOpen + pending.length };
}

/** A digest for the ops team: counts per rule and the dates actions run. Rule ids, counts and dates only. */
export async function portalDigest(store: Store, portal: Portal, now: Date): Promise<string> {
  const findings = await store.listOpenFindings(portal.id);
  const actions = await store.listOpenActions(portal.id);
  const nowIso = now.toISOString();
  const day = (iso: string) => iso.slice(0, 10);
  const lines: string[] = [`GDPR digest for portal ${portal.id} (tenant ${portal.tenantId}), ${nowIso.slice(0, 16).replace('T', ' ')} UTC`];
  if (findings.length === 0 && actions.length === 0) {
    lines.push('', 'No open findings and no pending actions.');
    return `${lines.join('\n')}\n`;
  }
  const contacts = new Set(findings.map((f) => f.contactId ?? '(portal)'));
  lines.push('', `${findings.length} open finding(s) on ${contacts.size} record(s).`);

  const byRule = new Map<string, { article: string; count: number; high: number; nextDue: string }>();
  for (const f of findings) {
    const r = byRule.get(f.ruleId) ?? { article: f.article, count: 0, high: 0, nextDue: f.dueAt };
    r.count++;
    if (f.severity === 'high') r.high++;
    if (f.dueAt < r.nextDue) r.nextDue = f.dueAt;
    byRule.set(f.ruleId, r);
  }
  if (byRule.size > 0) {
    const rows = [...byRule].sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b)).map(([rule, r]) => [rule, r.article, r.count, r.high, day(r.nextDue)]);
    lines.push('', 'Open findings by rule:', table(['rule', 'article', 'findings', 'high', 'first due'], rows));
  }

  const scheduled = actions.filter((a) => a.destructive && a.dueAt > nowIso);
  if (scheduled.length > 0) {
    const byType = new Map<string, { count: number; first: string; last: string }>();
    for (const a of scheduled) {
      const t = byType.get(a.type) ?? { count: 0, first: a.dueAt, last: a.dueAt };
      t.count++;
      if (a.dueAt < t.first) t.first = a.dueAt;
      if (a.dueAt > t.last) t.last = a.dueAt;
      byType.set(a.type, t);
    }
    const perDay = new Map<string, number>();
    for (const a of scheduled) perDay.set(day(a.dueAt), (perDay.get(day(a.dueAt)) ?? 0) + 1);
    lines.push(
      '',
      'Scheduled actions (run on their date unless the cause is resolved first):',
      table(['action', 'count', 'first on', 'last on'], [...byType].sort(([a], [b]) => a.localeCompare(b)).map(([type, t]) => [type.replace(/_/g, ' '), t.count, day(t.first), day(t.last)])),
      '',
      'Next dates:',
      ...[...perDay].sort(([a], [b]) => a.localeCompare(b)).slice(0, 7).map(([d, n]) => `  ${d}: ${n} action(s)`),
    );
  }
  const dueNow = actions.filter((a) => a.dueAt <= nowIso);
  const failed = (await Promise.all(dueNow.map((a) => store.getActionState(a.id)))).filter((s) => s === 'failed').length;
  if (dueNow.length > 0) lines.push('', `${dueNow.length} action(s) due now; they run at the next apply.${failed > 0 ? ` ${failed} of them failed before and are retried.` : ''}`);
  return `${lines.join('\n')}\n`;
}

// ---- the handlers ----------------------------------------------------------------------------------

export function createPipelineHandlers(opts: PipelineHandlersOptions): RuntimePipelineHandlers {
  const { store } = opts;
  const log = opts.logger ?? silentLogger;
  const clock = (): Date => {
    const t = opts.now ? opts.now() : new Date();
    return typeof t === 'number' ? new Date(t) : t;
  };
  const secretsFor = opts.secretsFor ?? secretsFromEnv(process.env);
  const ttl = opts.connectorTtlMs ?? 600_000;
  const portalCacheMs = opts.portalCacheMs ?? 30_000;

  // Policies: compiled once per pack version.
  const compiled = new Map<string, CompiledPolicy>();
  const policyOf = async (portalId: string): Promise<{ loaded: LoadedPolicy; policy: CompiledPolicy }> => {
    const loaded = await opts.policyFor(portalId);
    let policy = compiled.get(loaded.sha256);
    if (!policy) compiled.set(loaded.sha256, (policy = compilePolicy(loaded.pack)));
    return { loaded, policy };
  };

  const portalOf = async (portalId: string): Promise<Portal> => {
    const p = await store.getPortal(portalId);
    if (!p) throw new Error(`unknown portal ${portalId}: run "gdpr-crm scan" for it first`);
    return p;
  };

  // Connectors: one per (budget, portal), replaced after `ttl`; a replaced one closes when its last user is done.
  const connectors = new WeakMap<RateBudget, Map<string, ConnectorEntry>>();
  const live = new Set<ConnectorEntry>();
  const closeEntry = (e: ConnectorEntry) => {
    live.delete(e);
    void e.connector.then((c) => c.close?.()).catch(() => undefined);
  };
  const withConnector = async <T>(portal: Portal, budget: RateBudget, fn: (c: Connector) => Promise<T>): Promise<T> => {
    let byPortal = connectors.get(budget);
    if (!byPortal) connectors.set(budget, (byPortal = new Map()));
    let e = byPortal.get(portal.id);
    if (e && Date.now() - e.createdAt > ttl) {
      e.retired = true;
      if (e.inUse === 0) closeEntry(e);
      e = undefined;
    }
    if (!e) {
      const entry: ConnectorEntry = { connector: Promise.resolve(opts.connectorFor(portal, budget)), createdAt: Date.now(), inUse: 0, retired: false };
      entry.connector.catch(() => byPortal!.get(portal.id) === entry && byPortal!.delete(portal.id));
      byPortal.set(portal.id, entry);
      live.add(entry);
      e = entry;
    }
    e.inUse++;
    try {
      return await fn(await e.connector);
    } finally {
      e.inUse--;
      if (e.retired && e.inUse === 0) closeEntry(e);
    }
  };

  // resolvePortal is on the webhook path: portals from a short-lived cache, re-read on a miss.
  let portalList: { at: number; portals: Portal[] } | null = null;
  let portalLoad: Promise<Portal[]> | null = null;
  const loadPortals = (): Promise<Portal[]> =>
    (portalLoad ??= store
      .listPortals()
      .then((portals) => {
        portalList = { at: Date.now(), portals };
        return portals;
      })
      .finally(() => {
        portalLoad = null;
      }));
  const findPortal = (portals: Portal[], vendor: Vendor, account: string) =>
    portals.find((p) => p.vendor === vendor && (vendor === 'salesforce' ? sameOrg(p.vendorAccountId, account) : p.vendorAccountId === account));

  const checkLock = new KeyedMutex();
  const applyLock = new KeyedMutex();

  const handlers: RuntimePipelineHandlers = {
    async syncPortal(portalId, mode, budget) {
      const portal = await portalOf(portalId);
      const { policy } = await policyOf(portalId);
      const s = await withConnector(portal, budget, (connector) =>
        runScan({
          store,
          connector,
          policy,
          tenantId: portal.tenantId,
          mode,
          now: clock(),
          transferMechanism: portal.transferMechanism,
          reportDir: opts.reportDir,
          actor: opts.actor,
        }),
      );
      log('pipeline.sync', { portalId, mode, contacts: s.contacts, findings: s.findings, newFindings: s.newFindings, resolved: s.resolvedFindings });
      return { contacts: s.contacts, findings: s.findings };
    },

    async checkContact(portalId, contactId, event, budget) {
      z.string().min(1).parse(contactId);
      const portal = await portalOf(portalId);
      const { policy } = await policyOf(portalId);
      return checkLock.run([`${portalId}|${contactId}`], async () => {
        const now = clock();
        const nowMs = now.getTime();
        const scanAt = now.toISOString();
        let raw: Contact | null = null;
        if (!GONE_KINDS.has(event.kind)) {
          raw = await withConnector(portal, budget, async (connector) => {
            const properties = propertiesToFetch(await connector.listProperties(), policy);
            return connector.getContact(contactId, properties);
          });
        }

        if (!raw) {
          // Gone from the CRM: forget it and resolve what was open about it.
          await store.markDeleted(portal.id, [contactId]);
          const r = await store.recordFindings(portal.id, scanAt, [contactId], []);
          const cancelled = r.resolved.length > 0 ? await store.cancelActionsForResolvedFindings(r.resolved) : [];
          if (r.resolved.length > 0) {
            await appendAudit(store, { actor: opts.actor, tenantId: portal.tenantId, portalId: portal.id, contactId, action: `check:${event.kind}`, result: 'done', detail: `contact gone; resolved=${r.resolved.length} cancelled=${cancelled.length} event=${event.eventId}` });
          }
          log('pipeline.check', { portalId, contactId, kind: event.kind, gone: true, resolved: r.resolved.length });
          return { findings: 0, dueActionIds: [] };
        }

        // The re-import guard, as in a scan: a contact whose identifiers match a forgotten person's hashes.
        const suppressionMatch = raw.suppressionMatch || (await store.matchSuppression(portal.tenantId, raw.identifiers));
        const c: Contact = { ...raw, tenantId: portal.tenantId, portalId: portal.id, suppressionMatch };
        // An anonymised record is no longer about a person (as in a scan): recording no findings resolves its old ones.
        const anonymised = (await store.getActionState(actionId(portal.id, c.id, 'anonymise', ''))) === 'done';
        const findings = anonymised ? [] : evaluateContact(c, policy, nowMs);
        const recorded = await store.recordFindings(portal.id, scanAt, [c.id], findings);
        const cancelled = recorded.resolved.length > 0 ? await store.cancelActionsForResolvedFindings(recorded.resolved) : [];
        const actions = planContact(c, recorded.findings, policy, nowMs);
        await store.savePlannedActions(portal.id, actions);
        await store.upsertContactsSeen(portal.id, [{ id: c.id, modifiedAt: c.modifiedAt }], scanAt);

        const dueActionIds: string[] = [];
        for (const a of actions) {
          if (a.dueAt > scanAt) continue;
          const state = await store.getActionState(a.id);
          if (state === 'planned' || state === 'failed') dueActionIds.push(a.id);
        }
        const newFindings = recorded.findings.filter((f) => f.firstSeenAt === scanAt).length;
        if (newFindings > 0 || recorded.resolved.length > 0) {
          await appendAudit(store, {
            actor: opts.actor,
            tenantId: portal.tenantId,
            portalId: portal.id,
            contactId: c.id,
            ruleId: [...new Set(recorded.findings.map((f) => f.ruleId))].sort().join(',') || null,
            action: `check:${event.kind}`,
            result: 'done',
            detail: `findings=${recorded.findings.length} new=${newFindings} resolved=${recorded.resolved.length} cancelled=${cancelled.length} planned=${actions.length} suppressed=${suppressionMatch} event=${event.eventId} policy=${policy.pack.id}@${policy.pack.version}`,
          });
        }
        log('pipeline.check', { portalId, contactId, kind: event.kind, findings: recorded.findings.length, newFindings, resolved: recorded.resolved.length, due: dueActionIds.length });
        return { findings: recorded.findings.length, dueActionIds };
      });
    },

    async applyDue(portalId, budget, o) {
      const portal = await portalOf(portalId);
      const { loaded, policy } = await policyOf(portalId);
      const now = clock();
      let plan: Plan;
      let notOpen = 0;
      if (o.actionIds && o.actionIds.length > 0) ({ plan, notOpen } = await planForActions(store, portal, loaded, o.actionIds, now));
      else plan = await buildPlan(store, portalId, loaded, now);
      if (plan.actions.length === 0) return { done: 0, failed: 0, skipped: notOpen };
      // One apply per contact at a time in this process: a scheduled run and a webhook's run never race on a record.
      const s: ApplySummary = await applyLock.run(
        plan.actions.map((a) => `${portalId}|${a.contactId}`),
        () => withConnector(portal, budget, (connector) => applyPlan({ store, connector, policy, plan, now, actor: opts.actor })),
      );
      log('pipeline.apply', { portalId, actions: plan.actions.length, done: s.done, failed: s.failed, cancelled: s.cancelled, alreadyDone: s.alreadyDone });
      return { done: s.done, failed: s.failed, skipped: s.skipped + s.cancelled + s.alreadyDone + s.notDueYet + notOpen };
    },

    async digest(portalId) {
      const portal = await portalOf(portalId);
      return { text: await portalDigest(store, portal, clock()) };
    },

    async resolvePortal(vendor, vendorAccountId) {
      let portals = portalList && Date.now() - portalList.at < portalCacheMs ? portalList.portals : await loadPortals();
      let p = findPortal(portals, vendor, vendorAccountId);
      if (!p && portalList && Date.now() - portalList.at > 2_000) {
        portals = await loadPortals(); // connected since the last read
        p = findPortal(portals, vendor, vendorAccountId);
      }
      return p ? { portalId: p.id, secrets: secretsFor(p) } : null;
    },

    async listPortals() {
      const portals = await store.listPortals();
      return portals.map((p) => {
        const schedule = opts.scheduleFor?.(p);
        return schedule ? { portalId: p.id, schedule } : { portalId: p.id };
      });
    },

    async close() {
      const all = [...live];
      live.clear();
      await Promise.allSettled(all.map(async (e) => (await e.connector).close?.()));
    },
  };
  return handlers;
}
