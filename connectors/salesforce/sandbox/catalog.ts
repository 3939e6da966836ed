/** Describe metadata of the sandbox org's objects (a subset of the real fields, with their real types). */
export interface SbField {
  name: string;
  label: string;
  type: string;
  custom?: boolean;
  updateable?: boolean;
  createable?: boolean;
  nillable?: boolean;
  length?: number;
  picklistValues?: { value: string; active: boolean }[];
  /** Reference fields: the object(s) they point to and the relationship name SOQL paths use (describe). */
  referenceTo?: string[];
  relationshipName?: string;
}

const f = (name: string, type: string, extra: Partial<SbField> = {}): SbField => ({
  name,
  label: extra.label ?? name.replace(/__c$/, '').replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2'),
  type,
  custom: name.endsWith('__c'),
  updateable: true,
  createable: true,
  nillable: true,
  ...(type === 'string' || type === 'email' || type === 'phone' ? { length: 255 } : {}),
  ...(type === 'textarea' ? { length: name.endsWith('__c') ? 131_072 : 32_000 } : {}),
  ...extra,
});
const ro = { updateable: false, createable: false };
const sys = (): SbField[] => [
  f('Id', 'id', { ...ro, nillable: false }),
  f('IsDeleted', 'boolean', { ...ro, nillable: false }),
  f('CreatedDate', 'datetime', { ...ro, nillable: false }),
  f('LastModifiedDate', 'datetime', { ...ro, nillable: false }),
  f('SystemModstamp', 'datetime', { ...ro, nillable: false }),
];
const person = (): SbField[] => [
  f('FirstName', 'string'),
  f('LastName', 'string', { nillable: false }),
  f('Name', 'string', ro),
  f('Email', 'email', { length: 80 }),
  f('Phone', 'phone', { length: 40 }),
  f('MobilePhone', 'phone', { length: 40 }),
  f('Title', 'string', { length: 128 }),
  f('Description', 'textarea'),
  f('OwnerId', 'reference', { nillable: false }),
  f('LastActivityDate', 'date', ro),
  f('EmailBouncedDate', 'datetime'),
  f('HasOptedOutOfEmail', 'boolean', { nillable: false }),
  f('DoNotCall', 'boolean', { nillable: false }),
  f('HasOptedOutOfFax', 'boolean', { nillable: false }),
  f('LeadSource', 'picklist', { picklistValues: ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'API', 'Other'].map((value) => ({ value, active: true })) }),
  f('Lifecycle_Stage__c', 'picklist', { picklistValues: ['Subscriber', 'Lead', 'Customer', 'Former Customer'].map((value) => ({ value, active: true })) }),
  f('Relationship_Ended__c', 'date'),
  f('Newsletter_Subscribed__c', 'boolean', { nillable: false }),
  f('BSN__c', 'string', { length: 20 }),
  f('GDPR_Consent_Evidence__c', 'textarea', { label: 'GDPR Consent Evidence' }),
];

