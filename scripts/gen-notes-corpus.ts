/**
 * Writes test/fixtures/notes/corpus.jsonl: a labelled corpus of realistic CRM notes, Dutch and English,
 * with hard negatives. Seeded, so the same file comes out every run:
 *   npx tsx scripts/gen-notes-corpus.ts [--seed N] [--count N] [--out FILE]
 *
 * Fragments are written with inline labels, [[category|text]]; the generator strips them and records the
 * offsets (JavaScript string indices, end exclusive). Checksummed values (BSN, IBAN) are computed, so every
 * labelled one is valid and every "looks like one but is not" is invalid or in a non-personal role.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

type Category =
  | 'bsn' | 'iban' | 'email' | 'phone' | 'date_of_birth' | 'id_document' | 'ip_address' | 'license_plate'
  | 'health' | 'religion' | 'political_opinion' | 'ethnicity' | 'sexual_orientation' | 'criminal_record'
  | 'trade_union' | 'biometric_genetic' | 'subjective_opinion';

interface Label { category: Category; start: number; end: number }
interface Note { id: string; text: string; labels: Label[]; hardNegative?: boolean }

// ------------------------------------------------------------------------------------ seeded random
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
let rand = mulberry32(20261125);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const chance = (p: number): boolean => rand() < p;
const digits = (n: number): string => Array.from({ length: n }, () => String(int(0, 9))).join('');
const LETTERS = 'ABCDEFGHJKLMNPRSTVWXZ';
const letters = (n: number): string => Array.from({ length: n }, () => pick([...LETTERS])).join('');

// ---------------------------------------------------------------------------------------- values
function elfSum(d: string): number {
  let s = 0;
  for (let i = 0; i < 8; i++) s += Number(d[i]) * (9 - i);
  return s;
}
function bsnRaw(valid: boolean): string {
  for (;;) {
    const head = String(int(1, 6)) + digits(7);
    const rem = elfSum(head) % 11; // need last digit ≡ rem (mod 11)
    if (valid) {
      if (rem === 10) continue;
      return head + String(rem);
    }
    const last = (rem + int(1, 9)) % 11;
    if (last === 10) continue;
    return head + String(last);
  }
}
function formatBsn(d: string): string {
  return pick([
    () => d,
    () => d,
    () => `${d.slice(0, 4)}.${d.slice(4, 6)}.${d.slice(6)}`,
    () => `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`,
    () => `${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`,
  ])();
}
function mod97(s: string): number {
  let r = 0;
  for (const ch of s) {
    const v = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const c of v) r = (r * 10 + Number(c)) % 97;
  }
  return r;
}
function iban(country: string, bban: string): string {
  const check = 98 - mod97(bban + country + '00');
  return country + String(check).padStart(2, '0') + bban;
}
function randomIban(): string {
  return pick([
    () => iban('NL', pick(['ABNA', 'INGB', 'RABO', 'TRIO', 'SNSB', 'KNAB', 'BUNQ', 'ASNB']) + digits(10)),
    () => iban('NL', pick(['ABNA', 'INGB', 'RABO']) + digits(10)),
    () => iban('BE', digits(12)),
    () => iban('DE', digits(18)),
    () => iban('GB', pick(['NWBK', 'BARC', 'LOYD', 'HBUK']) + digits(14)),
    () => iban('FR', digits(10) + letters(1) + digits(10) + digits(2)),
  ])();
}
function formatIban(s: string): string {
  const spaced = s.match(/.{1,4}/g)!.join(' ');
  return pick([spaced, spaced, s, s.toLowerCase(), spaced.toLowerCase()]);
}
function corruptIban(s: string): string {
  const i = int(4, s.length - 1);
  const c = s[i]!;
  const repl = /\d/.test(c) ? String((Number(c) + int(1, 9)) % 10) : c === 'A' ? 'B' : 'A';
  return s.slice(0, i) + repl + s.slice(i + 1);
}

const FIRST = ['Jan', 'Piet', 'Sanne', 'Fatima', 'Mohammed', 'Emma', 'Daan', 'Lotte', 'Kees', 'Anouk', 'Youssef', 'Sophie', 'Tom', 'Sarah', 'James', 'Olivia', 'Noah', 'Priya', 'Lucas', 'Mila', 'Ahmet', 'Eva', 'Bram', 'Ingrid'];
const LAST = ['de Vries', 'Jansen', 'Bakker', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'El Amrani', 'Yilmaz', 'Brown', 'Taylor', 'Wilson', 'Bos', 'Vos', 'Peters', 'Hendriks', 'van Dijk', 'Dekker', 'Kaya'];
const COMPANIES = ['Bakkerij Smit BV', 'Van Dijk Installatietechniek', 'Noordzee Logistics', 'Groene Hart Zorg', 'TechNova BV', 'Brightline Ltd', 'Acme Holdings', 'De Boer & Zn', 'Polder Solar', 'Kantoorwerk Utrecht', 'Northwind Traders', 'Hollandia Print'];
const DOMAINS = ['gmail.com', 'hotmail.com', 'outlook.com', 'kpnmail.nl', 'ziggo.nl', 'xs4all.nl', 'bedrijf.nl', 'example.co.uk', 'yahoo.com', 'live.nl'];

function email(): string {
  const f = pick(FIRST).toLowerCase();
  const l = pick(LAST).toLowerCase().replace(/\s/g, '');
  return pick([`${f}.${l}`, `${f[0]}.${l}`, `${f}${int(1, 99)}`, `${f}_${l}`, `info`, `${f}+crm`]) + '@' + pick(DOMAINS);
}
function phone(): string {
  return pick([
    () => `06-${digits(8)}`,
    () => `06 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
    () => `06${digits(8)}`,
    () => `+31 6 ${digits(8)}`,
    () => `+31 (0)6 ${digits(4)} ${digits(4)}`,
    () => `+316${digits(8)}`,
    () => `0031 6 ${digits(8)}`,
    () => `020-${int(1, 9)}${digits(6)}`,
    () => `010 ${int(1, 9)}${digits(2)} ${digits(4)}`,
    () => `0${int(1, 5)}${int(0, 9)}-${int(1, 9)}${digits(6)}`,
    () => `+32 ${int(2, 9)} ${digits(3)} ${digits(2)} ${digits(2)}`,
    () => `+44 7${digits(3)} ${digits(6)}`,
    () => `+44 20 ${digits(4)} ${digits(4)}`,
    () => `07${digits(3)} ${digits(6)}`,
    () => `+49 30 ${digits(8)}`,
  ])();
}
const MONTHS_NL = ['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus', 'september', 'oktober', 'november', 'december'];
const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
function dateOfBirth(english: boolean): string {
  const d = int(1, 28);
  const m = int(1, 12);
  const y = int(1940, 2005);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return pick([
    () => `${p2(d)}-${p2(m)}-${y}`,
    () => `${d}-${m}-${y}`,
    () => `${p2(d)}/${p2(m)}/${y}`,
    () => `${d}/${m}/${String(y).slice(2)}`,
    () => `${y}-${p2(m)}-${p2(d)}`,
    () => `${p2(d)}.${p2(m)}.${y}`,
    () => (english ? `${d} ${MONTHS_EN[m - 1]} ${y}` : `${d} ${MONTHS_NL[m - 1]} ${y}`),
    () => (english ? `${MONTHS_EN[m - 1]} ${d}, ${y}` : `${d} ${MONTHS_NL[m - 1]!.slice(0, 3)} ${y}`),
  ])();
}
function docNumber(kind: 'passport' | 'licence' | 'idcard'): string {
  if (kind === 'licence') return pick([digits(10), String(int(1, 9)) + digits(9)]);
  if (kind === 'idcard') return pick([`I${letters(1)}${letters(2)}${digits(6)}`, `${letters(2)}${digits(6)}${letters(1)}`.slice(0, 9)]);
  return pick([`${letters(2)}${letters(2)}${digits(4)}${int(1, 9)}`, `${letters(2)}${digits(7)}`, `${letters(2)}${digits(2)}${letters(2)}${digits(3)}`, digits(9)]);
}
function plate(): string {
  const L = (n: number) => letters(n);
  const D = (n: number) => String(int(1, 9)) + digits(n - 1);
  return pick([
    () => `${L(2)}-${D(2)}-${D(2)}`, () => `${D(2)}-${D(2)}-${L(2)}`, () => `${D(2)}-${L(2)}-${D(2)}`,
    () => `${L(2)}-${D(2)}-${L(2)}`, () => `${L(2)}-${L(2)}-${D(2)}`, () => `${D(2)}-${L(2)}-${L(2)}`,
    () => `${D(2)}-${L(3)}-${D(1)}`, () => `${D(1)}-${L(3)}-${D(2)}`, () => `${L(2)}-${D(3)}-${L(1)}`,
    () => `${L(1)}-${D(3)}-${L(2)}`, () => `${L(3)}-${D(2)}-${L(1)}`, () => `${D(1)}-${L(2)}-${D(3)}`,
    () => `${L(2)}${D(3)}${L(1)}`.toLowerCase(), () => `${L(2)}${D(2)} ${L(3)}`,
  ])();
}
function ipv4(): string {
  return pick([
    () => `${int(11, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
    () => `192.168.${int(0, 255)}.${int(1, 254)}`,
    () => `10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
  ])();
}
function ipv6(): string {
  const h = () => int(0, 65535).toString(16);
  return pick([() => `2001:db8:${h()}:${h()}::${h()}`, () => `fe80::${h()}:${h()}:${h()}:${h()}`, () => `2a02:a46${int(0, 9)}:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}`])();
}

// ---------------------------------------------------------------------------------- fragments
/** A fragment: text with [[category|value]] labels. Functions so every use draws fresh values. */
type Frag = () => string;
const L = (c: Category, v: string) => `[[${c}|${v}]]`;
const who = () => pick(['Klant', 'Mevrouw', 'Meneer', 'Dhr.', 'Mw.', 'Contactpersoon', 'De klant', 'Hij', 'Zij', 'klant', 'mevr', 'dhr']);
const whoEn = () => pick(['Customer', 'The customer', 'Client', 'Contact', 'He', 'She', 'Mr ' + pick(LAST), 'Ms ' + pick(LAST), 'The client']);

