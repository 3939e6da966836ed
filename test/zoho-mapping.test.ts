import {
  anonymisedValue,
  basisFromZoho,
  basisToZoho,
  BASIS_VALUES,
  consentFromZoho,
  consentToZoho,
  contactFromZoho,
  noteText,
  parseEvidence,
  propertyFromZohoField,
} from '../connectors/zoho/mapping';
import { DATA_CENTRES, dataCentreFromApiDomain, dailyCredits, creditsFor } from '../connectors/zoho/limits';
import { ConsentRecord, type LawfulBasis } from '../src/model';

const ctx = { portalId: 'zoho:1', tenantId: 't1' };

describe('Zoho lawful basis vocabulary', () => {
  it.each(BASIS_VALUES.map((b) => [b.zoho, b.basis] as const))('%s <-> %s', (zoho, basis) => {
    expect(basisFromZoho(zoho)).toBe(basis);
    expect(basisFromZoho(zoho.toUpperCase())).toBe(basis);
    expect(basisToZoho(basis)).toBe(zoho);
  });
  it('writes the org picklist spelling when it differs only in case or plural', () => {
    expect(basisToZoho('legitimate_interest', ['Not Applicable', 'Legitimate Interest'])).toBe('Legitimate Interest');
    expect(basisFromZoho('Legitimate Interest')).toBe('legitimate_interest');
  });
  it('has no Zoho value for consent as a plain basis (consent is a stage: Obtained)', () => {
    expect(basisToZoho('consent')).toBeNull();
    expect(basisFromZoho('Obtained')).toBeNull();
  });
});

describe('Zoho consent -> model', () => {
  const details = {
    id: '99',
    Data_Processing_Basis: 'Obtained',
    Consent_Through: 'Web Form',
    Consent_Date: '2025-03-04',
    Consent_Remarks: 'Evidence: form-submission-123',
    Contact_Through_Email: true,
  };
  it('Obtained becomes a granted consent for the primary purpose, with date, method and evidence', () => {
    const r = consentFromZoho({ Data_Processing_Basis: 'Obtained', Data_Processing_Basis_Details: details });
    expect(r.consents).toEqual([
      ConsentRecord.parse({ purpose: 'newsletter', status: 'granted', capturedAt: '2025-03-04T00:00:00.000Z', method: 'form_checkbox', evidenceRef: 'form-submission-123' }),
    ]);
    expect(r.lawfulBasis).toEqual([{ purpose: 'newsletter', basis: 'consent', recordedAt: '2025-03-04T00:00:00.000Z' }]);
    expect(r.unmapped).toEqual([]);
  });
  it('uses the configured purpose for the native consent', () => {
    const r = consentFromZoho({ Data_Processing_Basis: 'Obtained', Data_Processing_Basis_Details: details }, { consentPurpose: 'marketing' });
    expect(r.consents[0]?.purpose).toBe('marketing');
  });
  it.each([
    ['Stop Processing', 'withdrawn'],
    ['Declined', 'denied'],
  ] as const)('%s becomes status %s and no basis', (stage, status) => {
    const r = consentFromZoho({ Data_Processing_Basis: stage, Data_Processing_Basis_Details: { ...details, Data_Processing_Basis: stage } });
    expect(r.consents.map((c) => c.status)).toEqual([status]);
    expect(r.lawfulBasis).toEqual([]);
  });
  it.each(['Pending', 'Awaiting', 'Not Responded'])('%s has no place in the model and is reported as unmapped', (stage) => {
    const r = consentFromZoho({ Data_Processing_Basis: stage });
    expect(r.consents).toEqual([]);
    expect(r.lawfulBasis).toEqual([]);
    expect(r.unmapped).toEqual([`Data_Processing_Basis=${stage}`]);
  });
  it('Not Applicable (Zoho default) means no basis and nothing unmapped', () => {
    expect(consentFromZoho({ Data_Processing_Basis: 'Not Applicable' })).toEqual({ lawfulBasis: [], consents: [], unmapped: [] });
  });
  it.each(BASIS_VALUES.map((b) => [b.zoho, b.basis] as const))('record-level basis %s applies to every purpose (*)', (zoho, basis) => {
    expect(consentFromZoho({ Data_Processing_Basis: zoho }).lawfulBasis).toEqual([{ purpose: '*', basis, recordedAt: null }]);
  });
  it('ignores an evidence field that is not our JSON', () => {
    expect(parseEvidence('hello')).toBeNull();
    expect(parseEvidence(JSON.stringify({ v: 2 }))).toBeNull();
    expect(consentFromZoho({ Data_Processing_Basis: 'Contract', GDPR_Consent_Evidence: '{broken' }).lawfulBasis).toEqual([{ purpose: '*', basis: 'contract', recordedAt: null }]);
  });
});

