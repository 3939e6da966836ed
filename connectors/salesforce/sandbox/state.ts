/**
 * The sandbox org's data: objects by name, rows by id (deleted rows stay with IsDeleted = true, as in the
 * Recycle Bin, so queryAll sees them), describe metadata, the session, and the daily API request count.
 * Seeds people from the vendor-neutral generator: lifecycle `lead` -> Lead, everyone else -> Contact,
 * with an Individual and ContactPointTypeConsent rows when the org has the consent objects.
 */
import { randomBytes } from 'node:crypto';
import { iteratePeople } from '../../sandbox-seed/people';
import { SEED_OWNERS, type SeedOptions, type SeedPerson } from '../../sandbox-seed/types';
import { CAPTURE_SOURCES, LEAD_SOURCE_OF, PURPOSE_CHANNEL } from '../mapping';
import { baseCatalog, KEY_PREFIXES, type SbField } from './catalog';

export type Row = Record<string, unknown> & { Id: string };

/** Salesforce REST datetime form. */
export const sfTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');
export const ownerId = (i: number): string => `005${String(SEED_OWNERS[i % SEED_OWNERS.length]!.id).padStart(12, '0')}AAA`;
const PURPOSES = [
  { key: 'newsletter', Name: 'Newsletter' },
  { key: 'profiling', Name: 'Profiling' },
  { key: 'call_recording', Name: 'Call Recording' },
];

export class SalesforceState {
  readonly objects = new Map<string, Map<string, Row>>();
  readonly catalog: Record<string, SbField[]>;
  readonly customFieldsCreated: string[] = [];
  accessToken: string;
  readonly refreshToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly orgId = '00D000000000001AAA';
  readonly userId = ownerId(0);
  readonly purposeIds = new Map<string, string>();
  /** Rolling-window request log (ms) for the daily API request allocation. */
  apiLog: number[] = [];
  tokenRefreshes = 0;
  private counters = new Map<string, number>();
  private clockMs: number | null = null;

  constructor(
    readonly hasConsentObjects: boolean,
    readonly instanceName: string,
    creds: { accessToken?: string; refreshToken?: string; clientId?: string; clientSecret?: string },
  ) {
    this.catalog = baseCatalog(hasConsentObjects);
    for (const name of Object.keys(this.catalog)) this.objects.set(name, new Map());
    this.accessToken = creds.accessToken ?? `00D!sandbox.${randomBytes(12).toString('hex')}`;
    this.refreshToken = creds.refreshToken ?? '5Aep861sandbox.refresh';
    this.clientId = creds.clientId ?? '3MVG9sandbox.client';
    this.clientSecret = creds.clientSecret ?? 'sandbox-secret';
    this.table('Organization').set(this.orgId, { Id: this.orgId, Name: 'Sandbox BV', InstanceName: instanceName, IsSandbox: false, OrganizationType: 'Enterprise Edition', Country: 'Netherlands', CountryCode: 'NL' });
    SEED_OWNERS.forEach((o, i) => this.table('User').set(ownerId(i), { Id: ownerId(i), Username: o.email, Email: o.email, FirstName: o.firstName, LastName: o.lastName, IsActive: true }));
    if (hasConsentObjects) {
      for (const p of PURPOSES) {
        const id = this.insert('DataUsePurpose', { Name: p.Name, CanDataSubjectOptOut: true, Description: null, LegalBasisId: null }, Date.parse('2025-01-01T00:00:00Z'));
        this.purposeIds.set(p.key, id);
      }
    }
  }

  now(): number {
    return this.clockMs ?? Date.now();
  }
  /** Pins the clock writes use (tests); null returns to real time. */
  setClock(ms: number | null): void {
    this.clockMs = ms;
  }

  table(obj: string): Map<string, Row> {
    const t = this.objects.get(obj);
    if (!t) throw new Error(`no table ${obj}`);
    return t;
  }

  objectOfId(id: string): string | null {
    const prefix = id.slice(0, 3);
    for (const [obj, p] of Object.entries(KEY_PREFIXES)) if (p === prefix && this.objects.has(obj)) return obj;
    return null;
  }

  get(id: string): Row | undefined {
    const obj = this.objectOfId(id);
    if (!obj) return undefined;
    return this.table(obj).get(id);
  }

  newId(obj: string): string {
    const n = (this.counters.get(obj) ?? 0) + 1;
    this.counters.set(obj, n);
    const prefix = KEY_PREFIXES[obj] ?? '0XX';
    return `${prefix}${String(n).padStart(12, '0')}AAA`;
  }

