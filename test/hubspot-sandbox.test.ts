/**
 * The HubSpot sandbox driven by the real, unmodified @hubspot/api-client over HTTP.
 */
import { Client } from '@hubspot/api-client';
import { isValidBsn } from '../connectors/sandbox-seed/bsn';
import { generatePeople } from '../connectors/sandbox-seed/people';
import { contactIdForSeq, NEWSLETTER_SUBSCRIPTION_ID, startHubSpotSandbox, type HubSpotSandbox } from '../connectors/hubspot/sandbox';

const TOKEN = 'pat-eu1-test-token';
const SEED = { count: 1200, seed: 42, now: '2026-11-01T00:00:00Z' };
const people = generatePeople(SEED);

interface ApiErr {
  code: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}
async function apiError(p: Promise<unknown>): Promise<ApiErr> {
  try {
    await p;
  } catch (e) {
    return e as ApiErr;
  }
  throw new Error('expected the SDK call to throw');
}

let sb: HubSpotSandbox;
let client: Client;

beforeAll(async () => {
  sb = await startHubSpotSandbox({ accessToken: TOKEN, seed: SEED, limits: false });
  client = new Client({ accessToken: TOKEN, basePath: sb.url, numberOfApiCallRetries: 0 });
});
afterAll(async () => {
  await sb.close();
});

