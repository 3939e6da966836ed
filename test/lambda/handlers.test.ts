import { createHmac } from 'node:crypto';
import { openQueues, type QueueSet } from '../../src/jobs/queues';
import { createLambdaHandlers, type ApiGatewayEvent } from '../../src/lambda/handlers';
import { deletePrefix, recordingHandlers, requireRedis, uniquePrefix, type PortalEntry } from '../jobs/helpers';

const SECRET = 'lambda-test-secret';
const SF_ORG = '00D5g000004XyZaEAK';
const portals: PortalEntry[] = [
  { vendor: 'hubspot', account: '62515', portalId: 'hubspot:62515', secrets: { hubspotClientSecret: SECRET } },
  { vendor: 'zoho', account: '20001', portalId: 'zoho:20001', secrets: { zohoChannelToken: 'zoho-token-123' } },
  { vendor: 'salesforce', account: SF_ORG, portalId: `salesforce:${SF_ORG}`, secrets: { salesforceOrgId: SF_ORG } },
];
let qs: QueueSet;
const prefix = uniquePrefix('lambda');
let dbUp = true;
const handlers = createLambdaHandlers(async () => ({
  queues: qs,
  handlers: recordingHandlers(portals),
  pingDb: async () => {
    if (!dbUp) throw new Error('down');
  },
}));

beforeAll(async () => {
  await requireRedis();
  qs = await openQueues({ prefix });
});
afterAll(async () => {
  await qs.close();
  await deletePrefix(prefix);
});

const waiting = async () => (await qs.evaluate.getJobCounts('waiting')).waiting;