const FILLER_NL: Frag[] = [
  () => `Klant belde over de levering van ${int(2, 80)} ${pick(['laptops', 'bureaustoelen', 'licenties', 'pallets', 'printers'])}.`,
  () => `Offerte ${pick(['verstuurd', 'aangepast', 'nagebeld', 'besproken'])}, ${pick(['reactie', 'akkoord', 'beslissing'])} verwacht ${pick(['volgende week', 'voor vrijdag', 'eind van de maand', 'na de vakantie'])}.`,
  () => `Ordernummer ${digits(6)} ${pick(['is verzonden', 'staat in backorder', 'komt dinsdag binnen'])}.`,
  () => `Factuur ${int(2023, 2026)}-${digits(4)} staat nog open, herinnering gestuurd.`,
  () => `Afspraak gepland op ${int(1, 28)}-${int(1, 12)}-${int(2024, 2026)} om ${int(8, 17)}:${pick(['00', '15', '30', '45'])}.`,
  () => `KvK ${int(1, 9)}${digits(7)}, BTW NL${digits(9)}B0${int(1, 9)} gecontroleerd.`,
  () => `Nieuw adres: Hoofdstraat ${int(1, 300)}, ${int(1000, 9999)} ${letters(2)} ${pick(['Utrecht', 'Zwolle', 'Delft', 'Breda', 'Groningen'])}.`,
  () => `Demo gegeven van versie ${int(1, 9)}.${int(0, 20)}.${int(0, 9)}, klant enthousiast over de rapportages.`,
  () => `Teruggebeld, wil ${pick(['een korting', 'uitstel van betaling', 'extra gebruikers', 'een training'])} ivm ${pick(['budget', 'de reorganisatie', 'nieuwe collega\'s', 'de verhuizing'])}.`,
  () => `Contract verlengd tot ${int(2025, 2028)}, ${int(5, 200)} gebruikers, bedrag € ${int(1, 90)}.${digits(3)},-.`,
  () => `Ticket #${digits(5)} opgelost, ${pick(['wachtwoord gereset', 'koppeling hersteld', 'export gemaakt'])}.`,
  () => `${pick(COMPANIES)} vraagt naar de nieuwe prijslijst, ${pick(['gemaild', 'morgen terugbellen', 'doorgezet naar sales'])}.`,
  () => `Referentie ${letters(3)}-${digits(5)} gebruikt bij de retour.`,
  () => `Inkooporder PO${digits(7)} ontvangen.`,
  () => `Gesproken met de inkoper, ze vergelijken ons met twee concurrenten.`,
  () => `Pakket ${digits(10)} via PostNL verzonden, track & trace gestuurd.`,
  () => `Onderhoudsbeurt gepland in week ${int(1, 52)}, monteur ${pick(FIRST)} gaat.`,
  () => `Klant wil voortaan de facturen per mail, graag op de afdeling crediteuren.`,
];
const FILLER_EN: Frag[] = [
  () => `Customer called about the renewal of their subscription, wants a quote for ${int(2, 60)} extra seats.`,
  () => `Sent the proposal, decision expected ${pick(['next week', 'end of Q3', 'after the board meeting', 'by Friday'])}.`,
  () => `Order ${digits(6)} shipped, tracking number ${letters(2)}${digits(9)}GB.`,
  () => `Invoice INV-${digits(5)} overdue, reminder sent.`,
  () => `Demo of release ${int(1, 9)}.${int(0, 20)}.${int(0, 9)} went well, they liked the dashboards.`,
  () => `Meeting booked for ${int(1, 28)}/${int(1, 12)}/${int(2024, 2026)} at ${int(8, 17)}:${pick(['00', '30'])}.`,
  () => `Spoke with the procurement lead, they are comparing us with two competitors.`,
  () => `Company number ${digits(8)}, VAT GB${digits(9)} verified.`,
  () => `Asked for SSO integration with Azure AD, forwarded to the technical team.`,
  () => `Case ${digits(7)} closed after the export was fixed.`,
  () => `${pick(COMPANIES)} asked for the new price list; emailed it.`,
  () => `Follow-up call scheduled, they want a discount for a ${int(2, 5)}-year deal.`,
  () => `PO ${digits(8)} received from purchasing.`,
  () => `Office moving to ${int(1, 200)} High Street, postcode ${letters(2)}${int(1, 9)} ${int(1, 9)}${letters(2)}.`,
];

