/**
 * Contacts field vocabulary shared by the connector, its mapping and the sandbox: which Zoho API names
 * carry what in the model, the custom fields this project relies on, and picklist values.
 */
import { STATUS_PROPERTIES } from '../types';
import type { DataCategory } from '../../src/model';

export const MODULE = 'Contacts';

/** Standard fields the mapping reads to build a Contact (always fetched, within the 50-field cap). */
export const CORE_FIELDS = [
  'Owner',
  'Created_Time',
  'Modified_Time',
  'Last_Activity_Time',
  'Email',
  'Secondary_Email',
  'Phone',
  'Mobile',
  'Date_of_Birth',
  'Email_Opt_Out',
  'Data_Source',
  'Data_Processing_Basis',
  'Data_Processing_Basis_Details',
] as const;

/**
 * Custom fields (Zoho custom API names) the project reads and ensureStatusProperties creates.
 * Zoho has no lifecycle stage, relationship end, newsletter list or per-purpose consent evidence on a
 * Contact, so these carry them.
 */
export const CUSTOM = {
  lifecycle: 'Lifecycle_Stage',
  relationshipEndedAt: 'Relationship_Ended_At',
  /** JSON (no personal values) of what Zoho's consent fields cannot express; see mapping.ts. */
  consentEvidence: 'GDPR_Consent_Evidence',
} as const;

/** Our status properties (connectors/types STATUS_PROPERTIES) as Zoho custom field API names. */
export const STATUS_FIELDS: Record<string, string> = {
  [STATUS_PROPERTIES.status]: 'GDPR_Status',
  [STATUS_PROPERTIES.nextActionAt]: 'GDPR_Next_Action_At',
  [STATUS_PROPERTIES.lastScanAt]: 'GDPR_Last_Scan_At',
  [STATUS_PROPERTIES.ruleIds]: 'GDPR_Rule_Ids',
};

/** Custom checkbox fields that stand for mailing lists (Zoho CRM has no subscription object). */
export const SUBSCRIPTION_FIELDS: readonly { field: string; name: string }[] = [{ field: 'Newsletter_Subscribed', name: 'Newsletter' }];

export type ZohoDataType =
  | 'text'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'date'
  | 'datetime'
  | 'boolean'
  | 'picklist'
  | 'lookup'
  | 'ownerlookup'
  | 'integer'
  | 'double'
  | 'bigint'
  | 'consent_lookup'
  | 'website';

export interface ZohoFieldSpec {
  api_name: string;
  field_label: string;
  data_type: ZohoDataType;
  read_only?: boolean;
  custom_field?: boolean;
  mandatory?: boolean;
  pick_list_values?: string[];
}

/** Fields the project creates when missing (ensureStatusProperties), with their Zoho types. */
export const PROJECT_FIELDS: readonly ZohoFieldSpec[] = [
  { api_name: 'GDPR_Status', field_label: 'GDPR Status', data_type: 'text', custom_field: true },
  { api_name: 'GDPR_Next_Action_At', field_label: 'GDPR Next Action At', data_type: 'datetime', custom_field: true },
  { api_name: 'GDPR_Last_Scan_At', field_label: 'GDPR Last Scan At', data_type: 'datetime', custom_field: true },
  { api_name: 'GDPR_Rule_Ids', field_label: 'GDPR Rule Ids', data_type: 'text', custom_field: true },
  { api_name: 'GDPR_Consent_Evidence', field_label: 'GDPR Consent Evidence', data_type: 'textarea', custom_field: true },
];

/** Categories the Zoho mapping knows for standard fields (the policy pack may override). */
export const FIELD_CATEGORIES: Record<string, DataCategory> = {
  id: 'system',
  Owner: 'system',
  Created_Time: 'system',
  Modified_Time: 'system',
  Last_Activity_Time: 'system',
  First_Name: 'identity',
  Last_Name: 'identity',
  Full_Name: 'identity',
  Salutation: 'identity',
  Email: 'contact',
  Secondary_Email: 'contact',
  Phone: 'contact',
  Mobile: 'contact',
  Home_Phone: 'contact',
  Other_Phone: 'contact',
  Fax: 'contact',
  Title: 'professional',
  Department: 'professional',
  Account_Name: 'professional',
  Mailing_Street: 'location',
  Mailing_City: 'location',
  Mailing_Zip: 'location',
  Mailing_State: 'location',
  Mailing_Country: 'location',
  Date_of_Birth: 'date_of_birth',
  Description: 'free_text',
  Email_Opt_Out: 'consent',
  Data_Processing_Basis: 'consent',
  Data_Processing_Basis_Details: 'consent',
  Data_Source: 'system',
};

/** Fields Zoho requires on a Contact: they cannot be cleared, only overwritten. */
export const MANDATORY_FIELDS: ReadonlySet<string> = new Set(['Last_Name']);
