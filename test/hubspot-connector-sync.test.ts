/**
 * The HubSpot connector reading through the real @hubspot/api-client against the real sandbox (HTTP).
 */
import { createHubSpotConnector, type HubSpotConnector } from '../connectors/hubspot/connector';
import { stripHtml } from '../connectors/hubspot/mapping';
import { startHubSpotSandbox, type HubSpotSandbox } from '../connectors/hubspot/sandbox';
import type { Contact } from '../src/model';

const TOKEN = 'pat-eu1-test';
let sb: HubSpotSandbox;
let now = Date.parse('2026-11-20T12:00:00.000Z');

function connector(opts: Record<string, string> = {}): HubSpotConnector {
  return createHubSpotConnector({ vendor: 'hubspot', tenantId: 'tenant-a', baseUrl: sb.url, accessToken: TOKEN, options: opts });
}

async function collect(it: AsyncIterable<{ contacts: Contact[]; checkpoint: string | null }>) {
  const pages: { contacts: Contact[]; checkpoint: string | null }[] = [];
  for await (const p of it) pages.push(p);
  return { pages, contacts: pages.flatMap((p) => p.contacts) };
}

const liveContacts = () => [...sb.state.objects.contacts.values()].filter((r) => !r.archived);

beforeAll(async () => {
  sb = await startHubSpotSandbox({ accessToken: TOKEN, seed: { count: 650, seed: 7 }, limits: false, clock: () => now });
});
afterAll(async () => {
  await sb.close();
});

