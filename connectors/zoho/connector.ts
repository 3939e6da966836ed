/**
 * The Zoho CRM connector (connectors/types.ts contract) over plain axios. Options (cfg.options):
 *   dataCentre   com | eu | in | com.au | jp | com.cn | ca | sa (default eu)
 *   clientId, clientSecret, refreshToken   (Self Client or server-based client; from the environment)
 *   accountsUrl, apiDomain                 overrides (sandbox); a real token response's api_domain wins
 *   concurrency  concurrent calls (default 10: half of Enterprise's 20, leaving room for other apps)
 *   consentPurpose  the purpose Zoho's native consent stands for (default newsletter)
 *   hashKey      key for the keyed_hash anonymisation strategy
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Action, ActionResult, Contact, Portal } from '../../src/model';
import type { Connector, ConnectorConfig, ContactPage, PropertyDefinition, RateBudget, StreamOptions } from '../types';
import { ZohoApiError, ZohoClient, errorCode } from './client';
import { MODULE, PROJECT_FIELDS } from './fields';
import { DATA_CENTRES, dataCentreFromApiDomain, type DataCentre } from './limits';
import { propertyFromZohoField, type ZohoRecord } from './mapping';
import { fieldsToFetch, streamContacts as stream, toContacts, type SyncContext } from './sync';
import { applyActions } from './writeback';

export const ZohoOptions = z.object({
  dataCentre: z.enum(Object.keys(DATA_CENTRES) as [DataCentre, ...DataCentre[]]).default('eu'),
  clientId: z.string().min(1, 'ZOHO client id is required'),
  clientSecret: z.string().min(1, 'ZOHO client secret is required'),
  refreshToken: z.string().min(1, 'ZOHO refresh token is required'),
  accountsUrl: z.string().url().optional(),
  apiDomain: z.string().url().optional(),
  concurrency: z.coerce.number().int().positive().max(25).default(10),
  consentPurpose: z.string().min(1).default('newsletter'),
  hashKey: z.string().min(16).optional(),
});
export type ZohoOptions = z.infer<typeof ZohoOptions>;

const FieldsResponse = z.object({
  fields: z.array(
    z
      .object({
        api_name: z.string(),
        field_label: z.string(),
        data_type: z.string(),
        read_only: z.boolean().optional(),
        field_read_only: z.boolean().optional(),
        custom_field: z.boolean().optional(),
        pick_list_values: z.array(z.object({ actual_value: z.string() }).loose()).optional(),
      })
      .loose(),
  ),
});
const OrgResponse = z.object({ org: z.array(z.object({ id: z.string(), company_name: z.string().nullable().optional() }).loose()).min(1) });
const CreateFieldsResponse = z.object({ fields: z.array(z.object({ code: z.string(), status: z.string(), message: z.string().optional() }).loose()) });

export function createZohoConnector(cfg: ConnectorConfig & { budget?: RateBudget }): Connector & { readonly client: ZohoClient } {
  const opts = ZohoOptions.parse(cfg.options ?? {});
  const dc = DATA_CENTRES[opts.dataCentre];
  const apiOverride = opts.apiDomain ?? cfg.baseUrl;
  const client = new ZohoClient({
    accountsUrl: opts.accountsUrl ?? dc.accounts,
    apiDomain: apiOverride ?? dc.api,
    // A sandbox or proxy override stays put; otherwise the token's api_domain (the tenant's DC) wins.
    pinApiDomain: apiOverride !== undefined,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    refreshToken: opts.refreshToken,
    concurrency: opts.concurrency,
    ...(cfg.budget ? { budget: cfg.budget } : {}),
  });
  const hashKey = opts.hashKey ?? randomBytes(32).toString('hex');
  let layout: Promise<{ defs: PropertyDefinition[]; types: Record<string, string>; readOnly: Set<string>; basisPicklist: string[] }> | null = null;
  let portal: Portal | null = null;

  const loadLayout = (force = false) => {
    if (!layout || force) {
      layout = (async () => {
        const res = await client.expect({ method: 'GET', path: '/crm/v8/settings/fields', params: { module: MODULE } });
        const fields = FieldsResponse.parse(res.data).fields;
        const types: Record<string, string> = {};
        const readOnly = new Set<string>();
        for (const f of fields) {
          types[f.api_name] = f.data_type;
          if (f.read_only || f.field_read_only) readOnly.add(f.api_name);
        }
        const basis = fields.find((f) => f.api_name === 'Data_Processing_Basis');
        return { defs: fields.map(propertyFromZohoField), types, readOnly, basisPicklist: (basis?.pick_list_values ?? []).map((p) => p.actual_value) };
      })();
      layout.catch(() => {
        layout = null;
      });
    }
    return layout;
  };

  const describePortal = async (): Promise<Portal> => {
    if (portal) return portal;
    const res = await client.expect({ method: 'GET', path: '/crm/v8/org' });
    const org = OrgResponse.parse(res.data).org[0]!;
    // Residency from the token's api_domain when it is a Zoho host; the configured DC otherwise (sandbox).
    const reported = client.reportedApiDomain ? dataCentreFromApiDomain(client.reportedApiDomain) : null;
    const region: DataCentre = reported ?? opts.dataCentre;
    portal = {
      id: `zoho:${org.id}`,
      vendor: 'zoho',
      vendorAccountId: org.id,
      tenantId: cfg.tenantId,
      ...(org.company_name ? { name: org.company_name } : {}),
      region,
      regionInEea: DATA_CENTRES[region].inEea,
      transferMechanism: 'none',
    };
    return portal;
  };

  const syncContext = async (): Promise<SyncContext> => {
    const [p, l] = await Promise.all([describePortal(), loadLayout()]);
    return {
      client,
      fieldTypes: l.types,
      mapping: { portalId: p.id, tenantId: cfg.tenantId, fieldTypes: l.types, consent: { consentPurpose: opts.consentPurpose, basisPicklist: l.basisPicklist } },
    };
  };

  return {
    vendor: 'zoho',
    client,
    describePortal,
    async listProperties() {
      return (await loadLayout(true)).defs;
    },
    async *streamContacts(so: StreamOptions): AsyncIterable<ContactPage> {
      yield* stream(await syncContext(), so);
    },
    async getContact(id: string, properties: string[]): Promise<Contact | null> {
      const ctx = await syncContext();
      const res = await client.request({ method: 'GET', path: `/crm/v8/${MODULE}/${id}` });
      if (res.status === 204) return null;
      if (res.status === 400 && errorCode(res.data) === 'INVALID_DATA') return null;
      if (res.status !== 200) throw new ZohoApiError(res.status, errorCode(res.data) ?? 'UNEXPECTED_STATUS', 'reading a contact failed');
      const full = z.object({ data: z.array(z.object({ id: z.string() }).loose()).min(1) }).parse(res.data).data[0] as ZohoRecord;
      // The single GET returns every field: keep what a list call with the same fields would give.
      const keep = new Set(['id', ...fieldsToFetch(properties, ctx.fieldTypes)]);
      const rec = Object.fromEntries(Object.entries(full).filter(([k]) => keep.has(k))) as ZohoRecord;
      return (await toContacts(ctx, [rec], true))[0] ?? null;
    },
    async listDeletedSince(since: Date): Promise<string[]> {
      const ids = new Set<string>();
      const Deleted = z.object({ data: z.array(z.object({ id: z.string(), deleted_time: z.string().nullable().optional() }).loose()), info: z.object({ more_records: z.boolean() }).loose() });
      for (let page = 1; ; page++) {
        const res = await client.request({
          method: 'GET',
          path: `/crm/v8/${MODULE}/deleted`,
          params: { type: 'all', page, per_page: 200 },
          headers: { 'If-Modified-Since': new Date(Math.floor(since.getTime() / 1000) * 1000).toISOString().slice(0, 19) + '+00:00' },
        });
        if (res.status === 204 || res.status === 304) break;
        if (res.status !== 200) throw new ZohoApiError(res.status, errorCode(res.data) ?? 'UNEXPECTED_STATUS', 'listing deleted contacts failed');
        const body = Deleted.parse(res.data);
        for (const d of body.data) if (!d.deleted_time || Date.parse(d.deleted_time) >= Math.floor(since.getTime() / 1000) * 1000) ids.add(d.id);
        if (!body.info.more_records) break;
      }
      return [...ids];
    },
    async ensureStatusProperties(): Promise<void> {
      const l = await loadLayout(true);
      const missing = PROJECT_FIELDS.filter((f) => l.types[f.api_name] === undefined);
      if (missing.length === 0) return;
      const res = await client.request({
        method: 'POST',
        path: '/crm/v8/settings/fields',
        params: { module: MODULE },
        data: { fields: missing.map((f) => ({ field_label: f.field_label, data_type: f.data_type, ...(f.data_type === 'text' ? { length: 255 } : {}) })) },
        idempotent: false,
      });
      const parsed = CreateFieldsResponse.safeParse(res.data);
      const failed = parsed.success ? parsed.data.fields.filter((f) => f.status !== 'success' && f.code !== 'DUPLICATE_DATA') : [];
      if (!parsed.success || failed.length > 0) {
        throw new ZohoApiError(res.status, failed[0]?.code ?? errorCode(res.data) ?? 'UNEXPECTED_STATUS', `creating GDPR fields failed: ${failed.map((f) => f.message ?? f.code).join('; ')}`);
      }
      await loadLayout(true);
    },
    async apply(actions: Action[]): Promise<ActionResult[]> {
      const l = await loadLayout();
      return applyActions({ client, fieldTypes: l.types, readOnly: l.readOnly, consent: { consentPurpose: opts.consentPurpose, basisPicklist: l.basisPicklist }, hashKey }, actions);
    },
    async close() {
      const agent = client.http.defaults.httpAgent as { destroy?: () => void } | undefined;
      agent?.destroy?.();
      (client.http.defaults.httpsAgent as { destroy?: () => void } | undefined)?.destroy?.();
    },
  };
}
