import { Contact, type ContactInput } from '../../src/model';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> | T[K] : T[K] };

/** A clean, lawful baseline contact (a customer with a contract and recent activity); tests change one thing. */
export function contact(over: Partial<ContactInput> & DeepPartial<Pick<ContactInput, 'lifecycle' | 'marketing'>> = {}): Contact {
  const base: ContactInput = {
    portalId: 'hubspot:1',
    tenantId: 't1',
    vendor: 'hubspot',
    id: '501',
    identifiers: { emails: ['jan@example.nl'], phones: [] },
    ownerId: '101',
    properties: {
      email: { value: 'jan@example.nl', category: 'contact', type: 'email' },
      firstname: { value: 'Jan', category: 'identity' },
      lastname: { value: 'de Vries', category: 'identity' },
    },
    createdAt: '2025-01-10T10:00:00.000Z',
    modifiedAt: '2026-10-01T10:00:00.000Z',
    lastActivityAt: '2026-10-01T10:00:00.000Z',
    lifecycle: { stage: 'customer', relationshipEndedAt: null },
    source: 'form',
    lawfulBasis: [{ purpose: '*', basis: 'contract', recordedAt: null }],
    consents: [],
    marketing: { emailOptOut: false, subscriptions: [] },
    notes: [],
  };
  return Contact.parse({
    ...base,
    ...over,
    lifecycle: { ...base.lifecycle, ...(over.lifecycle ?? {}) },
    marketing: { ...base.marketing, ...(over.marketing ?? {}) },
  });
}

export const NOW = Date.parse('2026-11-25T12:00:00.000Z');

export const grantedNewsletter = {
  purpose: 'newsletter',
  status: 'granted' as const,
  capturedAt: '2025-03-01T09:00:00.000Z',
  method: 'double_opt_in_email' as const,
  evidenceRef: 'doi-88121',
  privacyTextVersion: 'v3',
  preTicked: false,
  parentalConsent: null,
  withdrawnAt: null,
};

export const newsletterSub = { id: '9001', name: 'Newsletter', status: 'subscribed' as const };