/** Positive fragments per category (Dutch and English, with typos and abbreviations people use). */
const POSITIVE: Record<Category, Frag[]> = {
  bsn: [
    () => `BSN ${L('bsn', formatBsn(bsnRaw(true)))} doorgegeven voor de aanvraag.`,
    () => `${who()} gaf haar bsn: ${L('bsn', formatBsn(bsnRaw(true)))}.`,
    () => `burgerservicenummer ${L('bsn', formatBsn(bsnRaw(true)))} staat op het formulier`,
    () => `sofinr ${L('bsn', formatBsn(bsnRaw(true)))} (ivm loonadministratie)`,
    () => `Citizen service number ${L('bsn', formatBsn(bsnRaw(true)))} received by phone.`,
    () => `nummer ${L('bsn', formatBsn(bsnRaw(true)))} genoteerd voor de zorgaanvraag`,
    () => `${who()} stuurde kopie met ${L('bsn', formatBsn(bsnRaw(true)))} erop`,
  ],
  iban: [
    () => `Terugbetaling naar ${L('iban', formatIban(randomIban()))}.`,
    () => `IBAN ${L('iban', formatIban(randomIban()))} gewijzigd op verzoek van ${pick(FIRST)}.`,
    () => `Rekeningnummer: ${L('iban', formatIban(randomIban()))}`,
    () => `Please refund to ${L('iban', formatIban(randomIban()))} asap.`,
    () => `Bank account changed to ${L('iban', formatIban(randomIban()))}.`,
    () => `incasso via ${L('iban', formatIban(randomIban()))} tnv ${pick(FIRST)} ${pick(LAST)}`,
  ],
  email: [
    () => `Privé mail: ${L('email', email())}.`,
    () => `Stuur de offerte naar ${L('email', email())} graag.`,
    () => `Contact via ${L('email', email())} (niet het algemene adres).`,
    () => `Reply to ${L('email', email())}, not the shared inbox.`,
    () => `${pick(FIRST)} (${L('email', email())}) belde terug.`,
  ],
  phone: [
    () => `Bel ${who().toLowerCase()} op ${L('phone', phone())}.`,
    () => `tel ${L('phone', phone())}`,
    () => `Mobiel nummer gewijzigd naar ${L('phone', phone())}.`,
    () => `Call back on ${L('phone', phone())} after 3pm.`,
    () => `Direct line: ${L('phone', phone())}.`,
    () => `terugbellen op ${L('phone', phone())}, na 17u liever niet`,
  ],
  date_of_birth: [
    () => `${who()} is geboren op ${L('date_of_birth', dateOfBirth(false))}.`,
    () => `geb. ${L('date_of_birth', dateOfBirth(false))}`,
    () => `Geboortedatum: ${L('date_of_birth', dateOfBirth(false))}.`,
    () => `geboren ${L('date_of_birth', dateOfBirth(false))} te ${pick(['Utrecht', 'Paramaribo', 'Rabat', 'Leiden'])}`,
    () => `DOB ${L('date_of_birth', dateOfBirth(true))}.`,
    () => `Date of birth: ${L('date_of_birth', dateOfBirth(true))}.`,
    () => `${whoEn()} was born on ${L('date_of_birth', dateOfBirth(true))}.`,
    () => `verjaardag ${L('date_of_birth', dateOfBirth(false))}, kaartje sturen`,
  ],
  id_document: [
    () => `Paspoortnummer ${L('id_document', docNumber('passport'))} gecontroleerd.`,
    () => `Kopie paspoort ontvangen, nr ${L('id_document', docNumber('passport'))}.`,
    () => `rijbewijsnummer ${L('id_document', docNumber('licence'))}`,
    () => `Rijbewijs: ${L('id_document', docNumber('licence'))} (geldig tot ${int(2026, 2034)})`,
    () => `ID-kaart ${L('id_document', docNumber('idcard'))} gezien bij de balie.`,
    () => `Passport number ${L('id_document', docNumber('passport'))} verified.`,
    () => `Driving licence no. ${L('id_document', docNumber('licence'))} on file.`,
    () => `identiteitsbewijs ${L('id_document', docNumber('idcard'))} gekopieerd`,
  ],
  ip_address: [
    () => `Inlogpoging vanaf ${L('ip_address', ipv4())} geblokkeerd.`,
    () => `Klant werkt vanaf vast IP ${L('ip_address', ipv4())}, whitelisten.`,
    () => `Login from ${L('ip_address', ipv4())} flagged by security.`,
    () => `IPv6 ${L('ip_address', ipv6())} toegevoegd aan de allowlist.`,
    () => `Suspicious access from ${L('ip_address', ipv6())}.`,
  ],
  license_plate: [
    () => `Leaseauto met kenteken ${L('license_plate', plate())} ingeleverd.`,
    () => `kenteken ${L('license_plate', plate())} doorgegeven voor de parkeervergunning`,
    () => `Kenteken: ${L('license_plate', plate())}.`,
    () => `Auto (kenteken ${L('license_plate', plate())}) staat op het terrein.`,
    () => `Licence plate ${L('license_plate', plate())} registered for the car park.`,
    () => `Registration number ${L('license_plate', plate())} added to the lease.`,
  ],
  health: [
    () => `${who()} zit in de ${L('health', 'ziektewet')} ivm ${L('health', pick(['burn-out', 'burnout', 'een burn out', 'overspannenheid', 'rugklachten', 'een hernia']))}.`,
    () => `${who()} is ${L('health', pick(['ziek', 'ziekgemeld', 'ziek gemeld']))}, terugbellen volgende week.`,
    () => `${who()} heeft ${L('health', pick(['diabetes', 'suikerziekte', 'diabetis', 'astma', 'reuma', 'migraine', 'epilepsie', 'parkinson', 'MS'.replace('MS', 'multiple sclerose')]))}, rekening mee houden bij afspraken.`,
    () => `${who()} is ${L('health', pick(['zwanger', 'zwanger van de tweede', 'hoogzwanger']))}, verlof vanaf ${pick(MONTHS_NL)}.`,
    () => `Partner van klant heeft ${L('health', pick(['kanker', 'borstkanker', 'longkanker', 'een tumor']))}, daarom minder bereikbaar.`,
    () => `${who()} ligt ${L('health', 'in het ziekenhuis')} na ${L('health', pick(['een hartaanval', 'een beroerte', 'een operatie']))}.`,
    () => `${who()} is ${L('health', pick(['depressief', 'depresief', 'overspannen', 'burn-out']))}, voorzichtig benaderen.`,
    () => `${who()} gebruikt ${L('health', pick(['antidepressiva', 'medicatie', 'insuline']))} volgens de collega.`,
    () => `Herstelt van ${L('health', pick(['een knieoperatie', 'chemo', 'de chemokuur', 'corona', 'long covid']))}, pas in ${pick(MONTHS_NL)} weer aan het werk.`,
    () => `${who()} loopt bij ${L('health', pick(['een psycholoog', 'de psychiater', 'de fysiotherapeut']))}.`,
    () => `${whoEn()} is ${L('health', pick(['off sick', 'on sick leave', 'pregnant', 'in hospital']))} until ${pick(MONTHS_EN)}.`,
    () => `${whoEn()} was ${L('health', 'diagnosed')} with ${L('health', pick(['cancer', 'diabetes', 'depression', 'ADHD', 'dementia']))} last year.`,
    () => `${whoEn()} mentioned his ${L('health', pick(['depression', 'heart condition', 'back pain', 'anxiety attacks']))}, be gentle.`,
    () => `${whoEn()} ${L('health', pick(['suffers from', 'is suffering from']))} ${L('health', pick(['migraine', 'asthma', 'chronic pain', 'arthritis']))}.`,
    () => `${whoEn()} uses a ${L('health', 'wheelchair')}, book the ground floor.`,
    () => `ivm ${L('health', pick(['zwangerschapsverlof', 'ziekteverlof', 'bevallingsverlof']))} afwezig tot ${pick(MONTHS_NL)}`,
  ],
  religion: [
    () => `${who()} is ${L('religion', pick(['moslim', 'islamitisch', 'katholiek', 'joods', 'hindoe', 'gereformeerd', 'christelijk']))}, geen afspraken op ${pick(['vrijdagmiddag', 'zaterdag', 'zondag'])}.`,
    () => `${who()} ${L('religion', pick(['gaat elke zondag naar de kerk', 'gaat vrijdags naar de moskee', 'gaat op zaterdag naar de synagoge']))}.`,
    () => `${who()} ${L('religion', pick(['vast tijdens de ramadan', 'viert het suikerfeest']))}, lunch verzetten.`,
    () => `${whoEn()} is ${L('religion', pick(['a devout Catholic', 'Muslim', 'Jewish', 'a practising Hindu', 'Buddhist', 'an evangelical Christian']))}.`,
    () => `${whoEn()} ${L('religion', pick(['observes the sabbath', 'goes to church every Sunday', 'attends the mosque on Fridays']))}, no calls then.`,
    () => `${who()} is ${L('religion', 'gelovig')} en ${L('religion', 'bidt')} tijdens de lunch.`,
    () => `Vanwege ${L('religion', pick(['zijn geloof', 'haar geloof']))} geen alcohol bij het diner.`,
  ],
  political_opinion: [
    () => `${who()} ${L('political_opinion', pick(['stemt op de PVV', 'stemt PVV', 'stemde op GroenLinks', 'is lid van de VVD', 'is lid van de SP', 'stemt op D66', 'is aanhanger van FvD', 'stemt BBB']))}, begon daarover.`,
    () => `${who()} is ${L('political_opinion', pick(['PVV-stemmer', 'VVD\'er', 'CDA-lid', 'D66\'er']))} en maakt daar geen geheim van.`,
    () => `${who()} is ${L('political_opinion', pick(['extreemrechts', 'extreem-links', 'politiek actief', 'klimaatactivist']))}, let op bij events.`,
    () => `${whoEn()} ${L('political_opinion', pick(['voted Labour', 'is a Tory voter', 'is a member of the Green Party', 'votes Republican'.replace('Republican', 'for the Republicans')]))} and ranted about taxes.`,
    () => `${whoEn()} has strong ${L('political_opinion', pick(['left-wing views', 'right-wing views', 'political views']))}.`,
    () => `Politieke voorkeur: ${L('political_opinion', 'PVV')} (zei klant zelf).`.replace(`Politieke voorkeur: ${L('political_opinion', 'PVV')}`, `${L('political_opinion', 'Politieke voorkeur')}: PVV`),
  ],
  ethnicity: [
    () => `${who()} is ${L('ethnicity', pick(['van Marokkaanse afkomst', 'van Turkse komaf', 'van Surinaamse afkomst', 'van Antilliaanse afkomst']))}, spreekt liever ${pick(['Engels', 'Nederlands'])}.`,
    () => `${who()} heeft een ${L('ethnicity', 'migratieachtergrond')}, brief in eenvoudig Nederlands.`,
    () => `${who()} is ${L('ethnicity', pick(['allochtoon', 'getint']))} (opmerking collega, niet relevant).`,
    () => `${who()} komt ${L('ethnicity', pick(['oorspronkelijk uit Marokko', 'oorspronkelijk uit Suriname', 'oorspronkelijk uit Turkije']))}.`,
    () => `${whoEn()} is ${L('ethnicity', pick(['of Turkish descent', 'of Nigerian origin', 'of Moroccan heritage', 'of Pakistani descent']))}.`,
    () => `${whoEn()} mentioned their ${L('ethnicity', 'ethnic background')} during the call.`,
  ],
  sexual_orientation: [
    () => `${who()} is ${L('sexual_orientation', pick(['homo', 'homoseksueel', 'lesbisch', 'biseksueel']))}, ${pick(['woont samen met partner', 'komt met partner naar het event'])}.`,
    () => `${who()} is ${L('sexual_orientation', 'uit de kast')} gekomen vorig jaar.`,
    () => `${whoEn()} is ${L('sexual_orientation', pick(['gay', 'lesbian', 'bisexual']))}, mentioned it on the call.`,
    () => `${whoEn()} ${L('sexual_orientation', `came out as ${pick(['gay', 'bi', 'lesbian'])}`)} last year.`,
    () => `He will bring ${L('sexual_orientation', 'his husband')} to the dinner.`,
  ],
  criminal_record: [
    () => `${who()} heeft een ${L('criminal_record', 'strafblad')} ivm ${pick([L('criminal_record', 'diefstal'), 'fraude', 'geweld', L('criminal_record', 'huiselijk geweld')])}.`,
    () => `${who()} heeft ${L('criminal_record', pick(['in de gevangenis gezeten', 'vastgezeten', 'een taakstraf gehad']))}.`.replace('vastgezeten', 'in de cel gezeten'),
    () => `${who()} is ${L('criminal_record', pick(['veroordeeld', 'veroordeeld voor fraude', 'gearresteerd']))} vorig jaar.`,
    () => `${who()} draagt een ${L('criminal_record', 'enkelband')}.`,
    () => `${whoEn()} was ${L('criminal_record', pick(['convicted', 'arrested', 'jailed']))} for ${pick(['fraud', L('criminal_record', 'theft'), L('criminal_record', 'assault'), L('criminal_record', 'drunk driving')])} in ${int(2010, 2023)}.`,
    () => `${whoEn()} has a ${L('criminal_record', 'criminal record')}, finance flagged it.`,
    () => `${whoEn()} ${L('criminal_record', pick(['served time', 'is on parole', 'is on probation']))}.`,
  ],
  trade_union: [
    () => `${who()} is ${L('trade_union', pick(['lid van de FNV', 'lid van de vakbond', 'lid van CNV', 'aangesloten bij de FNV']))} en wil steun bij het conflict.`,
    () => `${who()} is ${L('trade_union', pick(['vakbondslid', 'kaderlid', 'vakbondsman']))}.`,
    () => `${who()} wordt ${L('trade_union', 'bijgestaan door de vakbond')}.`,
    () => `${who()} stapt naar ${L('trade_union', pick(['haar vakbond', 'zijn vakbond']))} als het niet opgelost wordt.`,
    () => `${whoEn()} is a ${L('trade_union', pick(['union member', 'union rep', 'shop steward']))}.`,
    () => `${whoEn()} is ${L('trade_union', pick(['a member of Unite', 'a member of the union', 'represented by the union']))}.`,
  ],
  biometric_genetic: [
    () => `${who()} liet een ${L('biometric_genetic', pick(['DNA-test', 'DNA test', 'genetisch onderzoek']))} doen en deelde de uitslag.`,
    () => `${who()} heeft een ${L('biometric_genetic', 'erfelijke')} aanleg (${L('biometric_genetic', 'BRCA1')}).`,
    () => `${L('biometric_genetic', 'Vingerafdruk')} van ${who().toLowerCase()} opgeslagen bij de toegangscheck.`,
    () => `${whoEn()} shared ${pick(['his', 'her'])} ${L('biometric_genetic', pick(['genetic test', 'DNA test', 'genetic']))} results.`,
    () => `${pick(['His', 'Her'])} ${L('biometric_genetic', pick(['fingerprints', 'iris scan']))} were stored by the previous vendor.`,
  ],
  subjective_opinion: [
    () => `${L('subjective_opinion', pick(['Lastige klant', 'Vervelende vrouw', 'Arrogante vent', 'Moeilijk mens', 'Irritante man', 'Onbeschofte klant']))}, ${pick(['zeurt over elke factuur', 'altijd klagen', 'niet meer terugbellen'])}.`,
    () => `${L('subjective_opinion', pick(['Hij is erg onbeschoft', 'Ze is echt vervelend', 'Meneer is een zeikerd', 'Mevrouw is nogal hysterisch', 'Klant is een querulant', 'Hij is een betweter']))} aan de telefoon.`,
    () => `${L('subjective_opinion', pick(['Zeurpiet', 'Zuurpruim', 'Eikel', 'Idioot']))}, ${pick(['niet serieus nemen', 'laat hem maar wachten'])}.`,
    () => `${L('subjective_opinion', pick(['Rude customer', 'Difficult client', 'Annoying guy', 'Pushy woman']))}, ${pick(['shouted at support', 'complains about everything', 'ignore his emails'])}.`,
    () => `${L('subjective_opinion', pick(['She was really annoying', 'He is extremely rude', 'The customer is a pain in the neck', 'He is a complete idiot']))} on the call.`,
    () => `${L('subjective_opinion', pick(['Typical nutcase', 'Total moron', 'What a jerk']))}, ${pick(['ignore', 'do not escalate'])}.`,
  ],
};

