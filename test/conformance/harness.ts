/**
 * Per-vendor harnesses for the connector conformance suite. Each starts its vendor's local sandbox over
 * real HTTP, builds the connector through `createConnector` (the factory the pipeline uses) with the real
 * client library (@hubspot/api-client, axios, jsforce), and exposes what the vendor-neutral cases need:
 * the vendor's names for a few properties, how seed people map to vendor ids, direct sandbox changes
 * (touch, delete) made "in the CRM" behind the connector's back, fault injection, and a state snapshot.
 *
 * Where a case cannot apply to a vendor the harness says so with a written reason; the suite then
 * asserts the vendor's actual behaviour for that case instead of skipping it.
 */
import { createConnector } from '../../connectors';
import type { HubSpotConnector } from '../../connectors/hubspot/connector';
import { contactIdForSeq, startHubSpotSandbox } from '../../connectors/hubspot/sandbox';
import { createMemoryRateBudget } from '../../connectors/memory-rate-budget';
import { KEY_PREFIXES } from '../../connectors/salesforce/sandbox/catalog';
import { startSalesforceSandbox } from '../../connectors/salesforce/sandbox/server';
import type { SeedOptions, SeedPerson } from '../../connectors/sandbox-seed/types';
import type { Connector, RateBudget } from '../../connectors/types';
import { CORE_FIELDS as SF_CORE_FIELDS, INDIVIDUAL_FLAGS } from '../../connectors/salesforce/fields';
import { CORE_FIELDS as ZOHO_CORE_FIELDS, CUSTOM as ZOHO_CUSTOM, SUBSCRIPTION_FIELDS as ZOHO_SUBSCRIPTION_FIELDS } from '../../connectors/zoho/fields';
import { ID_KIND, zohoId, zohoTime, zohoUser } from '../../connectors/zoho/sandbox/seed';
import { startZohoSandbox } from '../../connectors/zoho/sandbox/server';
import type { Vendor } from '../../src/model';

/** Small seed, timestamps well before the real clock so "changed now" is always later than any seed time. */
export const SEED: SeedOptions = { count: 48, seed: 17, now: '2026-01-01T00:00:00Z' };
export const TENANT = 'tenant-conformance';
const HASH_KEY = 'conformance-anonymise-key-0123456789';

/** The real in-memory budget, recording every backoff the connector asks of it (Retry-After lands here). */
export interface RecordingBudget extends RateBudget {
  readonly backoffs: { ms: number; bucket: string | undefined }[];
}
function recordingBudget(): RecordingBudget {
  const inner = createMemoryRateBudget({ default: { points: 10_000, durationMs: 10_000 }, search: { points: 1_000, durationMs: 1_000 } });
  const backoffs: { ms: number; bucket: string | undefined }[] = [];
  return {
    backoffs,
    take: (bucket) => inner.take(bucket),
    backoff: (ms, bucket) => {
      backoffs.push({ ms, bucket });
      inner.backoff(ms, bucket);
    },
  };
}

/** A fault armed in the sandbox; `fired()` tells whether the vendor side actually answered with it. */
export interface Fault {
  fired(): boolean;
}

/** How an expired access token is handled. */
export type TokenExpiry =
  | {
      kind: 'refresh';
      /** Expires the connector's current access token in the sandbox. */
      expire(): void;
      /** Token refreshes the sandbox has served so far. */
      refreshes(): number;
    }
  | {
      kind: 'static';
      /** Why this connector has no refresh flow. */
      reason: string;
      /** A connector for the same portal whose token the vendor no longer accepts. */
      connectorWithDeadToken(): Connector;
    };

/** Vendor names of the properties the cases use. */
export interface VendorProps {
  email: string;
  firstName: string;
  lastName: string;
  /** A free-text property some seeded contacts have (city). */
  city: string;
  /** A property never requested by the cases, to prove unrequested ones stay out. */
  unrequested: string;
  /** Our status properties as the vendor names them. */
  status: string;
  nextActionAt: string;
}

