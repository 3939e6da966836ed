import {
  addLegalBasisValue,
  anonymisedValue,
  anonymiseUpdates,
  consentsFromProperties,
  consentToProperties,
  contactFromHubSpot,
  contactToHubSpotProperties,
  hubSpotLegalBasisValue,
  lawfulBasisFromHubSpot,
  lifecycleStageFromHubSpot,
  lifecycleStageToHubSpot,
  noteFromHubSpot,
  normalisePhone,
  portalFromHubSpot,
  propertiesNeededForContact,
  redactedNoteBody,
  sourceFromHubSpot,
  sourceToHubSpot,
  statusUpdates,
  stripHtml,
  subscriptionsFromProperties,
  subscriptionsToProperties,
  taskCreateInput,
  textToNoteHtml,
  toIsoDate,
  toIsoDateTime,
  toPropertyDefinition,
  unsubscribeBody,
  type ContactContext,
} from '../connectors/hubspot/mapping';
import { parseRetryAfter } from '../connectors/hubspot/client';
import { KEYED_HASH_PREFIX, LEGAL_BASIS_VALUES, REDACTED_NOTE_TEXT } from '../connectors/hubspot/limits';
import type { PropertyDefinition } from '../connectors/types';
import { Action, ConsentRecord, type ActionOf } from '../src/model';

const base = {
  portalId: 'hubspot:1',
  tenantId: 't1',
  contactId: '51',
  findingIds: ['f1'],
  ruleIds: ['r1'],
  dueAt: '2026-12-24T09:00:00.000Z',
  destructive: false,
};

function defsOf(list: PropertyDefinition[]): Map<string, PropertyDefinition> {
  return new Map(list.map((d) => [d.name, d]));
}

const DEFS = defsOf([
  toPropertyDefinition({ name: 'email', label: 'Email', type: 'string', fieldType: 'text', hubspotDefined: true }),
  toPropertyDefinition({ name: 'firstname', label: 'First name', type: 'string', fieldType: 'text', hubspotDefined: true }),
  toPropertyDefinition({ name: 'phone', label: 'Phone', type: 'string', fieldType: 'phonenumber', hubspotDefined: true }),
  toPropertyDefinition({ name: 'notes_last_updated', label: 'Last activity', type: 'datetime', fieldType: 'date', hubspotDefined: true, modificationMetadata: { readOnlyValue: true } }),
  toPropertyDefinition({ name: 'hs_analytics_num_visits', label: 'Visits', type: 'number', fieldType: 'number', hubspotDefined: true }),
  toPropertyDefinition({ name: 'remarks', label: 'Remarks', type: 'string', fieldType: 'textarea' }),
  toPropertyDefinition({ name: 'consent_newsletter_status', label: 'Consent', type: 'enumeration', fieldType: 'select' }),
]);

describe('property definitions', () => {
  it('maps HubSpot types, read-only flags and known categories', () => {
    expect(DEFS.get('email')).toEqual({ name: 'email', label: 'Email', type: 'email', readOnly: false, vendorDefined: true, category: 'contact' });
    expect(DEFS.get('phone')!.type).toBe('phone');
    expect(DEFS.get('notes_last_updated')).toMatchObject({ type: 'datetime', readOnly: true });
    expect(DEFS.get('hs_analytics_num_visits')).toMatchObject({ type: 'number', readOnly: false });
    expect(DEFS.get('hs_analytics_num_visits')!.category).toBeUndefined();
    expect(DEFS.get('remarks')).toMatchObject({ type: 'textarea', vendorDefined: false });
    expect(DEFS.get('consent_newsletter_status')).toMatchObject({ type: 'enum', category: 'consent' });
    expect(toPropertyDefinition({ name: 'x', label: 'X', type: 'enumeration', fieldType: 'booleancheckbox' }).type).toBe('bool');
    expect(toPropertyDefinition({ name: 'hs_object_id', label: 'ID', type: 'number', fieldType: 'number' }).readOnly).toBe(true);
  });
});