/** Hard negatives: wording that looks like a category but is not about a person. */
const HARD_NEGATIVE: Frag[] = [
  // insurer / health product
  () => `${pick(['Zilveren Kruis', 'CZ', 'Menzis', 'VGZ'])} verkoopt een nieuw pakket met dekking voor ${pick(['fysiotherapie', 'diabeteszorg', 'GGZ', 'zwangerschapscursussen'])}.`,
  () => `Insurer launched a health plan with ${pick(['cancer cover', 'mental health cover', 'physiotherapy cover'])} for SMEs; brochure sent.`,
  () => `Offerte voor de zorgverzekering van ${int(10, 200)} medewerkers, incl. ${pick(['fysiotherapie', 'tandarts', 'alternatieve geneeswijzen'])}.`,
  () => `Webinar over verzuim en burn-out preventie voor HR-managers gepland.`,
  () => `Our product helps hospitals run ${pick(['diabetes', 'oncology', 'cardiology'])} clinics; demo booked.`,
  () => `${pick(['Ziekenhuis Rijnstate', 'Het Antoni van Leeuwenhoek', 'UMC Utrecht'])} bestelt ${int(10, 90)} laptops.`,
  () => `Levering van rolstoelen aan de thuiszorgorganisatie ingepland.`,
  // church as a building, religious organisations as customers
  () => `Offerte voor de renovatie van de kerk in ${pick(['Ede', 'Kampen', 'Zwolle'])} verstuurd.`,
  () => `Church roof repair project: quote sent to the parish council.`,
  () => `${pick(['Katholieke Universiteit Leuven', 'Christelijke Hogeschool Ede', 'Islamitische Stichting Nederland', 'Protestantse Kerk Nederland'])} bestelt ${int(20, 300)} licenties.`,
  () => `Levering stoelen aan de moskee in ${pick(['Amsterdam-West', 'Rotterdam-Zuid'])} op dinsdag.`,
  () => `Nieuwe verlichting voor de synagoge, installatie in week ${int(1, 52)}.`,
  () => `Ik geloof dat de klant tevreden is met de oplevering.`,
  // trade union / party as the customer organisation
  () => `${pick(['FNV', 'CNV Vakmensen', 'De Unie', 'FNV Bondgenoten'])} heeft ${int(5, 80)} licenties besteld voor het regiokantoor.`,
  () => `Offerte aan ${pick(['CNV', 'de FNV', 'de vakbond'])} verstuurd voor drukwerk.`,
  () => `Trade union headquarters need new laptops; quote sent.`,
  () => `De ${pick(['VVD', 'PvdA', 'CDA'])}-fractie bestelt ${int(3, 20)} laptops.`,
  () => `The battery pack is rated at ${int(6, 48)} volt.`,
  () => `Ik denk dat de klant volgende week tekent.`,
  // identifiers that are not personal
  () => `Ordernummer ${bsnRaw(false)} is verzonden.`,
  () => `Factuurnummer ${bsnRaw(false)} staat open.`,
  () => `Artikelnummer ${bsnRaw(true)} is uitverkocht.`,
  () => `KvK ${int(1, 9)}${digits(7)} en BTW NL${digits(9)}B01 gecontroleerd.`,
  () => `Postcode ${int(1000, 9999)} ${letters(2)}, huisnummer ${int(1, 300)}.`,
  () => `Update naar versie ${int(1, 12)}.${int(0, 9)}.${int(0, 30)}.${int(0, 200)} uitgerold.`,
  () => `Firmware ${int(1, 3)}.${int(0, 9)}.${int(0, 9)}.${int(0, 99)} installed on the gateway.`,
  () => `Serienummer ${letters(2)}${digits(8)} geregistreerd.`,
  () => `Random reference ${bsnRaw(false)} from the old system.`,
  () => `IBAN ${corruptIban(randomIban())} klopt niet, klant gevraagd opnieuw te sturen.`,
  () => `Tracking ${digits(10)} via DHL.`,
  () => `Bedrag € ${int(1, 9)}.${digits(3)}.${digits(3)},00 gefactureerd.`,
  () => `Logo aangeleverd als ${pick(['logo', 'icon', 'banner'])}@${int(2, 3)}x.${pick(['png', 'jpg', 'svg'])}, huisstijl akkoord.`,
  () => `Retina assets exported as header@2x.png and header@3x.png.`,
  // biometrics / genetics as products or metaphors
  () => `Offerte voor ${int(2, 40)} vingerafdrukscanners voor de toegangscontrole.`,
  () => `Customer wants the fingerprint login feature in the app.`,
  () => `Innovatie zit in het DNA van het bedrijf.`,
  () => `Order for the facial recognition module for the gate.`,
  () => `Demo of the genetic algorithm optimiser for route planning.`,
  // crime words about customers/projects
  () => `Levering van matrassen aan de gevangenis in ${pick(['Vught', 'Zwolle', 'Lelystad'])} ingepland.`,
  () => `Prison catering tender: quote sent on Monday.`,
  () => `Klant is advocaat strafrecht en wil een demo van het dossiersysteem.`,
  () => `VOG aangevraagd voor de nieuwe medewerker.`,
  // orientation/ethnicity words about events and markets
  () => `Sponsoring van Gay Pride Amsterdam besproken met marketing.`,
  () => `LGBT network of the customer wants a workshop on inclusive hiring.`,
  () => `De samenstelling van het team is homogeen.`,
  () => `Turkse leverancier levert de onderdelen in week ${int(1, 52)}.`,
  () => `Order for the Moroccan market shipped via Rotterdam.`,
  () => `We sell to Asian and African distributors.`,
  // judgement words about things, not people
  () => `Lastige migratie, planning uitgelopen.`,
  () => `Aggressive pricing from the competitor, need a counter-offer.`,
  () => `Agressieve deadline voor de oplevering.`,
  () => `Hij is lastig bereikbaar, beter mailen.`,
  () => `She was difficult to reach this week.`,
  () => `The integration is difficult to test.`,
  () => `Afspraak bij de Dom in Utrecht.`,
  // context words without values, dates without context
  () => `Paspoort verloopt in ${int(2026, 2032)}, klant stuurt nieuwe kopie.`,
  () => `Kenteken nog onbekend, leaseauto komt in ${pick(MONTHS_NL)}.`,
  () => `Contract start ${int(2024, 2026)}-0${int(1, 9)}-1${int(0, 9)}.`,
];