export interface HarnessInstance {
  readonly connector: Connector;
  readonly budget: RecordingBudget;
  /** Ids of contacts that exist (not deleted) in the sandbox right now. */
  liveIds(): string[];
  /** Vendor id a seed person became. */
  idOfSeed(p: SeedPerson): string;
  /** Sets a contact's last-modified time in the sandbox, as an edit in the CRM would. */
  setModifiedAt(id: string, ms: number): void;
  /** Deletes (archives / recycles) a contact in the sandbox, as a user in the CRM would. */
  deleteInSandbox(id: string): void;
  /** Tasks in the sandbox linked to a contact. */
  tasksFor(contactId: string): number;
  /** A task as the CRM holds it (null when deleted): closed or not, and its subject and body/description. */
  task(taskId: string): { closed: boolean; text: string } | null;
  /** A user completes a task in the CRM. */
  closeTaskInSandbox(taskId: string): void;
  /** A user deletes a task in the CRM. */
  deleteTaskInSandbox(taskId: string): void;
  /** Everything write-back can change, as comparable JSON. */
  snapshot(): string;
  /** Fault injection. */
  rateLimitNextList(): Fault;
  serverErrorNextList(): Fault;
  serverErrorNextUpdate(): Fault;
  /** Task creation is not idempotent: a 429 proves nothing was created, a 5xx does not. */
  rateLimitNextTaskCreate(): Fault;
  serverErrorNextTaskCreate(): Fault;
  readonly token: TokenExpiry;
  close(): Promise<void>;
}

export interface VendorHarness {
  readonly vendor: Vendor;
  readonly props: VendorProps;
  /**
   * Properties that come back in Contact.properties whether requested or not (the fields the connector
   * reads to build a Contact), with why. Anything outside requested + these must not come back.
   */
  readonly coreProperties: { names: readonly string[]; reason: string };
  /** A well-formed id of a contact that does not exist. */
  readonly unknownId: string;
  /**
   * Retry-After (seconds) the sandbox sends with an injected 429, or null with the reason when the
   * vendor sends none (the client then backs off on its own).
   */
  readonly retryAfter: { seconds: number } | { seconds: null; reason: string };
  /**
   * Whether a GDPR delete (gdpr_delete) still shows in listDeletedSince; when not, why.
   */
  readonly gdprDeleteListed: { listed: true } | { listed: false; reason: string };
  /** Purpose under which a written lawful basis reads back (vendors without per-purpose bases map it). */
  basisPurposeAsRead(purpose: string): string;
  /** Error detail of a vendor validation error on gdpr_next_action_at (vendor code and message, no values). */
  readonly validationDetail: RegExp;
  start(): Promise<HarnessInstance>;
}

// ------------------------------------------------------------------------------------------- HubSpot

const HS_TOKEN = 'pat-eu1-conformance';

