/** The sandbox org's Contacts layout: standard fields, the seed's custom fields, picklists. */
import type { ZohoFieldSpec } from '../fields';

export const BASIS_PICKLIST = [
  'Not Applicable',
  'Legitimate Interests',
  'Contract',
  'Legal Obligation',
  'Vital Interests',
  'Public Interests',
  'Pending',
  'Awaiting',
  'Obtained',
  'Not Responded',
  'Stop Processing',
  'Declined',
];

export const STANDARD_FIELDS: ZohoFieldSpec[] = [
  { api_name: 'Owner', field_label: 'Contact Owner', data_type: 'ownerlookup' },
  { api_name: 'First_Name', field_label: 'First Name', data_type: 'text' },
  { api_name: 'Last_Name', field_label: 'Last Name', data_type: 'text', mandatory: true },
  { api_name: 'Full_Name', field_label: 'Full Name', data_type: 'text', read_only: true },
  { api_name: 'Email', field_label: 'Email', data_type: 'email' },
  { api_name: 'Secondary_Email', field_label: 'Secondary Email', data_type: 'email' },
  { api_name: 'Phone', field_label: 'Phone', data_type: 'phone' },
  { api_name: 'Mobile', field_label: 'Mobile', data_type: 'phone' },
  { api_name: 'Title', field_label: 'Title', data_type: 'text' },
  { api_name: 'Account_Name', field_label: 'Account Name', data_type: 'lookup' },
  { api_name: 'Mailing_City', field_label: 'Mailing City', data_type: 'text' },
  { api_name: 'Mailing_Country', field_label: 'Mailing Country', data_type: 'text' },
  { api_name: 'Date_of_Birth', field_label: 'Date of Birth', data_type: 'date' },
  { api_name: 'Description', field_label: 'Description', data_type: 'textarea' },
  { api_name: 'Created_Time', field_label: 'Created Time', data_type: 'datetime', read_only: true },
  { api_name: 'Modified_Time', field_label: 'Modified Time', data_type: 'datetime', read_only: true },
  { api_name: 'Last_Activity_Time', field_label: 'Last Activity Time', data_type: 'datetime', read_only: true },
  { api_name: 'Data_Source', field_label: 'Data Source', data_type: 'picklist', read_only: true, pick_list_values: ['Web Form', 'Import', 'API', 'Manual'] },
  { api_name: 'Email_Opt_Out', field_label: 'Email Opt Out', data_type: 'boolean' },
  { api_name: 'Data_Processing_Basis', field_label: 'Data Processing Basis', data_type: 'picklist', pick_list_values: BASIS_PICKLIST },
  { api_name: 'Data_Processing_Basis_Details', field_label: 'Data Processing Basis Details', data_type: 'consent_lookup' },
];

export const SEED_CUSTOM_FIELDS: ZohoFieldSpec[] = [
  { api_name: 'BSN', field_label: 'BSN', data_type: 'text', custom_field: true },
  { api_name: 'Lifecycle_Stage', field_label: 'Lifecycle Stage', data_type: 'picklist', custom_field: true, pick_list_values: ['Subscriber', 'Lead', 'Customer', 'Former Customer'] },
  { api_name: 'Relationship_Ended_At', field_label: 'Relationship Ended At', data_type: 'datetime', custom_field: true },
  { api_name: 'Newsletter_Subscribed', field_label: 'Newsletter Subscribed', data_type: 'boolean', custom_field: true },
];
