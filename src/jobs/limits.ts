/**
 * Default per-portal budgets by vendor, from the connectors' own limit tables. Plans differ
 * (HubSpot Professional allows 190 per 10 s, Zoho and Salesforce count daily credits by licence),
 * so startWorkers({ limitsFor }) overrides these per portal.
 */
import { HUBSPOT_LIMITS, BUCKET_DEFAULT, BUCKET_SEARCH } from '../../connectors/hubspot/limits';
import type { Vendor } from '../model';
import type { BudgetLimits } from './rate-budget';

export function defaultBudgetLimits(vendor: Vendor | string): BudgetLimits {
  if (vendor === 'hubspot') return { [BUCKET_DEFAULT]: HUBSPOT_LIMITS.burst, [BUCKET_SEARCH]: HUBSPOT_LIMITS.search };
  // Zoho (daily credits, concurrency) and Salesforce (daily requests) have no short window: only
  // backoff() applies unless the portal's plan is configured.
  return {};
}

/** Portal ids are `<vendor>:<vendor account id>`. */
export function vendorOfPortal(portalId: string): string {
  return portalId.split(':')[0] ?? '';
}