export const hubspot: VendorHarness = {
  vendor: 'hubspot',
  props: { email: 'email', firstName: 'firstname', lastName: 'lastname', city: 'city', unrequested: 'jobtitle', status: 'gdpr_status', nextActionAt: 'gdpr_next_action_at' },
  coreProperties: { names: [], reason: 'the HubSpot connector fetches what it needs for identifiers, lifecycle and consent but keeps only the requested properties in Contact.properties' },
  unknownId: '987654321',
  retryAfter: { seconds: 1 },
  gdprDeleteListed: {
    listed: false,
    reason: 'HubSpot GDPR delete (POST /crm/v3/objects/contacts/gdpr-delete) purges the contact for good: it never enters the archived list, so no deletion can be listed',
  },
  // HubSpot keeps one hs_legal_basis per contact; its legitimate-interest options name only prospect/lead and existing customer.
  basisPurposeAsRead: (p) => (/customer|client/i.test(p) ? 'existing_customer' : /prospect|lead|sales/i.test(p) ? 'prospect_lead' : '*'),
  // HubSpot's messages echo rejected values, so the connector keeps its category and error codes only.
  validationDetail: /^HTTP 400 VALIDATION_ERROR \(INVALID_DATE on gdpr_next_action_at\) correlationId=[0-9a-f-]{36}$/,
  async start() {
    const sb = await startHubSpotSandbox({ accessToken: HS_TOKEN, seed: SEED, limits: false, latencyMs: 0 });
    const budget = recordingBudget();
    const connector = createConnector({ vendor: 'hubspot', tenantId: TENANT, baseUrl: sb.url, accessToken: HS_TOKEN, options: { anonymiseKey: HASH_KEY }, budget }) as HubSpotConnector;
    const contacts = () => sb.state.objects.contacts;
    return {
      connector,
      budget,
      liveIds: () => [...contacts().values()].filter((r) => !r.archived).map((r) => r.id),
      idOfSeed: (p) => contactIdForSeq(p.seq),
      setModifiedAt(id, ms) {
        const rec = contacts().get(id)!;
        rec.updatedAt = new Date(ms).toISOString();
        rec.properties.lastmodifieddate = rec.updatedAt;
      },
      deleteInSandbox: (id) => sb.state.archive('contacts', contacts().get(id)!),
      tasksFor: (id) => sb.state.associatedIds('contacts', id, 'tasks').length,
      task(id) {
        const t = sb.state.get('tasks', id);
        return t && !t.archived ? { closed: t.properties.hs_task_status === 'COMPLETED', text: `${t.properties.hs_task_subject ?? ''}\n${t.properties.hs_task_body ?? ''}` } : null;
      },
      closeTaskInSandbox: (id) => sb.state.update('tasks', sb.state.get('tasks', id)!, { hs_task_status: 'COMPLETED' }),
      deleteTaskInSandbox: (id) => sb.state.archive('tasks', sb.state.get('tasks', id)!),
      snapshot() {
        const objects = (['contacts', 'notes', 'tasks'] as const).map((t) => [...sb.state.objects[t].values()].sort((a, b) => Number(a.id) - Number(b.id)));
        const subs = [...sb.state.subscriptionStatuses].map(([k, m]) => [k, [...m]]);
        return JSON.stringify({ objects, subs, props: [...sb.state.properties.contacts.keys()].sort(), deleted: [...sb.state.gdprDeletedIds].sort() });
      },
      rateLimitNextList() {
        const before = sb.stats.rejected429;
        sb.failNext({ method: 'GET', path: '/crm/v3/objects/contacts', status: 429, count: 1, retryAfterSeconds: 1 });
        return { fired: () => sb.stats.rejected429 === before + 1 };
      },
      serverErrorNextList() {
        const before = connector.stats.serverErrors;
        sb.failNext({ method: 'GET', path: '/crm/v3/objects/contacts', status: 500, count: 1, retryAfterSeconds: 0 });
        return { fired: () => connector.stats.serverErrors === before + 1 };
      },
      serverErrorNextUpdate() {
        const before = connector.stats.serverErrors;
        sb.failNext({ method: 'POST', path: '/crm/v3/objects/contacts/batch/update', status: 503, count: 1, retryAfterSeconds: 0 });
        return { fired: () => connector.stats.serverErrors === before + 1 };
      },
      rateLimitNextTaskCreate() {
        const before = sb.stats.rejected429;
        sb.failNext({ method: 'POST', path: '/crm/v3/objects/tasks/batch/create', status: 429, count: 1, retryAfterSeconds: 1 });
        return { fired: () => sb.stats.rejected429 === before + 1 };
      },
      serverErrorNextTaskCreate() {
        const before = sb.stats.byRoute['POST /crm/v3/objects/:objectType/batch/create'] ?? 0;
        sb.failNext({ method: 'POST', path: '/crm/v3/objects/tasks/batch/create', status: 500, count: 1, retryAfterSeconds: 0 });
        return { fired: () => (sb.stats.byRoute['POST /crm/v3/objects/:objectType/batch/create'] ?? 0) === before + 1 };
      },
      token: {
        kind: 'static',
        reason:
          'the HubSpot connector authenticates with a private-app access token (options carry no OAuth client id or refresh token), which HubSpot does not expire; a token HubSpot stops accepting is an authentication failure to surface, not to refresh',
        connectorWithDeadToken: () => createConnector({ vendor: 'hubspot', tenantId: TENANT, baseUrl: sb.url, accessToken: 'pat-eu1-revoked', budget: recordingBudget() }),
      },
      close: async () => {
        await connector.close?.();
        await sb.close();
      },
    };
  },
};

// ------------------------------------------------------------------------------------------- Zoho

const ZOHO_CREDS = { clientId: '1000.CONFORMANCE', clientSecret: 'conformance-secret', refreshToken: '1000.conformance.refresh' };

