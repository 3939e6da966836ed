/** Pure Salesforce mapping: consent and lawful basis both ways (with and without consent objects), residency, SOQL escaping. */
import { csvRows } from '../connectors/salesforce/sync';
import { safeMessage, retryAfterMs } from '../connectors/salesforce/client';
import { dailyApiRequests, locationFromInstance, parseLimitInfo } from '../connectors/salesforce/limits';
import {
  anonymisedEmail,
  anonymisedValue,
  consentFromSalesforce,
  consentToSalesforce,
  contactFromSalesforce,
  fromCsvRow,
  parseEvidence,
  propertyFromDescribe,
  toIso,
  type ConsentContext,
  type SfConsentRow,
} from '../connectors/salesforce/mapping';
import { datetimeLiteral, idLiteral, select, SoqlInputError, stringLiteral } from '../connectors/salesforce/soql';
import { parseSoql } from '../connectors/salesforce/sandbox/soql';
import { ConsentRecord } from '../src/model';

const WITH: ConsentContext = { hasConsentObjects: true, purposes: [{ Id: '0ZW000000000001AAA', Name: 'Newsletter' }, { Id: '0ZW000000000002AAA', Name: 'Profiling' }] };
const WITHOUT: ConsentContext = { hasConsentObjects: false, purposes: [] };
const NOW = new Date('2026-11-20T12:00:00.000Z');
const consent = (o: Partial<ConsentRecord> & { purpose: string; status: ConsentRecord['status'] }) => ConsentRecord.parse(o);

describe('consent -> Salesforce (org with consent objects)', () => {
  it('granted consent becomes an OptIn ContactPointTypeConsent with capture date, source and channel', () => {
    const w = consentToSalesforce([{ purpose: 'newsletter', basis: 'consent', recordedAt: null }], [consent({ purpose: 'newsletter', status: 'granted', capturedAt: '2026-03-01T10:00:00.000Z', method: 'double_opt_in_email' })], WITH, NOW);
    expect(w.rows).toEqual([
      {
        purpose: 'newsletter',
        row: {
          DataUsePurposeId: '0ZW000000000001AAA',
          ContactPointType: 'Email',
          PrivacyConsentStatus: 'OptIn',
          CaptureDate: '2026-03-01T10:00:00.000+0000',
          CaptureSource: 'Double Opt-In Email',
          CaptureContactPointType: 'Email',
          EffectiveFrom: '2026-03-01T10:00:00.000+0000',
          EffectiveTo: null,
          DoubleConsentCaptureDate: '2026-03-01T10:00:00.000+0000',
        },
      },
    ]);
    // Consent basis for a purpose with an OptIn row is native: nothing inexpressible.
    expect(w.cannotExpress).toEqual([]);
    expect(w.individual).toEqual({});
  });

  it('withdrawn -> OptOut with EffectiveTo = withdrawnAt and the Individual flag; denied -> OptOut without EffectiveTo', () => {
    const w = consentToSalesforce(
      [],
      [
        consent({ purpose: 'newsletter', status: 'withdrawn', capturedAt: '2026-01-01T00:00:00.000Z', withdrawnAt: '2026-06-01T00:00:00.000Z', method: 'form_checkbox' }),
        consent({ purpose: 'profiling', status: 'denied', capturedAt: '2026-02-01T00:00:00.000Z', method: 'phone_recording' }),
      ],
      WITH,
      NOW,
    );
    const nl = w.rows.find((r) => r.purpose === 'newsletter')!.row;
    expect(nl.PrivacyConsentStatus).toBe('OptOut');
    expect(nl.EffectiveTo).toBe('2026-06-01T00:00:00.000+0000');
    const pr = w.rows.find((r) => r.purpose === 'profiling')!.row;
    expect(pr).toMatchObject({ PrivacyConsentStatus: 'OptOut', EffectiveTo: null, ContactPointType: 'Web', CaptureSource: 'Phone Recording', CaptureContactPointType: 'Phone' });
    expect(w.individual).toEqual({ HasOptedOutSolicit: true, HasOptedOutProfiling: true });
  });

  it('records what Salesforce cannot hold: evidence, privacy text, pre-ticked, parental, unknown capture date, unknown purpose, non-consent bases', () => {
    const w = consentToSalesforce(
      [
        { purpose: 'customer_administration', basis: 'contract', recordedAt: null },
        { purpose: 'newsletter', basis: 'consent', recordedAt: null },
      ],
      [
        consent({ purpose: 'newsletter', status: 'granted', capturedAt: null, evidenceRef: 'form-1', privacyTextVersion: '2024-05', preTicked: true, parentalConsent: false }),
        consent({ purpose: 'call_recording', status: 'granted', capturedAt: '2026-01-01T00:00:00.000Z' }),
      ],
      WITH,
      NOW,
    );
    expect(w.cannotExpress.sort()).toEqual(
      [
        'consent:newsletter.capturedAt',
        'consent:newsletter.evidenceRef',
        'consent:newsletter.privacyTextVersion',
        'consent:newsletter.preTicked',
        'consent:newsletter.parentalConsent',
        'consent:call_recording',
        'lawfulBasis:customer_administration',
      ].sort(),
    );
    // CaptureDate is required: the write time goes there and EffectiveFrom stays empty.
    expect(w.rows[0]!.row).toMatchObject({ CaptureDate: '2026-11-20T12:00:00.000+0000', EffectiveFrom: null, CaptureSource: 'Unknown' });
    const json = parseEvidence(w.fields.GDPR_Consent_Evidence__c);
    expect(json?.consents.map((c) => c.purpose).sort()).toEqual(['call_recording', 'newsletter']);
    expect(json?.bases).toHaveLength(2);
  });
});

