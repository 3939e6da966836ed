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
import { Action, Plan, type ChangeEvent, type Contact, type Finding, type Portal, type Vendor } from '../model';
import { Batcher } from './batcher';
import { applyPlan, type ApplySummary } from '../pipeline/apply';
import { buildPlan } from '../pipeline/plan';
import { propertiesToFetch } from '../pipeline/properties';
import { runScan } from '../pipeline/scan';
import { renewClosedTasks, settleResolvedFindings } from '../pipeline/tasks';
import { compilePolicy, type CompiledPolicy } from '../policy/compile';
import { evaluateContact } from '../policy/evaluate';
import type { LoadedPolicy } from '../policy/load';
import { actionId, planContact } from '../policy/plan';
import type { ActionState, Store } from '../store';

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

/**
 * applyPlan asks the connector to ensure our status properties before every batch with a set_status
 * action: right for a CLI run, but on the webhook path that is several requests per event (and HubSpot's
 * connector then re-reads every property definition). A cached connector ensures them once in its life.
 */
export function ensureStatusPropertiesOnce(c: Connector): Connector {
  let ensured: Promise<void> | null = null;
  const wrapped = Object.create(c) as Connector;
  Object.defineProperty(wrapped, 'ensureStatusProperties', {
    value: () =>
      (ensured ??= c.ensureStatusProperties().catch((e: unknown) => {
        ensured = null;
        throw e;
      })),
  });
  return wrapped;
}

const OPEN_STATES = new Set(['planned', 'failed', 'running']);

/**
 * States of several actions in one read (Store has getActionState for one; on the webhook path every
 * query counts). Ids not in the store are absent from the map. Read-only use of Store.db.
 */
export async function actionStates(store: Store, ids: readonly string[]): Promise<Map<string, ActionState>> {
  const out = new Map<string, ActionState>();
  if (ids.length === 0) return out;
  const rows = await store.db.selectFrom('actions').select(['action_id', 'state']).where('action_id', 'in', [...new Set(ids)]).execute();
  for (const r of rows) out.set(r.action_id, r.state);
  return out;
}
const GONE_KINDS: ReadonlySet<ChangeEvent['kind']> = new Set(['deleted', 'privacy_deleted']);