/** HTTP API (payload 2.0) event as API Gateway sends it (AWS docs sample, our values). */
function httpApiEvent(method: string, rawPath: string, rawQueryString: string, headers: Record<string, string>, body?: string, base64 = false): ApiGatewayEvent {
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath.startsWith('/webhooks/') ? '/webhooks/{vendor}' : rawPath}`,
    rawPath,
    rawQueryString,
    cookies: [],
    headers: { 'content-length': String(body?.length ?? 0), host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https', ...headers },
    queryStringParameters: rawQueryString ? Object.fromEntries(new URLSearchParams(rawQueryString)) : undefined,
    pathParameters: rawPath.startsWith('/webhooks/') ? { vendor: rawPath.split('/')[2] } : undefined,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '54.0.0.1', userAgent: 'HubSpot Connect 2.0' },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      routeKey: `${method} ${rawPath}`,
      stage: '$default',
      time: '12/Mar/2026:19:03:58 +0000',
      timeEpoch: 1773342238000,
    },
    body: body === undefined ? undefined : base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  } as ApiGatewayEvent;
}

/** REST API (v1) proxy event. */
function restEvent(method: string, resourcePath: string, query: Record<string, string[]> | null, headers: Record<string, string>, body?: string, base64 = false): ApiGatewayEvent {
  return {
    resource: resourcePath.startsWith('/webhooks/') ? '/webhooks/{vendor}' : resourcePath,
    path: resourcePath,
    httpMethod: method,
    headers: { Host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'X-Forwarded-Proto': 'https', ...headers },
    multiValueHeaders: {},
    queryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v[v.length - 1]])) : null,
    multiValueQueryStringParameters: query,
    pathParameters: resourcePath.startsWith('/webhooks/') ? { vendor: resourcePath.split('/')[2] } : null,
    stageVariables: null,
    requestContext: { accountId: '123456789012', resourceId: 'x1', stage: 'prod', requestId: 'r1', path: `/prod${resourcePath}`, domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', httpMethod: method, apiId: 'abc123', protocol: 'HTTP/1.1', identity: { sourceIp: '13.0.0.1' } },
    body: body === undefined ? null : base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  } as ApiGatewayEvent;
}

const hsBody = (eventId: number) =>
  JSON.stringify([{ eventId, subscriptionId: 5, portalId: 62515, appId: 1, occurredAt: 1_760_000_000_000, subscriptionType: 'contact.creation', objectId: 900 + eventId, attemptNumber: 0 }]);

test('HTTP API v2: HubSpot v3 over the execute-api URL with its raw query string; duplicates once', async () => {
  const body = hsBody(1);
  const ts = String(Date.now());
  const url = 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/hubspot?b=2&a=1';
  const sig = createHmac('sha256', SECRET).update(`POST${url}${body}${ts}`).digest('base64');
  const headers = { 'content-type': 'application/json', 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts };
  const before = await waiting();
  const r = await handlers.webhook(httpApiEvent('POST', '/webhooks/hubspot', 'b=2&a=1', headers, body));
  expect(r.statusCode).toBe(200);
  expect(JSON.parse(r.body)).toMatchObject({ ok: true, queued: 1 });
  const again = await handlers.webhook(httpApiEvent('POST', '/webhooks/hubspot', 'b=2&a=1', headers, body, true));
  expect(JSON.parse(again.body)).toMatchObject({ queued: 0, duplicates: 1 });
  expect(await waiting()).toBe(before + 1);
  const bad = await handlers.webhook(httpApiEvent('POST', '/webhooks/hubspot', 'a=1&b=2', headers, body));
  expect(bad.statusCode).toBe(401);
  expect(JSON.parse(bad.body)).toEqual({ error: { code: 'bad_signature', message: 'signature does not match the body' } });
});

test('REST API v1: HubSpot v3 signed over the stage path; Zoho with a base64 body', async () => {
  const body = hsBody(2);
  const ts = String(Date.now());
  const url = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/webhooks/hubspot';
  const sig = createHmac('sha256', SECRET).update(`POST${url}${body}${ts}`).digest('base64');
  const r = await handlers.webhook(restEvent('POST', '/webhooks/hubspot', null, { 'Content-Type': 'application/json', 'X-HubSpot-Signature-v3': sig, 'X-HubSpot-Request-Timestamp': ts }, body));
  expect(r.statusCode).toBe(200);
  const zoho = JSON.stringify({ server_time: Date.now(), module: 'Leads', ids: ['5725767000003000064'], operation: 'insert', channel_id: '1000000068001', token: 'zoho-token-123' });
  const z = await handlers.webhook(restEvent('POST', '/webhooks/zoho', { org: ['20001'] }, { 'Content-Type': 'application/json' }, zoho, true));
  expect(z.statusCode).toBe(200);
  expect(JSON.parse(z.body)).toMatchObject({ queued: 1 });
  const tooBig = await handlers.webhook(restEvent('POST', '/webhooks/zoho', { org: ['20001'] }, {}, 'x'.repeat(1024 * 1024 + 1)));
  expect(tooBig.statusCode).toBe(413);
  const unknown = await handlers.webhook(restEvent('POST', '/webhooks/pipedrive', null, {}, '{}'));
  expect(unknown.statusCode).toBe(404);
});

test('Salesforce outbound message through HTTP API gets the SOAP ack', async () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${SF_ORG}</OrganizationId><ActionId>04k5g000000AbCdAAK</ActionId><SessionId xsi:nil="true"/><EnterpriseUrl>https://x</EnterpriseUrl><PartnerUrl>https://x</PartnerUrl><Notification><Id>04l5g00000LAMB1AAA</Id><sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>00Q5g00000AbCdEAAA</sf:Id></sObject></Notification></notifications></soapenv:Body></soapenv:Envelope>`;
  const r = await handlers.webhook(httpApiEvent('POST', '/webhooks/salesforce', '', { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' }, xml));
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toContain('text/xml');
  expect(r.body).toContain('<Ack>true</Ack>');
});

test('health and readiness in both shapes', async () => {
  expect((await handlers.health(httpApiEvent('GET', '/health', '', {}))).statusCode).toBe(200);
  const ready = await handlers.health(restEvent('GET', '/ready', null, {}));
  expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: { redis: 'ok', db: 'ok' } });
  dbUp = false;
  const notReady = await handlers.health(httpApiEvent('GET', '/ready', '', {}));
  dbUp = true;
  expect(notReady.statusCode).toBe(503);
});

test('the scheduler queues one run per portal and refuses unknown tasks', async () => {
  expect(await handlers.scheduler({ task: 'digest' })).toEqual({ task: 'digest', portals: 3 });
  expect((await qs.notify.getJobs(['waiting'])).map((j) => j.data.portalId).sort()).toEqual(['hubspot:62515', `salesforce:${SF_ORG}`, 'zoho:20001']);
  await expect(handlers.scheduler({ task: 'everything' })).rejects.toThrow(/task/);
});
