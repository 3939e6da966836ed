/**
 * Shared by the runtime tests: a HubSpot sandbox, a PGlite store, the real pipeline handlers over
 * them, and a way to add a contact (with notes) the way a user would in HubSpot.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createConnector } from '../../connectors';
import { noteHtml, startHubSpotSandbox, type HubSpotSandbox, type HubSpotSandboxOptions } from '../../connectors/hubspot/sandbox';
import { createMemoryRateBudget } from '../../connectors/memory-rate-budget';
import type { RateBudget } from '../../connectors/types';
import type { PortalSecrets } from '../../src/jobs/types';
import type { Portal } from '../../src/model';
import { runScan } from '../../src/pipeline/scan';
import { compilePolicy } from '../../src/policy/compile';
import { loadPolicy } from '../../src/policy/load';
import { createPipelineHandlers, type PipelineHandlersOptions, type RuntimePipelineHandlers } from '../../src/runtime/pipeline-handlers';
import { openStore, type Store } from '../../src/store';

export const TOKEN = 'pat-eu1-runtime';
export const TENANT = 'tenant-rt';
/** Passes the elfproef (the detector checks it). */
export const BSN = '111222333';

export interface RuntimeFixture {
  sb: HubSpotSandbox;
  store: Store;
  portal: Portal;
  handlers: RuntimePipelineHandlers;
  /** A budget with no limits (the sandbox runs without them here). */
  budget: RateBudget;
  close(): Promise<void>;
}

export async function openRuntimeFixture(
  o: { sandbox?: Partial<HubSpotSandboxOptions>; handlers?: Partial<PipelineHandlersOptions>; secrets?: (p: Portal) => PortalSecrets } = {},
): Promise<RuntimeFixture> {
  const sb = await startHubSpotSandbox({ accessToken: TOKEN, limits: false, latencyMs: 0, ...o.sandbox });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-rt-'));
  const store = await openStore({ pglite: await PGlite.create(), dataDir, env: { GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64') } });
  const loaded = loadPolicy('avg-default');
  const connectorFor = (portal: Portal, budget: RateBudget) =>
    createConnector({ vendor: 'hubspot', tenantId: portal.tenantId, baseUrl: sb.url, accessToken: TOKEN, options: { anonymiseKey: 'rt-anon-key' }, budget });
  const budget = createMemoryRateBudget({});
  // Installing a portal is one full scan (as `gdpr-crm scan` does): the portal is then in the store.
  const installer = connectorFor({ id: 'x', vendor: 'hubspot', vendorAccountId: 'x', tenantId: TENANT, region: 'eu1', regionInEea: true, transferMechanism: 'none' }, budget);
  const scan = await runScan({ store, connector: installer, policy: compilePolicy(loaded.pack), tenantId: TENANT, mode: 'full', now: new Date(), actor: 'test' });
  const handlers = createPipelineHandlers({
    store,
    policyFor: () => loaded,
    connectorFor,
    actor: 'test-worker',
    secretsFor: o.secrets ?? (() => ({ hubspotClientSecret: 'unused' })),
    ...o.handlers,
  });
  return {
    sb,
    store,
    portal: scan.portal,
    handlers,
    budget,
    async close() {
      await handlers.close();
      await store.close();
      await sb.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A contact as someone would create it in HubSpot, with notes logged on it; returns its id. */
export function addContact(sb: HubSpotSandbox, props: Record<string, string | null>, notes: string[] = []): string {
  const c = sb.state.insert('contacts', { lifecyclestage: 'lead', hubspot_owner_id: sb.state.owners[0]?.id ?? null, ...props });
  for (const text of notes) {
    const n = sb.state.insert('notes', { hs_note_body: noteHtml(text), hs_timestamp: sb.state.stamp() });
    sb.state.associate('notes', n.id, 'contacts', c.id);
  }
  return c.id;
}

export function setNote(sb: HubSpotSandbox, contactId: string, text: string): void {
  for (const id of sb.state.associatedIds('contacts', contactId, 'notes')) {
    sb.state.update('notes', sb.state.get('notes', id)!, { hs_note_body: noteHtml(text) });
  }
  sb.state.touch('contacts', sb.state.get('contacts', contactId)!);
}

export const tasksOf = (sb: HubSpotSandbox, contactId: string) => sb.state.associatedIds('contacts', contactId, 'tasks').map((id) => sb.state.get('tasks', id)!);