export const zoho: VendorHarness = {
  vendor: 'zoho',
  props: { email: 'Email', firstName: 'First_Name', lastName: 'Last_Name', city: 'Mailing_City', unrequested: 'Title', status: 'GDPR_Status', nextActionAt: 'GDPR_Next_Action_At' },
  coreProperties: {
    names: [...ZOHO_CORE_FIELDS, ZOHO_CUSTOM.lifecycle, ZOHO_CUSTOM.relationshipEndedAt, ZOHO_CUSTOM.consentEvidence, ...ZOHO_SUBSCRIPTION_FIELDS.map((f) => f.field)],
    reason: 'the Zoho connector maps every field it fetched, and it always fetches the fields a Contact is built from (owner, times, e-mails, phones, consent, lifecycle, subscriptions)',
  },
  unknownId: zohoId(ID_KIND.contact, 99_999_999),
  retryAfter: { seconds: null, reason: 'Zoho answers credit or concurrency exhaustion with 429 TOO_MANY_REQUESTS and no Retry-After (reference zoho.md, limits); the client backs off exponentially instead' },
  gdprDeleteListed: { listed: true },
  basisPurposeAsRead: (p) => p,
  validationDetail: /^INVALID_DATA: invalid data \(field GDPR_Next_Action_At\) expected datetime$/,
  async start() {
    const sb = await startZohoSandbox({ seed: SEED, latencyMs: 0, limits: { tokensPer10Min: 1_000 }, ...ZOHO_CREDS });
    const budget = recordingBudget();
    const connector = createConnector({
      vendor: 'zoho',
      tenantId: TENANT,
      options: { ...ZOHO_CREDS, accountsUrl: sb.accountsUrl, apiDomain: sb.url, dataCentre: 'eu', hashKey: HASH_KEY },
      budget,
    });
    const ruleFired = (rule: { count: number }): Fault => ({ fired: () => rule.count === 0 });
    const arm = (rule: { status: number; count: number; method: string; path: string }): Fault => {
      sb.state.failures.push(rule);
      return ruleFired(rule);
    };
    return {
      connector,
      budget,
      liveIds: () => [...sb.state.contacts.keys()],
      idOfSeed: (p) => zohoId(ID_KIND.contact, p.seq),
      setModifiedAt: (id, ms) => sb.state.touch(id, ms),
      deleteInSandbox(id) {
        // What a user's delete does in Zoho: the record and its notes go to the recycle bin.
        const r = sb.state.contacts.get(id)!;
        sb.state.contacts.delete(id);
        for (const [nid, n] of [...sb.state.notes]) if ((n.Parent_Id as { id: string }).id === id) sb.state.notes.delete(nid);
        sb.state.deleted.push({ id, display_name: String(r.Full_Name ?? ''), type: 'recycle', deleted_time: zohoTime(Date.now()), deleted_by: zohoUser(0), created_by: r.Owner });
      },
      tasksFor: (id) => [...sb.state.tasks.values()].filter((t) => (t.Who_Id as { id?: string } | null)?.id === id).length,
      task(id) {
        const t = sb.state.tasks.get(id);
        return t ? { closed: t.Status === 'Completed', text: `${String(t.Subject ?? '')}\n${String(t.Description ?? '')}` } : null;
      },
      closeTaskInSandbox(id) {
        sb.state.tasks.get(id)!.Status = 'Completed';
      },
      deleteTaskInSandbox: (id) => void sb.state.tasks.delete(id),
      snapshot: () => JSON.stringify({ contacts: [...sb.state.contacts], notes: [...sb.state.notes], tasks: [...sb.state.tasks], deleted: sb.state.deleted, fields: sb.state.fields.map((f) => f.api_name) }),
      rateLimitNextList: () => arm({ status: 429, count: 1, method: 'GET', path: '/crm/v8/Contacts' }),
      serverErrorNextList: () => arm({ status: 500, count: 1, method: 'GET', path: '/crm/v8/Contacts' }),
      serverErrorNextUpdate: () => arm({ status: 503, count: 1, method: 'PUT', path: '/crm/v8/Contacts' }),
      rateLimitNextTaskCreate: () => arm({ status: 429, count: 1, method: 'POST', path: '/crm/v8/Tasks' }),
      serverErrorNextTaskCreate: () => arm({ status: 500, count: 1, method: 'POST', path: '/crm/v8/Tasks' }),
      token: { kind: 'refresh', expire: () => sb.state.expireTokens(), refreshes: () => sb.stats.tokensIssued },
      close: async () => {
        await connector.close?.();
        await sb.close();
      },
    };
  },
};

