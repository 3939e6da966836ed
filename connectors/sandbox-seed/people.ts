/**
 * Deterministic generator of realistic Dutch and English CRM contacts for the sandboxes. About 30% are clean;
 * the rest each carry one primary SeedScenario (cycled so every scenario appears even in small seeds) and
 * sometimes a second "sensitive content" scenario. Same options = same people, byte for byte.
 */
import { formatBsn, generateBsn } from './bsn';
import * as N from './names';
import * as T from './notes';
import { mulberry32, type Rng } from './prng';
import { SEED_OWNERS, type SeedConsent, type SeedOptions, type SeedPerson, type SeedScenario } from './types';

export const DEFAULT_SEED_NOW = '2026-11-01T00:00:00Z';
const DAY = 86_400_000;
const YEAR = 365.2425 * DAY;
const CLEAN_SHARE = 0.3;

/** Every non-clean scenario; primaries cycle through this list. */
export const PROBLEM_SCENARIOS: readonly SeedScenario[] = [
  'bsn_in_note',
  'bsn_in_field',
  'health_in_note',
  'religion_in_note',
  'criminal_in_note',
  'stale_no_activity',
  'relationship_ended',
  'no_consent_but_subscribed',
  'consent_without_evidence',
  'pre_ticked_consent',
  'withdrawn_still_subscribed',
  'minor_without_parental_consent',
  'optout_contradicts_consent',
  'no_lawful_basis',
  'existing_customer_legitimate_interest',
];
/** Scenarios that only add content, so they combine with any primary. */
const ADD_ON_SCENARIOS: readonly SeedScenario[] = ['bsn_in_note', 'bsn_in_field', 'health_in_note', 'religion_in_note', 'criminal_in_note'];

export function generatePeople(opts: SeedOptions): SeedPerson[] {
  return [...iteratePeople(opts)];
}

export function* iteratePeople(opts: SeedOptions): Generator<SeedPerson> {
  const rng = mulberry32(opts.seed ?? 42);
  const now = Date.parse(opts.now ?? DEFAULT_SEED_NOW);
  if (!Number.isFinite(now)) throw new Error('SeedOptions.now is not an ISO date-time');
  const usedEmails = new Set<string>();
  let cycle = 0;
  for (let seq = 1; seq <= opts.count; seq++) {
    let scenarios: SeedScenario[];
    if (rng.chance(CLEAN_SHARE)) {
      scenarios = ['clean'];
    } else {
      const primary = PROBLEM_SCENARIOS[cycle++ % PROBLEM_SCENARIOS.length] as SeedScenario;
      scenarios = [primary];
      if (rng.chance(0.15)) {
        const extra = rng.pick(ADD_ON_SCENARIOS);
        if (extra !== primary) scenarios.push(extra);
      }
    }
    yield buildPerson(seq, scenarios, rng, now, usedEmails);
  }
}

interface Draft extends Omit<SeedPerson, 'notes'> {
  noteBodies: string[];
}

const iso = (ms: number): string => new Date(Math.round(ms)).toISOString();
const isoDate = (ms: number): string => iso(ms).slice(0, 10);
const digits = (rng: Rng, n: number): string => Array.from({ length: n }, () => String(rng.int(0, 9))).join('');
const slug = (s: string): string =>
  s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]/g, '');

function validConsent(rng: Rng, createdAt: number, now: number, purpose: SeedConsent['purpose'] = 'newsletter'): SeedConsent {
  const captured = createdAt + rng.next() * Math.min(30 * DAY, now - createdAt);
  return {
    purpose,
    status: 'granted',
    capturedAt: iso(captured),
    method: rng.pick(['double_opt_in_email', 'form_checkbox'] as const),
    evidenceRef: `form-submission-${digits(rng, 8)}`,
    privacyTextVersion: rng.pick(['2023-01', '2024-05', '2025-09']),
    preTicked: false,
    parentalConsent: null,
    withdrawnAt: null,
  };
}