describe('model consent -> Zoho, and what Zoho cannot express', () => {
  const full = ConsentRecord.parse({
    purpose: 'newsletter',
    status: 'granted',
    capturedAt: '2025-03-04T10:11:12.000Z',
    method: 'double_opt_in_email',
    evidenceRef: 'doi-777',
    privacyTextVersion: '2024-05',
    preTicked: true,
    parentalConsent: false,
    withdrawnAt: null,
  });

  it('writes the native consent fields for the primary purpose', () => {
    const w = consentToZoho([{ purpose: 'newsletter', basis: 'consent', recordedAt: null }], [full]);
    expect(w.fields.Data_Processing_Basis).toBe('Obtained');
    expect(w.fields.Data_Processing_Basis_Details).toEqual({
      Data_Processing_Basis: 'Obtained',
      Consent_Through: 'Email',
      Consent_Date: '2025-03-04',
      Consent_Remarks: 'Evidence: doi-777',
      Contact_Through_Email: true,
      Contact_Through_Phone: false,
      Contact_Through_Survey: false,
      Contact_Through_Social: false,
    });
  });
  it('lists pre-ticked, privacy text version, parental flag and time of day as cannot-express, and keeps them in the evidence JSON', () => {
    const w = consentToZoho([], [full]);
    expect(w.cannotExpress.sort()).toEqual(['consent:newsletter.capturedAt.time', 'consent:newsletter.parentalConsent', 'consent:newsletter.preTicked', 'consent:newsletter.privacyTextVersion'].sort());
    const json = parseEvidence(w.fields.GDPR_Consent_Evidence);
    expect(json?.consents[0]).toMatchObject({ preTicked: true, privacyTextVersion: '2024-05', parentalConsent: false });
  });
  it('lists withdrawnAt and other purposes as cannot-express', () => {
    const withdrawn = { ...full, status: 'withdrawn' as const, withdrawnAt: '2025-06-01T00:00:00.000Z', preTicked: null, parentalConsent: null, privacyTextVersion: null, capturedAt: '2025-03-04T00:00:00.000Z' };
    const profiling = ConsentRecord.parse({ purpose: 'profiling', status: 'granted' });
    const w = consentToZoho([], [withdrawn, profiling]);
    expect(w.fields.Data_Processing_Basis).toBe('Stop Processing');
    expect(w.cannotExpress.sort()).toEqual(['consent:newsletter.withdrawnAt', 'consent:profiling']);
  });
  it('puts one non-consent basis in the record-level slot and lists per-purpose bases as cannot-express', () => {
    const w = consentToZoho(
      [
        { purpose: 'customer_administration', basis: 'contract', recordedAt: null },
        { purpose: 'marketing_existing_customers', basis: 'legitimate_interest', recordedAt: null },
      ],
      [],
    );
    expect(w.fields.Data_Processing_Basis).toBe('Contract');
    expect(w.cannotExpress.sort()).toEqual(['lawfulBasis:customer_administration', 'lawfulBasis:marketing_existing_customers']);
  });
  it('a record-level (*) basis is fully expressible and keeps its slot', () => {
    const w = consentToZoho(
      [
        { purpose: 'sales', basis: 'legitimate_interest', recordedAt: null },
        { purpose: '*', basis: 'contract', recordedAt: null },
      ],
      [],
    );
    expect(w.fields.Data_Processing_Basis).toBe('Contract');
    expect(w.cannotExpress).toEqual(['lawfulBasis:sales']);
  });
  it('clears the evidence field when there is nothing to keep', () => {
    expect(consentToZoho([], []).fields).toEqual({ GDPR_Consent_Evidence: null });
  });
  it.each<[LawfulBasis, string]>([
    ['contract', 'Contract'],
    ['legal_obligation', 'Legal Obligation'],
    ['vital_interests', 'Vital Interests'],
    ['public_task', 'Public Interests'],
    ['legitimate_interest', 'Legitimate Interests'],
  ])('round-trips basis %s through Zoho (%s) unchanged', (basis, zoho) => {
    const bases = [{ purpose: 'p1', basis, recordedAt: '2025-01-01T00:00:00.000Z' }];
    const w = consentToZoho(bases, []);
    expect(w.fields.Data_Processing_Basis).toBe(zoho);
    expect(consentFromZoho(w.fields).lawfulBasis).toEqual(bases);
  });
  it('round-trips consents and bases through Zoho fields exactly', () => {
    const bases = [
      { purpose: 'newsletter', basis: 'consent' as const, recordedAt: '2025-03-04T10:11:12.000Z' },
      { purpose: 'customer_administration', basis: 'contract' as const, recordedAt: null },
    ];
    const profiling = ConsentRecord.parse({ purpose: 'profiling', status: 'denied', method: 'verbal' });
    const w = consentToZoho(bases, [full, profiling]);
    const back = consentFromZoho(w.fields);
    expect(back.consents.sort((a, b) => a.purpose.localeCompare(b.purpose))).toEqual([full, profiling]);
    expect(back.lawfulBasis).toEqual(bases);
    // Writing what was read yields the same fields: re-applying changes nothing.
    expect(consentToZoho(back.lawfulBasis, back.consents).fields).toEqual(w.fields);
  });
  it('native values win over the evidence JSON when a Zoho user changed them', () => {
    const w = consentToZoho([], [full]);
    const edited = { ...w.fields, Data_Processing_Basis: 'Stop Processing', Data_Processing_Basis_Details: { ...(w.fields.Data_Processing_Basis_Details as object), Data_Processing_Basis: 'Stop Processing' } };
    const back = consentFromZoho(edited);
    expect(back.consents[0]).toMatchObject({ status: 'withdrawn', preTicked: true, evidenceRef: 'doi-777' });
  });
});

