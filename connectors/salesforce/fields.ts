/**
 * Which Contact/Lead fields the connector reads and writes, what kind of data each holds, and the
 * custom fields it uses (created by ensureStatusProperties; an admin may add the others).
 */
import type { DataCategory } from '../../src/model';
import { STATUS_PROPERTIES } from '../types';

export type SfObject = 'Contact' | 'Lead';
export const OBJECTS: readonly SfObject[] = ['Contact', 'Lead'];
export const OBJECT_TYPE: Record<SfObject, 'contact' | 'lead'> = { Contact: 'contact', Lead: 'lead' };

export const CUSTOM = {
  lifecycle: 'Lifecycle_Stage__c',
  relationshipEndedAt: 'Relationship_Ended__c',
  /** Long text area: JSON (no personal values) of what Salesforce's own fields and objects cannot express. */
  consentEvidence: 'GDPR_Consent_Evidence__c',
  newsletter: 'Newsletter_Subscribed__c',
} as const;

/** Model status keys -> our custom fields. */
export const STATUS_FIELDS: Record<string, string> = {
  [STATUS_PROPERTIES.status]: 'GDPR_Status__c',
  [STATUS_PROPERTIES.nextActionAt]: 'GDPR_Next_Action_At__c',
  [STATUS_PROPERTIES.lastScanAt]: 'GDPR_Last_Scan_At__c',
  [STATUS_PROPERTIES.ruleIds]: 'GDPR_Rule_Ids__c',
};
/** What ensureStatusProperties creates (Tooling API CustomField), per object. */
export const PROJECT_FIELDS: readonly { name: string; label: string; type: 'Text' | 'DateTime' | 'LongTextArea' }[] = [
  { name: 'GDPR_Status__c', label: 'GDPR Status', type: 'Text' },
  { name: 'GDPR_Next_Action_At__c', label: 'GDPR Next Action At', type: 'DateTime' },
  { name: 'GDPR_Last_Scan_At__c', label: 'GDPR Last Scan At', type: 'DateTime' },
  { name: 'GDPR_Rule_Ids__c', label: 'GDPR Rule Ids', type: 'Text' },
  { name: CUSTOM.consentEvidence, label: 'GDPR Consent Evidence', type: 'LongTextArea' },
];

/** Subscription-like checkboxes (Salesforce core has no list subscriptions). */
export const SUBSCRIPTION_FIELDS: readonly { field: string; name: string }[] = [{ field: CUSTOM.newsletter, name: 'Newsletter' }];
/** The global e-mail opt-out, also accepted as an `unsubscribe` subscription id. */
export const EMAIL_OPT_OUT = 'HasOptedOutOfEmail';

/** Fields every scan reads (when the org has them), besides what the caller asks. */
export const CORE_FIELDS: readonly string[] = [
  'Id', 'FirstName', 'LastName', 'Email', 'Phone', 'MobilePhone', 'OwnerId', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp', 'LastActivityDate',
  'HasOptedOutOfEmail', 'DoNotCall', 'HasOptedOutOfFax', 'IndividualId', 'LeadSource', 'Birthdate',
  CUSTOM.lifecycle, CUSTOM.relationshipEndedAt, CUSTOM.consentEvidence, CUSTOM.newsletter,
];

export const FIELD_CATEGORIES: Record<string, DataCategory> = {
  Id: 'system', OwnerId: 'system', CreatedDate: 'system', LastModifiedDate: 'system', SystemModstamp: 'system', IsDeleted: 'system', IndividualId: 'system',
  FirstName: 'identity', LastName: 'identity', Name: 'identity', Salutation: 'identity',
  Email: 'contact', Phone: 'contact', MobilePhone: 'contact', HomePhone: 'contact', OtherPhone: 'contact', Fax: 'contact',
  MailingStreet: 'location', MailingCity: 'location', MailingPostalCode: 'location', MailingState: 'location', MailingCountry: 'location',
  Street: 'location', City: 'location', PostalCode: 'location', State: 'location', Country: 'location',
  Birthdate: 'date_of_birth',
  Title: 'professional', Department: 'professional', Company: 'professional', AccountId: 'professional',
  Description: 'free_text',
  LeadSource: 'system', Status: 'system', LastActivityDate: 'behavioural', EmailBouncedDate: 'behavioural',
  HasOptedOutOfEmail: 'consent', DoNotCall: 'consent', HasOptedOutOfFax: 'consent',
  BSN__c: 'national_id',
  [CUSTOM.lifecycle]: 'system', [CUSTOM.relationshipEndedAt]: 'system', [CUSTOM.consentEvidence]: 'consent', [CUSTOM.newsletter]: 'consent',
  GDPR_Status__c: 'system', GDPR_Next_Action_At__c: 'system', GDPR_Last_Scan_At__c: 'system', GDPR_Rule_Ids__c: 'system',
};

/** Required on create and not nillable: anonymise writes text instead of clearing them. */
export const MANDATORY_FIELDS: Record<SfObject, ReadonlySet<string>> = {
  Contact: new Set(['LastName']),
  Lead: new Set(['LastName', 'Company', 'Status']),
};

export const INDIVIDUAL_FLAGS = ['HasOptedOutProcessing', 'HasOptedOutSolicit', 'HasOptedOutProfiling', 'HasOptedOutTracking', 'ShouldForget'] as const;
export const INDIVIDUAL_FIELDS = ['Id', 'FirstName', 'LastName', 'BirthDate', ...INDIVIDUAL_FLAGS] as const;
/**
 * What a scan reads of the linked Individual, through the Contact/Lead parent relationship in the same
 * query (Individual.ShouldForget, ...): what the mapping uses (flags, BirthDate); no names.
 */
export const INDIVIDUAL_RELATIONSHIP = 'Individual';
export const INDIVIDUAL_READ_FIELDS = ['BirthDate', ...INDIVIDUAL_FLAGS] as const;
export const CPTC_FIELDS = [
  'Id', 'PartyId', 'DataUsePurposeId', 'ContactPointType', 'PrivacyConsentStatus', 'CaptureDate', 'CaptureSource', 'CaptureContactPointType',
  'EffectiveFrom', 'EffectiveTo', 'DoubleConsentCaptureDate',
] as const;