describe('contacts', () => {
  test('pages through every seeded contact by id cursor; no paging on the last page', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await client.crm.contacts.basicApi.getPage(100, after, ['email']);
      pages++;
      ids.push(...page.results.map((r) => r.id));
      after = page.paging?.next?.after;
      if (!after) break;
    }
    expect(pages).toBe(12);
    expect(new Set(ids).size).toBe(1200);
    expect(ids[0]).toBe(contactIdForSeq(1));
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));
  });

  test('limit above pageMax is capped at 100', async () => {
    const page = await client.crm.contacts.basicApi.getPage(500);
    expect(page.results).toHaveLength(100);
  });

  test('properties: repeated (SDK) and comma-separated params, defaults, unknown names ignored, empty as null', async () => {
    const person = people.find((p) => p.phone === null) ?? people[0]!;
    const id = contactIdForSeq(person.seq);
    const viaSdk = await client.crm.contacts.basicApi.getById(id, ['email', 'phone', 'no_such_property']);
    expect(viaSdk.properties.email).toBe(person.email);
    expect(viaSdk.properties).toHaveProperty('phone', null);
    expect(viaSdk.properties).not.toHaveProperty('no_such_property');
    expect(viaSdk.properties.hs_object_id).toBe(id);
    expect(viaSdk.createdAt).toBeInstanceOf(Date);
    const raw = await fetch(`${sb.url}/crm/v3/objects/contacts/${id}?properties=email,phone`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(raw.headers.get('content-type')).toBe('application/json;charset=utf-8');
    expect(raw.headers.get('x-hubspot-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await raw.json()) as { properties: Record<string, unknown> };
    expect(body.properties.email).toBe(person.email);
    const defaults = await client.crm.contacts.basicApi.getById(id);
    expect(Object.keys(defaults.properties).sort()).toEqual(['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);
  });

  test('seeded custom properties carry consent, BSN and legal basis', async () => {
    const withBsn = people.find((p) => p.bsn)!;
    const c = await client.crm.contacts.basicApi.getById(contactIdForSeq(withBsn.seq), ['bsn', 'hs_legal_basis', 'consent_newsletter_status']);
    expect(isValidBsn(c.properties.bsn as string)).toBe(true);
    const minor = people.find((p) => p.scenarios.includes('minor_without_parental_consent'))!;
    const m = await client.crm.contacts.basicApi.getById(contactIdForSeq(minor.seq), ['date_of_birth', 'consent_newsletter_status', `hs_email_optout_${NEWSLETTER_SUBSCRIPTION_ID}`]);
    expect(m.properties.date_of_birth).toBe(minor.dateOfBirth);
    expect(m.properties.consent_newsletter_status).toBe('granted');
    expect(m.properties[`hs_email_optout_${NEWSLETTER_SUBSCRIPTION_ID}`]).toBe('false');
  });

  test('read by e-mail: the SDK percent-encodes the @ and the sandbox decodes it', async () => {
    const p = people[10]!;
    const c = await client.crm.contacts.basicApi.getById(p.email, ['email'], undefined, undefined, false, 'email');
    expect(c.id).toBe(contactIdForSeq(p.seq));
    const err = await apiError(client.crm.contacts.basicApi.getById('99999999'));
    expect(err.code).toBe(404);
    expect(err.body.category).toBe('OBJECT_NOT_FOUND');
    expect(err.body.correlationId).toEqual(expect.any(String));
  });

  test('create 201, duplicate e-mail 409, PATCH 200 bumps lastmodifieddate, DELETE archives (204)', async () => {
    const created = await client.crm.contacts.basicApi.create({ properties: { email: 'new.person@example.org', firstname: 'New' }, associations: [] });
    expect(Number(created.id)).toBeGreaterThan(Number(contactIdForSeq(1200)));
    const dup = await apiError(client.crm.contacts.basicApi.create({ properties: { email: 'NEW.person@example.org' }, associations: [] }));
    expect(dup.code).toBe(409);
    const before = sb.state.get('contacts', created.id)!.properties.lastmodifieddate!;
    const updated = await client.crm.contacts.basicApi.update(created.id, { properties: { lastname: 'Person', firstname: '' } });
    expect(updated.properties.lastname).toBe('Person');
    const after = sb.state.get('contacts', created.id)!;
    expect(Date.parse(after.properties.lastmodifieddate!)).toBeGreaterThan(Date.parse(before));
    expect(after.properties.firstname).toBeNull();
    await client.crm.contacts.basicApi.archive(created.id);
    expect((await apiError(client.crm.contacts.basicApi.getById(created.id))).code).toBe(404);
    const archived = await client.crm.contacts.basicApi.getById(created.id, undefined, undefined, undefined, true);
    expect(archived.archived).toBe(true);
  });

  test('batch read: 200, and 207 with OBJECT_NOT_FOUND for unknown ids', async () => {
    const ok = await client.crm.contacts.batchApi.read({ inputs: [{ id: contactIdForSeq(1) }, { id: contactIdForSeq(2) }], properties: ['email'], propertiesWithHistory: [] });
    expect(ok.results.map((r) => r.id).sort()).toEqual([contactIdForSeq(1), contactIdForSeq(2)]);
    const partial = await client.crm.contacts.batchApi.read({ inputs: [{ id: contactIdForSeq(3) }, { id: '424242' }], properties: ['email'], propertiesWithHistory: [] });
    expect(partial.results).toHaveLength(1);
    expect((partial as unknown as { errors: { category: string; context: { ids: string[] } }[] }).errors[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: ['424242'] } });
    const byEmail = await client.crm.contacts.batchApi.read({ idProperty: 'email', inputs: [{ id: people[4]!.email }], properties: ['email'], propertiesWithHistory: [] });
    expect(byEmail.results[0]!.id).toBe(contactIdForSeq(people[4]!.seq));
  });

  test('batch update: 200, 207 for unknown ids, 400 VALIDATION_ERROR for unknown or read-only properties', async () => {
    const id1 = contactIdForSeq(20);
    const id2 = contactIdForSeq(21);
    const before = sb.state.get('contacts', id1)!.updatedAt;
    const ok = await client.crm.contacts.batchApi.update({ inputs: [{ id: id1, properties: { jobtitle: 'Tester' } }, { id: id2, properties: { hs_legal_basis: 'Performance of a contract' } }] });
    expect(ok.results).toHaveLength(2);
    expect(sb.state.get('contacts', id1)!.properties.jobtitle).toBe('Tester');
    expect(Date.parse(sb.state.get('contacts', id1)!.updatedAt)).toBeGreaterThan(Date.parse(before));

    const partial = await client.crm.contacts.batchApi.update({ inputs: [{ id: id1, properties: { jobtitle: 'Lead tester' } }, { id: '777777', properties: { jobtitle: 'x' } }] });
    expect(partial.results).toHaveLength(1);
    expect((partial as unknown as { numErrors: number }).numErrors).toBe(1);
    expect(sb.state.get('contacts', id1)!.properties.jobtitle).toBe('Lead tester');

    const unknown = await apiError(client.crm.contacts.batchApi.update({ inputs: [{ id: id1, properties: { jobtitle: 'No', favourite_colour: 'red' } }] }));
    expect(unknown.code).toBe(400);
    expect(unknown.body.category).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(unknown.body.errors)).toContain('PROPERTY_DOESNT_EXIST');
    const readOnly = await apiError(client.crm.contacts.batchApi.update({ inputs: [{ id: id1, properties: { hs_email_optout: 'true' } }] }));
    expect(readOnly.code).toBe(400);
    expect(JSON.stringify(readOnly.body.errors)).toContain('READ_ONLY_VALUE');
    const badOption = await apiError(client.crm.contacts.basicApi.update(id1, { properties: { hs_legal_basis: 'Because we can' } }));
    expect(badOption.code).toBe(400);
    expect(sb.state.get('contacts', id1)!.properties.jobtitle).toBe('Lead tester');

    // A leading ";" appends to a multi-checkbox.
    await client.crm.contacts.basicApi.update(id2, { properties: { hs_legal_basis: ';Freely given consent from contact' } });
    expect(sb.state.get('contacts', id2)!.properties.hs_legal_basis).toBe('Performance of a contract;Freely given consent from contact');
  });
});

describe('search', () => {
  test('GTE on lastmodifieddate, sorted ascending, offset paging', async () => {
    const cutoff = Date.parse('2026-06-01T00:00:00Z');
    const expected = [...sb.state.objects.contacts.values()].filter((c) => !c.archived && Date.parse(c.properties.lastmodifieddate!) >= cutoff).length;
    const seen: string[] = [];
    let after: string | undefined = '0';
    let last = 0;
    while (after !== undefined) {
      const res = await client.crm.contacts.searchApi.doSearch({
        filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE' as never, value: String(cutoff) }] }],
        sorts: ['lastmodifieddate'],
        properties: ['email', 'lastmodifieddate'],
        limit: 200,
        after,
      });
      expect(res.total).toBe(expected);
      for (const r of res.results) {
        const t = Date.parse(r.properties.lastmodifieddate!);
        expect(t).toBeGreaterThanOrEqual(Math.max(cutoff, last));
        last = t;
        seen.push(r.id);
      }
      after = res.paging?.next?.after;
    }
    expect(seen.length).toBe(expected);
    expect(new Set(seen).size).toBe(expected);
  });

  test('IN, BETWEEN, HAS_PROPERTY and object sorts', async () => {
    const ids = [contactIdForSeq(5), contactIdForSeq(6), contactIdForSeq(7)];
    const inRes = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'hs_object_id', operator: 'IN' as never, values: ids }] }],
      sorts: [{ propertyName: 'hs_object_id', direction: 'DESCENDING' } as never],
      properties: ['email'],
      limit: 10,
      after: '0',
    });
    expect(inRes.results.map((r) => r.id)).toEqual([...ids].reverse());
    const between = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'hs_object_id', operator: 'BETWEEN' as never, value: ids[0], highValue: ids[2] }, { propertyName: 'bsn', operator: 'HAS_PROPERTY' as never }] }],
      sorts: [],
      properties: ['bsn'],
      limit: 10,
      after: '0',
    });
    const withBsn = [5, 6, 7].filter((seq) => people[seq - 1]!.bsn !== null).length;
    expect(between.total).toBe(withBsn);
  });

  test('10,000-result cap, limit over 200 and too many filters are 400', async () => {
    const base = { filterGroups: [], sorts: [], properties: ['email'], limit: 100 };
    expect((await apiError(client.crm.contacts.searchApi.doSearch({ ...base, after: '10000' }))).code).toBe(400);
    expect((await apiError(client.crm.contacts.searchApi.doSearch({ ...base, limit: 201, after: '0' }))).code).toBe(400);
    const seven = Array.from({ length: 7 }, () => ({ propertyName: 'email', operator: 'HAS_PROPERTY' as never }));
    const tooMany = await apiError(client.crm.contacts.searchApi.doSearch({ ...base, after: '0', filterGroups: [{ filters: seven }] }));
    expect(tooMany.code).toBe(400);
    expect(tooMany.body.category).toBe('VALIDATION_ERROR');
  });
});

