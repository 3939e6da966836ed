/** Which notes/tasks belong to which contacts: v4 association batch reads (1,000 contacts a call), paged per contact when long. */
import type { HubSpotApi } from './client';
import { HUBSPOT_LIMITS } from './limits';
import { HsAssociationBatch, HsAssociationTargets } from './vendor-schema';

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** contact id -> associated object ids (contacts without any are absent). */
export async function associatedIds(api: HubSpotApi, toType: 'notes' | 'tasks', contactIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const part of chunk(contactIds, HUBSPOT_LIMITS.associationBatchSize)) {
    const raw = await api.call(`associations.contacts-${toType}.batchRead`, () =>
      api.sdk.crm.associations.v4.batchApi.getPageWithHttpInfo('contacts', toType, { inputs: part.map((id) => ({ id })) }),
    );
    for (const r of HsAssociationBatch.parse(raw).results) {
      const list = out.get(r.from.id) ?? [];
      list.push(...r.to.map((t) => t.toObjectId));
      out.set(r.from.id, list);
      let after = r.paging?.next?.after;
      while (after) {
        // More than one batch answer holds for this contact: page through its own list.
        const a = after;
        const page = (await api.call(`associations.contact-${toType}.list`, () =>
          api.sdk.crm.associations.v4.basicApi.getPageWithHttpInfo('contacts', r.from.id, toType, a, 500),
        )) as { results?: unknown; paging?: { next?: { after?: string } } };
        list.push(...HsAssociationTargets.parse(page.results ?? []).map((t) => t.toObjectId));
        after = page.paging?.next?.after;
      }
    }
  }
  for (const [k, v] of out) out.set(k, [...new Set(v)]);
  return out;
}
