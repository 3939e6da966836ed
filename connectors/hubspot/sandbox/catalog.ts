/**
 * Property definitions a fresh sandbox portal starts with: HubSpot's default personal and system
 * properties (reference §2), plus the custom consent / date-of-birth / BSN properties the seed uses.
 */
import { CONSENT_FIELDS, CONSENT_GROUP, consentProperty, EXTRA_PROPERTIES } from '../custom-properties';
import type { ObjectType, PropertyDef, PropertyGroup, PropertyOption, SubscriptionDefinition } from './types';

export const CATALOG_TIME = '2020-01-01T00:00:00.000Z';

export const LEGAL_BASIS_VALUES = [
  'Legitimate interest – prospect/lead',
  'Legitimate interest – existing customer',
  'Legitimate interest - other',
  'Performance of a contract',
  'Freely given consent from contact',
  'Not applicable',
] as const;

export const LIFECYCLE_VALUES = [
  'subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other',
] as const;

export const SUBSCRIPTIONS: SubscriptionDefinition[] = [
  { id: '11111', name: 'Newsletter', description: 'Monthly newsletter', purpose: 'Marketing', communicationMethod: 'Email', isActive: true, isDefault: false, isInternal: false, businessUnitId: 0, createdAt: CATALOG_TIME, updatedAt: CATALOG_TIME },
  { id: '22222', name: 'Customer updates', description: 'Product and service updates for customers', purpose: 'Customer Service', communicationMethod: 'Email', isActive: true, isDefault: false, isInternal: false, businessUnitId: 0, createdAt: CATALOG_TIME, updatedAt: CATALOG_TIME },
  { id: '33333', name: 'One to One', description: 'One to one emails from sales and support', purpose: 'Sales', communicationMethod: 'Email', isActive: true, isDefault: true, isInternal: true, businessUnitId: 0, createdAt: CATALOG_TIME, updatedAt: CATALOG_TIME },
];
export const NEWSLETTER_SUBSCRIPTION_ID = '11111';

const options = (values: readonly string[], labels?: readonly string[]): PropertyOption[] =>
  values.map((value, i) => ({ label: labels?.[i] ?? value, value, displayOrder: i, hidden: false, description: '' }));
const BOOL_OPTIONS = options(['true', 'false'], ['Yes', 'No']);

interface DefInput {
  label: string;
  type: PropertyDef['type'];
  fieldType: string;
  groupName?: string;
  readOnly?: boolean;
  hubspotDefined?: boolean;
  options?: PropertyOption[];
  hasUniqueValue?: boolean;
  calculated?: boolean;
}

export function makeProperty(name: string, d: DefInput, displayOrder = -1): PropertyDef {
  const readOnly = d.readOnly ?? false;
  return {
    name,
    label: d.label,
    type: d.type,
    fieldType: d.fieldType,
    groupName: d.groupName ?? 'contactinformation',
    description: '',
    options: d.options ?? (d.type === 'bool' ? BOOL_OPTIONS : []),
    displayOrder,
    calculated: d.calculated ?? false,
    externalOptions: false,
    hasUniqueValue: d.hasUniqueValue ?? false,
    hidden: false,
    hubspotDefined: d.hubspotDefined ?? true,
    formField: !readOnly,
    modificationMetadata: { archivable: !(d.hubspotDefined ?? true), readOnlyDefinition: d.hubspotDefined ?? true, readOnlyValue: readOnly },
    createdAt: CATALOG_TIME,
    updatedAt: CATALOG_TIME,
    archived: false,
  };
}

const text = (label: string, groupName?: string): DefInput => ({ label, type: 'string', fieldType: 'text', groupName });
const dt = (label: string, readOnly = false, groupName?: string): DefInput => ({ label, type: 'datetime', fieldType: 'date', readOnly, groupName });

function contactDefaults(): Record<string, DefInput> {
  const out: Record<string, DefInput> = {
    hs_object_id: { label: 'Record ID', type: 'number', fieldType: 'number', readOnly: true, calculated: true, groupName: 'contactinformation' },
    createdate: dt('Create Date', true),
    lastmodifieddate: dt('Last Modified Date', true),
    email: { label: 'Email', type: 'string', fieldType: 'text', hasUniqueValue: true },
    firstname: text('First Name'),
    lastname: text('Last Name'),
    phone: { label: 'Phone Number', type: 'string', fieldType: 'phonenumber' },
    mobilephone: { label: 'Mobile Phone Number', type: 'string', fieldType: 'phonenumber' },
    address: text('Street Address'),
    city: text('City'),
    zip: text('Postal Code'),
    country: text('Country/Region'),
    jobtitle: text('Job Title'),
    company: text('Company Name'),
    notes_last_contacted: dt('Last Contacted', true, 'sales_properties'),
    notes_last_updated: dt('Last Activity Date', true, 'sales_properties'),
    hs_last_sales_activity_timestamp: dt('Last Engagement Date', true, 'sales_properties'),
    lifecyclestage: { label: 'Lifecycle Stage', type: 'enumeration', fieldType: 'radio', options: options(LIFECYCLE_VALUES) },
    hubspot_owner_id: { label: 'Contact owner', type: 'enumeration', fieldType: 'select', groupName: 'sales_properties' },
    hs_legal_basis: { label: "Legal basis for processing contact's data", type: 'enumeration', fieldType: 'checkbox', options: options(LEGAL_BASIS_VALUES) },
    hs_email_optout: { label: 'Unsubscribed from all email', type: 'bool', fieldType: 'booleancheckbox', readOnly: true, groupName: 'emailinformation' },
    hs_marketable_status: { label: 'Marketing contact status', type: 'enumeration', fieldType: 'booleancheckbox', options: BOOL_OPTIONS, readOnly: true },
    hs_additional_emails: { label: 'Additional email addresses', type: 'enumeration', fieldType: 'checkbox', readOnly: true },
    hs_merged_object_ids: { label: 'Merged Contact IDs', type: 'enumeration', fieldType: 'checkbox', readOnly: true },
    // Values as seen in portals; exact option list UNCONFIRMED.
    hs_object_source: { label: 'Record source', type: 'string', fieldType: 'text', readOnly: true },
    hubspotscore: { label: 'HubSpot Score', type: 'number', fieldType: 'number', readOnly: true, calculated: true },
  };
  for (const sub of SUBSCRIPTIONS) {
    out[`hs_email_optout_${sub.id}`] = {
      label: `Opted out of email: ${sub.name}`,
      type: 'enumeration',
      fieldType: 'radio',
      options: options(['true', 'false'], ['Yes', 'No']),
      readOnly: true,
      groupName: 'emailinformation',
    };
  }
  return out;
}

