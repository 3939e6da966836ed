import { Action, Finding, type Portal } from '../../src/model';

export const PORTAL: Portal = {
  id: 'hubspot:1001',
  vendor: 'hubspot',
  vendorAccountId: '1001',
  tenantId: 'tenant-a',
  name: 'Acme NL',
  region: 'eu1',
  regionInEea: true,
  transferMechanism: 'none',
};

export const OTHER_PORTAL: Portal = { ...PORTAL, id: 'hubspot:2002', vendorAccountId: '2002', tenantId: 'tenant-b', name: 'Other' };

export function finding(over: Partial<Finding> & { contactId: string | null; ruleId?: string }): Finding {
  const ruleId = over.ruleId ?? 'bsn-without-law';
  return Finding.parse({
    id: over.id ?? `${PORTAL.id}/${over.contactId ?? 'portal'}/${ruleId}`,
    portalId: PORTAL.id,
    tenantId: PORTAL.tenantId,
    ruleId,
    kind: 'unlawful_field',
    article: 'UAVG art. 46',
    field: 'notes_bsn',
    category: 'national_id',
    evidence: 'BSN ****.**.782',
    message: 'BSN kept without a legal obligation',
    severity: 'high',
    proposedAction: 'clear_property',
    graceDays: 14,
    firstSeenAt: '2030-01-01T00:00:00.000Z',
    dueAt: '2030-01-15T00:00:00.000Z',
    ...over,
  });
}

export function clearAction(f: Finding, over: Partial<Action> = {}): Action {
  return Action.parse({
    id: `${f.portalId}/${f.contactId}/clear_property/${f.field}`,
    portalId: f.portalId,
    tenantId: f.tenantId,
    contactId: f.contactId,
    findingIds: [f.id],
    ruleIds: [f.ruleId],
    dueAt: f.dueAt,
    destructive: true,
    type: 'clear_property',
    property: f.field,
    ...over,
  });
}
