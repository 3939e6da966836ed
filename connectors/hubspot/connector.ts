/**
 * The HubSpot connector: the Connector contract on @hubspot/api-client 14, one RateBudget per portal.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Action, ActionResult, Portal } from '../../src/model';
import { createMemoryRateBudget } from '../memory-rate-budget';
import type { Connector, ConnectorConfig, ContactPage, PropertyDefinition, RateBudget, StreamOptions } from '../types';
import { HubSpotApi, type ClientStats, type LogFn } from './client';
import { BUCKET_DEFAULT, BUCKET_SEARCH, HUBSPOT_LIMITS } from './limits';
import { portalFromHubSpot, toPropertyDefinition } from './mapping';
import { ensureStatusProperties } from './status-properties';
import { getContact, getContacts, listDeletedSince, streamContacts, type SyncContext } from './sync';
import { HsAccountDetails, HsPropertyDef, HsSubscriptionDefinition } from './vendor-schema';
import { applyActions } from './writeback';

const Config = z.object({
  vendor: z.literal('hubspot'),
  tenantId: z.string().min(1),
  baseUrl: z.string().url().optional(),
  accessToken: z.string().min(1, 'HubSpot access token is required'),
  options: z
    .object({
      portalId: z.string().optional(),
      /** Secret for keyed-hash anonymisation (per tenant); falls back to GDPR_CRM_ANONYMISE_KEY. */
      anonymiseKey: z.string().optional(),
      /** Comma-separated purposes whose consent_* properties ensureStatusProperties creates. */
      consentPurposes: z.string().optional(),
      /** Fixed number of list cursors (default: chosen from measured latency). */
      concurrency: z.string().regex(/^\d+$/).optional(),
    })
    .passthrough()
    .optional(),
});

export interface HubSpotConnector extends Connector {
  /** Request counters (429s absorbed, retries) for benchmarks and progress output. */
  readonly stats: ClientStats;
}

export function createHubSpotConnector(cfg: ConnectorConfig & { budget?: RateBudget; log?: LogFn }): HubSpotConnector {
  const parsed = Config.safeParse(cfg);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`HubSpot connector config: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const c = parsed.data;
  const budget =
    cfg.budget ?? createMemoryRateBudget({ [BUCKET_DEFAULT]: HUBSPOT_LIMITS.burst, [BUCKET_SEARCH]: HUBSPOT_LIMITS.search });
  const api = new HubSpotApi({ accessToken: c.accessToken, basePath: c.baseUrl, budget, log: cfg.log });
  // Without a configured key the hash is still keyed and irreversible, only not comparable across tenants.
  const anonymiseKey = c.options?.anonymiseKey ?? process.env.GDPR_CRM_ANONYMISE_KEY ?? createHash('sha256').update(`gdpr-crm:${c.tenantId}:${c.accessToken}`).digest('hex');
  const consentPurposes = c.options?.consentPurposes?.split(',').map((s) => s.trim()).filter(Boolean);

  let portal: Promise<Portal> | null = null;
  let defs: Promise<PropertyDefinition[]> | null = null;
  let subs: Promise<HsSubscriptionDefinition[]> | null = null;

  const describePortal = (): Promise<Portal> =>
    (portal ??= api
      .raw('accountInfo.details', 'GET', '/account-info/v3/details', (b) => HsAccountDetails.parse(b))
      .then((d) => portalFromHubSpot(d, c.tenantId, c.options?.portalId))
      .catch((e) => {
        portal = null;
        throw e;
      }));
  const listProperties = (): Promise<PropertyDefinition[]> =>
    (defs ??= api
      .call('properties.contacts.getAll', () => api.sdk.crm.properties.coreApi.getAllWithHttpInfo('contacts', false))
      .then((r) => z.object({ results: z.array(HsPropertyDef) }).parse(r).results.map(toPropertyDefinition))
      .catch((e) => {
        defs = null;
        throw e;
      }));
  const subscriptions = (): Promise<HsSubscriptionDefinition[]> =>
    (subs ??= api
      .call('commPrefs.definitions', () => api.sdk.communicationPreferences.definitionApi.getPageWithHttpInfo())
      .then((r) => z.object({ subscriptionDefinitions: z.array(HsSubscriptionDefinition) }).parse(r).subscriptionDefinitions)
      .catch((e) => {
        subs = null;
        throw e;
      }));

  const syncContext = async (): Promise<SyncContext> => {
    const [p, d, s] = await Promise.all([describePortal(), listProperties(), subscriptions()]);
    return {
      api,
      portalId: p.id,
      tenantId: c.tenantId,
      defs: d,
      subscriptions: s,
      requestRate: HUBSPOT_LIMITS.burst.points / HUBSPOT_LIMITS.burst.durationMs,
      ...(c.options?.concurrency ? { concurrency: Number(c.options.concurrency) } : {}),
    };
  };

  return {
    vendor: 'hubspot',
    stats: api.stats,
    describePortal,
    listProperties,
    async *streamContacts(opts: StreamOptions): AsyncIterable<ContactPage> {
      yield* streamContacts(await syncContext(), opts);
    },
    async getContact(id, properties) {
      return getContact(await syncContext(), id, properties);
    },
    async getContacts(ids, properties) {
      return getContacts(await syncContext(), ids, properties);
    },
    listDeletedSince: (since) => listDeletedSince(api, since),
    async ensureStatusProperties() {
      await ensureStatusProperties(api, consentPurposes);
      defs = null; // new properties: definitions change
    },
    async apply(actions: Action[]): Promise<ActionResult[]> {
      const p = await describePortal();
      return applyActions(
        {
          api,
          portalId: p.id,
          anonymiseKey,
          defs: async () => new Map((await listProperties()).map((d) => [d.name, d])),
        },
        actions,
      );
    },
    async close() {
      api.close();
    },
  };
}