function buildPerson(seq: number, scenarios: SeedScenario[], rng: Rng, now: number, usedEmails: Set<string>): SeedPerson {
  const locale: 'nl' | 'en' = rng.chance(0.65) ? 'nl' : 'en';
  let firstName: string;
  let lastName: string;
  let emailLocal: string;
  if (locale === 'nl') {
    firstName = rng.pick(N.NL_FIRST);
    const [tussen, achternaam] = rng.pick(N.NL_LAST) as readonly [string, string];
    lastName = tussen ? `${tussen} ${achternaam}` : achternaam;
    emailLocal = rng.chance(0.5) ? `${slug(firstName)}.${slug(lastName)}` : `${slug(firstName).charAt(0)}${slug(lastName)}`;
  } else {
    firstName = rng.pick(N.EN_FIRST);
    lastName = rng.pick(N.EN_LAST);
    emailLocal = rng.chance(0.6) ? `${slug(firstName)}.${slug(lastName)}` : `${slug(firstName)}${slug(lastName)}`;
  }
  const domain = locale === 'nl' ? rng.pick(N.NL_MAIL_DOMAINS) : rng.pick(N.EN_MAIL_DOMAINS);
  let email = `${emailLocal}@${domain}`;
  // seq makes the fallback unique: names never contain digits.
  if (usedEmails.has(email)) email = `${emailLocal}${seq}@${domain}`;
  usedEmails.add(email);

  const hasPhone = rng.chance(0.85);
  const phone = !hasPhone
    ? null
    : locale === 'nl'
      ? rng.chance(0.7)
        ? `+316${digits(rng, 8)}`
        : `+31${rng.pick(['10', '20', '30', '40', '50', '70'])}${digits(rng, 7)}`
      : `+447${digits(rng, 9)}`;
  const city = rng.chance(0.9) ? (locale === 'nl' ? rng.pick(N.NL_CITIES) : rng.pick(N.EN_CITIES)) : null;
  const country = city ? (locale === 'nl' ? 'Netherlands' : 'United Kingdom') : null;
  const professional = rng.chance(0.7);
  const jobTitle = professional ? (locale === 'nl' ? rng.pick(N.NL_JOBS) : rng.pick(N.EN_JOBS)) : null;
  const company = professional ? (locale === 'nl' ? rng.pick(N.NL_COMPANIES) : rng.pick(N.EN_COMPANIES)) : null;

  const roll = rng.next();
  const lifecycle: SeedPerson['lifecycle'] = roll < 0.45 ? 'lead' : roll < 0.8 ? 'customer' : 'subscriber';
  // Recent enough for every retention rule: created up to ~2.5 years ago, active within the last 540 days.
  const createdAt = now - rng.int(60, 900) * DAY - rng.int(0, DAY - 1);
  const activityWindow = Math.min(540 * DAY, now - createdAt);
  const lastActivityAt = now - rng.next() * activityWindow;
  const modifiedAt = lastActivityAt + rng.next() * Math.min(20 * DAY, now - lastActivityAt);
  const dob = lifecycle === 'customer' && rng.chance(0.6) ? isoDate(now - (rng.int(20, 80) + rng.next()) * YEAR) : null;

  const d: Draft = {
    seq,
    locale,
    firstName,
    lastName,
    email,
    phone,
    city,
    country,
    jobTitle,
    company,
    dateOfBirth: dob,
    bsn: null,
    createdAt: iso(createdAt),
    modifiedAt: iso(modifiedAt),
    lastActivityAt: iso(lastActivityAt),
    lifecycle,
    relationshipEndedAt: null,
    source: rng.pick(['form', 'form', 'import', 'api', 'manual'] as const),
    ownerIndex: rng.int(0, SEED_OWNERS.length - 1),
    lawfulBasis:
      lifecycle === 'customer'
        ? [{ purpose: 'customer_administration', basis: 'contract' }]
        : lifecycle === 'lead'
          ? [{ purpose: 'sales_prospecting', basis: 'legitimate_interest' }]
          : [{ purpose: 'newsletter', basis: 'consent' }],
    consents: [],
    newsletterSubscribed: null,
    emailOptOut: false,
    noteBodies: [],
    scenarios,
  };
  const subscribeWithConsent = lifecycle === 'subscriber' || rng.chance(lifecycle === 'customer' ? 0.5 : 0.4);
  if (subscribeWithConsent) {
    d.newsletterSubscribed = true;
    d.consents.push(validConsent(rng, createdAt, now));
    if (!d.lawfulBasis.some((b) => b.purpose === 'newsletter')) d.lawfulBasis.push({ purpose: 'newsletter', basis: 'consent' });
  } else if (rng.chance(0.3)) {
    d.newsletterSubscribed = false;
  }
  const harmless = locale === 'nl' ? T.HARMLESS_NL : T.HARMLESS_EN;
  const harmlessCount = rng.int(0, 3);
  for (let i = 0; i < harmlessCount; i++) d.noteBodies.push(rng.pick(harmless));

  for (const s of scenarios) applyScenario(d, s, rng, now);
  return finish(d, rng);
}