  insert(obj: string, fields: Record<string, unknown>, atMs = this.now(), id?: string): string {
    const rowId = id ?? this.newId(obj);
    const hasSys = this.catalog[obj]?.some((f) => f.name === 'SystemModstamp');
    const row: Row = { ...fields, Id: rowId, IsDeleted: false };
    if (hasSys) {
      row.CreatedDate ??= sfTime(atMs);
      row.LastModifiedDate ??= sfTime(atMs);
      row.SystemModstamp ??= row.LastModifiedDate;
    }
    this.table(obj).set(rowId, row);
    return rowId;
  }

  /** Marks a row modified now (or at `ms`). */
  touch(id: string, ms = this.now()): void {
    const r = this.get(id);
    if (!r) throw new Error('no such row');
    r.LastModifiedDate = sfTime(ms);
    r.SystemModstamp = sfTime(ms);
  }

  /** Live rows of an object (not in the Recycle Bin). */
  live(obj: string): Row[] {
    return [...this.table(obj).values()].filter((r) => r.IsDeleted !== true);
  }

  /** Deletes like Salesforce: Contact/Lead to the Recycle Bin (links and tasks go with them). */
  delete(id: string): void {
    const obj = this.objectOfId(id);
    const row = this.get(id);
    if (!obj || !row) return;
    const at = sfTime(this.now());
    row.IsDeleted = true;
    row.SystemModstamp = at;
    if (obj === 'ContentNote') {
      for (const [lid, l] of this.table('ContentDocumentLink')) if (l.ContentDocumentId === id) this.table('ContentDocumentLink').delete(lid);
    }
    if (obj === 'Contact' || obj === 'Lead') {
      for (const [lid, l] of this.table('ContentDocumentLink')) if (l.LinkedEntityId === id) this.table('ContentDocumentLink').delete(lid);
      for (const t of this.table('Task').values()) if (t.WhoId === id) t.IsDeleted = true;
      for (const n of this.table('Note').values()) if (n.ParentId === id) n.IsDeleted = true;
    }
    if (obj === 'Individual') {
      for (const c of this.table('ContactPointTypeConsent').values()) if (c.PartyId === id) c.IsDeleted = true;
    }
    // Links are not recycled: a ContentDocumentLink delete is final.
    if (obj === 'ContentDocumentLink') this.table(obj).delete(id);
  }

  /** Text of a ContentNote (stored decoded). */
  noteText(id: string): string | null {
    const r = this.table('ContentNote').get(id);
    return r && r.IsDeleted !== true ? String(r.Content ?? '') : null;
  }

  notesOf(entityId: string): Row[] {
    const ids = [...this.table('ContentDocumentLink').values()].filter((l) => l.LinkedEntityId === entityId).map((l) => l.ContentDocumentId as string);
    return ids.map((i) => this.table('ContentNote').get(i)).filter((r): r is Row => !!r && r.IsDeleted !== true);
  }

  /** Rotates the access token (the old one now gets 401 INVALID_SESSION_ID). */
  expireToken(): void {
    this.accessToken = `00D!sandbox.${randomBytes(12).toString('hex')}`;
  }

  seed(opts: SeedOptions): void {
    for (const p of iteratePeople(opts)) this.addPerson(p);
  }