describe('notes, tasks and associations', () => {
  test("a contact's notes through v4 associations, then notes batch read", async () => {
    const person = people.find((p) => p.notes.length >= 2)!;
    const contactId = contactIdForSeq(person.seq);
    const assoc = await client.crm.associations.v4.basicApi.getPage('contacts', contactId, 'notes');
    expect(assoc.results).toHaveLength(person.notes.length);
    expect(typeof assoc.results[0]!.toObjectId).toBe('number');
    expect(assoc.results[0]!.associationTypes[0]).toMatchObject({ category: 'HUBSPOT_DEFINED', typeId: 201 });
    const notes = await client.crm.objects.notes.batchApi.read({ inputs: assoc.results.map((a) => ({ id: String(a.toObjectId) })), properties: ['hs_note_body', 'hs_timestamp'], propertiesWithHistory: [] });
    const bodies = notes.results.map((n) => n.properties.hs_note_body).sort();
    for (const n of person.notes) expect(bodies.some((b) => b!.includes(n.body.replace(/&/g, '&amp;')))).toBe(true);

    const batch = await client.crm.associations.v4.batchApi.getPage('contacts', 'notes', { inputs: [{ id: contactId }] });
    expect(batch.results[0]!.to.map((t) => Number(t.toObjectId)).sort()).toEqual(assoc.results.map((a) => Number(a.toObjectId)).sort());
  });

  test('contacts list with associations=notes', async () => {
    const page = await client.crm.contacts.basicApi.getPage(20, undefined, ['email'], undefined, ['notes']);
    const withNotes = page.results.filter((r) => r.associations?.notes);
    expect(withNotes.length).toBe(people.slice(0, 20).filter((p) => p.notes.length > 0).length);
  });

  test('task created with an association to the contact (201), visible from the contact side', async () => {
    const contactId = contactIdForSeq(30);
    const task = await client.crm.objects.tasks.basicApi.create({
      properties: {
        hs_timestamp: '2026-12-24T09:00:00.000Z',
        hs_task_subject: 'GDPR: review contact',
        hs_task_body: 'Rule stale-3y',
        hubspot_owner_id: '101',
        hs_task_status: 'NOT_STARTED',
        hs_task_priority: 'HIGH',
        hs_task_type: 'TODO',
      },
      associations: [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 204 }] }],
    });
    expect(task.properties.hs_task_status).toBe('NOT_STARTED');
    const assoc = await client.crm.associations.v4.basicApi.getPage('contacts', contactId, 'tasks');
    expect(assoc.results.map((a) => String(a.toObjectId))).toContain(task.id);
    expect(assoc.results[0]!.associationTypes[0]!.typeId).toBe(203);
    const closed = await client.crm.objects.tasks.basicApi.update(task.id, { properties: { hs_task_status: 'COMPLETED' } });
    expect(closed.properties.hs_task_status).toBe('COMPLETED');
    const bad = await apiError(client.crm.objects.tasks.basicApi.create({ properties: { hs_task_subject: 'no due date' }, associations: [] }));
    expect(bad.code).toBe(400);
  });
});