// ---------------------------------------------------------------------------------------- build
const LABEL_RE = /\[\[([a-z_]+)\|([^\]]*)\]\]/g;

function render(parts: string[]): { text: string; labels: Label[] } {
  let text = '';
  const labels: Label[] = [];
  for (const part of parts) {
    if (text.length > 0) text += pick([' ', ' ', ' ', '\n', ' - ', '. ']).replace('. ', text.endsWith('.') ? ' ' : '. ');
    let last = 0;
    LABEL_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = LABEL_RE.exec(part)) !== null) {
      text += part.slice(last, m.index);
      labels.push({ category: m[1] as Category, start: text.length, end: text.length + m[2]!.length });
      text += m[2];
      last = m.index + m[0].length;
    }
    text += part.slice(last);
  }
  return { text, labels };
}

/** Lower-case a note's first letter now and then, as people type. */
function casual(s: string): string {
  return chance(0.15) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
}

export function generate(seed: number, count: number): Note[] {
  rand = mulberry32(seed);
  const categories = Object.keys(POSITIVE) as Category[];
  const notes: Note[] = [];
  for (let i = 0; i < count; i++) {
    const hard = i % 4 === 3; // a quarter are hard negatives
    const english = chance(0.35);
    const filler = english ? FILLER_EN : FILLER_NL;
    const parts: string[] = [];
    if (hard) {
      const n = int(1, 3);
      for (let k = 0; k < n; k++) parts.push(pick(HARD_NEGATIVE)());
      if (chance(0.6)) parts.splice(int(0, parts.length), 0, pick(filler)());
    } else {
      const n = int(1, 2) + (chance(0.2) ? 1 : 0);
      // Cycle categories so every one is well represented, then add a random second one.
      parts.push(pick(POSITIVE[categories[i % categories.length]!]!)());
      for (let k = 1; k < n; k++) parts.push(pick(POSITIVE[pick(categories)]!)());
      const fillers = int(0, 2);
      for (let k = 0; k < fillers; k++) parts.splice(int(0, parts.length), 0, pick(filler)());
      if (chance(0.15)) parts.splice(int(0, parts.length), 0, pick(HARD_NEGATIVE)());
    }
    const { text, labels } = render(parts.map(casual));
    notes.push({ id: `note-${String(i + 1).padStart(4, '0')}`, text, labels, ...(hard ? { hardNegative: true } : {}) });
  }
  return notes;
}

function main(): void {
  const args = process.argv.slice(2);
  const arg = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
  };
  const seed = Number(arg('--seed', '20261125'));
  const count = Number(arg('--count', '1200'));
  const out = resolve(arg('--out', 'test/fixtures/notes/corpus.jsonl'));
  const notes = generate(seed, count);
  writeFileSync(out, notes.map((n) => JSON.stringify(n)).join('\n') + '\n');
  const labels = notes.reduce((s, n) => s + n.labels.length, 0);
  console.log(`wrote ${notes.length} notes (${notes.filter((n) => n.hardNegative).length} hard negatives, ${labels} labels) to ${out}`);
}

if (require.main === module) main();
