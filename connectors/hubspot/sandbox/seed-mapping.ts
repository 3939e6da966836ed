/** Maps vendor-neutral seed people onto HubSpot contacts, notes, owners and subscription statuses. */
import { iteratePeople } from '../../sandbox-seed/people';
import { SEED_OWNERS, type SeedOptions, type SeedPerson } from '../../sandbox-seed/types';
import { consentProperty, EXTRA_PROPERTIES } from '../custom-properties';
import { NEWSLETTER_SUBSCRIPTION_ID } from './catalog';
import type { SandboxState } from './state';
import type { Owner } from './types';

/** Contact id of seed person `seq` (ids start at 1001). */
export const contactIdForSeq = (seq: number): string => String(1000 + seq);

const OWNER_TIME = '2021-03-01T09:00:00.000Z';

export function seedOwners(state: SandboxState): void {
  SEED_OWNERS.forEach((o, i) => {
    const owner: Owner = {
      id: o.id,
      email: o.email,
      firstName: o.firstName,
      lastName: o.lastName,
      userId: 9000 + i,
      userIdIncludingInactive: 9000 + i,
      type: 'PERSON',
      teams: [],
      createdAt: OWNER_TIME,
      updatedAt: OWNER_TIME,
      archived: false,
    };
    state.owners.push(owner);
  });
}

function legalBasisValues(p: SeedPerson): string | null {
  const out = new Set<string>();
  for (const b of p.lawfulBasis) {
    if (b.basis === 'consent') out.add('Freely given consent from contact');
    else if (b.basis === 'contract') out.add('Performance of a contract');
    else if (b.basis === 'legitimate_interest')
      out.add(p.lifecycle === 'customer' || p.lifecycle === 'former_customer' ? 'Legitimate interest – existing customer' : 'Legitimate interest – prospect/lead');
    else out.add('Legitimate interest - other');
  }
  return out.size ? [...out].join(';') : null;
}

const SOURCE: Record<SeedPerson['source'], string> = { form: 'FORM', import: 'IMPORT', api: 'INTEGRATION', manual: 'CRM_UI' };
const LIFECYCLE: Record<SeedPerson['lifecycle'], string> = {
  subscriber: 'subscriber',
  lead: 'lead',
  customer: 'customer',
  // HubSpot's lifecycle only moves forward: a former customer stays "customer" with relationship_ended_at set.
  former_customer: 'customer',
};

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** HubSpot stores note bodies as HTML like this. */
export const noteHtml = (text: string): string => `<div style="" dir="auto" data-top-level="true"><p style="margin:0;">${escapeHtml(text)}</p></div>`;

export function contactProperties(p: SeedPerson): Record<string, string | null> {
  const props: Record<string, string | null> = {
    email: p.email,
    firstname: p.firstName,
    lastname: p.lastName,
    phone: p.phone,
    city: p.city,
    country: p.country,
    jobtitle: p.jobTitle,
    company: p.company,
    lifecyclestage: LIFECYCLE[p.lifecycle],
    hubspot_owner_id: SEED_OWNERS[p.ownerIndex % SEED_OWNERS.length]?.id ?? null,
    hs_legal_basis: legalBasisValues(p),
    hs_email_optout: String(p.emailOptOut),
    hs_object_source: SOURCE[p.source],
    notes_last_updated: p.lastActivityAt,
    notes_last_contacted: p.lastActivityAt,
    [EXTRA_PROPERTIES.dateOfBirth]: p.dateOfBirth,
    [EXTRA_PROPERTIES.relationshipEndedAt]: p.relationshipEndedAt,
    [EXTRA_PROPERTIES.bsn]: p.bsn,
  };
  for (const c of p.consents) {
    props[consentProperty(c.purpose, 'status')] = c.status;
    props[consentProperty(c.purpose, 'captured_at')] = c.capturedAt;
    props[consentProperty(c.purpose, 'method')] = c.method;
    props[consentProperty(c.purpose, 'evidence')] = c.evidenceRef;
    props[consentProperty(c.purpose, 'privacy_version')] = c.privacyTextVersion;
    props[consentProperty(c.purpose, 'pre_ticked')] = String(c.preTicked);
    props[consentProperty(c.purpose, 'parental')] = c.parentalConsent === null ? null : String(c.parentalConsent);
    props[consentProperty(c.purpose, 'withdrawn_at')] = c.withdrawnAt;
  }
  for (const k of Object.keys(props)) if (props[k] === null) delete props[k];
  return props;
}

export function seedPortal(state: SandboxState, opts: SeedOptions): number {
  let n = 0;
  for (const p of iteratePeople(opts)) {
    const rec = state.insert('contacts', contactProperties(p), { createdAt: p.createdAt, updatedAt: p.modifiedAt }, contactIdForSeq(p.seq));
    if (p.newsletterSubscribed !== null) {
      const consent = p.consents.find((c) => c.purpose === 'newsletter' && c.status === 'granted');
      const li = p.lawfulBasis.some((b) => b.purpose === 'marketing_existing_customers');
      state.setSubscriptionStatus(
        p.email,
        NEWSLETTER_SUBSCRIPTION_ID,
        {
          status: p.newsletterSubscribed ? 'SUBSCRIBED' : 'NOT_SUBSCRIBED',
          legalBasis: consent ? 'CONSENT_WITH_NOTICE' : li ? 'LEGITIMATE_INTEREST_CLIENT' : null,
          legalBasisExplanation: consent ? 'Opt-in via website form' : li ? 'Existing customer, opt-out in every mail' : null,
        },
        p.modifiedAt,
      );
    }
    if (p.emailOptOut) {
      // Opted out of all e-mail: every subscription reads as opted out on the record.
      for (const sub of state.subscriptionDefinitions) rec.properties[`hs_email_optout_${sub.id}`] = 'true';
    }
    for (const note of p.notes) {
      const owner = rec.properties.hubspot_owner_id ?? null;
      const noteRec = state.insert(
        'notes',
        { hs_note_body: noteHtml(note.body), hs_timestamp: note.createdAt, hubspot_owner_id: owner },
        { createdAt: note.createdAt, updatedAt: note.createdAt },
      );
      state.associate('contacts', rec.id, 'notes', noteRec.id, true);
    }
    n++;
  }
  return n;
}