/** The plan for exactly these actions: those of the portal that are still open and due at `now`. */
export async function planForActions(
  store: Store,
  portal: Portal,
  loaded: LoadedPolicy,
  actionIds: readonly string[],
  now: Date,
): Promise<{ plan: Plan; notOpen: number; states: Map<string, ActionState> }> {
  const nowIso = now.toISOString();
  const actions: Action[] = [];
  const pending: Action[] = [];
  let notOpen = 0;
  const ids = [...new Set(actionIds)];
  // One read for all of them (Store.getAction reads one), then the same checks buildPlan makes.
  const rows = await store.db.selectFrom('actions').select(['action_id', 'state', 'action_json']).where('action_id', 'in', ids).where('portal_id', '=', portal.id).execute();
  notOpen += ids.length - rows.length;
  const states = new Map<string, ActionState>();
  for (const r of rows) {
    states.set(r.action_id, r.state);
    if (!OPEN_STATES.has(r.state)) {
      notOpen++;
      continue;
    }
    const action = Action.parse(JSON.parse(r.action_json));
    (action.dueAt <= nowIso ? actions : pending).push(action);
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
  return { plan, notOpen: notOpen + pending.length, states };
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

/**
 * Jobs in flight per queue for workers running these handlers (startWorkers({ concurrency })). Webhook
 * checks and their applies wait in a per-portal batcher, so many jobs in flight cost little and let
 * batches form; the vendor budget still paces every request.
 */
export const RUNTIME_CONCURRENCY = { sync: 1, evaluate: 32, apply: 32, notify: 2 } as const;

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

  // The portal record changes only when a scan re-describes it: read it at most every `portalCacheMs`.
  const portalCache = new Map<string, { at: number; portal: Portal }>();
  const portalOf = async (portalId: string): Promise<Portal> => {
    const hit = portalCache.get(portalId);
    if (hit && Date.now() - hit.at < portalCacheMs) return hit.portal;
    const p = await store.getPortal(portalId);
    if (!p) throw new Error(`unknown portal ${portalId}: run "gdpr-crm scan" for it first`);
    portalCache.set(portalId, { at: Date.now(), portal: p });
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
      const entry: ConnectorEntry = { connector: Promise.resolve(opts.connectorFor(portal, budget)).then(ensureStatusPropertiesOnce), createdAt: Date.now(), inUse: 0, retired: false };
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

  // Webhook checks and their applies run as micro-batches per portal (Batcher): under load one vendor
  // batch read, one findings transaction and one write-back batch serve many events, like a scan page.
  const budgetIds = new WeakMap<RateBudget, number>();
  let nextBudgetId = 0;
  const keyOf = (portalId: string, budget: RateBudget) => {
    let id = budgetIds.get(budget);
    if (id === undefined) budgetIds.set(budget, (id = nextBudgetId++));
    return `${portalId}|${id}`;
  };
  const applyLock = new KeyedMutex();
  const checkLock = new KeyedMutex();

  interface CheckItem {
    portalId: string;
    contactId: string;
    event: ChangeEvent;
    budget: RateBudget;
  }
  interface CheckResult {
    findings: number;
    dueActionIds: string[];
  }
  const checkBatch = async (items: CheckItem[]): Promise<CheckResult[]> => {
    const { portalId, budget } = items[0]!;
    const portal = await portalOf(portalId);
    const { policy } = await policyOf(portalId);
    const now = clock();
    const nowMs = now.getTime();
    const scanAt = now.toISOString();
    const ids = [...new Set(items.map((i) => i.contactId))];
    // A deletion event needs no read; any other event for the contact in the batch does.
    const toRead = ids.filter((id) => items.some((i) => i.contactId === id && !GONE_KINDS.has(i.event.kind)));
    const fetched = new Map<string, Contact>();
    if (toRead.length > 0) {
      await withConnector(portal, budget, async (connector) => {
        const properties = propertiesToFetch(await connector.listProperties(), policy);
        if (connector.getContacts) {
          for (const [id, c] of await connector.getContacts(toRead, properties)) fetched.set(id, c);
        } else {
          for (const id of toRead) {
            const c = await connector.getContact(id, properties);
            if (c) fetched.set(id, c);
          }
        }
      });
    }
    const gone = ids.filter((id) => !fetched.has(id));
    // The re-import guard, as in a scan: identifiers that match a forgotten person's keyed hashes (one read for the batch).
    const raws = [...fetched.values()];
    const suppressed = await store.matchSuppressionMany(portal.tenantId, raws.map((c) => c.identifiers));
    const contacts: Contact[] = raws.map((raw, i) => ({ ...raw, tenantId: portal.tenantId, portalId: portal.id, suppressionMatch: raw.suppressionMatch || suppressed[i]! }));
    // An anonymised record is no longer about a person (as in a scan): recording no findings resolves its old ones.
    const anonymiseStates = await actionStates(store, contacts.map((c) => actionId(portal.id, c.id, 'anonymise', '')));
    const findings = contacts.flatMap((c) => (anonymiseStates.get(actionId(portal.id, c.id, 'anonymise', '')) === 'done' ? [] : evaluateContact(c, policy, nowMs)));
    // Everything the check writes commits together (one transaction, no half-recorded check).
    const { recorded, cancelled, closeTasks, actions, states } = await store.transaction(async (tx) => {
      // Gone from the CRM: forget them; recording them with no findings resolves what was open about them.
      if (gone.length > 0) await tx.markDeleted(portal.id, gone);
      const recorded = await tx.recordFindings(portal.id, scanAt, ids, findings);
      // As in a scan: pending actions of resolved findings are cancelled, our tasks naming them are closed (close_task, due now).
      const { cancelled, closeTasks } = await settleResolvedFindings(tx, portal.id, recorded.resolved, now);
      const perContact = new Map<string, Finding[]>();
      for (const f of recorded.findings) if (f.contactId) perContact.set(f.contactId, [...(perContact.get(f.contactId) ?? []), f]);
      const actions = await renewClosedTasks(tx, portal.id, contacts.flatMap((c) => planContact(c, perContact.get(c.id) ?? [], policy, nowMs)));
      // The states as saved (planned, or done/running kept); close tasks were saved by settleResolvedFindings.
      const { states } = await tx.savePlannedActions(portal.id, actions);
      if (closeTasks.length > 0) for (const [id, st] of await actionStates(tx, closeTasks.map((a) => a.id))) states.set(id, st);
      if (contacts.length > 0) await tx.upsertContactsSeen(portal.id, contacts.map((c) => ({ id: c.id, modifiedAt: c.modifiedAt })), scanAt);
      const newFindings = recorded.findings.filter((f) => f.firstSeenAt === scanAt).length;
      if (newFindings > 0 || recorded.resolved.length > 0) {
        await appendAudit(tx, {
          actor: opts.actor,
          tenantId: portal.tenantId,
          portalId: portal.id,
          contactId: ids.length === 1 ? ids[0]! : null,
          ruleId: [...new Set(recorded.findings.map((f) => f.ruleId))].sort().join(',') || null,
          action: `check:${[...new Set(items.map((i) => i.event.kind))].sort().join(',')}`,
          result: 'done',
          detail: `contacts=${ids.length} gone=${gone.length} findings=${recorded.findings.length} new=${newFindings} resolved=${recorded.resolved.length} cancelled=${cancelled.length} tasks_to_close=${closeTasks.length} planned=${actions.length} suppressed=${contacts.filter((c) => c.suppressionMatch).length} events=${items.length} policy=${policy.pack.id}@${policy.pack.version}`,
        });
      }
      return { recorded, cancelled, closeTasks, actions, states };
    });
    const perContact = new Map<string, Finding[]>();
    for (const f of recorded.findings) if (f.contactId) perContact.set(f.contactId, [...(perContact.get(f.contactId) ?? []), f]);

    // Due now and not already done (a done task is never sent again; its apply job would only skip it).
    const due = new Map<string, string[]>();
    for (const a of [...actions, ...closeTasks]) {
      const st = states.get(a.id);
      if (a.dueAt <= scanAt && (st === 'planned' || st === 'failed')) due.set(a.contactId, [...(due.get(a.contactId) ?? []), a.id]);
    }
    const newFindings = recorded.findings.filter((f) => f.firstSeenAt === scanAt).length;
    log('pipeline.check', { portalId, contacts: ids.length, events: items.length, gone: gone.length, findings: recorded.findings.length, newFindings, resolved: recorded.resolved.length, due: [...due.values()].flat().length });
    return items.map((i) => ({ findings: perContact.get(i.contactId)?.length ?? 0, dueActionIds: due.get(i.contactId) ?? [] }));
  };
  // One batch per portal at a time: what arrives meanwhile forms the next batch. A second batch in flight
  // only split the work into smaller batches that competed for the same thread and store (bench/webhook-latency.ts,
  // PGlite: write-back p95 210 ms with 2 checks and 4 applies in flight, 121 ms with one of each).
  // The contact lock keeps one contact in one batch at a time (a scheduled apply runs beside these).
  const checks = new Batcher<CheckItem, CheckResult>((_key, items) => checkLock.run([...new Set(items.map((i) => `${i.portalId}|${i.contactId}`))], () => checkBatch(items)), { maxInFlight: 1 });

  type ApplyCounts = { done: number; failed: number; skipped: number };
  const runApply = async (portal: Portal, budget: RateBudget, policy: CompiledPolicy, plan: Plan, now: Date, knownStates?: ReadonlyMap<string, ActionState>) =>
    // One apply per contact at a time in this process: a scheduled run and a webhook's run never race on a record.
    applyLock.run(
      plan.actions.map((a) => `${portal.id}|${a.contactId}`),
      () => withConnector(portal, budget, (connector) => applyPlan({ store, connector, policy, plan, now, actor: opts.actor, knownStates })),
    );
  interface ApplyItem {
    portalId: string;
    budget: RateBudget;
    actionIds: string[];
  }
  const applyBatch = async (items: ApplyItem[]): Promise<ApplyCounts[]> => {
    const { portalId, budget } = items[0]!;
    const portal = await portalOf(portalId);
    const { loaded, policy } = await policyOf(portalId);
    const now = clock();
    const { plan, states } = await planForActions(store, portal, loaded, items.flatMap((i) => i.actionIds), now);
    let outcomes = new Map<string, string>();
    if (plan.actions.length > 0) {
      // The states just read come with the plan: applyPlan claims without reading them again.
      const s = await runApply(portal, budget, policy, plan, now, states);
      log('pipeline.apply', { portalId, jobs: items.length, actions: plan.actions.length, done: s.done, failed: s.failed, cancelled: s.cancelled, alreadyDone: s.alreadyDone });
      outcomes = s.outcomes;
    }
    return items.map((i) => {
      const r: ApplyCounts = { done: 0, failed: 0, skipped: 0 };
      for (const id of new Set(i.actionIds)) {
        // What this apply recorded; an action it did not record (not due, finished or taken elsewhere) is skipped here.
        const st = outcomes.get(id);
        if (st === 'done') r.done++;
        else if (st === 'failed') r.failed++;
        else r.skipped++;
      }
      return r;
    });
  };
  // As for checks, one apply batch per portal at a time; batches grow to the vendors' size (100) under load,
  // and at real rate limits fewer, larger write-backs go further.
  const applies = new Batcher<ApplyItem, ApplyCounts>((_key, items) => applyBatch(items), { maxInFlight: 1 });

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
      await portalOf(portalId); // unknown portals fail this job alone, not a batch
      return checks.submit(keyOf(portalId, budget), { portalId, contactId, event, budget });
    },

    async applyDue(portalId, budget, o) {
      const portal = await portalOf(portalId);
      if (o.actionIds && o.actionIds.length > 0) return applies.submit(keyOf(portalId, budget), { portalId, budget, actionIds: o.actionIds });
      // The scheduled run: every due action of the portal.
      const { loaded, policy } = await policyOf(portalId);
      const now = clock();
      const plan = await buildPlan(store, portalId, loaded, now);
      if (plan.actions.length === 0) return { done: 0, failed: 0, skipped: 0 };
      const s: ApplySummary = await runApply(portal, budget, policy, plan, now);
      log('pipeline.apply', { portalId, scheduled: true, actions: plan.actions.length, done: s.done, failed: s.failed, cancelled: s.cancelled, alreadyDone: s.alreadyDone });
      return { done: s.done, failed: s.failed, skipped: s.skipped + s.cancelled + s.alreadyDone + s.notDueYet + s.claimedElsewhere };
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