describe('scalars', () => {
  it('datetimes from ISO or epoch ms; dates from date, datetime or ms', () => {
    expect(toIsoDateTime('2025-07-07T20:27:17.947Z')).toBe('2025-07-07T20:27:17.947Z');
    expect(toIsoDateTime('1730000000000')).toBe(new Date(1730000000000).toISOString());
    expect(toIsoDateTime('')).toBeNull();
    expect(toIsoDateTime('garbage')).toBeNull();
    expect(toIsoDate('2010-05-17')).toBe('2010-05-17');
    expect(toIsoDate('2010-05-17T00:00:00.000Z')).toBe('2010-05-17');
    expect(toIsoDate(String(Date.UTC(2010, 4, 17)))).toBe('2010-05-17');
    expect(toIsoDate(null)).toBeNull();
  });
  it('phones normalised', () => {
    expect(normalisePhone('+31 (0)6-1234 5678')).toBe('+310612345678');
    expect(normalisePhone('0031 6 12345678')).toBe('+31612345678');
    expect(normalisePhone('06 1234 5678')).toBe('0612345678');
    expect(normalisePhone('  ')).toBeNull();
  });
  it('HTML note bodies become plain text, and text round-trips through note HTML', () => {
    expect(stripHtml('<p>Hallo&nbsp;Jan,</p><p>BSN: 123&amp;<b>4</b></p><br/>x &#39;y&#39; &#x41;')).toBe("Hallo Jan,\nBSN: 123&4\n\nx 'y' A");
    expect(stripHtml('<script>alert(1)</script>ok')).toBe('ok');
    const text = 'Regel 1 <b>niet vet</b> & meer\nRegel 2';
    expect(stripHtml(textToNoteHtml(text))).toBe(text);
  });
  it('Retry-After in seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Wed, 25 Nov 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('nonsense', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('hs_legal_basis <-> LawfulBasis', () => {
  it('reads every HubSpot value, EN DASH included, and ignores Not applicable', () => {
    const all = Object.values(LEGAL_BASIS_VALUES).join(';');
    expect(lawfulBasisFromHubSpot(all)).toEqual([
      { purpose: 'prospect_lead', basis: 'legitimate_interest', recordedAt: null },
      { purpose: 'existing_customer', basis: 'legitimate_interest', recordedAt: null },
      { purpose: '*', basis: 'legitimate_interest', recordedAt: null },
      { purpose: '*', basis: 'contract', recordedAt: null },
      { purpose: '*', basis: 'consent', recordedAt: null },
    ]);
    expect(lawfulBasisFromHubSpot('Legitimate interest - existing customer')).toEqual([{ purpose: 'existing_customer', basis: 'legitimate_interest', recordedAt: null }]);
    expect(lawfulBasisFromHubSpot(null)).toEqual([]);
  });
  it('writes the exact strings (EN DASH U+2013 where HubSpot has one)', () => {
    expect(hubSpotLegalBasisValue('marketing_existing_customers', 'legitimate_interest')).toBe('Legitimate interest \u2013 existing customer');
    expect(hubSpotLegalBasisValue('sales_prospecting', 'legitimate_interest')).toBe('Legitimate interest \u2013 prospect/lead');
    expect(hubSpotLegalBasisValue('fraud_prevention', 'legitimate_interest')).toBe('Legitimate interest - other');
    expect(hubSpotLegalBasisValue('x', 'contract')).toBe('Performance of a contract');
    expect(hubSpotLegalBasisValue('newsletter', 'consent')).toBe('Freely given consent from contact');
    expect(hubSpotLegalBasisValue('x', 'legal_obligation')).toBeNull();
  });
  it('round-trips: read(write(purpose, basis)) gives the basis back', () => {
    for (const [purpose, basis] of [['existing_customer', 'legitimate_interest'], ['prospect_lead', 'legitimate_interest'], ['*', 'contract'], ['*', 'consent']] as const) {
      expect(lawfulBasisFromHubSpot(hubSpotLegalBasisValue(purpose, basis))).toEqual([{ purpose, basis, recordedAt: null }]);
    }
  });
  it('adds a value to the checkbox list once', () => {
    expect(addLegalBasisValue(null, LEGAL_BASIS_VALUES.contract)).toBe(LEGAL_BASIS_VALUES.contract);
    expect(addLegalBasisValue(LEGAL_BASIS_VALUES.consent, LEGAL_BASIS_VALUES.contract)).toBe(`${LEGAL_BASIS_VALUES.consent};${LEGAL_BASIS_VALUES.contract}`);
    expect(addLegalBasisValue(`${LEGAL_BASIS_VALUES.consent};${LEGAL_BASIS_VALUES.contract}`, LEGAL_BASIS_VALUES.contract)).toBeNull();
  });
});

describe('consent_<purpose>_* <-> ConsentRecord', () => {
  const record = ConsentRecord.parse({
    purpose: 'newsletter',
    status: 'granted',
    capturedAt: '2025-03-01T10:00:00.000Z',
    method: 'double_opt_in_email',
    evidenceRef: 'form-sub-991',
    privacyTextVersion: 'v3',
    preTicked: false,
    parentalConsent: null,
    withdrawnAt: null,
  });
  it('writes every field and reads the same record back', () => {
    const props = consentToProperties(record);
    expect(props).toEqual({
      consent_newsletter_status: 'granted',
      consent_newsletter_captured_at: '2025-03-01T10:00:00.000Z',
      consent_newsletter_method: 'double_opt_in_email',
      consent_newsletter_evidence: 'form-sub-991',
      consent_newsletter_privacy_version: 'v3',
      consent_newsletter_pre_ticked: 'false',
      consent_newsletter_parental: '',
      consent_newsletter_withdrawn_at: '',
    });
    expect(consentsFromProperties(props)).toEqual([record]);
  });
  it('purposes with underscores, withdrawn records, and no record without a status', () => {
    const out = consentsFromProperties({
      consent_call_recording_status: 'withdrawn',
      consent_call_recording_withdrawn_at: '1730000000000',
      consent_call_recording_pre_ticked: 'true',
      consent_profiling_method: 'form_checkbox',
      consent_profiling_status: null,
      email: 'x@example.nl',
    });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ purpose: 'call_recording', status: 'withdrawn', withdrawnAt: new Date(1730000000000).toISOString(), preTicked: true, method: 'unknown' });
  });
});

