import { z } from 'zod';
import { IsoDateTime, Vendor } from './common';

/** What a webhook delivery means to us, whatever vendor sent it. */
export const ChangeEvent = z.object({
  vendor: Vendor,
  vendorAccountId: z.string(),
  eventId: z.string(),
  objectId: z.string(),
  kind: z.enum(['created', 'updated', 'deleted', 'privacy_deleted', 'merged', 'restored']),
  occurredAt: IsoDateTime,
  property: z.string().optional(),
  source: z.string().optional(),
});
export type ChangeEvent = z.infer<typeof ChangeEvent>;
