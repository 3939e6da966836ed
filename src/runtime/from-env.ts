/**
 * The runtime's pipeline handlers built from the environment, for `gdpr-crm serve` and the Lambda
 * functions: the store (DATABASE_URL or the embedded PGlite in GDPR_CRM_DATA_DIR), vendor credentials,
 * webhook secrets, and an optional portal settings file (policy pack and schedule per portal).
 *
 * Environment (secrets never come from files in the repository):
 *   GDPR_CRM_DATA_DIR, DATABASE_URL, GDPR_CRM_MASTER_KEY      store (as for the CLI)
 *   GDPR_CRM_PGLITE_THREAD                                       embedded PGlite: worker (default) or main thread
 *   HUBSPOT_ACCESS_TOKEN[_<portal id>], HUBSPOT_BASE_URL         HubSpot API access
 *   ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN[_<org id>], ZOHO_DATA_CENTRE, ZOHO_API_DOMAIN, ZOHO_ACCOUNTS_URL
 *   SALESFORCE_INSTANCE_URL[_<org id>], SALESFORCE_ACCESS_TOKEN[_<org id>], SALESFORCE_REFRESH_TOKEN[_<org id>],
 *   SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET
 *   HUBSPOT_CLIENT_SECRET[_<portal id>]                          verifies HubSpot webhook signatures
 *   ZOHO_CHANNEL_TOKEN[_<org id>], ZOHO_CHANNEL_ID[_<org id>]    verifies Zoho notifications
 *   SALESFORCE_ORG_IDS                                           orgs allowed to send outbound messages
 *   GDPR_CRM_POLICY                                              default policy pack (default avg-default)
 *   GDPR_CRM_PORTAL_SETTINGS                                     portal settings file (YAML or JSON)
 * `_<id>` variants hold one portal's value (id upper-cased, other characters as `_`) and win over the shared one.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { createConnector } from '../../connectors';
import type { Connector, RateBudget } from '../../connectors/types';
import { dataDir, readEnv, type Env } from '../config';
import { PortalSchedule, type Logger } from '../jobs/types';
import type { Portal } from '../model';
import { loadPolicy, type LoadedPolicy } from '../policy/load';
import { openStore, type Store } from '../store';
import { accountEnvSuffix, createPipelineHandlers, secretsFromEnv, type RuntimePipelineHandlers } from './pipeline-handlers';

/** Per-portal settings: which policy pack, and the cron patterns of its schedules. */
const PgliteThreadEnv = z.enum(['worker', 'main'], { message: 'GDPR_CRM_PGLITE_THREAD must be worker or main' }).default('worker');

export const PortalSettings = z.strictObject({
  policy: z.string().min(1).optional(),
  schedule: PortalSchedule.optional(),
});
export const PortalSettingsFile = z.strictObject({
  defaults: PortalSettings.optional(),
  portals: z.record(z.string().min(1), PortalSettings).optional(),
});
export type PortalSettingsFile = z.infer<typeof PortalSettingsFile>;

