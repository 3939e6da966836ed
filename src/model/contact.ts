import { z } from 'zod';
import { DataCategory, IsoDate, IsoDateTime, LawfulBasis, Vendor } from './common';
import { ConsentRecord } from './consent';

export const ContactSource = z.enum(['form', 'import', 'api', 'manual', 'integration', 'unknown']);
export type ContactSource = z.infer<typeof ContactSource>;

export const LifecycleStage = z.enum([
  'subscriber',
  'lead',
  'prospect',
  'customer',
  'former_customer',
  'other',
  'unknown',
]);

/** One property value with what kind of data it holds. */
export const PropertyValue = z.object({
  value: z.string().nullable(),
  category: DataCategory.default('unknown'),
  /** Vendor field type, used by anonymisation to write a format-valid replacement. */
  type: z.enum(['text', 'textarea', 'email', 'phone', 'number', 'date', 'datetime', 'enum', 'bool']).default('text'),
});
export type PropertyValue = z.infer<typeof PropertyValue>;

export const Note = z.object({
  id: z.string().min(1),
  createdAt: IsoDateTime,
  /** Plain text (HTML stripped). Held in memory only; the store never keeps it. */
  body: z.string(),
});
export type Note = z.infer<typeof Note>;

/** A purpose's lawful basis as recorded in the CRM (e.g. HubSpot hs_legal_basis). */
export const LawfulBasisRecord = z.object({
  purpose: z.string().min(1),
  basis: LawfulBasis,
  recordedAt: IsoDateTime.nullable().default(null),
});

/** A subscription (mailing list) as the CRM sends it; `purpose` is resolved from the policy pack. */
export const Subscription = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: z.enum(['subscribed', 'unsubscribed', 'not_specified']),
});

export const Contact = z.object({
  portalId: z.string().min(1),
  tenantId: z.string().min(1),
  vendor: Vendor,
  /** The vendor's record id. */
  id: z.string().min(1),
  objectType: z.enum(['contact', 'lead']).default('contact'),
  /** Identifiers used for suppression matching (lower-cased e-mails, E.164-ish phones). */
  identifiers: z
    .object({
      emails: z.array(z.string()).default([]),
      phones: z.array(z.string()).default([]),
    })
    .default({ emails: [], phones: [] }),
  ownerId: z.string().nullable().default(null),
  properties: z.record(z.string(), PropertyValue).default({}),
  createdAt: IsoDateTime,
  modifiedAt: IsoDateTime,
  lastActivityAt: IsoDateTime.nullable().default(null),
  lifecycle: z
    .object({
      stage: LifecycleStage.default('unknown'),
      /** When the customer relationship ended (contract end, churn). */
      relationshipEndedAt: IsoDateTime.nullable().default(null),
    })
    .default({ stage: 'unknown', relationshipEndedAt: null }),
  source: ContactSource.default('unknown'),
  birthDate: IsoDate.nullable().default(null),
  lawfulBasis: z.array(LawfulBasisRecord).default([]),
  consents: z.array(ConsentRecord).default([]),
  marketing: z
    .object({
      emailOptOut: z.boolean().nullable().default(null),
      subscriptions: z.array(Subscription).default([]),
    })
    .default({ emailOptOut: null, subscriptions: [] }),
  notes: z.array(Note).default([]),
  /** Set by the pipeline when the identifiers match a forgotten person's suppression hash. */
  suppressionMatch: z.boolean().default(false),
});
export type Contact = z.infer<typeof Contact>;
export type ContactInput = z.input<typeof Contact>;
