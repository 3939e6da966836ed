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
  /** Purposes that a law obliges us to keep this category for. Cached: do not mutate. */
  legalPurposesFor(category: DataCategory): readonly CompiledPurpose[];
  /** Purposes with explicit consent that need a special category. Cached: do not mutate. */
  explicitPurposesFor(category: DataCategory): readonly CompiledPurpose[];
  /** Purposes (in pack order) whose use is signalled by this filled property. Cached: do not mutate. */
  purposesUsingProperty(name: string): readonly CompiledPurpose[];
  /** Purposes (in pack order) whose use is signalled by this subscription (lower-cased name). Cached: do not mutate. */
  purposesUsingSubscription(lowerName: string): readonly CompiledPurpose[];
  /** True when some purpose is signalled by properties. */
  hasPropertyUse: boolean;
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

  // [stage ->] category -> property name -> needed; nested maps, so a lookup builds no key string.
  const neededAnyStage = new Map<DataCategory, Map<string, boolean>>();
  const neededByStage = new Map<string, Map<DataCategory, Map<string, boolean>>>();
  const alwaysAllowed = new Set(pack.alwaysAllowedCategories);
  const isNeeded = (name: string, category: DataCategory, stage?: string): boolean => {
    if (alwaysAllowed.has(category)) return true;
    let byCategory = stage === undefined ? neededAnyStage : neededByStage.get(stage);
    if (!byCategory) neededByStage.set(stage!, (byCategory = new Map()));
    let byName = byCategory.get(category);
    if (!byName) byCategory.set(category, (byName = new Map()));
    let hit = byName.get(name);
    if (hit === undefined) {
      hit = purposes.some(
        (p) =>
          (stage === undefined || !p.lifecycle || p.lifecycle.has(stage)) &&
          (p.neededCategories.has(category) || p.legalCategories.has(category) || p.neededProperties(name)),
      );
      byName.set(name, hit);
    }
    return hit;
  };

  /** Memoises a list of purposes per key (the lists are shared: callers only read them). */
  const memoList = <K>(select: (key: K) => CompiledPurpose[]): ((key: K) => readonly CompiledPurpose[]) => {
    const cache = new Map<K, readonly CompiledPurpose[]>();
    return (key) => {
      let hit = cache.get(key);
      if (hit === undefined) {
        hit = select(key);
        cache.set(key, hit);
      }
      return hit;
    };
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
    legalPurposesFor: memoList((c: DataCategory) => purposes.filter((p) => p.legalCategories.has(c))),
    explicitPurposesFor: memoList((c: DataCategory) => purposes.filter((p) => p.explicitConsent && p.neededCategories.has(c))),
    purposesUsingProperty: memoList((name: string) => purposes.filter((p) => p.hasPropertyUse && p.usedByProperty(name))),
    purposesUsingSubscription: memoList((lower: string) => purposes.filter((p) => p.subscriptions.has(lower))),
    hasPropertyUse: purposes.some((p) => p.hasPropertyUse),
    forbidden: new Set(pack.forbiddenCategories),
    alwaysAllowed,
    mentionedProperties: [...mentioned],
  };
}

export { SPECIAL_CATEGORIES };
