/**
 * SeedPerson -> Zoho Contacts record and notes, as an org set up by this project would hold them:
 * native GDPR fields plus the GDPR_Consent_Evidence custom field (written through the connector's
 * own mapping, so seed and connector agree on it).
 */
import { SEED_OWNERS, type SeedPerson } from '../../sandbox-seed/types';
import { consentToZoho } from '../mapping';
import type { ConsentRecord } from '../../../src/model';

/** Zoho ids are 18-19 digit numeric strings: an org prefix and a sequence. */
export const ORG_PREFIX = '5725767000';
export const zohoId = (kind: number, seq: number): string => `${ORG_PREFIX}${kind}${String(seq).padStart(8, '0')}`;
export const ID_KIND = { contact: 1, note: 2, task: 3, consent: 4, account: 5, job: 6, field: 7, user: 8 } as const;

/** Zoho's datetime format: second precision with an offset. */
export function zohoTime(msOrIso: number | string): string {
  const ms = typeof msOrIso === 'number' ? msOrIso : Date.parse(msOrIso);
  return new Date(ms).toISOString().slice(0, 19) + '+00:00';
}

export const zohoUser = (i: number): { name: string; id: string; email: string } => {
  const o = SEED_OWNERS[i % SEED_OWNERS.length] as (typeof SEED_OWNERS)[number];
  return { name: `${o.firstName} ${o.lastName}`, id: zohoId(ID_KIND.user, Number(o.id)), email: o.email };
};

const SOURCE: Record<SeedPerson['source'], string> = { form: 'Web Form', import: 'Import', api: 'API', manual: 'Manual' };
const STAGE: Record<SeedPerson['lifecycle'], string> = { subscriber: 'Subscriber', lead: 'Lead', customer: 'Customer', former_customer: 'Former Customer' };

export interface SeededContact {
  record: Record<string, unknown> & { id: string };
  notes: { id: string; Note_Title: string; Note_Content: string; Created_Time: string; Modified_Time: string }[];
}

export function seedToZoho(p: SeedPerson, noteSeq: () => number): SeededContact {
  const id = zohoId(ID_KIND.contact, p.seq);
  const mobile = p.phone && /^\+(316|447)/.test(p.phone) ? p.phone : null;
  const consents: ConsentRecord[] = p.consents.map((c) => ({ ...c, lawfulBasis: 'consent' }));
  const consent = consentToZoho(
    p.lawfulBasis.map((b) => ({ ...b, recordedAt: null })),
    consents,
  );
  const details = consent.fields.Data_Processing_Basis_Details as Record<string, unknown> | undefined;
  const record: Record<string, unknown> & { id: string } = {
    id,
    Owner: zohoUser(p.ownerIndex),
    First_Name: p.firstName,
    Last_Name: p.lastName,
    Full_Name: `${p.firstName} ${p.lastName}`,
    Email: p.email,
    Secondary_Email: null,
    Phone: mobile ? null : p.phone,
    Mobile: mobile,
    Title: p.jobTitle,
    Account_Name: p.company ? { name: p.company, id: zohoId(ID_KIND.account, p.seq) } : null,
    Mailing_City: p.city,
    Mailing_Country: p.country,
    Date_of_Birth: p.dateOfBirth,
    Description: null,
    BSN: p.bsn,
    Created_Time: zohoTime(p.createdAt),
    Modified_Time: zohoTime(p.modifiedAt),
    Last_Activity_Time: p.lastActivityAt ? zohoTime(p.lastActivityAt) : null,
    Lifecycle_Stage: STAGE[p.lifecycle],
    Relationship_Ended_At: p.relationshipEndedAt ? zohoTime(p.relationshipEndedAt) : null,
    Data_Source: SOURCE[p.source],
    Email_Opt_Out: p.emailOptOut,
    Newsletter_Subscribed: p.newsletterSubscribed,
    Data_Processing_Basis: (consent.fields.Data_Processing_Basis as string | undefined) ?? 'Not Applicable',
    Data_Processing_Basis_Details: details ? { id: zohoId(ID_KIND.consent, p.seq), ...details } : null,
    GDPR_Consent_Evidence: consent.fields.GDPR_Consent_Evidence ?? null,
    GDPR_Status: null,
    GDPR_Next_Action_At: null,
    GDPR_Last_Scan_At: null,
    GDPR_Rule_Ids: null,
  };
  const notes = p.notes.map((n) => ({
    id: zohoId(ID_KIND.note, noteSeq()),
    Note_Title: 'Note',
    Note_Content: n.body,
    Created_Time: zohoTime(n.createdAt),
    Modified_Time: zohoTime(n.createdAt),
  }));
  return { record, notes };
}