describe('subscriptions', () => {
  const defs = [
    { id: '123', name: 'Newsletter' },
    { id: '456', name: 'Customer updates' },
    { id: '789', name: 'Events' },
  ];
  it('hs_email_optout_<id>: true = unsubscribed, false = subscribed, empty = not specified; and back', () => {
    const subs = subscriptionsFromProperties({ hs_email_optout_123: 'false', hs_email_optout_456: 'true' }, defs);
    expect(subs).toEqual([
      { id: '123', name: 'Newsletter', status: 'subscribed' },
      { id: '456', name: 'Customer updates', status: 'unsubscribed' },
      { id: '789', name: 'Events', status: 'not_specified' },
    ]);
    expect(subscriptionsToProperties(subs)).toEqual({ hs_email_optout_123: 'false', hs_email_optout_456: 'true', hs_email_optout_789: '' });
  });
});

describe('lifecycle and source', () => {
  it('maps HubSpot stages and object sources both ways', () => {
    expect(lifecycleStageFromHubSpot('marketingqualifiedlead')).toBe('prospect');
    expect(lifecycleStageFromHubSpot('evangelist')).toBe('customer');
    expect(lifecycleStageFromHubSpot('former_customer')).toBe('former_customer');
    expect(lifecycleStageFromHubSpot(null)).toBe('unknown');
    for (const s of ['subscriber', 'lead', 'prospect', 'customer', 'former_customer', 'other'] as const) {
      expect(lifecycleStageFromHubSpot(lifecycleStageToHubSpot(s))).toBe(s);
    }
    expect(sourceFromHubSpot('CRM_UI')).toBe('manual');
    for (const s of ['form', 'import', 'api', 'integration', 'manual'] as const) expect(sourceFromHubSpot(sourceToHubSpot(s))).toBe(s);
    expect(sourceFromHubSpot('SOMETHING_NEW')).toBe('unknown');
  });
});

