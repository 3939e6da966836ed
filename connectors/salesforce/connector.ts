/**
 * The Salesforce connector (connectors/types.ts contract) on jsforce 3.10. Options (cfg.options):
 *   instanceUrl            https://<mydomain>.my.salesforce.com (or cfg.baseUrl; the sandbox URL)
 *   refreshToken, clientId, clientSecret, loginUrl   refresh-token OAuth for expired sessions (from the environment)
 *   apiVersion             default 62.0
 *   concurrency            calls in flight (default 10)
 *   bulkThreshold          full scans above this many records use Bulk API 2.0 (default 50,000)
 *   notes                  content (ContentNote, default) | legacy (Note) | both
 *   hashKey                key for the keyed_hash anonymisation strategy
 *   bulkPageRecords, bulkPollIntervalMs   Bulk 2.0 tuning
 *   consentRangeRecords    SOQL scans with the consent objects: about how many records one consent-row range query covers (default 10,000; sized to fill whole 2,000-row pages, at most twice this)
 * The access token is cfg.accessToken. Consent objects are detected from the org's describe.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Action, ActionResult, Contact, Portal } from '../../src/model';
import type { Connector, ConnectorConfig, ContactPage, PropertyDefinition, RateBudget, StreamOptions } from '../types';
import { SalesforceApiError, SalesforceClient } from './client';
import { OBJECTS, PROJECT_FIELDS, type SfObject } from './fields';
import { locationFromInstance, objectOfId, SF_API_VERSION } from './limits';
import { DescribeField, propertyFromDescribe, type ConsentContext, type SfRecord } from './mapping';
import { isSalesforceId, select } from './soql';
import { fieldsToFetch, queryAll, streamContacts as stream, toContacts, type SyncContext } from './sync';
import { applyActions } from './writeback';

export const SalesforceOptions = z.object({
  instanceUrl: z.string().url().optional(),
  refreshToken: z.string().min(1).optional(),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  loginUrl: z.string().url().optional(),
  apiVersion: z.string().regex(/^\d{2}\.0$/).default(SF_API_VERSION),
  concurrency: z.coerce.number().int().positive().max(25).default(10),
  bulkThreshold: z.coerce.number().int().positive().default(50_000),
  notes: z.enum(['content', 'legacy', 'both']).default('content'),
  hashKey: z.string().min(16).optional(),
  bulkPageRecords: z.coerce.number().int().positive().max(1_000_000).optional(),
  bulkPollIntervalMs: z.coerce.number().int().nonnegative().optional(),
  consentRangeRecords: z.coerce.number().int().positive().max(100_000).optional(),
});
export type SalesforceOptions = z.infer<typeof SalesforceOptions>;

const Describe = z.object({ fields: z.array(DescribeField) });
const GlobalDescribe = z.object({ sobjects: z.array(z.object({ name: z.string() }).loose()) });
const Org = z.object({ Id: z.string(), Name: z.string().nullable().optional(), InstanceName: z.string().nullable().optional(), IsSandbox: z.boolean().nullable().optional() }).loose();
const CONSENT_OBJECTS = ['Individual', 'ContactPointTypeConsent', 'DataUsePurpose'];

interface Layout {
  defs: PropertyDefinition[];
  types: Record<SfObject, Record<string, string>>;
  readOnly: Record<SfObject, Set<string>>;
  consent: ConsentContext;
}

export function createSalesforceConnector(cfg: ConnectorConfig & { budget?: RateBudget }): Connector & { readonly client: SalesforceClient } {
  const opts = SalesforceOptions.parse(cfg.options ?? {});
  const instanceUrl = opts.instanceUrl ?? cfg.baseUrl;
  if (!instanceUrl) throw new Error('Salesforce instanceUrl is required (options.instanceUrl or baseUrl)');
  if (!cfg.accessToken && !opts.refreshToken) throw new Error('Salesforce needs an access token or a refresh token');
  const client = new SalesforceClient({
    instanceUrl,
    ...(cfg.accessToken ? { accessToken: cfg.accessToken } : {}),
    ...(opts.refreshToken ? { refreshToken: opts.refreshToken } : {}),
    ...(opts.clientId ? { clientId: opts.clientId } : {}),
    ...(opts.clientSecret ? { clientSecret: opts.clientSecret } : {}),
    loginUrl: opts.loginUrl ?? instanceUrl,
    version: opts.apiVersion,
    concurrency: opts.concurrency,
    ...(cfg.budget ? { budget: cfg.budget } : {}),
  });
  const hashKey = opts.hashKey ?? randomBytes(32).toString('hex');
  let layout: Promise<Layout> | null = null;
  let portal: Portal | null = null;

  const loadLayout = (force = false): Promise<Layout> => {
    if (!layout || force) {
      layout = (async () => {
        const global = await client.get('/sobjects', GlobalDescribe);
        const names = new Set(global.sobjects.map((s) => s.name));
        const hasConsentObjects = CONSENT_OBJECTS.every((o) => names.has(o));
        const types = { Contact: {}, Lead: {} } as Record<SfObject, Record<string, string>>;
        const readOnly = { Contact: new Set<string>(), Lead: new Set<string>() } as Record<SfObject, Set<string>>;
        const defs = new Map<string, PropertyDefinition>();
        for (const obj of OBJECTS) {
          const d = await client.get(`/sobjects/${obj}/describe`, Describe);
          for (const f of d.fields) {
            types[obj][f.name] = f.type;
            const def = propertyFromDescribe(f);
            if (def.readOnly) readOnly[obj].add(f.name);
            if (!defs.has(f.name)) defs.set(f.name, def);
          }
        }
        const purposes = hasConsentObjects ? (await queryAll(client, select({ fields: ['Id', 'Name'], from: 'DataUsePurpose' }))).map((r) => ({ Id: String(r.Id), Name: String(r.Name ?? '') })) : [];
        return { defs: [...defs.values()], types, readOnly, consent: { hasConsentObjects, purposes } };
      })();
      layout.catch(() => {
        layout = null;
      });
    }
    return layout;
  };

  const describePortal = async (): Promise<Portal> => {
    if (portal) return portal;
    const [org] = await queryAll(client, select({ fields: ['Id', 'Name', 'InstanceName', 'IsSandbox'], from: 'Organization' }));
    const o = Org.parse(org);
    const loc = locationFromInstance(o.InstanceName ?? '');
    portal = {
      id: `salesforce:${o.Id}`,
      vendor: 'salesforce',
      vendorAccountId: o.Id,
      tenantId: cfg.tenantId,
      ...(o.Name ? { name: o.Name } : {}),
      region: loc.region,
      regionInEea: loc.inEea,
      transferMechanism: loc.transferMechanism,
    };
    return portal;
  };

  const syncContext = async (): Promise<SyncContext> => {
    const [p, l] = await Promise.all([describePortal(), loadLayout()]);
    return {
      client,
      portalId: p.id,
      tenantId: cfg.tenantId,
      fieldTypes: l.types,
      consent: l.consent,
      bulkThreshold: opts.bulkThreshold,
      notes: opts.notes,
      ...(opts.bulkPageRecords ? { bulkPageRecords: opts.bulkPageRecords } : {}),
      ...(opts.bulkPollIntervalMs !== undefined ? { bulkPollIntervalMs: opts.bulkPollIntervalMs } : {}),
      ...(opts.consentRangeRecords ? { consentRangeRecords: opts.consentRangeRecords } : {}),
    };
  };

  return {
    vendor: 'salesforce',
    client,
    describePortal,
    async listProperties() {
      return (await loadLayout(true)).defs;
    },
    async *streamContacts(so: StreamOptions): AsyncIterable<ContactPage> {
      yield* stream(await syncContext(), so);
    },
    async getContact(id: string, properties: string[]): Promise<Contact | null> {
      const obj = objectOfId(id);
      if (!obj || !isSalesforceId(id)) return null;
      const ctx = await syncContext();
      const recs = (await queryAll(client, select({ fields: fieldsToFetch(properties, ctx.fieldTypes[obj], ctx.consent.hasConsentObjects), from: obj, where: [{ field: 'Id', op: '=', value: { id } }] }))) as SfRecord[];
      if (recs.length === 0) return null;
      return (await toContacts(ctx, obj, recs, true))[0] ?? null;
    },
    async listDeletedSince(since: Date): Promise<string[]> {
      const ids = new Set<string>();
      for (const obj of OBJECTS) {
        const q = select({ fields: ['Id'], from: obj, where: [{ field: 'IsDeleted', op: '=', value: { bool: true } }, { field: 'SystemModstamp', op: '>=', value: { dt: since } }] });
        for (const r of await queryAll(client, q, true)) ids.add(String(r.Id));
      }
      return [...ids];
    },
    async ensureStatusProperties(): Promise<void> {
      const l = await loadLayout(true);
      let created = 0;
      for (const obj of OBJECTS) {
        for (const f of PROJECT_FIELDS) {
          if (l.types[obj][f.name] !== undefined) continue;
          try {
            await client.call({ method: 'POST', path: '/tooling/sobjects/CustomField', body: { FullName: `${obj}.${f.name}`, Metadata: { label: f.label, type: f.type, ...(f.type === 'Text' ? { length: 255 } : f.type === 'LongTextArea' ? { length: 131072, visibleLines: 5 } : {}) } }, idempotent: false });
            created++;
          } catch (e) {
            if (!(e instanceof SalesforceApiError && e.errorCode === 'DUPLICATE_DEVELOPER_NAME')) throw e;
          }
        }
      }
      if (created > 0) await loadLayout(true);
    },
    async apply(actions: Action[]): Promise<ActionResult[]> {
      const l = await loadLayout();
      return applyActions({ client, fieldTypes: l.types, readOnly: l.readOnly, consent: l.consent, hashKey, notes: opts.notes }, actions);
    },
    async close() {
      layout = null;
    },
  };
}