export function loadPortalSettings(file: string): PortalSettingsFile {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the portal settings (${(e as Error).message.split('\n')[0]})`);
  }
  const r = PortalSettingsFile.safeParse(raw ?? {});
  if (!r.success) throw new Error(`${file}: invalid portal settings: ${r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** A value for one account (`NAME_<ACCOUNT>`) or the shared one (`NAME`). */
function perAccount(env: NodeJS.ProcessEnv, name: string, account: string): string | undefined {
  const v = env[`${name}_${accountEnvSuffix(account)}`]?.trim() || env[name]?.trim();
  return v ? v : undefined;
}

/** Connectors from environment credentials, spending the budget the worker passes (shared through Redis). */
export function connectorFromEnvFor(envIn: NodeJS.ProcessEnv = process.env): (portal: Portal, budget: RateBudget) => Connector {
  const env: Env = readEnv(envIn);
  return (portal, budget) => {
    const acct = portal.vendorAccountId;
    const need = (name: string): string => {
      const v = perAccount(envIn, name, acct);
      if (!v) throw new Error(`${name} (or ${name}_${accountEnvSuffix(acct)}) is not set: portal ${portal.id} cannot be reached`);
      return v;
    };
    switch (portal.vendor) {
      case 'hubspot':
        return createConnector({ vendor: 'hubspot', tenantId: portal.tenantId, accessToken: need('HUBSPOT_ACCESS_TOKEN'), baseUrl: env.HUBSPOT_BASE_URL, budget, options: { portalId: acct } });
      case 'zoho':
        return createConnector({
          vendor: 'zoho',
          tenantId: portal.tenantId,
          baseUrl: env.ZOHO_API_DOMAIN,
          budget,
          options: {
            clientId: need('ZOHO_CLIENT_ID'),
            clientSecret: need('ZOHO_CLIENT_SECRET'),
            refreshToken: need('ZOHO_REFRESH_TOKEN'),
            dataCentre: perAccount(envIn, 'ZOHO_DATA_CENTRE', acct) ?? 'eu',
            accountsUrl: env.ZOHO_ACCOUNTS_URL,
            apiDomain: perAccount(envIn, 'ZOHO_API_DOMAIN', acct),
          },
        });
      case 'salesforce': {
        const accessToken = perAccount(envIn, 'SALESFORCE_ACCESS_TOKEN', acct);
        const refreshToken = perAccount(envIn, 'SALESFORCE_REFRESH_TOKEN', acct);
        if (!accessToken && !refreshToken) need('SALESFORCE_ACCESS_TOKEN');
        return createConnector({
          vendor: 'salesforce',
          tenantId: portal.tenantId,
          baseUrl: need('SALESFORCE_INSTANCE_URL'),
          accessToken,
          budget,
          options: { refreshToken, clientId: env.SALESFORCE_CLIENT_ID, clientSecret: env.SALESFORCE_CLIENT_SECRET },
        });
      }
    }
  };
}

export interface RuntimeFromEnvOptions {
  env?: NodeJS.ProcessEnv;
  /** Default policy pack (default GDPR_CRM_POLICY or avg-default). */
  policy?: string;
  /** Portal settings file (default GDPR_CRM_PORTAL_SETTINGS). */
  settingsFile?: string;
  actor?: string;
  logger?: Logger;
  /** Tests: a store already open (it is then not closed by close()). */
  store?: Store;
}

export interface RuntimeFromEnv {
  store: Store;
  handlers: RuntimePipelineHandlers;
  env: Env;
  close(): Promise<void>;
}

export async function openRuntimeFromEnv(o: RuntimeFromEnvOptions = {}): Promise<RuntimeFromEnv> {
  const envIn = o.env ?? process.env;
  const env = readEnv(envIn);
  const settingsFile = o.settingsFile ?? envIn.GDPR_CRM_PORTAL_SETTINGS;
  const settings = settingsFile ? loadPortalSettings(path.resolve(settingsFile)) : {};
  const defaultPolicy = o.policy ?? envIn.GDPR_CRM_POLICY ?? settings.defaults?.policy ?? 'avg-default';
  // Load every pack named once, up front: a typo fails at start, not at the first webhook.
  const packs = new Map<string, LoadedPolicy>();
  const pack = (name: string) => {
    let p = packs.get(name);
    if (!p) packs.set(name, (p = loadPolicy(name)));
    return p;
  };
  pack(defaultPolicy);
  for (const s of Object.values(settings.portals ?? {})) if (s.policy) pack(s.policy);
  const secretsFor = secretsFromEnv(envIn);
  const connectorFor = connectorFromEnvFor(envIn);

  // The embedded PGlite runs in a thread of its own here (the server's thread answers webhooks meanwhile),
  // unless GDPR_CRM_PGLITE_THREAD=main keeps it on this one (see README.md, "Shapes and figures").
  const pgliteThread = PgliteThreadEnv.parse(envIn.GDPR_CRM_PGLITE_THREAD?.trim() || undefined);
  const store = o.store ?? (await openStore({ databaseUrl: env.DATABASE_URL, dataDir: dataDir(env), env: envIn, pgliteThread }));
  const handlers = createPipelineHandlers({
    store,
    policyFor: (portalId) => pack(settings.portals?.[portalId]?.policy ?? defaultPolicy),
    connectorFor,
    secretsFor,
    scheduleFor: (p) => {
      const s = { ...settings.defaults?.schedule, ...settings.portals?.[p.id]?.schedule };
      return Object.keys(s).length > 0 ? s : undefined;
    },
    actor: o.actor ?? envIn.GDPR_CRM_ACTOR ?? `worker:${os.hostname()}`,
    reportDir: path.join(dataDir(env), 'reports'),
    logger: o.logger,
  });
  return {
    store,
    handlers,
    env,
    async close() {
      await handlers.close();
      if (!o.store) await store.close();
    },
  };
}
