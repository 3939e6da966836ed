import { parseZohoNotification, verifyZohoToken, zohoChangeEvents } from '../../webhooks/zoho';
import { parseOutboundMessage, SALESFORCE_ACK, salesforceChangeEvents, sameOrg } from '../../webhooks/salesforce';

describe('Zoho notifications', () => {
  const payload = {
    server_time: 1718117126473,
    query_params: { org: '20001' },
    module: 'Contacts',
    resource_uri: 'https://www.zohoapis.eu/crm/v2/Contacts',
    ids: ['5725767000003000064', '5725767000003000065'],
    affected_fields: [{ '5725767000003000064': ['Mobile'] }, { '5725767000003000065': ['GDPR_Status', 'GDPR_Last_Scan_At'] }],
    affected_values: [{ record_id: '5725767000003000064', values: { Mobile: '0612345678' } }],
    operation: 'update',
    channel_id: '1000000068001',
    token: 'tok-abcdefghijklmnop',
  };

  test('parses, verifies the channel token and maps ids to events', () => {
    const r = parseZohoNotification(Buffer.from(JSON.stringify(payload)));
    if (!r.ok) throw new Error(r.message);
    expect(verifyZohoToken(r.notification, { token: 'tok-abcdefghijklmnop', channelId: '1000000068001' })).toBe(true);
    expect(verifyZohoToken(r.notification, { token: 'tok-abcdefghijklmnoX' })).toBe(false);
    expect(verifyZohoToken(r.notification, { token: 'tok-abcdefghijklmnop', channelId: '99' })).toBe(false);
    expect(verifyZohoToken(r.notification, { token: '' })).toBe(false);
    const ev = zohoChangeEvents(r.notification, '20001');
    expect(ev.events).toEqual([
      {
        vendor: 'zoho',
        vendorAccountId: '20001',
        eventId: '1000000068001:1718117126473:update:5725767000003000064',
        objectId: '5725767000003000064',
        kind: 'updated',
        occurredAt: '2024-06-11T14:45:26.473Z',
        property: 'Mobile',
        source: 'Contacts',
      },
    ]);
    // The second record changed only in our own status fields: our own write.
    expect(ev.skipped).toEqual({ own_write: 1, unsupported: 0 });
    expect(JSON.stringify(ev)).not.toContain('0612345678');
  });

  test('a notification without a token does not verify; other modules are skipped; bad bodies name the field', () => {
    const { token: _t, ...noToken } = payload;
    const r = parseZohoNotification(Buffer.from(JSON.stringify({ ...noToken, module: 'Deals', operation: 'insert' })));
    if (!r.ok) throw new Error(r.message);
    expect(verifyZohoToken(r.notification, { token: 'tok-abcdefghijklmnop' })).toBe(false);
    expect(zohoChangeEvents(r.notification, '1').skipped.unsupported).toBe(2);
    const bad = parseZohoNotification(Buffer.from(JSON.stringify({ ...payload, ids: 'x' })));
    expect(bad).toEqual({ ok: false, message: expect.stringMatching(/^invalid notification at ids/) });
    expect(parseZohoNotification(Buffer.from('{'))).toEqual({ ok: false, message: 'body is not JSON' });
  });
});

const ORG = '00D5g000004XyZaEAK';
function envelope(notifications: string, org = ORG): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>${org}</OrganizationId><ActionId>04k5g000000AbCdAAK</ActionId><SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://x.my.salesforce.com/services/Soap/c/62.0/00D5g000004XyZa</EnterpriseUrl>
   <PartnerUrl>https://x.my.salesforce.com/services/Soap/u/62.0/00D5g000004XyZa</PartnerUrl>
   ${notifications}
  </notifications></soapenv:Body></soapenv:Envelope>`;
}
const note = (id: string, type: string, fields: string) =>
  `<Notification><Id>${id}</Id><sObject xsi:type="sf:${type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">${fields}</sObject></Notification>`;

describe('Salesforce outbound messages', () => {
  test('parses notifications into events; own writes and other objects skipped', () => {
    const xml = envelope(
      note('04l5g00000AAAA1AAA', 'Contact', '<sf:Id>0035g00000AbCdEAAA</sf:Id><sf:Email>a&amp;b@example.com</sf:Email><sf:CreatedDate>2026-01-02T10:00:00.000Z</sf:CreatedDate><sf:LastModifiedDate>2026-01-02T10:00:00.000Z</sf:LastModifiedDate>') +
        note('04l5g00000AAAA2AAA', 'Lead', '<sf:Id>00Q5g00000AbCdEAAA</sf:Id><sf:LastModifiedDate>2026-01-03T10:00:00.000Z</sf:LastModifiedDate><sf:CreatedDate>2026-01-01T10:00:00.000Z</sf:CreatedDate>') +
        note('04l5g00000AAAA3AAA', 'Contact', '<sf:Id>0035g00000AbCdFAAA</sf:Id><sf:LastModifiedById>0055g00000Integ</sf:LastModifiedById>') +
        note('04l5g00000AAAA4AAA', 'Account', '<sf:Id>0015g00000AbCdEAAA</sf:Id>'),
    );
    const r = parseOutboundMessage(Buffer.from(xml));
    if (!r.ok) throw new Error(r.message);
    expect(r.message.organizationId).toBe(ORG);
    expect(r.message.notifications[0]!.fields.Email).toBe('a&b@example.com');
    const ev = salesforceChangeEvents(r.message, { ownUserIds: ['0055g00000IntegAAA'] });
    expect(ev.events.map((e) => [e.eventId, e.objectId, e.kind, e.occurredAt])).toEqual([
      ['04l5g00000AAAA1AAA', '0035g00000AbCdEAAA', 'created', '2026-01-02T10:00:00.000Z'],
      ['04l5g00000AAAA2AAA', '00Q5g00000AbCdEAAA', 'updated', '2026-01-03T10:00:00.000Z'],
    ]);
    expect(ev.skipped).toEqual({ own_write: 1, unsupported: 1 });
    expect(JSON.stringify(ev.events)).not.toContain('example.com');
  });

  test('15 and 18 character org ids match; the ack is the documented SOAP body', () => {
    expect(sameOrg('00D5g000004XyZa', ORG)).toBe(true);
    expect(sameOrg(ORG, ORG)).toBe(true);
    expect(sameOrg('00D5g000004XyZb', ORG)).toBe(false);
    expect(sameOrg('00D5g000004XyZaXXX', ORG)).toBe(false);
    expect(SALESFORCE_ACK).toMatch(/<notificationsResponse xmlns="http:\/\/soap\.sforce\.com\/2005\/09\/outbound"><Ack>true<\/Ack><\/notificationsResponse>/);
  });

  test('refuses malformed XML, DOCTYPE (entity tricks) and envelopes without notifications', () => {
    const cases: [string, RegExp][] = [
      ['<a><b></a>', /well-formed/],
      ['<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', /DOCTYPE/],
      ['<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>', /notifications element/],
      [envelope(''), /notifications: /],
      [envelope(note('04l5g00000AAAA1AAA', 'Contact', '<sf:Id>003</sf:Id>'), 'nope'), /organizationId/],
    ];
    for (const [xml, re] of cases) {
      const r = parseOutboundMessage(Buffer.from(xml));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(re);
    }
  });
});