function applyScenario(d: Draft, s: SeedScenario, rng: Rng, now: number): void {
  const nl = d.locale === 'nl';
  const subscribeNewsletter = (consent: SeedConsent | null): void => {
    d.newsletterSubscribed = true;
    d.consents = d.consents.filter((c) => c.purpose !== 'newsletter');
    d.lawfulBasis = d.lawfulBasis.filter((b) => b.purpose !== 'newsletter');
    if (consent) {
      d.consents.push(consent);
      d.lawfulBasis.push({ purpose: 'newsletter', basis: 'consent' });
    }
  };
  const asLead = (): void => {
    if (d.lifecycle !== 'lead') {
      d.lifecycle = 'lead';
      d.dateOfBirth = null;
      d.lawfulBasis = [{ purpose: 'sales_prospecting', basis: 'legitimate_interest' }];
    }
  };
  const created = Date.parse(d.createdAt);
  switch (s) {
    case 'clean':
      return;
    case 'bsn_in_note': {
      const bsn = generateBsn(rng);
      const tpl = rng.pick(nl ? T.BSN_NL : T.BSN_EN);
      d.noteBodies.push(tpl.replace('{bsn}', formatBsn(bsn, rng.int(0, 2))));
      return;
    }
    case 'bsn_in_field':
      d.bsn = generateBsn(rng);
      return;
    case 'health_in_note':
      d.noteBodies.push(rng.pick(nl ? T.HEALTH_NL : T.HEALTH_EN));
      return;
    case 'religion_in_note':
      d.noteBodies.push(rng.pick(nl ? T.RELIGION_NL : T.RELIGION_EN));
      return;
    case 'criminal_in_note':
      d.noteBodies.push(rng.pick(nl ? T.CRIMINAL_NL : T.CRIMINAL_EN));
      return;
    case 'stale_no_activity': {
      asLead();
      const last = now - (3.2 + rng.next() * 4) * YEAR;
      const createdAt = last - rng.int(30, 900) * DAY;
      d.createdAt = iso(createdAt);
      d.lastActivityAt = iso(last);
      d.modifiedAt = iso(last + rng.next() * 20 * DAY);
      d.consents = d.consents.map((c) => (c.capturedAt ? { ...c, capturedAt: iso(createdAt + DAY) } : c));
      if (d.noteBodies.length === 0) d.noteBodies.push(rng.pick(nl ? T.HARMLESS_NL : T.HARMLESS_EN));
      return;
    }
    case 'relationship_ended': {
      d.lifecycle = 'former_customer';
      const ended = now - (2.1 + rng.next() * 0.8) * YEAR;
      const last = ended + rng.int(0, 20) * DAY;
      const createdAt = ended - (1 + rng.next() * 5) * YEAR;
      d.relationshipEndedAt = iso(ended);
      d.createdAt = iso(createdAt);
      d.lastActivityAt = iso(last);
      d.modifiedAt = iso(last + rng.int(0, 5) * DAY);
      d.lawfulBasis = [{ purpose: 'customer_administration', basis: 'contract' }];
      d.consents = [];
      d.newsletterSubscribed = false;
      d.noteBodies.push(nl ? 'contract opgezegd, geen verlenging' : 'cancelled contract, not renewing');
      return;
    }
    case 'no_consent_but_subscribed':
      asLead();
      subscribeNewsletter(null);
      return;
    case 'consent_without_evidence': {
      asLead();
      const c = validConsent(rng, created, now);
      subscribeNewsletter({
        ...c,
        method: rng.pick(['unknown', 'import'] as const),
        evidenceRef: null,
        privacyTextVersion: null,
        capturedAt: rng.chance(0.5) ? null : c.capturedAt,
      });
      return;
    }
    case 'pre_ticked_consent':
      asLead();
      subscribeNewsletter({ ...validConsent(rng, created, now), method: 'form_checkbox', preTicked: true });
      return;
    case 'withdrawn_still_subscribed': {
      asLead();
      const c = validConsent(rng, created, now);
      const captured = Date.parse(c.capturedAt as string);
      subscribeNewsletter({ ...c, status: 'withdrawn', withdrawnAt: iso(captured + rng.next() * (now - captured)) });
      return;
    }
    case 'minor_without_parental_consent': {
      const age = rng.int(12, 15) + 0.05 + rng.next() * 0.85;
      d.dateOfBirth = isoDate(now - age * YEAR);
      d.lifecycle = 'subscriber';
      d.jobTitle = null;
      d.company = null;
      d.lawfulBasis = [];
      subscribeNewsletter({ ...validConsent(rng, created, now), parentalConsent: rng.chance(0.5) ? false : null });
      return;
    }
    case 'optout_contradicts_consent':
      subscribeNewsletter(validConsent(rng, created, now));
      d.newsletterSubscribed = false;
      d.emailOptOut = true;
      return;
    case 'no_lawful_basis':
      asLead();
      d.lawfulBasis = [];
      d.consents = [];
      d.newsletterSubscribed = null;
      return;
    case 'existing_customer_legitimate_interest':
      d.lifecycle = 'customer';
      d.relationshipEndedAt = null;
      d.lawfulBasis = [
        { purpose: 'customer_administration', basis: 'contract' },
        { purpose: 'marketing_existing_customers', basis: 'legitimate_interest' },
      ];
      d.consents = d.consents.filter((c) => c.purpose !== 'newsletter');
      d.newsletterSubscribed = true;
      d.emailOptOut = false;
      return;
  }
}

/** Places notes in time: between creation and last activity, the newest at the last activity. */
function finish(d: Draft, rng: Rng): SeedPerson {
  const { noteBodies, ...rest } = d;
  const from = Date.parse(d.createdAt);
  const to = Date.parse(d.lastActivityAt ?? d.modifiedAt);
  const times = noteBodies.map(() => from + rng.next() * (to - from)).sort((a, b) => a - b);
  if (times.length > 0) times[times.length - 1] = to;
  return { ...rest, notes: noteBodies.map((body, i) => ({ createdAt: iso(times[i] as number), body })) };
}