describe('contact', () => {
  const subscriptions = [{ id: '123', name: 'Newsletter' }];
  const ctx: ContactContext = { portalId: 'hubspot:1', tenantId: 't1', defs: DEFS, subscriptions, requested: ['email', 'firstname', 'remarks'] };
  const rec = {
    id: '51',
    properties: {
      email: 'Jan.Visser@Example.NL',
      hs_additional_emails: 'jan@old.example.nl; JAN.VISSER@example.nl',
      phone: '+31 6 1234 5678',
      mobilephone: null,
      firstname: 'Jan',
      remarks: 'heeft diabetes',
      hubspot_owner_id: '101',
      createdate: '2022-06-01T14:31:48.469Z',
      lastmodifieddate: '2025-07-07T20:27:17.947Z',
      notes_last_updated: '2024-01-01T00:00:00.000Z',
      hs_last_sales_activity_timestamp: '2024-03-01T00:00:00.000Z',
      lifecyclestage: 'customer',
      relationship_ended_at: '2025-01-31T00:00:00.000Z',
      hs_object_source: 'FORM',
      date_of_birth: '2011-02-03',
      hs_legal_basis: LEGAL_BASIS_VALUES.liCustomer,
      hs_email_optout: 'false',
      hs_email_optout_123: 'false',
      consent_newsletter_status: 'granted',
      consent_newsletter_pre_ticked: 'true',
    },
    createdAt: new Date('2022-06-01T14:31:48.469Z'),
    updatedAt: new Date('2025-07-07T20:27:17.947Z'),
  };
  const notes = [
    { id: '902', properties: { hs_timestamp: '2024-02-01T00:00:00.000Z', hs_note_body: '<p>Tweede</p>' } },
    { id: '901', properties: { hs_timestamp: '2023-02-01T00:00:00.000Z', hs_note_body: '<p>BSN&nbsp;111222333</p>' } },
  ];

  it('maps every field of a HubSpot record and its notes', () => {
    const c = contactFromHubSpot(rec, ctx, notes);
    expect(c.id).toBe('51');
    expect(c.identifiers).toEqual({ emails: ['jan.visser@example.nl', 'jan@old.example.nl'], phones: ['+31612345678'] });
    expect(c.ownerId).toBe('101');
    expect(Object.keys(c.properties)).toEqual(['email', 'firstname', 'remarks']);
    expect(c.properties.email).toEqual({ value: 'Jan.Visser@Example.NL', category: 'contact', type: 'email' });
    expect(c.properties.remarks).toEqual({ value: 'heeft diabetes', category: 'unknown', type: 'textarea' });
    expect(c.createdAt).toBe('2022-06-01T14:31:48.469Z');
    expect(c.modifiedAt).toBe('2025-07-07T20:27:17.947Z');
    expect(c.lastActivityAt).toBe('2024-03-01T00:00:00.000Z');
    expect(c.lifecycle).toEqual({ stage: 'customer', relationshipEndedAt: '2025-01-31T00:00:00.000Z' });
    expect(c.source).toBe('form');
    expect(c.birthDate).toBe('2011-02-03');
    expect(c.lawfulBasis).toEqual([{ purpose: 'existing_customer', basis: 'legitimate_interest', recordedAt: null }]);
    expect(c.consents).toHaveLength(1);
    expect(c.consents[0]).toMatchObject({ purpose: 'newsletter', status: 'granted', preTicked: true });
    expect(c.marketing).toEqual({ emailOptOut: false, subscriptions: [{ id: '123', name: 'Newsletter', status: 'subscribed' }] });
    expect(c.notes).toEqual([
      { id: '901', createdAt: '2023-02-01T00:00:00.000Z', body: 'BSN 111222333' },
      { id: '902', createdAt: '2024-02-01T00:00:00.000Z', body: 'Tweede' },
    ]);
  });

  it('falls back to record timestamps and leaves missing values empty', () => {
    const c = contactFromHubSpot({ id: '7', properties: {}, createdAt: new Date('2020-01-01T00:00:00Z'), updatedAt: '2021-01-01T00:00:00Z' }, ctx);
    expect(c.createdAt).toBe('2020-01-01T00:00:00.000Z');
    expect(c.modifiedAt).toBe('2021-01-01T00:00:00.000Z');
    expect(c.identifiers).toEqual({ emails: [], phones: [] });
    expect(c.lastActivityAt).toBeNull();
    expect(c.lifecycle.stage).toBe('unknown');
    expect(c.marketing.emailOptOut).toBeNull();
    expect(c.properties.email).toBeUndefined(); // empty properties are left out
  });

  it('round-trips Contact -> HubSpot properties -> Contact', () => {
    const c = contactFromHubSpot(rec, ctx, []);
    const props = contactToHubSpotProperties(c);
    const again = contactFromHubSpot({ id: '51', properties: props }, ctx, []);
    expect({ ...again, properties: {} }).toEqual({ ...c, identifiers: { ...c.identifiers }, properties: {}, lastActivityAt: again.lastActivityAt });
    expect(again.lawfulBasis).toEqual(c.lawfulBasis);
    expect(again.consents).toEqual(c.consents);
    expect(again.identifiers.emails).toEqual(c.identifiers.emails);
  });

  it('notes fall back to hs_createdate and strip HTML', () => {
    expect(noteFromHubSpot({ id: '1', properties: { hs_createdate: '1730000000000', hs_note_body: '<b>x</b>' } })).toEqual({ id: '1', createdAt: new Date(1730000000000).toISOString(), body: 'x' });
  });

  it('properties needed to build a contact include consent and opt-out properties', () => {
    const needed = propertiesNeededForContact([...DEFS.values()], subscriptions);
    expect(needed).toEqual(expect.arrayContaining(['email', 'hs_additional_emails', 'lifecyclestage', 'hs_legal_basis', 'date_of_birth', 'consent_newsletter_status', 'hs_email_optout_123', 'notes_last_updated']));
    expect(needed).not.toContain('firstname');
  });
});