const CONSENT_METHODS = ['form_checkbox', 'double_opt_in_email', 'signature', 'phone_recording', 'verbal', 'import', 'api', 'unknown'];

export function customContactProperties(): Record<string, DefInput> {
  const out: Record<string, DefInput> = {};
  for (const purpose of ['newsletter', 'profiling', 'call_recording']) {
    for (const field of CONSENT_FIELDS) {
      const label = `Consent ${purpose.replace('_', ' ')}: ${field.replace('_', ' ')}`;
      const base = { label, groupName: CONSENT_GROUP, hubspotDefined: false };
      const name = consentProperty(purpose, field);
      switch (field) {
        case 'status':
          out[name] = { ...base, type: 'enumeration', fieldType: 'select', options: options(['granted', 'withdrawn', 'denied']) };
          break;
        case 'method':
          out[name] = { ...base, type: 'enumeration', fieldType: 'select', options: options(CONSENT_METHODS) };
          break;
        case 'captured_at':
        case 'withdrawn_at':
          out[name] = { ...base, type: 'datetime', fieldType: 'date' };
          break;
        case 'pre_ticked':
        case 'parental':
          out[name] = { ...base, type: 'bool', fieldType: 'booleancheckbox' };
          break;
        default:
          out[name] = { ...base, type: 'string', fieldType: 'text' };
      }
    }
  }
  out[EXTRA_PROPERTIES.dateOfBirth] = { label: 'Date of birth', type: 'date', fieldType: 'date', hubspotDefined: false };
  out[EXTRA_PROPERTIES.relationshipEndedAt] = { label: 'Relationship ended at', type: 'datetime', fieldType: 'date', hubspotDefined: false };
  out[EXTRA_PROPERTIES.bsn] = { label: 'BSN', type: 'string', fieldType: 'text', hubspotDefined: false };
  return out;
}

function engagementDefaults(kind: 'notes' | 'tasks'): Record<string, DefInput> {
  const g = 'engagement';
  const common: Record<string, DefInput> = {
    hs_object_id: { label: 'Record ID', type: 'number', fieldType: 'number', readOnly: true, groupName: g },
    hs_createdate: dt('Create date', true, g),
    hs_lastmodifieddate: dt('Last modified date', true, g),
    hs_timestamp: dt('Activity date', false, g),
    hubspot_owner_id: { label: 'Activity assigned to', type: 'enumeration', fieldType: 'select', groupName: g },
  };
  if (kind === 'notes') {
    return {
      ...common,
      hs_note_body: { label: 'Note body', type: 'string', fieldType: 'html', groupName: g },
      hs_attachment_ids: { label: 'Attached file IDs', type: 'enumeration', fieldType: 'checkbox', groupName: g },
    };
  }
  return {
    ...common,
    hs_task_subject: { label: 'Task Title', type: 'string', fieldType: 'text', groupName: g },
    hs_task_body: { label: 'Task notes', type: 'string', fieldType: 'html', groupName: g },
    hs_task_status: { label: 'Task Status', type: 'enumeration', fieldType: 'select', groupName: g, options: options(['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'COMPLETED', 'DEFERRED']) },
    hs_task_priority: { label: 'Priority', type: 'enumeration', fieldType: 'select', groupName: g, options: options(['NONE', 'LOW', 'MEDIUM', 'HIGH']) },
    hs_task_type: { label: 'Task Type', type: 'enumeration', fieldType: 'select', groupName: g, options: options(['EMAIL', 'CALL', 'TODO', 'LINKED_IN']) },
    hs_task_reminders: { label: 'Reminder', type: 'enumeration', fieldType: 'checkbox', groupName: g },
  };
}

export function initialProperties(type: ObjectType, includeCustom: boolean): Map<string, PropertyDef> {
  const src = type === 'contacts' ? { ...contactDefaults(), ...(includeCustom ? customContactProperties() : {}) } : engagementDefaults(type);
  const map = new Map<string, PropertyDef>();
  let order = 0;
  for (const [name, d] of Object.entries(src)) map.set(name, makeProperty(name, d, order++));
  return map;
}

export function initialGroups(type: ObjectType, includeCustom: boolean): Map<string, PropertyGroup> {
  const names: [string, string][] =
    type === 'contacts'
      ? [['contactinformation', 'Contact information'], ['sales_properties', 'Sales properties'], ['emailinformation', 'Email information']]
      : [['engagement', 'Engagement']];
  if (type === 'contacts' && includeCustom) names.push([CONSENT_GROUP, 'GDPR consent']);
  return new Map(names.map(([name, label], i) => [name, { name, label, displayOrder: i, archived: false }]));
}
