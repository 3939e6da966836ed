import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { openQueues, type QueueSet } from '../../src/jobs/queues';
import { createApp } from '../../src/server/app';
import { deletePrefix, recordingHandlers, requireRedis, uniquePrefix, type PortalEntry } from '../jobs/helpers';

const SECRET = 'hs-client-secret-for-tests';
const PUBLIC = 'https://hooks.example.com';
const SF_ORG = '00D5g000004XyZaEAK';
const portals: PortalEntry[] = [
  { vendor: 'hubspot', account: '62515', portalId: 'hubspot:62515', secrets: { hubspotClientSecret: SECRET } },
  { vendor: 'zoho', account: '20001', portalId: 'zoho:20001', secrets: { zohoChannelToken: 'zoho-channel-token-1', zohoChannelId: '1000000068001' } },
  { vendor: 'salesforce', account: SF_ORG, portalId: `salesforce:${SF_ORG}`, secrets: { salesforceOrgId: SF_ORG } },
];

let prefix: string;
let qs: QueueSet;
let server: Server;
let base: string;
let dbUp = true;

beforeAll(async () => {
  await requireRedis();
  prefix = uniquePrefix('app');
  qs = await openQueues({ prefix });
  const app = createApp({
    queues: qs,
    handlers: recordingHandlers(portals),
    publicBaseUrl: PUBLIC,
    pingDb: async () => {
      if (!dbUp) throw new Error('db down');
    },
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await qs.close();
  await deletePrefix(prefix);
});

const evaluateCount = async () => {
  const c = await qs.evaluate.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
  return Object.values(c).reduce((a, b) => a + b, 0);
};

function signV3(path: string, body: string, ts = String(Date.now()), secret = SECRET) {
  const sig = createHmac('sha256', secret).update(`POST${PUBLIC}${path}${body}${ts}`).digest('base64');
  return { 'content-type': 'application/json', 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts };
}

const hsEvent = (eventId: number, extra: Record<string, unknown> = {}) => ({
  eventId,
  subscriptionId: 99,
  portalId: 62515,
  appId: 1,
  occurredAt: 1_760_000_000_000 + eventId,
  subscriptionType: 'contact.propertyChange',
  propertyName: 'email',
  objectId: 500 + eventId,
  attemptNumber: 0,
  ...extra,
});

async function post(path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(base + path, { method: 'POST', body, headers });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, any>, type: res.headers.get('content-type') ?? '' };
}

describe('health and readiness', () => {
  test('health is liveness; ready reflects Redis and the database', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', db: 'ok' } });
    dbUp = false;
    const notReady = await fetch(`${base}/ready`);
    dbUp = true;
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not_ready', checks: { redis: 'ok', db: 'fail' } });
  });
});

