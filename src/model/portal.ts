import { z } from 'zod';
import { Vendor } from './common';

/** How personal data may leave the EU/EEA (Art. 45–46). */
export const TransferMechanism = z.enum(['adequacy', 'dpf', 'scc', 'bcr', 'none']);
export type TransferMechanism = z.infer<typeof TransferMechanism>;

/** One connected CRM account. Every record carries its portal; every portal its tenant. */
export const Portal = z.object({
  /** Our id, `<vendor>:<vendor account id>`, e.g. `hubspot:12345678`. */
  id: z.string().min(1),
  vendor: Vendor,
  /** The vendor's own account id (HubSpot portalId, Zoho org id, Salesforce org id). */
  vendorAccountId: z.string().min(1),
  /** The customer organisation this portal belongs to (an agency runs many tenants). */
  tenantId: z.string().min(1),
  name: z.string().optional(),
  /** Vendor's data-hosting location as reported, e.g. `eu1`, `na1`, `eu`, `com`. */
  region: z.string().min(1),
  /** Whether `region` is inside the EU/EEA, derived by the connector from the vendor's region codes. */
  regionInEea: z.boolean(),
  transferMechanism: TransferMechanism.default('none'),
});
export type Portal = z.infer<typeof Portal>;
export type PortalInput = z.input<typeof Portal>;
