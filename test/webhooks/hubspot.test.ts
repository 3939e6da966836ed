import { createHash, createHmac } from 'node:crypto';
import { decodeV3Uri, parseHubSpotDelivery, verifyHubSpotSignature } from '../../webhooks/hubspot';

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
// HubSpot's own v1 example (legacy request-validation docs): secret, body and expected hash.
const DOC_BODY =
  '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
const DOC_V1 = '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de';

/** v3 computed here independently of the module: HMAC-SHA256 over the literal concatenation. */
function v3(secret: string, method: string, signedUri: string, body: string, ts: string): string {
  return createHmac('sha256', secret).update(`${method}${signedUri}${body}${ts}`, 'utf8').digest('base64');
}

describe('HubSpot signature verification', () => {
  const now = 1_760_000_000_000;
  const uri = 'https://hooks.example.com/webhooks/hubspot?tenant=a%2Fb&x=%20y';

  test('v1 matches HubSpot documentation example', () => {
    const r = verifyHubSpotSignature({ method: 'POST', uri, rawBody: Buffer.from(DOC_BODY), headers: { 'x-hubspot-signature': DOC_V1, 'x-hubspot-signature-version': 'v1' }, clientSecret: SECRET });
    expect(r).toEqual({ ok: true, version: 'v1' });
    const bad = verifyHubSpotSignature({ method: 'POST', uri, rawBody: Buffer.from(DOC_BODY + ' '), headers: { 'x-hubspot-signature': DOC_V1 }, clientSecret: SECRET });
    expect(bad).toEqual({ ok: false, reason: 'bad_signature' });
  });

  test('v2 covers method and uri', () => {
    const sig = createHash('sha256').update(`${SECRET}POST${uri}${DOC_BODY}`).digest('hex');
    const headers = { 'x-hubspot-signature': sig, 'x-hubspot-signature-version': 'v2' };
    expect(verifyHubSpotSignature({ method: 'POST', uri, rawBody: Buffer.from(DOC_BODY), headers, clientSecret: SECRET })).toEqual({ ok: true, version: 'v2' });
    expect(verifyHubSpotSignature({ method: 'POST', uri: uri + '&z=1', rawBody: Buffer.from(DOC_BODY), headers, clientSecret: SECRET }).ok).toBe(false);
  });

  test('v3 decodes only the listed escapes, uses raw bytes, and checks the window', () => {
    const ts = String(now - 60_000);
    // %2F decoded, %20 kept (reference §5 table).
    const signedUri = 'https://hooks.example.com/webhooks/hubspot?tenant=a/b&x=%20y';
    expect(decodeV3Uri(uri)).toBe(signedUri);
    const body = Buffer.from('[{"eventId":2,"note":"caf\u00e9"}]', 'utf8');
    const sig = v3(SECRET, 'POST', signedUri, body.toString('utf8'), ts);
    const headers = { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts };
    expect(verifyHubSpotSignature({ method: 'POST', uri, rawBody: body, headers, clientSecret: SECRET, now })).toEqual({ ok: true, version: 'v3' });
    // Re-encoded body (same JSON, different bytes) fails: the raw bytes are what is signed.
    const reencoded = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))).replace('é', '\\u00e9'));
    expect(verifyHubSpotSignature({ method: 'POST', uri, rawBody: reencoded, headers, clientSecret: SECRET, now }).ok).toBe(false);
    expect(verifyHubSpotSignature({ method: 'POST', uri, rawBody: body, headers, clientSecret: 'other', now })).toEqual({ ok: false, reason: 'bad_signature' });
    // Stale (older than 5 minutes) and far-future timestamps.
    expect(verifyHubSpotSignature({ method: 'POST', uri, rawBody: body, headers, clientSecret: SECRET, now: now + 5 * 60_000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifyHubSpotSignature({ method: 'POST', uri, rawBody: body, headers, clientSecret: SECRET, now: now - 7 * 60_000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifyHubSpotSignature({ method: 'POST', uri, rawBody: body, headers: { 'x-hubspot-signature-v3': sig }, clientSecret: SECRET, now })).toEqual({ ok: false, reason: 'missing_timestamp' });
  });

  test('a v3 header present means no fallback to a (valid) v1 signature', () => {
    const ts = String(now);
    const headers = { 'x-hubspot-signature-v3': 'AAAA', 'x-hubspot-request-timestamp': ts, 'x-hubspot-signature': DOC_V1 };
    expect(verifyHubSpotSignature({ method: 'POST', uri, rawBody: Buffer.from(DOC_BODY), headers, clientSecret: SECRET, now })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyHubSpotSignature({ method: 'POST', uri, rawBody: Buffer.from(DOC_BODY), headers: {}, clientSecret: SECRET, now })).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verifyHubSpotSignature({ method: 'POST', uri, rawBody: Buffer.from(DOC_BODY), headers: { 'x-hubspot-signature': DOC_V1 }, clientSecret: SECRET, allowLegacy: false })).toEqual({ ok: false, reason: 'legacy_not_allowed' });
  });
});