export function baseCatalog(hasConsentObjects: boolean): Record<string, SbField[]> {
  const individualId = hasConsentObjects ? [f('IndividualId', 'reference', { referenceTo: ['Individual'], relationshipName: 'Individual' })] : [];
  const cat: Record<string, SbField[]> = {
    Contact: [...sys(), ...person(), f('MailingCity', 'string', { length: 40 }), f('MailingCountry', 'string', { length: 80 }), f('Department', 'string', { length: 80 }), f('Birthdate', 'date'), ...individualId],
    Lead: [
      ...sys(),
      ...person(),
      f('Company', 'string', { nillable: false }),
      f('City', 'string', { length: 40 }),
      f('Country', 'string', { length: 80 }),
      f('Status', 'picklist', { nillable: false, picklistValues: ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted'].map((value) => ({ value, active: true })) }),
      ...individualId,
    ],
    Task: [
      ...sys(),
      f('Subject', 'combobox'),
      f('Description', 'textarea'),
      f('WhoId', 'reference'),
      f('WhatId', 'reference'),
      f('OwnerId', 'reference', { nillable: false }),
      f('ActivityDate', 'date'),
      f('Status', 'picklist', { nillable: false, picklistValues: ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'].map((value) => ({ value, active: true })) }),
      f('Priority', 'picklist', { nillable: false, picklistValues: ['High', 'Normal', 'Low'].map((value) => ({ value, active: true })) }),
      // Standard Task field, derived from Status (TaskStatus.IsClosed; here: Completed is the closed status).
      f('IsClosed', 'boolean', { ...ro, nillable: false }),
    ],
    ContentNote: [...sys(), f('Title', 'string'), f('Content', 'base64'), f('TextPreview', 'string', ro), f('FileType', 'string', ro), f('OwnerId', 'reference')],
    ContentDocumentLink: [f('Id', 'id', ro), f('IsDeleted', 'boolean', ro), f('SystemModstamp', 'datetime', ro), f('ContentDocumentId', 'reference', { updateable: false }), f('LinkedEntityId', 'reference', { updateable: false }), f('ShareType', 'picklist'), f('Visibility', 'picklist')],
    Note: [...sys(), f('ParentId', 'reference', { updateable: false }), f('Title', 'string'), f('Body', 'textarea'), f('IsPrivate', 'boolean'), f('OwnerId', 'reference')],
    Organization: [f('Id', 'id', ro), f('Name', 'string', ro), f('InstanceName', 'string', ro), f('IsSandbox', 'boolean', ro), f('OrganizationType', 'picklist', ro), f('Country', 'string', ro), f('CountryCode', 'string', ro)],
    User: [f('Id', 'id', ro), f('Username', 'string', ro), f('Email', 'email', ro), f('FirstName', 'string', ro), f('LastName', 'string', ro), f('IsActive', 'boolean', ro)],
  };
  if (hasConsentObjects) {
    cat.Individual = [
      ...sys(),
      f('FirstName', 'string'),
      f('LastName', 'string', { nillable: false }),
      f('BirthDate', 'date'),
      ...['HasOptedOutProcessing', 'HasOptedOutSolicit', 'HasOptedOutProfiling', 'HasOptedOutTracking', 'HasOptedOutGeoTracking', 'ShouldForget', 'SendIndividualData', 'CanStorePiiElsewhere'].map((n) => f(n, 'boolean', { nillable: false })),
      f('OwnerId', 'reference'),
    ];
    const cpt = ['Email', 'MailingAddress', 'Phone', 'Social', 'Web'].map((value) => ({ value, active: true }));
    cat.ContactPointTypeConsent = [
      ...sys(),
      f('Name', 'string'),
      f('PartyId', 'reference', { nillable: false, referenceTo: ['Individual'], relationshipName: 'Party' }),
      f('ContactPointType', 'picklist', { nillable: false, picklistValues: cpt }),
      f('PrivacyConsentStatus', 'picklist', { picklistValues: ['OptIn', 'OptOut', 'NotSeen', 'Seen'].map((value) => ({ value, active: true })) }),
      f('DataUsePurposeId', 'reference', { referenceTo: ['DataUsePurpose'], relationshipName: 'DataUsePurpose' }),
      f('EffectiveFrom', 'datetime'),
      f('EffectiveTo', 'datetime'),
      f('CaptureDate', 'datetime', { nillable: false }),
      f('CaptureSource', 'string', { nillable: false }),
      f('CaptureContactPointType', 'picklist', { nillable: false, picklistValues: cpt }),
      f('DoubleConsentCaptureDate', 'datetime'),
      f('OwnerId', 'reference'),
    ];
    cat.DataUsePurpose = [...sys(), f('Name', 'string', { nillable: false }), f('Description', 'textarea'), f('CanDataSubjectOptOut', 'boolean', { nillable: false }), f('LegalBasisId', 'reference')];
  }
  return cat;
}

/** Objects whose writes the sandbox accepts (others are read-only here). */
export const WRITABLE = new Set(['Contact', 'Lead', 'Task', 'ContentNote', 'ContentDocumentLink', 'Note', 'Individual', 'ContactPointTypeConsent', 'DataUsePurpose']);

export const KEY_PREFIXES: Record<string, string> = {
  Contact: '003', Lead: '00Q', User: '005', Task: '00T', Note: '002', ContentNote: '069', ContentDocumentLink: '06A', Individual: '0PK',
  ContactPointTypeConsent: '0ZY', DataUsePurpose: '0ZW', Organization: '00D', QueryJob: '750', CustomField: '00N',
};