describe('HubSpot connector: reading', () => {
  it('describes the portal from account info (eu1 = EEA)', async () => {
    const p = await connector().describePortal();
    expect(p).toMatchObject({ id: `hubspot:${sb.state.portalId}`, vendor: 'hubspot', region: 'eu1', regionInEea: true, tenantId: 'tenant-a' });
  });

  it('lists property definitions with read-only flags and categories', async () => {
    const defs = await connector().listProperties();
    const byName = new Map(defs.map((d) => [d.name, d]));
    expect(byName.get('email')).toMatchObject({ type: 'email', category: 'contact', readOnly: false });
    expect(byName.get('hs_object_id')!.readOnly).toBe(true);
    expect(byName.get('hs_email_optout')!.readOnly).toBe(true);
    expect(byName.get('consent_newsletter_status')).toMatchObject({ category: 'consent', vendorDefined: false });
  });

  it('full stream equals the sandbox state: every contact once, fields and notes mapped', async () => {
    const { pages, contacts } = await collect(connector().streamContacts({ properties: ['email', 'firstname', 'lastname', 'city'], includeNotes: true }));
    const live = liveContacts();
    expect(contacts.map((c) => c.id).sort()).toEqual(live.map((r) => r.id).sort());
    expect(new Set(contacts.map((c) => c.id)).size).toBe(contacts.length);
    expect(pages.every((p) => typeof p.checkpoint === 'string' && p.checkpoint.length > 0)).toBe(true);
    let notesSeen = 0;
    for (const c of contacts) {
      const rec = sb.state.objects.contacts.get(c.id)!;
      expect((c.properties.email?.value ?? null)).toBe(rec.properties.email ?? null);
      expect((c.properties.city?.value ?? null)).toBe(rec.properties.city ?? null);
      expect(c.identifiers.emails).toEqual(rec.properties.email ? [rec.properties.email.toLowerCase()] : []);
      expect(c.ownerId).toBe(rec.properties.hubspot_owner_id ?? null);
      expect(c.modifiedAt).toBe(new Date(rec.properties.lastmodifieddate!).toISOString());
      const noteIds = sb.state.associatedIds('contacts', c.id, 'notes');
      expect(c.notes.map((n) => n.id).sort()).toEqual([...noteIds].sort());
      for (const n of c.notes) {
        expect(n.body).toBe(stripHtml(sb.state.objects.notes.get(n.id)!.properties.hs_note_body ?? ''));
        expect(n.body).not.toMatch(/<[a-z/]/i);
      }
      notesSeen += c.notes.length;
    }
    expect(notesSeen).toBeGreaterThan(0);
    // The seed's scenarios come through the mapping.
    expect(contacts.some((c) => c.consents.some((r) => r.preTicked === true))).toBe(true);
    expect(contacts.some((c) => c.lawfulBasis.length === 0)).toBe(true);
    expect(contacts.some((c) => c.lawfulBasis.some((b) => b.basis === 'legitimate_interest'))).toBe(true);
    expect(contacts.some((c) => c.birthDate !== null)).toBe(true);
    expect(contacts.some((c) => c.marketing.subscriptions.some((s) => s.status === 'subscribed'))).toBe(true);
  });

  it('fetches only the properties asked (plus what a Contact needs), and no notes unless asked', async () => {
    const { contacts } = await collect(connector().streamContacts({ properties: ['firstname'], includeNotes: false }));
    expect(contacts.length).toBe(liveContacts().length);
    for (const c of contacts) {
      expect(Object.keys(c.properties)).toEqual(['firstname']);
      expect(c.notes).toEqual([]);
    }
    const withEmail = contacts.find((c) => sb.state.objects.contacts.get(c.id)!.properties.email);
    expect(withEmail!.identifiers.emails.length).toBe(1);
  });

  it('resumes from a checkpoint without skipping or repeating a contact', async () => {
    const first: Contact[] = [];
    let checkpoint: string | null = null;
    for await (const p of connector({ concurrency: '3' }).streamContacts({ properties: ['email'], includeNotes: false })) {
      first.push(...p.contacts);
      checkpoint = p.checkpoint;
      if (first.length >= 250) break; // a crash after some pages
    }
    const rest = await collect(connector().streamContacts({ properties: ['email'], includeNotes: false, checkpoint: checkpoint! }));
    const ids = [...first, ...rest.contacts].map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(liveContacts().map((r) => r.id).sort());
  });

  it('incremental: only contacts modified at or after `since` (inclusive), each once', async () => {
    now = Date.parse('2026-11-22T08:00:00.000Z');
    const changed = liveContacts().slice(10, 13);
    for (const r of changed) sb.state.update('contacts', r, { jobtitle: 'Updated' });
    now = Date.parse('2026-11-22T09:00:00.000Z');
    const later = liveContacts()[40]!;
    sb.state.update('contacts', later, { jobtitle: 'Later' });
    const since = new Date('2026-11-22T08:00:00.000Z'); // equal to the first changes' timestamp
    const { contacts } = await collect(connector().streamContacts({ properties: ['jobtitle'], includeNotes: true, since }));
    expect(contacts.map((c) => c.id).sort()).toEqual([...changed, later].map((r) => r.id).sort());
    expect(contacts.find((c) => c.id === later.id)!.properties.jobtitle!.value).toBe('Later');
    const none = await collect(connector().streamContacts({ properties: ['jobtitle'], includeNotes: false, since: new Date('2026-11-23T00:00:00.000Z') }));
    expect(none.contacts).toEqual([]);
  });

  it('lists contacts archived since an instant', async () => {
    now = Date.parse('2026-11-23T10:00:00.000Z');
    const gone = liveContacts().slice(100, 102);
    for (const r of gone) sb.state.archive('contacts', r);
    const ids = await connector().listDeletedSince(new Date('2026-11-23T09:00:00.000Z'));
    expect(ids.sort()).toEqual(gone.map((r) => r.id).sort());
    expect(await connector().listDeletedSince(new Date('2026-11-24T00:00:00.000Z'))).toEqual([]);
    // Archived contacts no longer appear in a full stream.
    const { contacts } = await collect(connector().streamContacts({ properties: ['email'], includeNotes: false }));
    expect(contacts.some((c) => gone.some((g) => g.id === c.id))).toBe(false);
  });

  it('reads one contact with its notes, or null when it does not exist', async () => {
    const rec = liveContacts().find((r) => sb.state.associatedIds('contacts', r.id, 'notes').length > 0)!;
    const c = await connector().getContact(rec.id, ['email']);
    expect(c!.id).toBe(rec.id);
    expect(c!.notes.length).toBe(sb.state.associatedIds('contacts', rec.id, 'notes').length);
    expect(await connector().getContact('999999999', ['email'])).toBeNull();
  });
});

describe('HubSpot connector: incremental beyond the 10,000 search cap', () => {
  let big: HubSpotSandbox;
  beforeAll(async () => {
    big = await startHubSpotSandbox({ accessToken: TOKEN, seed: { count: 10_250, seed: 3 }, limits: false });
  });
  afterAll(async () => {
    await big.close();
  });
  it('cuts the time range into windows and yields every contact once', async () => {
    const c = createHubSpotConnector({ vendor: 'hubspot', tenantId: 't', baseUrl: big.url, accessToken: TOKEN });
    const ids: string[] = [];
    for await (const p of c.streamContacts({ properties: ['email'], includeNotes: false, since: new Date(0) })) ids.push(...p.contacts.map((x) => x.id));
    expect(ids.length).toBe(10_250);
    expect(new Set(ids).size).toBe(10_250);
    // Paging past 10,000 answers 400 in the sandbox (as in HubSpot): getting here took a new window.
    expect(big.stats.byRoute['POST /crm/v3/objects/:objectType/search']).toBeGreaterThanOrEqual(Math.ceil(10_250 / 200));
  }, 120_000);
});