describe('consent -> Salesforce (org without consent objects)', () => {
  it('only the opt-out flag is native: a withdrawn e-mail purpose sets HasOptedOutOfEmail, the rest lives in the JSON', () => {
    const w = consentToSalesforce([{ purpose: 'newsletter', basis: 'consent', recordedAt: null }], [consent({ purpose: 'newsletter', status: 'withdrawn', withdrawnAt: '2026-05-01T00:00:00.000Z' })], WITHOUT, NOW);
    expect(w.fields.HasOptedOutOfEmail).toBe(true);
    expect(w.rows).toEqual([]);
    expect(w.individual).toEqual({});
    expect(w.cannotExpress.sort()).toEqual(['consent:newsletter', 'lawfulBasis:newsletter']);
    expect(parseEvidence(w.fields.GDPR_Consent_Evidence__c)?.consents[0]?.status).toBe('withdrawn');
  });

  it('a granted consent never clears an opt-out, and no consents means an empty JSON field', () => {
    expect(consentToSalesforce([], [consent({ purpose: 'newsletter', status: 'granted' })], WITHOUT, NOW).fields.HasOptedOutOfEmail).toBeUndefined();
    expect(consentToSalesforce([], [], WITHOUT, NOW).fields.GDPR_Consent_Evidence__c).toBeNull();
  });
});

