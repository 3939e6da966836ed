import type { PropertyDefinition } from '../../connectors/types';
import type { CompiledPolicy } from '../policy/compile';

/**
 * Which vendor properties a scan fetches: those the policy classifies or uses, those the vendor
 * mapping knows a category for, and custom free-text fields (where notes-like text ends up).
 * Everything else stays in the CRM: we fetch only what the policy needs.
 */
export function propertiesToFetch(defs: readonly PropertyDefinition[], policy: CompiledPolicy): string[] {
  const out: string[] = [];
  for (const d of defs) {
    const category = policy.categoryOf(d.name) ?? d.category ?? 'unknown';
    const usedByPurpose = policy.purposes.some((p) => p.usedByProperty(d.name) || p.neededProperties(d.name));
    const customText = !d.vendorDefined && (d.type === 'text' || d.type === 'textarea');
    if (category !== 'unknown' || usedByPurpose || customText) out.push(d.name);
  }
  return out;
}