// ------------------------------------------------------------------------------------------- Salesforce

export const salesforce: VendorHarness = {
  vendor: 'salesforce',
  // Leads carry City instead of MailingCity; the city cases pick Contacts that have it.
  props: { email: 'Email', firstName: 'FirstName', lastName: 'LastName', city: 'MailingCity', unrequested: 'Title', status: 'GDPR_Status__c', nextActionAt: 'GDPR_Next_Action_At__c' },
  coreProperties: {
    names: [...SF_CORE_FIELDS, ...INDIVIDUAL_FLAGS.map((f) => `Individual.${f}`)],
    reason:
      "the Salesforce connector maps every field its SOQL selected, and it always selects the fields a Contact is built from (names, e-mail, phones, owner, dates, opt-outs, consent evidence); with the consent objects it adds the linked Individual's opt-out flags as Individual.<flag>",
  },
  unknownId: `${KEY_PREFIXES.Contact}999999999999AAA`,
  retryAfter: { seconds: 1 },
  gdprDeleteListed: { listed: true },
  basisPurposeAsRead: (p) => p,
  validationDetail: /^INVALID_TYPE_ON_FIELD_IN_RECORD: .*value not of required type: \[value\]/,
  async start() {
    const sb = await startSalesforceSandbox({ seed: SEED, latencyMs: 0 });
    const budget = recordingBudget();
    const connector = createConnector({
      vendor: 'salesforce',
      tenantId: TENANT,
      baseUrl: sb.url,
      accessToken: sb.state.accessToken,
      options: { refreshToken: sb.state.refreshToken, clientId: sb.state.clientId, clientSecret: sb.state.clientSecret, bulkPollIntervalMs: '20', hashKey: HASH_KEY },
      budget,
    });
    const arm = (rule: { method: string; path: RegExp; status: number; times: number; retryAfterSec?: number }): Fault => {
      sb.addFailure(rule);
      return { fired: () => rule.times === 0 };
    };
    return {
      connector,
      budget,
      liveIds: () => [...sb.state.live('Contact'), ...sb.state.live('Lead')].map((r) => r.Id),
      idOfSeed: (p) => `${KEY_PREFIXES[p.lifecycle === 'lead' ? 'Lead' : 'Contact']}${String(p.seq).padStart(12, '0')}AAA`,
      setModifiedAt: (id, ms) => sb.state.touch(id, ms),
      deleteInSandbox: (id) => sb.state.delete(id),
      tasksFor: (id) => sb.state.live('Task').filter((t) => t.WhoId === id).length,
      task(id) {
        const t = sb.state.get(id);
        return t && t.IsDeleted !== true ? { closed: t.IsClosed === true, text: `${String(t.Subject ?? '')}\n${String(t.Description ?? '')}` } : null;
      },
      closeTaskInSandbox(id) {
        Object.assign(sb.state.get(id)!, { Status: 'Completed', IsClosed: true });
      },
      deleteTaskInSandbox: (id) => sb.state.delete(id),
      snapshot: () => JSON.stringify([...sb.state.objects].map(([name, rows]) => [name, [...rows.values()]])),
      rateLimitNextList: () => arm({ method: 'GET', path: /^\/query/, status: 429, times: 1, retryAfterSec: 1 }),
      serverErrorNextList: () => arm({ method: 'GET', path: /^\/query/, status: 500, times: 1 }),
      serverErrorNextUpdate: () => arm({ method: 'PATCH', path: /^\/composite\/sobjects/, status: 503, times: 1 }),
      rateLimitNextTaskCreate: () => arm({ method: 'POST', path: /^\/composite\/sobjects/, status: 429, times: 1, retryAfterSec: 1 }),
      serverErrorNextTaskCreate: () => arm({ method: 'POST', path: /^\/composite\/sobjects/, status: 500, times: 1 }),
      token: { kind: 'refresh', expire: () => sb.state.expireToken(), refreshes: () => sb.state.tokenRefreshes },
      close: async () => {
        await connector.close?.();
        await sb.close();
      },
    };
  },
};

export const HARNESSES: readonly VendorHarness[] = [hubspot, zoho, salesforce];