describe('Salesforce -> consent', () => {
  const row = (o: Partial<SfConsentRow>): SfConsentRow => ({ Id: '0ZY000000000001AAA', PartyId: '0PK000000000001AAA', DataUsePurposeId: '0ZW000000000001AAA', ContactPointType: 'Email', CaptureSource: 'Web Form', CaptureDate: '2026-01-01T00:00:00.000+0000', EffectiveFrom: '2026-01-01T00:00:00.000+0000', ...o });

  it('OptIn -> granted with basis consent; OptOut + EffectiveTo -> withdrawn; OptOut alone -> denied', () => {
    const g = consentFromSalesforce({}, [row({ PrivacyConsentStatus: 'OptIn' })], WITH);
    expect(g.consents).toEqual([ConsentRecord.parse({ purpose: 'newsletter', status: 'granted', capturedAt: '2026-01-01T00:00:00.000Z', method: 'form_checkbox' })]);
    expect(g.lawfulBasis).toEqual([{ purpose: 'newsletter', basis: 'consent', recordedAt: '2026-01-01T00:00:00.000Z' }]);
    const w = consentFromSalesforce({}, [row({ PrivacyConsentStatus: 'OptOut', EffectiveTo: '2026-04-01T00:00:00.000+0000' })], WITH);
    expect(w.consents[0]).toMatchObject({ status: 'withdrawn', withdrawnAt: '2026-04-01T00:00:00.000Z' });
    expect(w.lawfulBasis).toEqual([]);
    expect(consentFromSalesforce({}, [row({ PrivacyConsentStatus: 'OptOut' })], WITH).consents[0]?.status).toBe('denied');
  });

  it('Seen/NotSeen and rows without a DataUsePurpose are reported as unmapped, not invented', () => {
    const r = consentFromSalesforce({}, [row({ PrivacyConsentStatus: 'Seen' }), row({ Id: '0ZY2', DataUsePurposeId: null, PrivacyConsentStatus: 'OptIn', ContactPointType: 'Phone' })], WITH);
    expect(r.consents).toEqual([]);
    expect(r.unmapped.sort()).toEqual(['ContactPointTypeConsent:Phone without DataUsePurpose', 'ContactPointTypeConsent:newsletter.PrivacyConsentStatus=Seen']);
  });

  it('native rows win for status and dates; the JSON fills evidence, privacy text, pre-ticked and parental flags', () => {
    const json = JSON.stringify({ v: 1, bases: [{ purpose: 'crm', basis: 'contract', recordedAt: null }], consents: [consent({ purpose: 'newsletter', status: 'granted', evidenceRef: 'form-9', privacyTextVersion: 'v3', preTicked: false, parentalConsent: true })] });
    const r = consentFromSalesforce({ GDPR_Consent_Evidence__c: json }, [row({ PrivacyConsentStatus: 'OptOut', EffectiveTo: '2026-04-01T00:00:00.000+0000' })], WITH);
    expect(r.consents[0]).toMatchObject({ status: 'withdrawn', evidenceRef: 'form-9', privacyTextVersion: 'v3', preTicked: false, parentalConsent: true, capturedAt: '2026-01-01T00:00:00.000Z' });
    expect(r.lawfulBasis).toEqual([{ purpose: 'crm', basis: 'contract', recordedAt: null }]);
  });

  it('an unknown capture date written as a placeholder reads back as unknown', () => {
    const json = JSON.stringify({ v: 1, bases: [], consents: [consent({ purpose: 'newsletter', status: 'granted', capturedAt: null })] });
    const r = consentFromSalesforce({ GDPR_Consent_Evidence__c: json }, [row({ PrivacyConsentStatus: 'OptIn', EffectiveFrom: null, CaptureSource: 'Unknown' })], WITH);
    expect(r.consents[0]?.capturedAt).toBeNull();
  });

  it('without consent objects the JSON is the only consent source; rows are ignored', () => {
    const json = JSON.stringify({ v: 1, bases: [], consents: [consent({ purpose: 'newsletter', status: 'granted' })] });
    const r = consentFromSalesforce({ GDPR_Consent_Evidence__c: json }, [row({ PrivacyConsentStatus: 'OptOut' })], WITHOUT);
    expect(r.consents.map((c) => c.status)).toEqual(['granted']);
    expect(consentFromSalesforce({ GDPR_Consent_Evidence__c: '{not json' }, [], WITHOUT).consents).toEqual([]);
  });

  it('round trip: model -> Salesforce rows + JSON -> model keeps every fact', () => {
    const input = [consent({ purpose: 'newsletter', status: 'withdrawn', capturedAt: '2026-01-01T00:00:00.000Z', withdrawnAt: '2026-02-01T00:00:00.000Z', method: 'form_checkbox', evidenceRef: 'e1', privacyTextVersion: 'v1', preTicked: false, parentalConsent: null })];
    const bases = [{ purpose: 'crm', basis: 'contract' as const, recordedAt: '2026-01-01T00:00:00.000Z' }];
    const w = consentToSalesforce(bases, input, WITH, NOW);
    const back = consentFromSalesforce({ GDPR_Consent_Evidence__c: w.fields.GDPR_Consent_Evidence__c }, w.rows.map((r) => ({ ...r.row, Id: 'x', PartyId: 'p' })), WITH);
    expect(back.consents).toEqual(input);
    expect(back.lawfulBasis).toEqual(bases);
  });
});