describe('more object operations', () => {
  test('notes search by associations.contact', async () => {
    const person = people.find((p) => p.notes.length >= 2 && p.seq > 100)!;
    const contactId = contactIdForSeq(person.seq);
    const res = await client.crm.objects.notes.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'associations.contact', operator: 'EQ' as never, value: contactId }] }],
      sorts: [],
      properties: ['hs_note_body'],
      limit: 100,
      after: '0',
    });
    expect(res.total).toBe(person.notes.length);
  });

  test('batch archive (204) moves contacts to the archived list', async () => {
    const ids = [contactIdForSeq(60), contactIdForSeq(61)];
    await client.crm.contacts.batchApi.archive({ inputs: ids.map((id) => ({ id })) });
    const archived = await client.crm.contacts.basicApi.getPage(100, undefined, ['email'], undefined, undefined, true);
    expect(archived.results.map((r) => r.id)).toEqual(expect.arrayContaining(ids));
    const live = await client.crm.contacts.batchApi.read({ inputs: ids.map((id) => ({ id })), properties: [], propertiesWithHistory: [] });
    expect(live.results).toHaveLength(0);
  });

  test('merge keeps the primary and records the merged id', async () => {
    const primary = contactIdForSeq(70);
    const merged = contactIdForSeq(71);
    const mergedEmail = people[70]!.email;
    const res = await client.crm.contacts.basicApi.merge({ primaryObjectId: primary, objectIdToMerge: merged });
    expect(res.id).toBe(primary);
    expect(sb.state.get('contacts', merged)).toBeUndefined();
    expect(sb.state.get('contacts', primary)!.properties.hs_merged_object_ids).toBe(merged);
    expect(sb.state.get('contacts', primary)!.properties.hs_additional_emails).toBe(mergedEmail);
  });

  test('default association via v4 PUT, removal via DELETE', async () => {
    const note = await client.crm.objects.notes.basicApi.create({ properties: { hs_timestamp: String(Date.parse('2026-11-20T10:00:00Z')), hs_note_body: 'follow-up' }, associations: [] });
    expect(sb.state.get('notes', note.id)!.properties.hs_timestamp).toBe('2026-11-20T10:00:00.000Z');
    const contactId = contactIdForSeq(80);
    await client.crm.associations.v4.basicApi.createDefault('notes', note.id, 'contacts', contactId);
    expect(sb.state.associatedIds('contacts', contactId, 'notes')).toContain(note.id);
    await client.crm.associations.v4.basicApi.archive('notes', note.id, 'contacts', contactId);
    expect(sb.state.associatedIds('contacts', contactId, 'notes')).not.toContain(note.id);
    await client.crm.associations.v4.basicApi.create('contacts', contactId, 'notes', note.id, [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 201 }]);
    expect(sb.state.associatedIds('contacts', contactId, 'notes')).toContain(note.id);
  });

  test("logging a note on a contact moves its Last Activity Date and lastmodifieddate", async () => {
    const person = people.find((p) => p.scenarios.includes('stale_no_activity') && p.seq > 100)!;
    const contactId = contactIdForSeq(person.seq);
    const before = sb.state.get('contacts', contactId)!;
    expect(before.properties.notes_last_updated).toBe(person.lastActivityAt);
    const modifiedBefore = before.properties.lastmodifieddate!;
    await client.crm.objects.notes.basicApi.create({
      properties: { hs_timestamp: '2026-11-24T12:00:00.000Z', hs_note_body: 'called, still interested' },
      associations: [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 202 }] }],
    });
    const after = await client.crm.contacts.basicApi.getById(contactId, ['notes_last_updated']);
    expect(after.properties.notes_last_updated).toBe('2026-11-24T12:00:00.000Z');
    expect(Date.parse(after.properties.lastmodifieddate!)).toBeGreaterThan(Date.parse(modifiedBefore));
  });
});

