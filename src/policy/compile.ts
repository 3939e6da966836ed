import type { DataCategory, LawfulBasis } from '../model';
import { SPECIAL_CATEGORIES } from '../model';
import { parsePeriod, type Period } from './duration';
import type { PolicyPack, Purpose, RuleConfig, RuleId } from './pack-schema';

export interface CompiledPurpose {
  id: string;
  basis: LawfulBasis;
  explicitConsent: boolean;
  lifecycle: ReadonlySet<string> | null;
  subscriptions: ReadonlySet<string>;
  usedByProperty: (name: string) => boolean;
  hasPropertyUse: boolean;
  always: boolean;
  retention: { period: Period; after: NonNullable<Purpose["retention"]>["after"] } | null;
  neededCategories: ReadonlySet<DataCategory>;
  neededProperties: (name: string) => boolean;
  legalCategories: ReadonlySet<DataCategory>;
  law: string | null;
  source: Purpose;
}

export interface CompiledPolicy {
  pack: PolicyPack;
  purposes: CompiledPurpose[];
  rule(id: RuleId): RuleConfig | null;
  /** Category of a property by the pack's mapping, or null if the pack does not map it. Cached. */
  categoryOf(name: string): DataCategory | null;
  /** True when some purpose needs this property (by name or category); with `stage`, only purposes that apply to that lifecycle stage. */
  isNeeded(name: string, category: DataCategory, stage?: string): boolean;
  /** Purposes that a law obliges us to keep this category for. */
  legalPurposesFor(category: DataCategory): CompiledPurpose[];
  /** Purposes with explicit consent that need a special category. */
  explicitPurposesFor(category: DataCategory): CompiledPurpose[];
  forbidden: ReadonlySet<DataCategory>;
  alwaysAllowed: ReadonlySet<DataCategory>;
  /** Every property name (exact, not glob) the pack mentions; the connector fetches these. */
  mentionedProperties: string[];
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Matches names against exact names and `*` globs, case-insensitively, with a cache. */
function nameMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes('*')).map((p) => p.toLowerCase()));
  const globs = patterns.filter((p) => p.includes('*')).map(globToRegExp);
  const cache = new Map<string, boolean>();
  return (name) => {
    let hit = cache.get(name);
    if (hit === undefined) {
      hit = exact.has(name.toLowerCase()) || globs.some((g) => g.test(name));
      cache.set(name, hit);
    }
    return hit;
  };
}

export function compilePolicy(pack: PolicyPack): CompiledPolicy {
  const exact = new Map<string, DataCategory>();
  const globs: [RegExp, DataCategory][] = [];
  for (const [pattern, category] of Object.entries(pack.properties)) {
    if (pattern.includes('*')) globs.push([globToRegExp(pattern), category]);
    else exact.set(pattern.toLowerCase(), category);
  }
  const categoryCache = new Map<string, DataCategory | null>();
  const categoryOf = (name: string): DataCategory | null => {
    let c = categoryCache.get(name);
    if (c === undefined) {
      c = exact.get(name.toLowerCase()) ?? globs.find(([g]) => g.test(name))?.[1] ?? null;
      categoryCache.set(name, c);
    }
    return c;
  };

  const purposes: CompiledPurpose[] = pack.purposes.map((p) => ({
    id: p.id,
    basis: p.lawfulBasis,
    explicitConsent: p.explicitConsent,
    lifecycle: p.appliesTo?.lifecycle ? new Set(p.appliesTo.lifecycle) : null,
    subscriptions: new Set(p.usedWhen.subscriptions.map((s) => s.toLowerCase())),
    usedByProperty: nameMatcher(p.usedWhen.properties),
    hasPropertyUse: p.usedWhen.properties.length > 0,
    always: p.usedWhen.always,
    retention: p.retention ? { period: parsePeriod(p.retention.period)!, after: p.retention.after } : null,
    neededCategories: new Set(p.needs.categories),
    neededProperties: nameMatcher(p.needs.properties),
    legalCategories: new Set(p.legalObligation?.categories ?? []),
    law: p.legalObligation?.law ?? null,
    source: p,
  }));

  const neededCache = new Map<string, boolean>();
  const alwaysAllowed = new Set(pack.alwaysAllowedCategories);
  const isNeeded = (name: string, category: DataCategory, stage?: string): boolean => {
    if (alwaysAllowed.has(category)) return true;
    const key = `${category}\u0000${name}\u0000${stage ?? ''}`;
    let hit = neededCache.get(key);
    if (hit === undefined) {
      hit = purposes.some(
        (p) =>
          (stage === undefined || !p.lifecycle || p.lifecycle.has(stage)) &&
          (p.neededCategories.has(category) || p.legalCategories.has(category) || p.neededProperties(name)),
      );
      neededCache.set(key, hit);
    }
    return hit;
  };

  const mentioned = new Set<string>();
  for (const pattern of Object.keys(pack.properties)) if (!pattern.includes('*')) mentioned.add(pattern);
  for (const p of pack.purposes) {
    for (const n of [...p.usedWhen.properties, ...p.needs.properties]) if (!n.includes('*')) mentioned.add(n);
  }

  return {
    pack,
    purposes,
    rule: (id) => {
      const r = pack.rules[id];
      return r && r.enabled ? r : null;
    },
    categoryOf,
    isNeeded,
    legalPurposesFor: (c) => purposes.filter((p) => p.legalCategories.has(c)),
    explicitPurposesFor: (c) => purposes.filter((p) => p.explicitConsent && p.neededCategories.has(c)),
    forbidden: new Set(pack.forbiddenCategories),
    alwaysAllowed,
    mentionedProperties: [...mentioned],
  };
}

export { SPECIAL_CATEGORIES };