  addPerson(p: SeedPerson): string {
    const created = Date.parse(p.createdAt);
    const modified = Date.parse(p.modifiedAt);
    const isLead = p.lifecycle === 'lead';
    const obj = isLead ? 'Lead' : 'Contact';
    const id = `${KEY_PREFIXES[obj]}${String(p.seq).padStart(12, '0')}AAA`;
    let individualId: string | undefined;
    if (this.hasConsentObjects) {
      individualId = `0PK${String(p.seq).padStart(12, '0')}AAA`;
      this.insert('Individual', { FirstName: p.firstName, LastName: p.lastName, BirthDate: p.dateOfBirth, HasOptedOutProcessing: false, HasOptedOutSolicit: false, HasOptedOutProfiling: false, HasOptedOutTracking: false, HasOptedOutGeoTracking: false, ShouldForget: false, SendIndividualData: false, CanStorePiiElsewhere: false, OwnerId: ownerId(p.ownerIndex) }, created, individualId);
      for (const c of p.consents) {
        const purposeId = this.purposeIds.get(c.purpose);
        if (!purposeId) continue;
        this.insert('ContactPointTypeConsent', {
          Name: `${c.purpose}`,
          PartyId: individualId,
          ContactPointType: PURPOSE_CHANNEL[c.purpose] ?? 'Email',
          PrivacyConsentStatus: c.status === 'granted' ? 'OptIn' : 'OptOut',
          DataUsePurposeId: purposeId,
          EffectiveFrom: c.capturedAt ? sfTime(Date.parse(c.capturedAt)) : null,
          EffectiveTo: c.status === 'withdrawn' && c.withdrawnAt ? sfTime(Date.parse(c.withdrawnAt)) : null,
          CaptureDate: sfTime(Date.parse(c.capturedAt ?? p.createdAt)),
          CaptureSource: CAPTURE_SOURCES.find((s) => s.method === c.method)?.source ?? 'Unknown',
          CaptureContactPointType: c.method === 'phone_recording' || c.method === 'verbal' ? 'Phone' : 'Email',
          DoubleConsentCaptureDate: c.method === 'double_opt_in_email' && c.capturedAt ? sfTime(Date.parse(c.capturedAt)) : null,
          OwnerId: ownerId(p.ownerIndex),
        }, Date.parse(c.capturedAt ?? p.createdAt));
      }
    }
    const evidence = p.lawfulBasis.length + p.consents.length === 0 ? null : JSON.stringify({ v: 1, bases: p.lawfulBasis.map((b) => ({ ...b, recordedAt: null })), consents: p.consents.map((c) => ({ ...c, lawfulBasis: 'consent' })) });
    const common: Record<string, unknown> = {
      FirstName: p.firstName,
      LastName: p.lastName,
      Email: p.email,
      Phone: p.phone,
      MobilePhone: null,
      Title: p.jobTitle,
      Description: null,
      OwnerId: ownerId(p.ownerIndex),
      LastActivityDate: p.lastActivityAt ? p.lastActivityAt.slice(0, 10) : null,
      EmailBouncedDate: null,
      HasOptedOutOfEmail: p.emailOptOut,
      DoNotCall: false,
      HasOptedOutOfFax: false,
      LeadSource: LEAD_SOURCE_OF[p.source],
      Lifecycle_Stage__c: { subscriber: 'Subscriber', lead: 'Lead', customer: 'Customer', former_customer: 'Former Customer' }[p.lifecycle],
      Relationship_Ended__c: p.relationshipEndedAt ? p.relationshipEndedAt.slice(0, 10) : null,
      Newsletter_Subscribed__c: p.newsletterSubscribed === true,
      BSN__c: p.bsn,
      GDPR_Consent_Evidence__c: evidence,
      CreatedDate: sfTime(created),
      LastModifiedDate: sfTime(modified),
      SystemModstamp: sfTime(modified),
      ...(individualId ? { IndividualId: individualId } : {}),
    };
    const fields = isLead
      ? { ...common, Company: p.company ?? '[not provided]', City: p.city, Country: p.country, Status: 'Open - Not Contacted' }
      : { ...common, MailingCity: p.city, MailingCountry: p.country, Department: null, Birthdate: p.dateOfBirth };
    this.insert(obj, fields, modified, id);
    p.notes.forEach((n, i) => {
      const noteId = `069${String(p.seq).padStart(10, '0')}${String(i).padStart(2, '0')}AAA`;
      const at = Date.parse(n.createdAt);
      this.insert('ContentNote', { Title: 'Note', Content: n.body, TextPreview: n.body.slice(0, 255), FileType: 'SNOTE', OwnerId: ownerId(p.ownerIndex) }, at, noteId);
      this.insert('ContentDocumentLink', { ContentDocumentId: noteId, LinkedEntityId: id, ShareType: 'V', Visibility: 'AllUsers', SystemModstamp: sfTime(at) }, at);
    });
    return id;
  }
}

/** A virtual Contact row for the lazily generated large org (Bulk 2.0 scans only). */
export function lazyContactRow(p: SeedPerson): Row {
  return {
    Id: `003${String(p.seq).padStart(12, '0')}AAA`,
    IsDeleted: false,
    FirstName: p.firstName,
    LastName: p.lastName,
    Email: p.email,
    Phone: p.phone,
    MailingCity: p.city,
    MailingCountry: p.country,
    Title: p.jobTitle,
    Birthdate: p.dateOfBirth,
    OwnerId: ownerId(p.ownerIndex),
    LastActivityDate: p.lastActivityAt ? p.lastActivityAt.slice(0, 10) : null,
    HasOptedOutOfEmail: p.emailOptOut,
    DoNotCall: false,
    HasOptedOutOfFax: false,
    LeadSource: LEAD_SOURCE_OF[p.source],
    Newsletter_Subscribed__c: p.newsletterSubscribed === true,
    BSN__c: p.bsn,
    GDPR_Consent_Evidence__c: p.lawfulBasis.length + p.consents.length === 0 ? null : JSON.stringify({ v: 1, bases: p.lawfulBasis.map((b) => ({ ...b, recordedAt: null })), consents: p.consents.map((c) => ({ ...c, lawfulBasis: 'consent' })) }),
    CreatedDate: sfTime(Date.parse(p.createdAt)),
    LastModifiedDate: sfTime(Date.parse(p.modifiedAt)),
    SystemModstamp: sfTime(Date.parse(p.modifiedAt)),
  };
}