describe('gdpr delete', () => {
  test('removes the contact and its notes for good (204); an unknown e-mail is blocklisted', async () => {
    const person = people.find((p) => p.notes.length > 0 && p.scenarios.includes('health_in_note'))!;
    const id = contactIdForSeq(person.seq);
    const noteIds = sb.state.associatedIds('contacts', id, 'notes');
    expect(noteIds.length).toBeGreaterThan(0);
    await client.crm.contacts.basicApi.purge({ objectId: id });
    expect(sb.state.get('contacts', id)).toBeUndefined();
    for (const n of noteIds) expect(sb.state.get('notes', n)).toBeUndefined();
    expect(sb.state.gdprDeletedIds.has(id)).toBe(true);
    expect(sb.state.blocklistedEmails.has(person.email.toLowerCase())).toBe(true);
    expect((await apiError(client.crm.contacts.basicApi.getById(id, undefined, undefined, undefined, true))).code).toBe(404);

    await client.crm.contacts.basicApi.purge({ objectId: 'ghost@example.org', idProperty: 'email' });
    expect(sb.state.blocklistedEmails.has('ghost@example.org')).toBe(true);
    const other = people[50]!;
    await client.crm.contacts.basicApi.purge({ objectId: other.email, idProperty: 'email' });
    expect(sb.state.findContactByEmail(other.email)).toBeUndefined();
  });
});

