import { createConnector } from '../../connectors';
import { createMemoryRateBudget } from '../../connectors/memory-rate-budget';
import type { Connector } from '../../connectors/types';
import type { Env } from '../config';
import type { Vendor } from '../model';
import { InputError } from './jsonl';

/** Builds a connector from environment credentials (never from flags or files, so they stay out of shell history). */
export function connectorFromEnv(vendor: Vendor, tenantId: string, env: Env, baseUrl?: string): Connector {
  switch (vendor) {
    case 'hubspot': {
      if (!env.HUBSPOT_ACCESS_TOKEN) throw new InputError('HUBSPOT_ACCESS_TOKEN is not set: create a private app (or service key) with crm.objects.contacts.read/write and export its token');
      return createConnector({
        vendor,
        tenantId,
        accessToken: env.HUBSPOT_ACCESS_TOKEN,
        baseUrl: baseUrl ?? env.HUBSPOT_BASE_URL,
        budget: createMemoryRateBudget({ default: { points: 100, durationMs: 10_000 }, search: { points: 4, durationMs: 1_000 } }),
      });
    }
    case 'zoho': {
      if (!env.ZOHO_REFRESH_TOKEN || !env.ZOHO_CLIENT_ID || !env.ZOHO_CLIENT_SECRET) {
        throw new InputError('ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET and ZOHO_REFRESH_TOKEN must be set (Zoho API console, self client)');
      }
      return createConnector({
        vendor,
        tenantId,
        baseUrl: baseUrl ?? env.ZOHO_API_DOMAIN,
        options: {
          clientId: env.ZOHO_CLIENT_ID,
          clientSecret: env.ZOHO_CLIENT_SECRET,
          refreshToken: env.ZOHO_REFRESH_TOKEN,
          dataCentre: env.ZOHO_DATA_CENTRE ?? 'eu',
          accountsUrl: env.ZOHO_ACCOUNTS_URL,
          apiDomain: baseUrl ?? env.ZOHO_API_DOMAIN,
          hashKey: process.env.GDPR_CRM_ANONYMISE_KEY,
        },
      });
    }
    case 'salesforce': {
      if (!env.SALESFORCE_ACCESS_TOKEN && !env.SALESFORCE_REFRESH_TOKEN) throw new InputError('SALESFORCE_ACCESS_TOKEN (or SALESFORCE_REFRESH_TOKEN with client id/secret) must be set');
      const url = baseUrl ?? env.SALESFORCE_INSTANCE_URL;
      if (!url) throw new InputError('SALESFORCE_INSTANCE_URL must be set, e.g. https://yourorg.my.salesforce.com');
      return createConnector({
        vendor,
        tenantId,
        baseUrl: url,
        accessToken: env.SALESFORCE_ACCESS_TOKEN,
        options: { refreshToken: env.SALESFORCE_REFRESH_TOKEN, clientId: env.SALESFORCE_CLIENT_ID, clientSecret: env.SALESFORCE_CLIENT_SECRET, hashKey: process.env.GDPR_CRM_ANONYMISE_KEY },
      });
    }
  }
}
