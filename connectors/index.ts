/** Creates the connector for a vendor. Vendor modules load lazily so one vendor's SDK never slows another. */
import type { Connector, ConnectorConfig, RateBudget } from './types';

export function createConnector(cfg: ConnectorConfig & { budget?: RateBudget }): Connector {
  switch (cfg.vendor) {
    case 'hubspot':
      return (require('./hubspot/connector') as typeof import('./hubspot/connector')).createHubSpotConnector(cfg);
    case 'zoho':
      return (require('./zoho/connector') as typeof import('./zoho/connector')).createZohoConnector(cfg);
    case 'salesforce':
      return (require('./salesforce/connector') as typeof import('./salesforce/connector')).createSalesforceConnector(cfg);
  }
}