describe('record mapping', () => {
  it('maps a Lead with its Individual flags, Salesforce datetimes, opt-out and subscription checkbox', () => {
    const { contact } = contactFromSalesforce(
      { Id: '00Q000000000001AAA', Email: 'A.B@Example.com', Phone: '+31 (6) 123-45', OwnerId: '005000000000101AAA', CreatedDate: '2026-01-01T10:00:00.000+0000', SystemModstamp: '2026-02-01T10:00:00.000+0000', LastActivityDate: '2026-01-15', HasOptedOutOfEmail: true, LeadSource: 'Web', Newsletter_Subscribed__c: false, IndividualId: '0PK1' },
      { Id: '0PK1', HasOptedOutProfiling: true, BirthDate: '1990-05-17' },
      [],
      { portalId: 'salesforce:00D', tenantId: 't', object: 'Lead', consent: WITH, fieldTypes: { Email: 'email', HasOptedOutOfEmail: 'boolean' } },
    );
    expect(contact).toMatchObject({
      id: '00Q000000000001AAA',
      objectType: 'lead',
      identifiers: { emails: ['a.b@example.com'], phones: ['+31612345'] },
      ownerId: '005000000000101AAA',
      createdAt: '2026-01-01T10:00:00.000Z',
      modifiedAt: '2026-02-01T10:00:00.000Z',
      lastActivityAt: '2026-01-15T00:00:00.000Z',
      source: 'form',
      birthDate: '1990-05-17',
      lifecycle: { stage: 'lead' },
      marketing: { emailOptOut: true, subscriptions: [{ id: 'Newsletter_Subscribed__c', name: 'Newsletter', status: 'unsubscribed' }] },
    });
    expect(contact.properties['Individual.HasOptedOutProfiling']).toEqual({ value: 'true', category: 'consent', type: 'bool' });
    expect(contact.properties.Email).toMatchObject({ category: 'contact', type: 'email' });
  });

  it('Bulk CSV strings get their describe types back', () => {
    expect(fromCsvRow({ Id: '003x', HasOptedOutOfEmail: 'true', Email: '', DoNotCall: '' }, { HasOptedOutOfEmail: 'boolean', Email: 'email', DoNotCall: 'boolean' })).toEqual({ Id: '003x', HasOptedOutOfEmail: true, Email: null, DoNotCall: false });
    expect(toIso('2026-01-01T00:00:00.000+0000')).toBe('2026-01-01T00:00:00.000Z');
  });

  it('describe -> property definitions with read-only and custom flags', () => {
    expect(propertyFromDescribe({ name: 'SystemModstamp', label: 'System Modstamp', type: 'datetime', updateable: false })).toMatchObject({ readOnly: true, vendorDefined: true, type: 'datetime', category: 'system' });
    expect(propertyFromDescribe({ name: 'BSN__c', label: 'BSN', type: 'string', custom: true, updateable: true })).toMatchObject({ readOnly: false, vendorDefined: false, category: 'national_id' });
  });

  it('anonymised values are format-valid, keep mandatory fields filled and are stable on re-run', () => {
    expect(anonymisedValue('fixed_text', 'email', '003ABC', 'x@y.nl', false, 'k'.repeat(16))).toBe(anonymisedEmail('003ABC'));
    expect(anonymisedValue('clear', 'string', '003ABC', 'Jansen', true, 'k'.repeat(16))).toBe('Anonymised');
    expect(anonymisedValue('clear', 'boolean', '003ABC', true, false, 'k'.repeat(16))).toBe(false);
    const h = anonymisedValue('keyed_hash', 'string', '003ABC', 'Jansen', false, 'k'.repeat(16)) as string;
    expect(h).toMatch(/^h-[0-9a-f]{16}$/);
    expect(anonymisedValue('keyed_hash', 'string', '003ABC', h, false, 'k'.repeat(16))).toBe(h);
  });
});