describe('HubSpot delivery parsing', () => {
  const base = { subscriptionId: 7, portalId: 62515, appId: 54321, occurredAt: 1_760_000_000_000, attemptNumber: 0 };

  test('maps contact events, skips imports, own status writes and other objects', () => {
    const body = [
      { ...base, eventId: 1, subscriptionType: 'contact.creation', objectId: 101, changeSource: 'CRM_UI' },
      { ...base, eventId: 2, subscriptionType: 'contact.propertyChange', objectId: 102, propertyName: 'email', propertyValue: 'x@example.com', changeSource: 'API' },
      { ...base, eventId: 3, eventType: 'contact.privacyDeletion', objectId: 103 },
      { ...base, eventId: 4, subscriptionType: 'contact.merge', objectId: 104, primaryObjectId: 104, newObjectId: 105, mergedObjectIds: [106] },
      { ...base, eventId: 5, subscriptionType: 'contact.creation', objectId: 107, changeSource: 'IMPORT' },
      { ...base, eventId: 6, subscriptionType: 'contact.propertyChange', objectId: 108, propertyName: 'gdpr_status', changeSource: 'INTEGRATION' },
      { ...base, eventId: 7, subscriptionType: 'deal.creation', objectId: 109 },
      { ...base, eventId: 8, subscriptionType: 'object.propertyChange', objectTypeId: '0-1', objectId: '110', propertyName: 'phone' },
      { ...base, eventId: 9, subscriptionType: 'contact.propertyChange', objectId: 111, propertyName: 'phone', sourceId: 'app:54321' },
    ];
    const r = parseHubSpotDelivery(Buffer.from(JSON.stringify(body)), { ownSourceIds: ['app:54321'] });
    if (!r.ok) throw new Error(r.message);
    const d = r.delivery;
    expect(d.events.map((e) => [e.objectId, e.kind, e.property ?? null])).toEqual([
      ['101', 'created', null],
      ['102', 'updated', 'email'],
      ['103', 'privacy_deleted', null],
      ['105', 'merged', null],
      ['110', 'updated', 'phone'],
    ]);
    expect(d.events[0]).toMatchObject({ vendor: 'hubspot', vendorAccountId: '62515', eventId: '7:1:1760000000000', occurredAt: '2025-10-09T08:53:20.000Z' });
    expect(d.skipped).toEqual({ import: 1, own_write: 2, unsupported: 1 });
    expect(d.importedPortals).toEqual(['62515']);
    expect(d.portalIds).toEqual(['62515']);
    // The property value (personal data) is not carried into the event.
    expect(JSON.stringify(d.events)).not.toContain('x@example.com');
  });

  test('malformed bodies are refused with the field named', () => {
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['{}', /expected array/],
      ['[]', /too small|>=1/i],
      [JSON.stringify([{ ...base, eventId: 1, objectId: 1 }]), /subscriptionType/],
      [JSON.stringify([{ ...base, eventId: 'x', subscriptionType: 'contact.creation' }]), /0\.eventId/],
    ];
    for (const [body, re] of cases) {
      const r = parseHubSpotDelivery(Buffer.from(body));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(re);
    }
  });
});