describe('Zoho record -> Contact', () => {
  const rec = {
    id: '5725767000100000001',
    Owner: { name: 'Sanne Visser', id: '5725767000800000101', email: 'owner.one@example.com' },
    First_Name: 'Jan',
    Last_Name: 'de Vries',
    Email: 'Jan@Example.nl',
    Phone: null,
    Mobile: '+31 6 1234 5678',
    Account_Name: { name: 'Bakkerij BV', id: '1' },
    Date_of_Birth: '1980-02-03',
    Created_Time: '2024-01-02T10:00:00+01:00',
    Modified_Time: '2026-10-01T12:00:00+02:00',
    Last_Activity_Time: '2026-09-30T08:00:00+00:00',
    Lifecycle_Stage: 'Former Customer',
    Relationship_Ended_At: '2025-12-31T00:00:00+00:00',
    Data_Source: 'Web Form',
    Email_Opt_Out: true,
    Newsletter_Subscribed: false,
    Data_Processing_Basis: 'Contract',
    Data_Processing_Basis_Details: null,
    BSN: '123456782',
  };
  it('maps identity, owner, times, lifecycle, source, marketing and basis', () => {
    const { contact, unmapped } = contactFromZoho(rec, { ...ctx, fieldTypes: { Date_of_Birth: 'date', Email: 'email', Email_Opt_Out: 'boolean' } });
    expect(unmapped).toEqual([]);
    expect(contact).toMatchObject({
      vendor: 'zoho',
      id: rec.id,
      identifiers: { emails: ['jan@example.nl'], phones: ['+31612345678'] },
      ownerId: '5725767000800000101',
      createdAt: '2024-01-02T09:00:00.000Z',
      modifiedAt: '2026-10-01T10:00:00.000Z',
      lastActivityAt: '2026-09-30T08:00:00.000Z',
      lifecycle: { stage: 'former_customer', relationshipEndedAt: '2025-12-31T00:00:00.000Z' },
      source: 'form',
      birthDate: '1980-02-03',
      lawfulBasis: [{ purpose: '*', basis: 'contract', recordedAt: null }],
      marketing: { emailOptOut: true, subscriptions: [{ id: 'Newsletter_Subscribed', name: 'Newsletter', status: 'unsubscribed' }] },
    });
    expect(contact.properties.Account_Name).toEqual({ value: 'Bakkerij BV', category: 'professional', type: 'text' });
    expect(contact.properties.Email).toEqual({ value: 'Jan@Example.nl', category: 'contact', type: 'email' });
    expect(contact.properties.Email_Opt_Out?.value).toBe('true');
    expect(contact.properties.Owner).toBeUndefined();
  });
  it('leaves unknown lifecycle and source as unknown', () => {
    const { contact } = contactFromZoho({ ...rec, Lifecycle_Stage: null, Data_Source: null }, ctx);
    expect(contact.lifecycle.stage).toBe('unknown');
    expect(contact.source).toBe('unknown');
  });
  it('strips HTML from note content', () => {
    expect(noteText('<p>Belde&nbsp;met <b>klant</b></p><div>BSN 1234&amp;</div>')).toBe('Belde met klant\nBSN 1234&');
  });
  it('maps field metadata to property definitions', () => {
    expect(propertyFromZohoField({ api_name: 'Email', field_label: 'Email', data_type: 'email' })).toEqual({ name: 'Email', label: 'Email', type: 'email', readOnly: false, vendorDefined: true, category: 'contact' });
    expect(propertyFromZohoField({ api_name: 'BSN', field_label: 'BSN', data_type: 'text', custom_field: true })).toMatchObject({ vendorDefined: false, readOnly: false });
    expect(propertyFromZohoField({ api_name: 'Modified_Time', field_label: 'M', data_type: 'datetime' }).readOnly).toBe(true);
  });
});