describe('portal', () => {
  it('eu1 is in the EEA, na1 is not; the configured portal id wins', () => {
    expect(portalFromHubSpot({ portalId: '12345678', dataHostingLocation: 'eu1' }, 't1')).toMatchObject({ id: 'hubspot:12345678', vendorAccountId: '12345678', region: 'eu1', regionInEea: true, tenantId: 't1' });
    expect(portalFromHubSpot({ portalId: '9', dataHostingLocation: 'na1' }, 't1', '77')).toMatchObject({ id: 'hubspot:77', region: 'na1', regionInEea: false });
    expect(portalFromHubSpot({ portalId: '9', dataHostingLocation: 'ap1' }, 't1').regionInEea).toBe(false);
  });
});

describe('write-back bodies', () => {
  const key = 'test-key';
  const actx = { key, portalId: 'hubspot:1', contactId: '51' };

  it('anonymisation strategies write format-valid values and nothing when already anonymised', () => {
    expect(anonymisedValue('clear', 'firstname', 'text', 'Jan', actx)).toBe('');
    expect(anonymisedValue('clear', 'firstname', 'text', '', actx)).toBeNull();
    expect(anonymisedValue('fixed_text', 'remarks', 'textarea', 'x', actx)).toBe('[geanonimiseerd / anonymised]');
    expect(anonymisedValue('fixed_text', 'hs_analytics_num_visits', 'number', '3', actx)).toBe('');
    const email = anonymisedValue('unique_email', 'email', 'email', 'jan@example.nl', actx)!;
    expect(email).toMatch(/^anon-[0-9a-f]{20}@anonymised\.invalid$/);
    expect(anonymisedValue('unique_email', 'email', 'email', email, actx)).toBeNull();
    expect(anonymisedValue('unique_email', 'email', 'email', email, { ...actx, key: 'rotated' })).toBeNull();
    expect(anonymisedValue('unique_email', 'email', 'email', 'x', { ...actx, contactId: '52' })).not.toBe(email);
    const hashed = anonymisedValue('keyed_hash', 'firstname', 'text', 'Jan', actx)!;
    expect(hashed.startsWith(KEYED_HASH_PREFIX)).toBe(true);
    expect(hashed).not.toContain('Jan');
    expect(anonymisedValue('keyed_hash', 'firstname', 'text', 'Jan', { ...actx, key: 'other' })).not.toBe(hashed);
    expect(anonymisedValue('keyed_hash', 'firstname', 'text', hashed, actx)).toBeNull();
  });

  it('anonymise leaves out read-only and unknown properties', () => {
    const a = Action.parse({ ...base, id: 'a1', type: 'anonymise', properties: { email: 'unique_email', firstname: 'clear', notes_last_updated: 'clear', nope: 'clear' } }) as ActionOf<'anonymise'>;
    const out = anonymiseUpdates(a, { email: 'jan@example.nl', firstname: 'Jan', notes_last_updated: '2024-01-01' }, DEFS, actx);
    expect(Object.keys(out.properties).sort()).toEqual(['email', 'firstname']);
    expect(out.readOnly).toEqual(['notes_last_updated']);
    expect(out.unknown).toEqual(['nope']);
  });

  it('set_status writes only our gdpr_* properties, and only differences', () => {
    const a = Action.parse({ ...base, id: 'a2', type: 'set_status', values: { gdpr_status: 'review', gdpr_rule_ids: 'r1', email: 'x' } }) as ActionOf<'set_status'>;
    expect(statusUpdates(a, { gdpr_rule_ids: 'r1' })).toEqual({ properties: { gdpr_status: 'review' }, refused: ['email'] });
    // A datetime HubSpot echoes in another notation is the same value: no write.
    const d = Action.parse({ ...base, id: 'a2b', type: 'set_status', values: { gdpr_next_action_at: '2026-12-24T09:00:00.000Z' } }) as ActionOf<'set_status'>;
    expect(statusUpdates(d, { gdpr_next_action_at: '2026-12-24T09:00:00Z' }).properties).toEqual({});
    expect(statusUpdates(d, { gdpr_next_action_at: String(Date.parse('2026-12-24T09:00:00Z')) }).properties).toEqual({});
    expect(statusUpdates(d, { gdpr_next_action_at: '2026-12-25T09:00:00Z' }).properties).toEqual({ gdpr_next_action_at: '2026-12-24T09:00:00.000Z' });
  });

  it('task input: due date, owner, marker, association type 204', () => {
    const a = Action.parse({ ...base, id: 'act-9', type: 'create_task', subject: 'GDPR: review contact 51', body: 'Rule stale-3y', ownerId: '77', destructive: true }) as ActionOf<'create_task'>;
    expect(taskCreateInput(a)).toEqual({
      properties: {
        hs_timestamp: '2026-12-24T09:00:00.000Z',
        hs_task_subject: 'GDPR: review contact 51 [gdpr:act-9]',
        hs_task_body: 'Rule stale-3y',
        hs_task_status: 'NOT_STARTED',
        hs_task_priority: 'HIGH',
        hs_task_type: 'TODO',
        hubspot_owner_id: '77',
      },
      associations: [{ to: { id: '51' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 204 }] }],
    });
    const noOwner = taskCreateInput({ ...a, ownerId: null });
    expect(noOwner.properties.hubspot_owner_id).toBeUndefined();
  });

  it('unsubscribe body carries legal basis and an explanation without personal data', () => {
    const a = Action.parse({ ...base, id: 'a3', type: 'unsubscribe', subscriptionId: '123', purpose: 'newsletter' }) as ActionOf<'unsubscribe'>;
    const b = unsubscribeBody(a, 'jan@example.nl', 'LEGITIMATE_INTEREST_OTHER');
    expect(b).toMatchObject({ emailAddress: 'jan@example.nl', subscriptionId: '123', legalBasis: 'LEGITIMATE_INTEREST_OTHER' });
    expect(b.legalBasisExplanation).toContain('newsletter');
    expect(b.legalBasisExplanation).not.toContain('jan@');
  });

  it('redact_note: the supplied redaction, else the fixed text when categories were found, else nothing', () => {
    const a = Action.parse({ ...base, id: 'a4', type: 'redact_note', noteId: '901', categories: ['health'] }) as ActionOf<'redact_note'>;
    expect(redactedNoteBody(a, REDACTED_NOTE_TEXT)).toBe(REDACTED_NOTE_TEXT);
    expect(redactedNoteBody({ ...a, redactedBody: 'x [verwijderd: health]' }, REDACTED_NOTE_TEXT)).toBe('x [verwijderd: health]');
    expect(redactedNoteBody({ ...a, categories: [] }, REDACTED_NOTE_TEXT)).toBeNull();
  });
});
