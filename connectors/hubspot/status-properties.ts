/**
 * Our own contact properties in HubSpot: the gdpr_status group (STATUS_PROPERTIES) and the
 * gdpr_consent group (consent_<purpose>_* per purpose). Created through the properties API on first
 * use; existing ones are left alone and a 409 from a concurrent creator counts as success.
 */
import { z } from 'zod';
import { STATUS_PROPERTIES } from '../types';
import { HubSpotError, type HubSpotApi } from './client';
import { CONSENT_GROUP, consentProperty, STATUS_GROUP, type ConsentField } from './custom-properties';
import { DEFAULT_CONSENT_PURPOSES } from './limits';

export interface PropertySpec {
  name: string;
  label: string;
  type: 'string' | 'enumeration' | 'datetime' | 'bool';
  fieldType: 'text' | 'textarea' | 'select' | 'date' | 'booleancheckbox';
  groupName: string;
  options?: { label: string; value: string; displayOrder: number; hidden: boolean }[];
}

const opts = (values: readonly string[]) => values.map((v, i) => ({ label: v, value: v, displayOrder: i, hidden: false }));
const BOOL_OPTIONS = [
  { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
  { label: 'No', value: 'false', displayOrder: 1, hidden: false },
];

export function statusPropertySpecs(): PropertySpec[] {
  return [
    { name: STATUS_PROPERTIES.status, label: 'GDPR status', type: 'string', fieldType: 'text', groupName: STATUS_GROUP },
    { name: STATUS_PROPERTIES.nextActionAt, label: 'GDPR next action at', type: 'datetime', fieldType: 'date', groupName: STATUS_GROUP },
    { name: STATUS_PROPERTIES.lastScanAt, label: 'GDPR last scan at', type: 'datetime', fieldType: 'date', groupName: STATUS_GROUP },
    { name: STATUS_PROPERTIES.ruleIds, label: 'GDPR rule ids', type: 'string', fieldType: 'textarea', groupName: STATUS_GROUP },
  ];
}

export function consentPropertySpecs(purpose: string): PropertySpec[] {
  const spec = (field: ConsentField, label: string, rest: Omit<PropertySpec, 'name' | 'label' | 'groupName'>): PropertySpec => ({
    name: consentProperty(purpose, field),
    label: `Consent ${purpose}: ${label}`,
    groupName: CONSENT_GROUP,
    ...rest,
  });
  return [
    spec('status', 'status', { type: 'enumeration', fieldType: 'select', options: opts(['granted', 'withdrawn', 'denied']) }),
    spec('captured_at', 'captured at', { type: 'datetime', fieldType: 'date' }),
    spec('method', 'capture method', {
      type: 'enumeration',
      fieldType: 'select',
      options: opts(['form_checkbox', 'double_opt_in_email', 'signature', 'phone_recording', 'verbal', 'import', 'api', 'unknown']),
    }),
    spec('evidence', 'evidence reference', { type: 'string', fieldType: 'text' }),
    spec('privacy_version', 'privacy text version', { type: 'string', fieldType: 'text' }),
    spec('pre_ticked', 'pre-ticked', { type: 'enumeration', fieldType: 'booleancheckbox', options: BOOL_OPTIONS }),
    spec('parental', 'parental consent', { type: 'enumeration', fieldType: 'booleancheckbox', options: BOOL_OPTIONS }),
    spec('withdrawn_at', 'withdrawn at', { type: 'datetime', fieldType: 'date' }),
  ];
}

const conflictOk = async (fn: () => Promise<unknown>): Promise<void> => {
  try {
    await fn();
  } catch (err) {
    if (err instanceof HubSpotError && err.status === 409) return; // created meanwhile by another worker
    throw err;
  }
};

export async function ensureStatusProperties(api: HubSpotApi, purposes: readonly string[] = DEFAULT_CONSENT_PURPOSES): Promise<{ created: string[] }> {
  const wanted = [...statusPropertySpecs(), ...purposes.flatMap(consentPropertySpecs)];
  const [groupsRaw, propsRaw] = await Promise.all([
    api.call('properties.groups.getAll', () => api.sdk.crm.properties.groupsApi.getAllWithHttpInfo('contacts')),
    api.call('properties.contacts.getAll', () => api.sdk.crm.properties.coreApi.getAllWithHttpInfo('contacts', false)),
  ]);
  const groups = new Set(z.object({ results: z.array(z.object({ name: z.string() }).passthrough()) }).parse(groupsRaw).results.map((g) => g.name));
  const props = new Set(z.object({ results: z.array(z.object({ name: z.string() }).passthrough()) }).parse(propsRaw).results.map((p) => p.name));
  for (const [name, label] of [
    [STATUS_GROUP, 'GDPR status'],
    [CONSENT_GROUP, 'GDPR consent'],
  ] as const) {
    if (!groups.has(name)) {
      await conflictOk(() => api.call('properties.groups.create', () => api.sdk.crm.properties.groupsApi.createWithHttpInfo('contacts', { name, label, displayOrder: -1 }), { idempotent: false }));
    }
  }
  const created: string[] = [];
  for (const spec of wanted) {
    if (props.has(spec.name)) continue;
    await conflictOk(() => api.call('properties.create', () => api.sdk.crm.properties.coreApi.createWithHttpInfo('contacts', spec as never), { idempotent: false }));
    created.push(spec.name);
  }
  return { created };
}