describe('properties, owners, subscriptions, account', () => {
  test('property list holds the GDPR-relevant defaults and customs; create 201, duplicate 409', async () => {
    const all = await client.crm.properties.coreApi.getAll('contacts');
    const names = all.results.map((p) => p.name);
    for (const n of ['email', 'hs_legal_basis', 'hs_email_optout', `hs_email_optout_${NEWSLETTER_SUBSCRIPTION_ID}`, 'consent_newsletter_status', 'date_of_birth', 'bsn', 'lifecyclestage', 'hubspot_owner_id', 'notes_last_updated', 'hs_object_id', 'createdate', 'lastmodifieddate']) {
      expect(names).toContain(n);
    }
    const optout = all.results.find((p) => p.name === 'hs_email_optout')!;
    expect(optout.modificationMetadata?.readOnlyValue).toBe(true);
    await client.crm.properties.groupsApi.create('contacts', { name: 'gdpr_status', label: 'GDPR status' });
    const def = { name: 'gdpr_status', label: 'GDPR status', type: 'enumeration' as never, fieldType: 'select' as never, groupName: 'gdpr_status', options: [{ label: 'OK', value: 'ok', hidden: false, displayOrder: 0 }], hasUniqueValue: false };
    const created = await client.crm.properties.coreApi.create('contacts', def);
    expect(created.name).toBe('gdpr_status');
    expect((await apiError(client.crm.properties.coreApi.create('contacts', def))).code).toBe(409);
    const one = await client.crm.properties.coreApi.getByName('contacts', 'gdpr_status');
    expect(one.options.map((o) => o.value)).toEqual(['ok']);
    await client.crm.contacts.basicApi.update(contactIdForSeq(40), { properties: { gdpr_status: 'ok' } });
    expect(sb.state.get('contacts', contactIdForSeq(40))!.properties.gdpr_status).toBe('ok');
  });

  test('owners', async () => {
    const owners = await client.crm.owners.ownersApi.getPage();
    expect(owners.results.map((o) => o.id)).toEqual(['101', '102', '103']);
  });

  test('unsubscribe mirrors into hs_email_optout_<id>; repeats and resubscribes are refused', async () => {
    const p = people.find((x) => x.newsletterSubscribed === true && x.scenarios.includes('withdrawn_still_subscribed'))!;
    const id = contactIdForSeq(p.seq);
    const defs = await client.communicationPreferences.definitionApi.getPage();
    expect(defs.subscriptionDefinitions.map((d) => d.name)).toContain('Newsletter');
    const before = await client.communicationPreferences.statusApi.getEmailStatus(p.email);
    expect(before.subscriptionStatuses.find((s) => s.id === NEWSLETTER_SUBSCRIPTION_ID)?.status).toBe('SUBSCRIBED');
    const modifiedBefore = sb.state.get('contacts', id)!.updatedAt;
    const res = await client.communicationPreferences.statusApi.unsubscribe({ emailAddress: p.email, subscriptionId: NEWSLETTER_SUBSCRIPTION_ID, legalBasis: 'CONSENT_WITH_NOTICE' as never, legalBasisExplanation: 'withdrawn by contact' });
    expect(res.status).toBe('NOT_SUBSCRIBED');
    const c = await client.crm.contacts.basicApi.getById(id, [`hs_email_optout_${NEWSLETTER_SUBSCRIPTION_ID}`]);
    expect(c.properties[`hs_email_optout_${NEWSLETTER_SUBSCRIPTION_ID}`]).toBe('true');
    expect(Date.parse(sb.state.get('contacts', id)!.updatedAt)).toBeGreaterThan(Date.parse(modifiedBefore));
    expect((await apiError(client.communicationPreferences.statusApi.unsubscribe({ emailAddress: p.email, subscriptionId: NEWSLETTER_SUBSCRIPTION_ID })))).toMatchObject({ code: 400 });
    const resub = await apiError(client.communicationPreferences.statusApi.subscribe({ emailAddress: p.email, subscriptionId: NEWSLETTER_SUBSCRIPTION_ID, legalBasis: 'CONSENT_WITH_NOTICE' as never, legalBasisExplanation: 'form' }));
    expect(resub.code).toBe(400);
  });

  test('account info through client.apiRequest reports the data-hosting location', async () => {
    const res = await client.apiRequest({ method: 'GET', path: '/account-info/v3/details' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ portalId: 12345678, dataHostingLocation: 'eu1' });
  });

  test('a wrong token gets 401 in HubSpot error shape', async () => {
    const bad = new Client({ accessToken: 'wrong', basePath: sb.url, numberOfApiCallRetries: 0 });
    const err = await apiError(bad.crm.contacts.basicApi.getPage(1));
    expect(err.code).toBe(401);
    expect(err.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    client = new Client({ accessToken: TOKEN, basePath: sb.url, numberOfApiCallRetries: 0 });
  });
});

describe('rate limits and injected failures', () => {
  let limited: HubSpotSandbox;
  let now = Date.parse('2026-11-25T10:00:00Z');
  let lc: Client;
  beforeAll(async () => {
    limited = await startHubSpotSandbox({ accessToken: TOKEN, seed: { count: 30 }, limits: { tenSecondly: 5, searchPerSecond: 2 }, clock: () => now });
    lc = new Client({ accessToken: TOKEN, basePath: limited.url, numberOfApiCallRetries: 0 });
  });
  afterAll(async () => {
    await limited.close();
  });

  test('the request over the ten-secondly limit gets 429 with the exact body; the window rolls', async () => {
    const res = await fetch(`${limited.url}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.headers.get('x-hubspot-ratelimit-max')).toBe('5');
    expect(res.headers.get('x-hubspot-ratelimit-remaining')).toBe('4');
    expect(res.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    expect(res.headers.get('x-hubspot-ratelimit-daily')).toBe('250000');
    for (let i = 0; i < 4; i++) await lc.crm.contacts.basicApi.getPage(1);
    const err = await apiError(lc.crm.contacts.basicApi.getPage(1));
    expect(err.code).toBe(429);
    expect(err.body).toEqual({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: expect.any(String),
      policyName: 'TEN_SECONDLY_ROLLING',
      groupName: 'publicapi:hapikey-api-calls-ten-secondly:12345678',
    });
    expect(Number(err.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.stats.rejected429).toBe(1);
    now += 10_001;
    await expect(lc.crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
  });

  test('search has its own per-second limit, its 429 body, and only the daily headers', async () => {
    now += 20_000;
    const body = JSON.stringify({ filterGroups: [], sorts: [], properties: ['email'], limit: 1, after: '0' });
    const call = () => fetch(`${limited.url}/crm/v3/objects/contacts/search`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
    const first = await call();
    expect(first.headers.get('x-hubspot-ratelimit-daily')).not.toBeNull();
    expect(first.headers.get('x-hubspot-ratelimit-max')).toBeNull();
    await call();
    const third = await call();
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ message: 'You have reached your secondly limit.', category: 'RATE_LIMITS' });
  });

  test('injected 477 and 500 answers, then normal service', async () => {
    now += 20_000;
    limited.failNext({ path: '/crm/v3/objects/contacts', method: 'GET', status: 477, count: 1, retryAfterSeconds: 30 });
    limited.failNext({ path: /^\/crm\/v3\/properties\//, status: 500, count: 2 });
    const e477 = await apiError(lc.crm.contacts.basicApi.getPage(1));
    expect(e477.code).toBe(477);
    expect(e477.headers['retry-after']).toBe('30');
    expect((await apiError(lc.crm.properties.coreApi.getAll('contacts'))).code).toBe(500);
    expect((await apiError(lc.crm.properties.coreApi.getAll('contacts'))).code).toBe(500);
    await expect(lc.crm.properties.coreApi.getAll('contacts')).resolves.toBeDefined();
    await expect(lc.crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
  });
});