describe('POST /webhooks/hubspot', () => {
  test('a signed delivery is queued once; the redelivery is acknowledged as a duplicate', async () => {
    const path = '/webhooks/hubspot?app=gdpr%3Acrm';
    const body = JSON.stringify([hsEvent(1), hsEvent(2, { subscriptionType: 'contact.creation', propertyName: undefined })]);
    const before = await evaluateCount();
    const r1 = await post(path, body, signV3('/webhooks/hubspot?app=gdpr:crm', body));
    expect(r1.status).toBe(200);
    expect(r1.json()).toMatchObject({ ok: true, queued: 2, duplicates: 0 });
    expect(await evaluateCount()).toBe(before + 2);
    const job = (await qs.evaluate.getJobs(['waiting', 'active', 'completed']))
      .find((j) => j.data.event.objectId === '501');
    expect(job?.data).toMatchObject({ portalId: 'hubspot:62515', event: { kind: 'updated', property: 'email', eventId: '99:1:1760000000001' } });
    // HubSpot redelivers (attemptNumber 1, new timestamp): same events, nothing new queued.
    const again = JSON.stringify([hsEvent(1, { attemptNumber: 1 }), hsEvent(2, { subscriptionType: 'contact.creation', propertyName: undefined, attemptNumber: 1 })]);
    const r2 = await post(path, again, signV3('/webhooks/hubspot?app=gdpr:crm', again));
    expect(r2.json()).toMatchObject({ ok: true, queued: 0, duplicates: 2 });
    expect(await evaluateCount()).toBe(before + 2);
  });

  test('refusals are clear 4xx JSON and queue nothing', async () => {
    const path = '/webhooks/hubspot';
    const body = JSON.stringify([hsEvent(10)]);
    const before = await evaluateCount();
    const cases: [string, Record<string, string>, number, string][] = [
      [body, { ...signV3(path, body), 'x-hubspot-signature-v3': 'bm9wZQ==' }, 401, 'bad_signature'],
      [body, signV3(path, body, String(Date.now() - 6 * 60_000)), 401, 'stale_timestamp'],
      [body, signV3(path, body, String(Date.now()), 'wrong-secret'), 401, 'bad_signature'],
      [body, { 'content-type': 'application/json' }, 401, 'missing_signature'],
      [JSON.stringify([hsEvent(11, { portalId: 777 })]), signV3(path, JSON.stringify([hsEvent(11, { portalId: 777 })])), 404, 'unknown_portal'],
      ['{"not":"an array"}', signV3(path, '{"not":"an array"}'), 400, 'malformed_body'],
      ['', signV3(path, ''), 400, 'malformed_body'],
    ];
    for (const [b, headers, status, code] of cases) {
      const r = await post(path, b, headers);
      expect({ code, status: r.status, type: r.type }).toEqual({ code, status, type: expect.stringContaining('application/json') });
      expect(r.json().error.code).toBe(code);
    }
    const big = JSON.stringify([hsEvent(12, { pad: 'x'.repeat(1024 * 1024) })]);
    const tooBig = await post(path, big, signV3(path, big));
    expect(tooBig.status).toBe(413);
    expect(tooBig.json().error.code).toBe('payload_too_large');
    expect(await evaluateCount()).toBe(before);
  });

  test('a bulk import queues one delayed incremental scan instead of per-contact checks', async () => {
    const path = '/webhooks/hubspot';
    const body = JSON.stringify([20, 21, 22].map((i) => hsEvent(i, { subscriptionType: 'contact.creation', changeSource: 'IMPORT' })));
    const before = await evaluateCount();
    const r = await post(path, body, signV3(path, body));
    expect(r.json()).toMatchObject({ ok: true, queued: 0, importSyncQueued: true, skipped: { import: 3 } });
    expect(await evaluateCount()).toBe(before);
    const delayed = await qs.sync.getJobs(['delayed']);
    expect(delayed.map((j) => j.data)).toContainEqual({ portalId: 'hubspot:62515', mode: 'incremental' });
  });
});

describe('POST /webhooks/zoho and /webhooks/salesforce', () => {
  const zoho = (token: string, ids = ['5725767000003000064']) =>
    JSON.stringify({ server_time: Date.now(), query_params: { org: '20001' }, module: 'Contacts', ids, operation: 'insert', channel_id: '1000000068001', token });

  test('Zoho: the channel token is the proof; the org comes from the notify URL', async () => {
    const before = await evaluateCount();
    const ok = await post('/webhooks/zoho?org=20001', zoho('zoho-channel-token-1'), { 'content-type': 'application/json' });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ queued: 1 });
    const bad = await post('/webhooks/zoho?org=20001', zoho('zoho-channel-token-X', ['5725767000003000099']), { 'content-type': 'application/json' });
    expect(bad.status).toBe(401);
    expect(bad.json().error.code).toBe('bad_token');
    const unknown = await post('/webhooks/zoho?org=999', zoho('zoho-channel-token-1'), { 'content-type': 'application/json' });
    expect(unknown.status).toBe(404);
    expect(await evaluateCount()).toBe(before + 1);
  });

  test('Salesforce: allowed org gets the SOAP ack; other orgs and junk are refused', async () => {
    const envelope = (org: string, notificationId: string) => `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>
<notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${org}</OrganizationId><ActionId>04k5g000000AbCdAAK</ActionId><SessionId xsi:nil="true"/>
<EnterpriseUrl>https://x.my.salesforce.com/services/Soap/c/62.0/${org}</EnterpriseUrl><PartnerUrl>https://x.my.salesforce.com/services/Soap/u/62.0/${org}</PartnerUrl>
<Notification><Id>${notificationId}</Id><sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>0035g00000AbCdEAAA</sf:Id></sObject></Notification>
</notifications></soapenv:Body></soapenv:Envelope>`;
    const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };
    const before = await evaluateCount();
    const ok = await post('/webhooks/salesforce', envelope(SF_ORG, '04l5g00000AAAA1AAA'), headers);
    expect(ok.status).toBe(200);
    expect(ok.type).toContain('text/xml');
    expect(ok.text).toContain('<Ack>true</Ack>');
    const other = await post('/webhooks/salesforce', envelope('00D5g000004XyZbEAK', '04l5g00000AAAA2AAA'), headers);
    expect(other.status).toBe(404);
    const junk = await post('/webhooks/salesforce', '<notifications>', headers);
    expect(junk.status).toBe(400);
    expect(junk.json().error.code).toBe('malformed_body');
    expect(await evaluateCount()).toBe(before + 1);
  });

  test('unknown routes and methods answer JSON', async () => {
    const r = await fetch(`${base}/webhooks/pipedrive`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });
});
