/**
 * The Zoho records-API scan with concurrent cursors over Modified_Time ranges, against the local
 * sandbox over real HTTP (axios): every contact exactly once, changes during the scan, resume from
 * mid-scan checkpoints (new and the former single-cursor form), the sub-concurrency limit, and
 * 429/5xx answers in the middle of a scan.
 */
import { createZohoConnector } from '../connectors/zoho/connector';
import { SUB_CONCURRENCY } from '../connectors/zoho/limits';
import { startZohoSandbox, type ZohoSandbox, type ZohoSandboxOptions } from '../connectors/zoho/sandbox/server';
import type { ContactPage } from '../connectors/types';

const CREDS = { clientId: '1000.SANDBOXCLIENT', clientSecret: 'sandbox-secret', refreshToken: '1000.sandbox.refresh' };
const COUNT = 6_000;
const open: { close(): Promise<void> }[] = [];

async function sandbox(o: ZohoSandboxOptions = {}): Promise<ZohoSandbox> {
  // A little latency so cursors overlap in time, as they do against Zoho.
  const sb = await startZohoSandbox({ limits: { tokensPer10Min: 1000, concurrency: 25 }, latencyMs: 15, seed: { count: COUNT, seed: 5 }, ...o });
  open.push(sb);
  return sb;
}
function connector(sb: ZohoSandbox) {
  // 20 concurrent calls allowed, so only the sub-concurrency limit (10 sorted lists) bounds the cursors.
  const c = createZohoConnector({ vendor: 'zoho', tenantId: 't1', options: { ...CREDS, accountsUrl: sb.accountsUrl, apiDomain: sb.url, concurrency: '20' } });
  open.push({ close: async () => c.close?.() });
  return c;
}
const scan = { properties: ['Email'], includeNotes: false };

async function all(it: AsyncIterable<ContactPage>, onPage?: (p: ContactPage, n: number) => void): Promise<{ ids: string[]; pages: ContactPage[] }> {
  const pages: ContactPage[] = [];
  for await (const p of it) {
    pages.push(p);
    onPage?.(p, pages.length);
  }
  return { ids: pages.flatMap((p) => p.contacts.map((c) => c.id)), pages };
}

interface PartCp {
  lo: number | null;
  hi: number | null;
  d: boolean;
  t: number | null;
}
const partsOf = (checkpoint: string | null): PartCp[] => (JSON.parse(checkpoint ?? '{}') as { parts?: PartCp[] }).parts ?? [];

/**
 * Reads a scan page by page until `stop(idsSoFar, checkpoint)` holds, then stops it (as a process that
 * ends mid-scan); returns what was handed out and the last checkpoint. Fails if the scan ends first.
 */
async function readUntil(pages: AsyncIterable<ContactPage>, stop: (before: string[], checkpoint: string | null) => boolean, endedEarly: string): Promise<{ before: string[]; checkpoint: string }> {
  const it = pages[Symbol.asyncIterator]();
  const before: string[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) throw new Error(endedEarly);
    before.push(...r.value.contacts.map((x) => x.id));
    if (stop(before, r.value.checkpoint)) {
      await it.return?.(undefined);
      return { before, checkpoint: r.value.checkpoint as string };
    }
  }
}

/** Each id at most once; returns the duplicates. */
const duplicates = (ids: string[]): string[] => {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
};

afterAll(async () => {
  for (const o of open.reverse()) await o.close();
});