describe('residency from the instance name', () => {
  it.each([
    ['EU45', true, 'none'],
    ['DEU12', true, 'none'],
    ['FRA4S', true, 'none'],
    ['NA123', false, 'none'],
    ['USA644', false, 'none'],
    ['GBR8', false, 'adequacy'],
    ['AP21', false, 'none'],
    ['CS44', false, 'none'],
    ['XYZ', false, 'none'],
  ] as const)('%s -> inEea %s, transfer %s', (name, inEea, mech) => {
    const l = locationFromInstance(name);
    expect(l.inEea).toBe(inEea);
    expect(l.transferMechanism).toBe(mech);
    expect(l.region).toBe(name.toLowerCase());
  });
});

describe('SOQL is built, never pasted', () => {
  it('escapes string literals and rejects injected names and ids', () => {
    expect(stringLiteral("O'Brien\\ \n")).toBe("'O\\'Brien\\\\ \\n'");
    expect(() => idLiteral("003' OR Id != '")).toThrow(SoqlInputError);
    expect(() => select({ fields: ['Id, (SELECT Id FROM Tasks)'], from: 'Contact' })).toThrow(SoqlInputError);
    expect(datetimeLiteral(new Date('2026-01-01T10:00:00.999Z'))).toBe('2026-01-01T10:00:00Z');
    const q = select({ fields: ['Id', 'Email'], from: 'Contact', where: [{ field: 'SystemModstamp', op: '>=', value: { dt: new Date('2026-01-01T00:00:00Z') } }, { field: 'Id', op: 'IN', ids: ['003000000000001AAA'] }], orderBy: [{ field: 'SystemModstamp' }], limit: 5 });
    expect(q).toBe("SELECT Id, Email FROM Contact WHERE SystemModstamp >= 2026-01-01T00:00:00Z AND Id IN ('003000000000001AAA') ORDER BY SystemModstamp ASC LIMIT 5");
    // The sandbox parser reads back exactly what the builder wrote, escapes included.
    const parsed = parseSoql(`SELECT Id FROM Contact WHERE LastName = ${stringLiteral("O'Brien")}`);
    expect(parsed.where[0]).toEqual({ field: 'LastName', op: '=', value: { k: 'str', v: "O'Brien" } });
  });
});

describe('small helpers', () => {
  it('parses CSV with quotes, commas and newlines', () => {
    expect([...csvRows('"Id","Note"\n"1","a, ""b""\nc"\n"2",""\n')]).toEqual([['Id', 'Note'], ['1', 'a, "b"\nc'], ['2', '']]);
  });
  it('strips values Salesforce echoes from error messages', () => {
    expect(safeMessage('Email: invalid email address: jan@example.nl')).toBe('Email: invalid email address: [value]');
    expect(safeMessage('Last Name: data value too large: Janssen-de Vries-van Dijk (max length=10)')).toBe('Last Name: data value too large: [value] (max length=10)');
    expect(safeMessage('bad value Pietersen', ['Pietersen'])).toBe('bad value [value]');
  });
  it('reads limits and Retry-After', () => {
    expect(parseLimitInfo('api-usage=18/5000, api-bursts=1/750')).toEqual({ used: 18, limit: 5000 });
    expect(dailyApiRequests('enterprise', 100)).toBe(200_000);
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
  });
});
