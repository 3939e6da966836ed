/**
 * Connector conformance: the same cases against every connector and its local sandbox, over real HTTP
 * with the real client libraries. Vendor differences live in ./harness.ts (names, ids, fault hooks, and
 * written reasons where a case cannot apply); the cases below are identical for every vendor.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { iteratePeople } from '../../connectors/sandbox-seed/people';
import type { SeedPerson } from '../../connectors/sandbox-seed/types';
import type { ContactPage } from '../../connectors/types';
import { Action, ActionResult, Contact, Portal, type ActionOf, type Finding, type Plan } from '../../src/model';
import { applyPlan } from '../../src/pipeline/apply';
import { buildPlan } from '../../src/pipeline/plan';
import { runScan } from '../../src/pipeline/scan';
import { compilePolicy } from '../../src/policy/compile';
import { loadPolicy } from '../../src/policy/load';
import { openStore, type Store } from '../../src/store';
import { HARNESSES, SEED, TENANT, type HarnessInstance, type VendorHarness } from './harness';

const PEOPLE: readonly SeedPerson[] = [...iteratePeople(SEED)];
const DUE = '2026-12-24T09:00:00.000Z';

async function collect(it: AsyncIterable<ContactPage>): Promise<Contact[]> {
  const out: Contact[] = [];
  for await (const p of it) out.push(...p.contacts);
  return out;
}

function action(portalId: string, id: string, contactId: string, rest: Record<string, unknown>, destructive = false): Action {
  return Action.parse({ id, portalId, tenantId: TENANT, contactId, findingIds: [`f-${id}`], ruleIds: ['rule-conformance'], dueAt: DUE, destructive, ...rest });
}

const value = (c: Contact | null | undefined, prop: string): string | null => c?.properties[prop]?.value ?? null;
const isBlank = (v: string | null): boolean => v === null || v === '';

describe.each(HARNESSES.map((h) => [h.vendor, h] as const))('%s connector conformance', (_vendor, h: VendorHarness) => {
  const P = h.props;
  const readProps = [P.email, P.firstName, P.lastName, P.city];
  /** Property keys a contact may carry when `requested` was asked for. */
  const allowed = (requested: string[]) => new Set([...requested, ...h.coreProperties.names]);
  const expectOnly = (c: Contact, requested: string[]) => {
    const ok = allowed(requested);
    expect(Object.keys(c.properties).filter((k) => !ok.has(k))).toEqual([]);
  };

  // ------------------------------------------------------------------------------------- reading
  describe('reading', () => {
    let inst: HarnessInstance;
    beforeAll(async () => {
      inst = await h.start();
    });
    afterAll(async () => {
      await inst.close();
    });

    it('describes its portal: vendor, id and an EEA data-hosting region', async () => {
      const p = await inst.connector.describePortal();
      expect(Portal.safeParse(p).error).toBeUndefined();
      expect(p.vendor).toBe(h.vendor);
      expect(p.id).toBe(`${h.vendor}:${p.vendorAccountId}`);
      expect(p.tenantId).toBe(TENANT);
      expect(p.regionInEea).toBe(true);
      expect(inst.connector.vendor).toBe(h.vendor);
    });

    it('1. full stream: every seeded contact exactly once, notes as seeded, only the requested properties', async () => {
      const contacts = await collect(inst.connector.streamContacts({ properties: readProps, includeNotes: true }));
      const ids = contacts.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(SEED.count);
      expect([...ids].sort()).toEqual(PEOPLE.map((p) => inst.idOfSeed(p)).sort());
      expect([...ids].sort()).toEqual(inst.liveIds().sort());

      // Every contact is a valid model Contact, exactly as the model would parse it (defaults filled).
      const portal = await inst.connector.describePortal();
      for (const c of contacts) {
        expect(Contact.parse(c)).toEqual(c);
        expect([c.portalId, c.tenantId]).toEqual([portal.id, TENANT]);
      }
      const byId = new Map(contacts.map((c) => [c.id, c]));
      let notes = 0;
      for (const p of PEOPLE) {
        const c = byId.get(inst.idOfSeed(p))!;
        expect(c.vendor).toBe(h.vendor);
        expect(value(c, P.email)).toBe(p.email);
        expect(c.identifiers.emails).toContain(p.email.toLowerCase());
        expect(value(c, P.firstName)).toBe(p.firstName);
        expect(value(c, P.lastName)).toBe(p.lastName);
        if (c.objectType === 'contact') expect(value(c, P.city)).toBe(p.city);
        // Notes where seeded, with their full text, and none elsewhere.
        expect(c.notes.map((n) => n.body).sort()).toEqual(p.notes.map((n) => n.body).sort());
        notes += c.notes.length;
        // Requested properties only: nothing unrequested, and the unrequested probe property absent.
        expectOnly(c, readProps);
        expect(c.properties[P.unrequested]).toBeUndefined();
      }
      expect(notes).toBeGreaterThan(0);
      expect(PEOPLE.some((p) => p.notes.length >= 2)).toBe(true);
    });

    it('1b. without includeNotes no notes come back; a different property list is honoured', async () => {
      const contacts = await collect(inst.connector.streamContacts({ properties: [P.unrequested], includeNotes: false }));
      expect(contacts).toHaveLength(SEED.count);
      for (const c of contacts) {
        expect(c.notes).toEqual([]);
        expectOnly(c, [P.unrequested]);
        expect(c.properties[P.city]).toBeUndefined();
      }
      // The property itself arrives where the seed set it.
      expect(contacts.some((c) => !isBlank(value(c, P.unrequested)))).toBe(true);
    });

    it('1c. resuming from any page checkpoint yields the rest, nothing twice; from the last one, nothing', async () => {
      const pages: ContactPage[] = [];
      for await (const p of inst.connector.streamContacts({ properties: [P.email], includeNotes: false })) pages.push(p);
      expect(pages.length).toBeGreaterThan(0);
      for (let i = 0; i < pages.length; i++) {
        const cp = pages[i]!.checkpoint;
        if (cp === null) {
          expect(i).toBe(pages.length - 1); // only the last page may have no resume point
          continue;
        }
        const rest = await collect(inst.connector.streamContacts({ properties: [P.email], includeNotes: false, checkpoint: cp }));
        const ids = [...pages.slice(0, i + 1).flatMap((p) => p.contacts), ...rest].map((c) => c.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual(inst.liveIds().sort());
      }
    });

    it('2. incremental: only contacts changed at or after T (inclusive), each once', async () => {
      const T = Date.parse('2026-03-01T00:00:00.000Z'); // after every seed timestamp, before the real clock
      const [atT, afterT, beforeT] = inst.liveIds().sort().slice(3, 6) as [string, string, string];
      inst.setModifiedAt(atT, T);
      inst.setModifiedAt(afterT, T + 5_000);
      inst.setModifiedAt(beforeT, T - 1_000);
      const changed = await collect(inst.connector.streamContacts({ properties: [P.email], includeNotes: true, since: new Date(T) }));
      expect(changed.map((c) => c.id).sort()).toEqual([atT, afterT].sort());
      for (const c of changed) {
        const p = PEOPLE.find((x) => inst.idOfSeed(x) === c.id)!;
        expect(value(c, P.email)).toBe(p.email);
        expect(c.notes.map((n) => n.body).sort()).toEqual(p.notes.map((n) => n.body).sort());
      }
      const none = await collect(inst.connector.streamContacts({ properties: [P.email], includeNotes: false, since: new Date(T + 60_000) }));
      expect(none).toEqual([]);
    });

    it('2b. incremental: a change written through apply is seen by the next incremental run', async () => {
      await inst.connector.ensureStatusProperties();
      const since = new Date(Math.floor(Date.now() / 1000) * 1000);
      const target = inst.liveIds().sort()[10]!;
      const portal = await inst.connector.describePortal();
      const [r] = await inst.connector.apply([action(portal.id, 'inc-status', target, { type: 'set_status', values: { gdpr_status: 'scanned' } })]);
      expect(r!.status).toBe('done');
      const changed = await collect(inst.connector.streamContacts({ properties: [P.status], includeNotes: false, since }));
      expect(changed.map((c) => c.id)).toEqual([target]);
      expect(value(changed[0], P.status)).toBe('scanned');
    });

    it('3. getContact: the contact with its notes and requested properties; null for an unknown id', async () => {
      const p = PEOPLE.find((x) => x.notes.length > 0)!;
      const id = inst.idOfSeed(p);
      const c = await inst.connector.getContact(id, [P.email, P.lastName]);
      expect(c?.id).toBe(id);
      expect(value(c, P.email)).toBe(p.email);
      expect(value(c, P.lastName)).toBe(p.lastName);
      expect(c!.notes.map((n) => n.body).sort()).toEqual(p.notes.map((n) => n.body).sort());
      expectOnly(c!, [P.email, P.lastName]);
      expect(c!.properties[P.city]).toBeUndefined();
      expect(await inst.connector.getContact(h.unknownId, [P.email])).toBeNull();
    });

    it('3b. listDeletedSince: a contact deleted in the CRM is listed from before its deletion, not after; it is gone from reads', async () => {
      const since = new Date(Math.floor(Date.now() / 1000) * 1000 - 1_000);
      const gone = inst.liveIds().sort()[20]!;
      inst.deleteInSandbox(gone);
      expect(await inst.connector.listDeletedSince(since)).toEqual([gone]);
      expect(await inst.connector.listDeletedSince(new Date(Date.now() + 60_000))).toEqual([]);
      expect(await inst.connector.getContact(gone, [P.email])).toBeNull();
      const ids = (await collect(inst.connector.streamContacts({ properties: [P.email], includeNotes: false }))).map((c) => c.id);
      expect(ids).not.toContain(gone);
      expect(ids).toHaveLength(SEED.count - 1);
    });
  });

  // ------------------------------------------------------------------------------------- write-back
  describe('write-back', () => {
    let inst: HarnessInstance;
    let portalId: string;
    let before: Map<string, Contact>;
    let actions: Action[];
    let first: ActionResult[];
    let snapshotAfterFirst: string;
    const t: Record<string, string> = {};
    let notesOf: { redact: string; del: string; anon: string[] };
    let deletedAt: Date;
    // Characters a vendor stores as HTML (&, <, quotes) must come back as written.
    const REDACTED_BODY = 'Gesprek over [verwijderd: health] & <opvolging> "morgen" / talked about [redacted: health]';

    beforeAll(async () => {
      inst = await h.start();
      portalId = (await inst.connector.describePortal()).id;
      await inst.connector.ensureStatusProperties();
      const all = await collect(inst.connector.streamContacts({ properties: [...readProps, P.status], includeNotes: true }));
      before = new Map(all.map((c) => [c.id, c]));
      // A distinct contact per action, each in the state its action changes, chosen through the connector.
      const used = new Set<string>();
      const pick = (ok: (c: Contact) => boolean): string => {
        const c = all.find((x) => !used.has(x.id) && ok(x));
        if (!c) throw new Error('seed has no contact for a case: raise SEED.count');
        used.add(c.id);
        return c.id;
      };
      t.del = pick(() => true);
      t.anon = pick((c) => c.notes.length > 0 && !isBlank(value(c, P.city)));
      t.clear = pick((c) => !isBlank(value(c, P.city)));
      t.notes = pick((c) => c.notes.length >= 2);
      t.basis = pick((c) => c.lawfulBasis.length === 0);
      t.unsub = pick((c) => c.marketing.subscriptions.some((s) => s.status === 'subscribed'));
      t.status = pick((c) => isBlank(value(c, P.status)));
      t.task = pick(() => true);
      t.anonRedact = pick((c) => c.notes.length > 0 && !isBlank(value(c, P.firstName)));
      const subscription = before.get(t.unsub)!.marketing.subscriptions.find((s) => s.status === 'subscribed')!.id;
      const noteIds = before.get(t.notes)!.notes.map((n) => n.id);
      notesOf = { redact: noteIds[0]!, del: noteIds[1]!, anon: before.get(t.anon)!.notes.map((n) => n.id) };
      actions = [
        action(portalId, 'w-del', t.del, { type: 'gdpr_delete' }, true),
        action(portalId, 'w-anon', t.anon, { type: 'anonymise', properties: { [P.email]: 'unique_email', [P.firstName]: 'clear', [P.lastName]: 'fixed_text', [P.city]: 'keyed_hash' }, notes: 'delete' }, true),
        action(portalId, 'w-clear', t.clear, { type: 'clear_property', property: P.city }),
        action(portalId, 'w-redact', t.notes, { type: 'redact_note', noteId: notesOf.redact, categories: ['health'], redactedBody: REDACTED_BODY }),
        action(portalId, 'w-delnote', t.notes, { type: 'delete_note', noteId: notesOf.del }),
        action(portalId, 'w-basis', t.basis, { type: 'set_lawful_basis', purpose: 'marketing_existing_customers', basis: 'legitimate_interest' }),
        action(portalId, 'w-unsub', t.unsub, { type: 'unsubscribe', subscriptionId: subscription, purpose: 'newsletter' }),
        action(portalId, 'w-status', t.status, { type: 'set_status', values: { gdpr_status: 'review', gdpr_next_action_at: DUE } }),
        action(portalId, 'w-task', t.task, { type: 'create_task', subject: 'GDPR: review contact', body: 'Rule rule-conformance (Art. 5(1)(e)).', ownerId: null }),
        action(portalId, 'w-anon-redact', t.anonRedact, { type: 'anonymise', properties: { [P.firstName]: 'clear' }, notes: 'redact' }, true),
      ];
      deletedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 1_000);
      first = await inst.connector.apply(actions);
      snapshotAfterFirst = inst.snapshot();
    });
    afterAll(async () => {
      await inst.close();
    });

    const result = (id: string) => first.find((r) => r.actionId === id)!;

    it('ensureStatusProperties creates our status properties once; a second run changes nothing', async () => {
      const names = (await inst.connector.listProperties()).map((d) => d.name);
      expect(names).toEqual(expect.arrayContaining([P.status, P.nextActionAt]));
      const snap = inst.snapshot();
      await inst.connector.ensureStatusProperties();
      expect(inst.snapshot()).toBe(snap);
    });

    it('4. every action type is done, one result per action in order', () => {
      for (const r of first) expect(ActionResult.parse(r)).toEqual(r);
      expect(first.map((r) => [r.actionId, r.status])).toEqual(actions.map((a) => [a.id, 'done']));
    });

    it('4. gdpr_delete: the contact is gone from getContact and from a full stream', async () => {
      expect(await inst.connector.getContact(t.del!, [P.email])).toBeNull();
      const ids = (await collect(inst.connector.streamContacts({ properties: [P.email], includeNotes: false }))).map((c) => c.id);
      expect(ids).not.toContain(t.del);
      expect(ids).toHaveLength(SEED.count - 1);
      const listed = await inst.connector.listDeletedSince(deletedAt);
      if (h.gdprDeleteListed.listed) expect(listed).toContain(t.del);
      else {
        expect(h.gdprDeleteListed.reason.length).toBeGreaterThan(20);
        expect(listed).not.toContain(t.del);
      }
    });

    it('4. anonymise: personal properties replaced, notes deleted, no original value left in the record read back', async () => {
      const was = before.get(t.anon!)!;
      const c = (await inst.connector.getContact(t.anon!, readProps))!;
      expect(value(c, P.email)).toMatch(/@anonymised\.invalid$/);
      expect(c.identifiers.emails).toEqual([value(c, P.email)!.toLowerCase()]);
      expect(isBlank(value(c, P.firstName))).toBe(true);
      expect(isBlank(value(c, P.lastName))).toBe(false); // fixed text
      expect(value(c, P.lastName)).not.toBe(value(was, P.lastName));
      expect(isBlank(value(c, P.city))).toBe(false); // keyed hash
      expect(value(c, P.city)).not.toBe(value(was, P.city));
      expect(c.notes).toEqual([]);
      const text = JSON.stringify(c);
      for (const v of [value(was, P.email), value(was, P.firstName), value(was, P.lastName), value(was, P.city)]) expect(text).not.toContain(v);
      for (const n of was.notes) expect(text).not.toContain(n.body);
    });

    it('4. anonymise with notes "redact": every note is kept, its text replaced by the redaction', async () => {
      const was = before.get(t.anonRedact!)!;
      const c = (await inst.connector.getContact(t.anonRedact!, [P.firstName]))!;
      expect(isBlank(value(c, P.firstName))).toBe(true);
      expect(c.notes.map((n) => n.id).sort()).toEqual(was.notes.map((n) => n.id).sort());
      const bodies = new Set(c.notes.map((n) => n.body));
      expect(bodies.size).toBe(1);
      expect([...bodies][0]!.length).toBeGreaterThan(0);
      for (const n of was.notes) expect([...bodies]).not.toContain(n.body);
    });

    it('4. clear_property empties the property', async () => {
      expect(isBlank(value(before.get(t.clear!), P.city))).toBe(false);
      const c = await inst.connector.getContact(t.clear!, [P.city, P.email]);
      expect(isBlank(value(c, P.city))).toBe(true);
      expect(value(c, P.email)).toBe(value(before.get(t.clear!), P.email)); // nothing else touched
    });

    it('4. redact_note writes the supplied redaction; delete_note removes the note; other notes stay', async () => {
      const was = before.get(t.notes!)!;
      const c = (await inst.connector.getContact(t.notes!, [P.email]))!;
      expect(c.notes.find((n) => n.id === notesOf.redact)?.body).toBe(REDACTED_BODY);
      expect(c.notes.map((n) => n.id)).not.toContain(notesOf.del);
      const others = was.notes.filter((n) => n.id !== notesOf.redact && n.id !== notesOf.del);
      expect(c.notes.filter((n) => n.id !== notesOf.redact).map((n) => [n.id, n.body]).sort()).toEqual(others.map((n) => [n.id, n.body]).sort());
    });

    it('4. set_lawful_basis: the basis reads back for the purpose', async () => {
      const c = (await inst.connector.getContact(t.basis!, [P.email]))!;
      expect(c.lawfulBasis).toContainEqual(expect.objectContaining({ purpose: h.basisPurposeAsRead('marketing_existing_customers'), basis: 'legitimate_interest' }));
    });

    it('4. unsubscribe: the subscription reads back as unsubscribed', async () => {
      const sub = actions.find((a) => a.id === 'w-unsub') as Extract<Action, { type: 'unsubscribe' }>;
      const c = (await inst.connector.getContact(t.unsub!, [P.email]))!;
      expect(c.marketing.subscriptions.find((s) => s.id === sub.subscriptionId)?.status).toBe('unsubscribed');
    });

    it('4. set_status: our status properties read back', async () => {
      const c = await inst.connector.getContact(t.status!, [P.status, P.nextActionAt]);
      expect(value(c, P.status)).toBe('review');
      expect(Date.parse(value(c, P.nextActionAt) ?? '')).toBe(Date.parse(DUE));
    });

    it('4. create_task: one task linked to the contact, referenced by the result', () => {
      expect(inst.tasksFor(t.task!)).toBe(1);
      expect(result('w-task').vendorRef).toEqual(expect.any(String));
    });

    it('5. applying the same actions again changes nothing and reports every action skipped', async () => {
      expect(inst.snapshot()).toBe(snapshotAfterFirst);
      const second = await inst.connector.apply(actions);
      expect(second.map((r) => [r.actionId, r.status])).toEqual(actions.map((a) => [a.id, 'skipped']));
      expect(inst.snapshot()).toBe(snapshotAfterFirst);
      expect(inst.tasksFor(t.task!)).toBe(1);
    });

    it('5. an action on a contact that no longer exists is skipped, not failed', async () => {
      const [r] = await inst.connector.apply([action(portalId, 'w-gone', h.unknownId, { type: 'clear_property', property: P.city })]);
      expect(r).toMatchObject({ actionId: 'w-gone', status: 'skipped' });
    });
  });

  // ------------------------------------------------------------------------------------- faults and errors
  describe('faults and vendor errors', () => {
    let inst: HarnessInstance;
    let portalId: string;
    beforeAll(async () => {
      inst = await h.start();
      portalId = (await inst.connector.describePortal()).id;
      await inst.connector.ensureStatusProperties();
      await collect(inst.connector.streamContacts({ properties: [P.email], includeNotes: false })); // warm caches
    });
    afterAll(async () => {
      await inst.close();
    });
    const fullScan = async () => (await collect(inst.connector.streamContacts({ properties: [P.email], includeNotes: false }))).map((c) => c.id);

    it('6. a 429 on a read is retried transparently, honouring Retry-After where the vendor sends one', async () => {
      const backoffs = inst.budget.backoffs.length;
      const fault = inst.rateLimitNextList();
      const ids = await fullScan();
      expect(fault.fired()).toBe(true);
      expect(new Set(ids).size).toBe(SEED.count);
      const waits = inst.budget.backoffs.slice(backoffs).map((b) => b.ms);
      expect(waits).toHaveLength(1);
      if (h.retryAfter.seconds !== null) expect(waits[0]).toBe(h.retryAfter.seconds * 1000);
      else {
        expect(h.retryAfter.reason.length).toBeGreaterThan(20);
        expect(waits[0]).toBeGreaterThan(0);
      }
    });

    it('6. a 5xx on a read is retried transparently', async () => {
      const fault = inst.serverErrorNextList();
      const ids = await fullScan();
      expect(fault.fired()).toBe(true);
      expect(new Set(ids).size).toBe(SEED.count);
    });

    it('6. a 5xx on an (idempotent) update is retried and the action is done', async () => {
      const id = inst.idOfSeed(PEOPLE.filter((p) => p.lifecycle !== 'lead')[5]!);
      const fault = inst.serverErrorNextUpdate();
      const [r] = await inst.connector.apply([action(portalId, 'f-status', id, { type: 'set_status', values: { gdpr_status: 'retried' } })]);
      expect(fault.fired()).toBe(true);
      expect(r!.status).toBe('done');
      expect(value(await inst.connector.getContact(id, [P.status]), P.status)).toBe('retried');
    });

    it('6. a 429 on task creation is retried (it proves nothing was created): done, exactly one task', async () => {
      const id = inst.idOfSeed(PEOPLE[6]!);
      const fault = inst.rateLimitNextTaskCreate();
      const [r] = await inst.connector.apply([action(portalId, 'f-task-429', id, { type: 'create_task', subject: 'GDPR: review', body: 'b', ownerId: null })]);
      expect(fault.fired()).toBe(true);
      expect(r!.status).toBe('done');
      expect(inst.tasksFor(id)).toBe(1);
    });

    it('6. a 5xx on task creation is never resent: the action fails, no task exists; a later apply creates exactly one', async () => {
      const id = inst.idOfSeed(PEOPLE[8]!);
      const a = action(portalId, 'f-task-5xx', id, { type: 'create_task', subject: 'GDPR: review', body: 'b', ownerId: null });
      const fault = inst.serverErrorNextTaskCreate();
      const [r] = await inst.connector.apply([a]);
      expect(fault.fired()).toBe(true);
      expect(r!.status).toBe('failed');
      expect(r!.detail).toMatch(/500|INTERNAL|UNKNOWN_EXCEPTION/);
      expect(inst.tasksFor(id)).toBe(0);
      expect((await inst.connector.apply([a]))[0]!.status).toBe('done');
      expect(inst.tasksFor(id)).toBe(1);
    });

    it('6. an expired access token is refreshed and the call succeeds (or, without a refresh flow, fails as an auth error)', async () => {
      const tok = inst.token;
      if (tok.kind === 'refresh') {
        const refreshes = tok.refreshes();
        tok.expire();
        const ids = await fullScan();
        expect(new Set(ids).size).toBe(SEED.count);
        expect(tok.refreshes()).toBe(refreshes + 1);
        // And on the write path.
        tok.expire();
        const id = inst.idOfSeed(PEOPLE[9]!);
        const [r] = await inst.connector.apply([action(portalId, 'f-token', id, { type: 'set_status', values: { gdpr_status: 'after-refresh' } })]);
        expect(r!.status).toBe('done');
        expect(tok.refreshes()).toBe(refreshes + 2);
        expect(value(await inst.connector.getContact(id, [P.status]), P.status)).toBe('after-refresh');
      } else {
        expect(tok.reason.length).toBeGreaterThan(20);
        const dead = tok.connectorWithDeadToken();
        const err = await dead.listProperties().then(
          () => null,
          (e: unknown) => e as Error,
        );
        expect(err).toBeInstanceOf(Error);
        expect(err!.message).toMatch(/401/);
        expect(err!.message).not.toContain('revoked');
      }
    });

    it("7. a vendor validation error fails only that record, surfaces the vendor's code and message, and no personal value", async () => {
      const [p1, p2] = PEOPLE.filter((p) => p.lifecycle !== 'lead').slice(0, 2) as [SeedPerson, SeedPerson];
      const [bad, good] = [inst.idOfSeed(p1), inst.idOfSeed(p2)];
      // An invalid date that carries the person's own name and e-mail: vendors echo rejected values.
      const poisoned = `${p1.firstName} ${p1.lastName} <${p1.email}>`;
      const res = await inst.connector.apply([
        action(portalId, 'v-bad', bad, { type: 'set_status', values: { gdpr_status: 'review', gdpr_next_action_at: poisoned } }),
        action(portalId, 'v-good', good, { type: 'set_status', values: { gdpr_status: 'review', gdpr_next_action_at: DUE } }),
      ]);
      expect(res.map((r) => [r.actionId, r.status])).toEqual([
        ['v-bad', 'failed'],
        ['v-good', 'done'],
      ]);
      const detail = res[0]!.detail ?? '';
      expect(detail).toMatch(h.validationDetail);
      for (const v of [p1.email, p1.firstName, p1.lastName, poisoned, p1.email.split('@')[0]!]) expect(detail).not.toContain(v);
      expect(JSON.stringify(res)).not.toContain(p1.email);
      // Nothing was half-written on the failed record.
      expect(isBlank(value(await inst.connector.getContact(bad, [P.status]), P.status))).toBe(true);
      expect(value(await inst.connector.getContact(good, [P.status]), P.status)).toBe('review');
    });
  });

  // ------------------------------------------------------------------------------------- tasks follow their findings
  describe('8. a task closes when its cause goes away (scan -> plan -> apply with a store)', () => {
    const DAY = 86_400_000;
    const loaded = loadPolicy('avg-default');
    const policy = compilePolicy(loaded.pack);
    const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);
    const T1 = new Date(T0.getTime() + DAY);
    const CLEAN_NOTE = 'Gebeld over de offerte.';
    let inst: HarnessInstance;
    let store: Store;
    let dataDir: string;
    let portalId: string;
    let first: Plan;
    let task: ActionOf<'create_task'>;
    let vendorTask: string;
    let noteFindings: Finding[];
    let pendingIds: string[];
    let later: Plan;
    let close: ActionOf<'close_task'>;

    beforeAll(async () => {
      inst = await h.start();
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-conformance-'));
      store = await openStore({ pglite: await PGlite.create(), dataDir, env: { GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64') } });
    });
    afterAll(async () => {
      await store?.close();
      await inst?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const scan = (now: Date) => runScan({ store, connector: inst.connector, policy, tenantId: TENANT, mode: 'full', now, actor: 'conformance' });
    const apply = (plan: Plan, now: Date) => applyPlan({ store, connector: inst.connector, policy, plan, now, actor: 'conformance' });
    const isTask = (a: Action): a is ActionOf<'create_task'> => a.type === 'create_task';

    it('8a. a finding first seen: apply creates its task in the CRM and keeps the vendor task id', async () => {
      portalId = (await scan(T0)).portal.id;
      first = await buildPlan(store, portalId, loaded, T0);
      expect((await apply(first, T0)).failed).toBe(0);
      // A contact whose task names a note finding (a cause a person can remove) with its action still in its grace period.
      const open = await store.listOpenFindings(portalId);
      const onNotes = open.filter((f) => f.contactId && f.field?.startsWith('note:'));
      const found = first.actions.filter(isTask).find((t) => onNotes.some((f) => f.contactId === t.contactId && t.findingIds.includes(f.id) && first.pending.some((p) => p.findingIds.includes(f.id))));
      if (!found) throw new Error('seed has no contact with a note finding in its grace period: raise SEED.count');
      task = found;
      noteFindings = onNotes.filter((f) => f.contactId === task.contactId);
      pendingIds = first.pending.filter((p) => p.contactId === task.contactId && p.findingIds.every((id) => noteFindings.some((f) => f.id === id))).map((p) => p.id);
      expect(pendingIds.length).toBeGreaterThan(0);
      const rec = (await store.getAction(task.id))!;
      expect(rec.state).toBe('done');
      vendorTask = rec.result!.vendorRef!;
      expect(vendorTask).toEqual(expect.any(String));
      expect(inst.task(vendorTask)).toEqual({ closed: false, text: expect.stringContaining(task.body) });
    });

    it('8b. the cause removed in the CRM: the re-scan cancels the pending action and plans closing the task, due now', async () => {
      // The owner rewrites the notes that held the finding (written through the connector, as an edit in the CRM would be).
      const noteIds = [...new Set(noteFindings.map((f) => f.field!.slice('note:'.length)))];
      const edits = noteIds.map((noteId) => action(portalId, `user-edit-${noteId}`, task.contactId, { type: 'redact_note', noteId, categories: [], redactedBody: CLEAN_NOTE }));
      expect((await inst.connector.apply(edits)).map((r) => r.status)).toEqual(edits.map(() => 'done'));

      const s = await scan(T1);
      expect(s.tasksToClose).toBeGreaterThanOrEqual(1);
      const open = new Set((await store.listOpenFindings(portalId)).map((f) => f.id));
      for (const f of noteFindings) expect(open.has(f.id)).toBe(false);
      for (const id of pendingIds) expect((await store.getAction(id))!.state).toBe('cancelled');
      later = await buildPlan(store, portalId, loaded, T1);
      close = later.actions.find((a): a is ActionOf<'close_task'> => a.type === 'close_task' && a.taskId === vendorTask)!;
      expect(close).toMatchObject({ contactId: task.contactId, taskActionId: task.id, destructive: false, dueAt: T1.toISOString() });
      expect(close.findingIds.sort()).toEqual(noteFindings.map((f) => f.id).filter((id) => task.findingIds.includes(id)).sort());
      // Scanning and planning wrote nothing: the task is still open.
      expect(inst.task(vendorTask)!.closed).toBe(false);
    });

    it('8c. apply closes the task in the CRM with the comment (rule, kind, dates; no personal values); applying again sends nothing', async () => {
      const r = await apply(later, T1);
      expect(r.failed).toBe(0);
      expect(r.byType.close_task?.done).toBeGreaterThanOrEqual(1);
      expect((await store.getAction(close.id))!).toMatchObject({ state: 'done', result: { status: 'done', vendorRef: vendorTask } });
      const t = inst.task(vendorTask)!;
      expect(t.closed).toBe(true);
      expect(t.text).toContain(task.body); // what the task said stays
      expect(t.text).toContain(close.comment);
      expect(close.comment).toContain(`closed automatically on ${T1.toISOString().slice(0, 10)}; the cause went away`);
      for (const f of noteFindings.filter((x) => task.findingIds.includes(x.id))) expect(close.comment).toContain(`- ${f.ruleId} (${f.kind}`);
      expect(close.comment).toMatch(/pending action cancelled: (redact|delete) note \(was due \d{4}-\d{2}-\d{2}\)/);
      const person = PEOPLE.find((p) => inst.idOfSeed(p) === task.contactId)!;
      for (const v of [person.email, person.firstName, person.lastName, ...person.notes.map((n) => n.body)]) expect(close.comment).not.toContain(v);
      for (const f of noteFindings) expect(close.comment).not.toContain(f.evidence);

      // The same plan again: every action already done, the connector not called, the CRM unchanged.
      const snap = inst.snapshot();
      const calls = jest.spyOn(inst.connector, 'apply');
      try {
        const again = await apply(later, T1);
        expect(again).toMatchObject({ done: 0, failed: 0, skipped: 0, alreadyDone: later.actions.length });
        expect(calls).not.toHaveBeenCalled();
      } finally {
        calls.mockRestore();
      }
      expect(inst.snapshot()).toBe(snap);
      // Even handed to the connector again, the close writes nothing: the task is already closed.
      const [direct] = await inst.connector.apply([close]);
      expect(direct).toMatchObject({ actionId: close.id, status: 'skipped', detail: 'task already closed' });
      expect(inst.snapshot()).toBe(snap);
    });

    it('8d. a task a user already closed or deleted is nothing to do, not an error', async () => {
      const others = first.actions.filter(isTask).filter((t) => t.contactId !== task.contactId);
      const ids: string[] = [];
      for (const t of others) {
        const ref = (await store.getAction(t.id))!.result?.vendorRef;
        if (ref && inst.task(ref) && !inst.task(ref)!.closed) ids.push(ref);
        if (ids.length === 2) break;
      }
      expect(ids).toHaveLength(2);
      const [closedByUser, deletedByUser] = ids as [string, string];
      inst.closeTaskInSandbox(closedByUser);
      inst.deleteTaskInSandbox(deletedByUser);
      const snap = inst.snapshot();
      const closeOf = (taskId: string, n: string) =>
        action(portalId, `user-${n}`, others[0]!.contactId, { type: 'close_task', taskId, taskActionId: others[0]!.id, comment: 'GDPR: closed automatically; the cause went away.' });
      const res = await inst.connector.apply([closeOf(closedByUser, 'closed'), closeOf(deletedByUser, 'deleted')]);
      expect(res).toEqual([
        { actionId: 'user-closed', status: 'skipped', detail: 'task already closed' },
        { actionId: 'user-deleted', status: 'skipped', detail: 'task no longer exists' },
      ]);
      expect(inst.snapshot()).toBe(snap);
    });
  });
});
