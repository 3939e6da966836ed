/**
 * Realistic normalised contacts for the benchmarks, without a server: the deterministic seed people
 * (connectors/sandbox-seed) are put into an in-memory HubSpot sandbox portal exactly as the sandbox seeds
 * itself, and mapped to the normalised Contact by the HubSpot connector's own mapping
 * (contactFromHubSpot), with the properties a scan fetches for the policy (propertiesToFetch) and the
 * contact's notes. So the mix is the one the pipeline sees: ~30% clean, the rest stale, unconsented,
 * BSNs and special categories in notes and fields, minors, opt-out contradictions.
 *
 * People are generated in chunks (a fresh portal per chunk, its own PRNG seed), so a million contacts
 * can be streamed to a file without holding them all.
 */
import { contactFromHubSpot, toPropertyDefinition, type HsNote } from '../connectors/hubspot/mapping';
import { seedOwners, seedPortal } from '../connectors/hubspot/sandbox/seed-mapping';
import { SandboxState } from '../connectors/hubspot/sandbox/state';
import { DEFAULT_SEED_NOW } from '../connectors/sandbox-seed/people';
import type { HsPropertyDef } from '../connectors/hubspot/vendor-schema';
import { Contact } from '../src/model';
import { propertiesToFetch } from '../src/pipeline/properties';
import type { CompiledPolicy } from '../src/policy/compile';

/** The seed's reference "now": evaluate as of this instant so the scenarios mean what they say. */
export const BENCH_NOW = DEFAULT_SEED_NOW;
export const BENCH_NOW_MS = Date.parse(BENCH_NOW);

export interface BenchContactOptions {
  /** People per sandbox portal (default 10,000). */
  chunk?: number;
  /** PRNG seed of the first chunk; chunk k uses seed + k (default 42). */
  seed?: number;
  portalId?: string;
  tenantId?: string;
}

/** Streams `count` normalised contacts with unique ids. */
export function* iterateBenchContacts(count: number, policy: CompiledPolicy, opts: BenchContactOptions = {}): Generator<Contact> {
  const chunk = opts.chunk ?? 10_000;
  const portalId = opts.portalId ?? 'hubspot:12345678';
  const tenantId = opts.tenantId ?? 'bench';
  let produced = 0;
  for (let k = 0; produced < count; k++) {
    const n = Math.min(chunk, count - produced);
    const state = new SandboxState(12345678, 'eu1', () => BENCH_NOW_MS, true);
    seedOwners(state);
    seedPortal(state, { count: n, seed: (opts.seed ?? 42) + k, now: BENCH_NOW });
    const defs = [...state.properties.contacts.values()].map((d) => toPropertyDefinition(d as unknown as HsPropertyDef));
    const requested = propertiesToFetch(defs, policy);
    const cc = {
      portalId,
      tenantId,
      defs: new Map(defs.map((d) => [d.name, d])),
      subscriptions: state.subscriptionDefinitions,
      requested,
    };
    for (const id of state.order.contacts) {
      const rec = state.get('contacts', id);
      if (!rec || rec.archived) continue;
      const notes: HsNote[] = state.associatedIds('contacts', id, 'notes').flatMap((nid) => {
        const note = state.get('notes', nid);
        return note ? [{ id: note.id, properties: note.properties, createdAt: note.createdAt }] : [];
      });
      // Unique ids across chunks (the sandbox restarts at 1001 for each portal).
      const c = contactFromHubSpot({ ...rec, id: String(produced + 1) }, cc, notes);
      produced += 1;
      yield c;
      if (produced >= count) return;
    }
  }
}

export function benchContacts(count: number, policy: CompiledPolicy, opts: BenchContactOptions = {}): Contact[] {
  return [...iterateBenchContacts(count, policy, opts)];
}

/**
 * Validates a sample with the zod Contact schema after a JSON round trip (what `gdpr-crm evaluate`
 * reads), so the bench input is known to be valid. Throws naming the field, never the value.
 */
export function validateSample(contacts: readonly Contact[], every = 97): number {
  let n = 0;
  for (let i = 0; i < contacts.length; i += every) {
    const r = Contact.safeParse(JSON.parse(JSON.stringify(contacts[i])));
    if (!r.success) throw new Error(`bench contact ${i} is not a valid Contact: ${r.error.issues.map((x) => x.path.join('.')).join(', ')}`);
    n += 1;
  }
  return n;
}