describe('Zoho records scan with concurrent cursors', () => {
  it('reads every contact exactly once with several cursors, never over the sub-concurrency limit', async () => {
    const sb = await sandbox();
    const c = connector(sb);
    const { ids, pages } = await all(c.streamContacts(scan));
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sb.state.contacts.keys()));
    // Several cursors ran at once (the ranges in the final checkpoint, the sorted lists in flight) ...
    const parts = partsOf(pages[pages.length - 1]?.checkpoint ?? null);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(parts.every((p) => p.d)).toBe(true);
    expect(sb.stats.maxConcurrentComplex).toBeGreaterThanOrEqual(3);
    // ... but never more sorted lists than Zoho's sub-concurrency allows, and none refused for it.
    expect(sb.stats.maxConcurrentComplex).toBeLessThanOrEqual(SUB_CONCURRENCY);
    expect(sb.stats.rejectedSubConcurrency).toBe(0);
    expect(sb.stats.rejected429).toBe(0);
    // Adjacent ranges meet exactly: together they cover every second.
    const sorted = [...parts].sort((a, b) => (a.lo ?? -Infinity) - (b.lo ?? -Infinity));
    expect(sorted[0]?.lo).toBeNull();
    expect(sorted[sorted.length - 1]?.hi).toBeNull();
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]?.lo).toBe(sorted[i - 1]?.hi);
    // No page is over Zoho's page size; range ends cost at most one short page per range.
    expect(pages.every((p) => p.contacts.length <= 200)).toBe(true);
    expect(pages.length).toBeLessThanOrEqual(Math.ceil(COUNT / 200) + parts.length);
  });

  it('other complex calls of the same client (writes of more than 10 records) share the 10 slots with the cursors', async () => {
    const sb = await sandbox();
    const c = connector(sb);
    const ids = [...sb.state.contacts.keys()];
    const writes: Promise<unknown>[] = [];
    const { ids: read } = await all(c.streamContacts(scan), (_p, n) => {
      if (n !== 8) return;
      // Fifteen updates of 20 records each (complex calls: more than the limit alone) while the cursors read.
      for (let w = 0; w < 15; w++) {
        const data = ids.slice(w * 20, w * 20 + 20).map((id) => ({ id, Email_Opt_Out: true }));
        writes.push(c.client.expect({ method: 'PUT', path: '/crm/v8/Contacts', data: { data } }, [200, 202]));
      }
    });
    await Promise.all(writes);
    expect(sb.stats.byRoute['PUT /crm/v8/Contacts']).toBe(15);
    expect(sb.stats.maxConcurrentComplex).toBeLessThanOrEqual(SUB_CONCURRENCY);
    expect(sb.stats.rejectedSubConcurrency).toBe(0);
    expect(duplicates(read)).toEqual([]);
    expect(new Set(read)).toEqual(new Set(ids));
  });

  it('a record modified or created during the scan comes exactly once', async () => {
    const sb = await sandbox();
    const c = connector(sb);
    const oldest = [...sb.state.contacts.values()].sort((a, b) => Date.parse(String(a.Modified_Time)) - Date.parse(String(b.Modified_Time)));
    // Early ones (read before the change) and late ones (not read yet), moved to "now" mid-scan.
    const moved = [...oldest.slice(0, 5), ...oldest.slice(COUNT / 2, COUNT / 2 + 5), ...oldest.slice(-5)].map((r) => r.id);
    const added: string[] = [];
    const { ids } = await all(c.streamContacts(scan), (_p, n) => {
      if (n !== 3) return;
      for (const id of moved) sb.state.touch(id);
      for (let i = 0; i < 5; i++) added.push(sb.state.addContact({ Last_Name: `Added ${i}`, Email: `added${i}@example.test` }));
    });
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sb.state.contacts.keys()));
    expect(ids).toHaveLength(COUNT + added.length);
    for (const id of [...moved, ...added]) expect(ids).toContain(id);
  });

  it('a record modified after the newest range has been read to its end (others still open) comes once', async () => {
    const sb = await sandbox();
    const c = connector(sb);
    const seconds = [...sb.state.contacts.values()].map((r) => Math.floor(Date.parse(String(r.Modified_Time)) / 1000)).sort((a, b) => a - b);
    const newest = seconds[seconds.length - 1] as number;
    // Two ranges: the newest ~50 records (one page, drained at once) and all the rest (many pages).
    const cut = seconds[seconds.length - 50] as number;
    const start = { m: 'p', top: newest, parts: [
      { lo: null, hi: cut, d: false, w: null, pt: null, t: null, ids: [] },
      { lo: cut, hi: null, d: false, w: cut, pt: null, t: null, ids: [] },
    ] };
    const handed = new Set<string>();
    let moved: string[] = [];
    const { ids } = await all(c.streamContacts({ ...scan, checkpoint: JSON.stringify(start) }), (p) => {
      for (const x of p.contacts) handed.add(x.id);
      const parts = partsOf(p.checkpoint);
      const top = parts.find((x) => x.hi === null);
      // The open top range has handed out the newest second; other ranges are still being read.
      if (moved.length === 0 && top && top.t === newest && parts.some((x) => x !== top && !x.d)) {
        // Not handed out yet: they leave the ranges still being read for "now", in the top range.
        moved = [...sb.state.contacts.keys()].filter((id) => !handed.has(id)).slice(0, 3);
        for (const id of moved) sb.state.touch(id);
      }
    });
    expect(moved).toHaveLength(3);
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sb.state.contacts.keys()));
  });

  it('resumes from a checkpoint taken while the drained top range waits for the others: nothing repeated', async () => {
    const sb = await sandbox();
    const c = connector(sb);
    const seconds = [...sb.state.contacts.values()].map((r) => Math.floor(Date.parse(String(r.Modified_Time)) / 1000)).sort((a, b) => a - b);
    const newest = seconds[seconds.length - 1] as number;
    const cut = seconds[seconds.length - 50] as number;
    const start = {
      m: 'p',
      top: newest,
      parts: [
        { lo: null, hi: cut, d: false, w: null, pt: null, t: null, ids: [] },
        { lo: cut, hi: null, d: false, w: cut, pt: null, t: null, ids: [] },
      ],
    };
    const { before, checkpoint } = await readUntil(
      c.streamContacts({ ...scan, checkpoint: JSON.stringify(start) }),
      (_ids, cp) => {
        const parts = partsOf(cp);
        const top = parts.find((x) => x.hi === null);
        return !!top && top.t === newest && parts.some((x) => x !== top && !x.d);
      },
      'scan ended before the top range drained',
    );
    const rest = await all(c.streamContacts({ ...scan, checkpoint }));
    const ids = [...before, ...rest.ids];
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sb.state.contacts.keys()));
  });

  it('resumes from a mid-scan checkpoint (several cursors mid-range): nothing repeated, nothing lost', async () => {
    const sb = await sandbox();
    const c = connector(sb);
    const { before, checkpoint } = await readUntil(
      c.streamContacts(scan),
      (ids, cp) => partsOf(cp).filter((p) => !p.d && p.t !== null).length >= 3 && ids.length >= 1_000,
      'scan ended before several cursors were mid-range',
    );
    expect(before.length).toBeLessThan(COUNT);
    const rest = await all(c.streamContacts({ ...scan, checkpoint }));
    const ids = [...before, ...rest.ids];
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sb.state.contacts.keys()));
  });

  it('resumes a stopped scan and picks up records changed while it was stopped', async () => {
    const sb = await sandbox();
    const c = connector(sb);
    const { before, checkpoint } = await readUntil(c.streamContacts(scan), (ids) => ids.length >= COUNT / 3, 'scan ended early');
    const handed = new Set(before);
    const unread = [...sb.state.contacts.keys()].filter((id) => !handed.has(id));
    // Changed between the runs: one not yet read (it must come, once), one already read (it may come again).
    const changedUnread = unread[unread.length >> 1] as string;
    sb.state.touch(changedUnread);
    const added = sb.state.addContact({ Last_Name: 'Between runs', Email: 'between@example.test' });
    const rest = await all(c.streamContacts({ ...scan, checkpoint }));
    expect(duplicates(rest.ids)).toEqual([]);
    // Every record not handed out before comes, including the moved and the new one; unchanged ones read before do not.
    expect(new Set(rest.ids)).toEqual(new Set([...unread, added]));
  });

  it('resumes a checkpoint of the former single-cursor scan (m: r) exactly after its last record', async () => {
    const sb = await sandbox();
    const c = connector(sb);
    const key = (r: { id: string; Modified_Time?: unknown }) => [Math.floor(Date.parse(String(r.Modified_Time)) / 1000), r.id.padStart(20, '0')] as const;
    const order = [...sb.state.contacts.values()].sort((a, b) => {
      const [ta, ia] = key(a);
      const [tb, ib] = key(b);
      return ta !== tb ? ta - tb : ia < ib ? -1 : ia > ib ? 1 : 0;
    });
    // The old scan had handed out the first 2,345 contacts in (Modified_Time, id) order.
    const cut = 2_345;
    const last = order[cut - 1] as (typeof order)[number];
    const lastSec = key(last)[0];
    const handed = order.slice(0, cut);
    const idsAtLast = handed.filter((r) => key(r)[0] === lastSec).map((r) => r.id);
    const old = { m: 'r', t: new Date(lastSec * 1000).toISOString(), ids: idsAtLast, pt: 'a-page-token-of-the-old-run' };
    const rest = await all(c.streamContacts({ ...scan, checkpoint: JSON.stringify(old) }));
    expect(duplicates(rest.ids)).toEqual([]);
    expect(new Set(rest.ids)).toEqual(new Set(order.slice(cut).map((r) => r.id)));
    // It goes on in the new form.
    expect(partsOf(rest.pages[rest.pages.length - 1]?.checkpoint ?? null).length).toBeGreaterThanOrEqual(1);
  });

  it('429 and 5xx answers in the middle of the scan are retried: every contact once', async () => {
    const sb = await sandbox();
    const c = connector(sb);
    const { ids } = await all(c.streamContacts(scan), (_p, n) => {
      if (n === 4) {
        sb.state.failures.push({ status: 429, count: 3, method: 'GET', path: '/Contacts' });
        sb.state.failures.push({ status: 503, count: 2, method: 'GET', path: '/Contacts' });
      }
    });
    expect(sb.stats.injected).toBe(5);
    expect(sb.state.failures.every((f) => f.count === 0)).toBe(true);
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sb.state.contacts.keys()));
  });

  it('a refusal that does not go away fails the scan (no silent gap)', async () => {
    const sb = await sandbox({ seed: { count: 1_000, seed: 5 } });
    const c = connector(sb);
    sb.state.failures.push({ status: 500, count: 1_000, method: 'GET', path: '/Contacts' });
    await expect(all(c.streamContacts(scan))).rejects.toThrow();
  });
});