describe('anonymised values', () => {
  const h = (v: string): string => `0123456789abcdef${v.length}`;
  it('gives a format-valid unique e-mail for e-mail fields', () => {
    expect(anonymisedValue('fixed_text', 'Email', 'email', '42', 'a@b.nl', false, h)).toBe('anon-42@anonymised.invalid');
    expect(anonymisedValue('clear', 'Email', 'email', '42', 'a@b.nl', false, h)).toBeNull();
  });
  it('never clears a mandatory field', () => {
    expect(anonymisedValue('clear', 'Last_Name', 'text', '42', 'Jansen', true, h)).toBe('Anonymised');
  });
  it('keyed hash is stable on re-run (an already hashed value is kept)', () => {
    const once = anonymisedValue('keyed_hash', 'City', 'text', '42', 'Utrecht', false, h) as string;
    expect(once).toMatch(/^h-[0-9a-f]{16}$/);
    expect(anonymisedValue('keyed_hash', 'City', 'text', '42', once, false, h)).toBe(once);
  });
  it('clears dates and phones under fixed_text', () => {
    expect(anonymisedValue('fixed_text', 'Date_of_Birth', 'date', '42', '1980-01-01', false, h)).toBeNull();
    expect(anonymisedValue('fixed_text', 'Mobile', 'phone', '42', '+31612345678', false, h)).toBeNull();
  });
});

describe('data centres and limits', () => {
  it.each(Object.entries(DATA_CENTRES))('derives %s from its api domain', (dc, v) => {
    expect(dataCentreFromApiDomain(v.api)).toBe(dc);
  });
  it('only the EU data centre is inside the EEA', () => {
    expect(Object.entries(DATA_CENTRES).filter(([, v]) => v.inEea).map(([k]) => k)).toEqual(['eu']);
  });
  it('CA uses zohocloud.ca for accounts', () => {
    expect(DATA_CENTRES.ca.accounts).toBe('https://accounts.zohocloud.ca');
  });
  it('computes credits per plan and per write', () => {
    expect(dailyCredits('enterprise', 100)).toBe(150_000);
    expect(dailyCredits('enterprise', 10_000)).toBe(5_000_000);
    expect(dailyCredits('standard', 1_000)).toBe(100_000);
    expect(creditsFor('write', 100)).toBe(10);
    expect(creditsFor('read')).toBe(1);
  });
  it('rejects unknown hosts', () => {
    expect(dataCentreFromApiDomain('http://127.0.0.1:1234')).toBeNull();
  });
});
