/**
 * Note texts as sales and support staff type them (lower case, abbreviations, typos left in). `{bsn}` is
 * replaced by a generated, valid BSN. Each list holds texts that a detector for that category should catch.
 */
export const HARMLESS_NL = [
  'klant gebeld, offerte volgt volgende week',
  'terugbellen di ochtend ivm nieuwe prijslijst',
  'offerte verstuurd, wacht op akkoord inkoop',
  'mail gestuurd met handleiding, vraag opgelost',
  'wil graag demo in januari, agenda checken',
  'factuur 2024-0113 betaald, dossier gesloten',
  'interesse in jaarcontract, collega neemt contact op',
  'adres gewijzigd per 1 maart',
  'was niet bereikbaar, vm ingesproken',
  'vraagt naar levertijd van de nieuwe modellen',
  'tevreden over service, evt referentie',
  'beurs ontmoet op stand 12, stuurt specificaties',
] as const;
export const HARMLESS_EN = [
  'called back, will send quote on monday',
  'left voicemail, no answer',
  'asked for pricing on the enterprise plan',
  'demo booked for next thursday',
  'invoice paid, closing ticket',
  'happy with onboarding, might refer a colleague',
  'wants to renew but needs sign off from finance',
  'met at the trade show, interested in bulk discount',
  'moved offices, updated address',
  'follow up after summer hols',
] as const;
export const BSN_NL = [
  'BSN {bsn} ivm loonadministratie',
  'klant gaf bsn door aan telefoon: {bsn}',
  'bsn nr {bsn} (nodig voor aanvraag volgens klant)',
  'kopie id ontvangen, BSN {bsn}',
  'sofinummer {bsn} genoteerd voor de subsidieaanvraag',
] as const;
export const BSN_EN = [
  'dutch citizen service number (BSN) {bsn} for the payroll form',
  'sent us her BSN {bsn} by email, saved here',
] as const;
export const HEALTH_NL = [
  'klant belde, zit in de ziektewet ivm burn-out',
  'is zwanger, verlof vanaf juni',
  'heeft diabetes, geen lunchafspraak plannen',
  'herstelt van een hernia, later terugbellen',
  'depressief volgens collega, even niet pushen',
  'ligt in het ziekenhuis na hartinfarct',
  'gebruikt antidepressiva, daardoor vergeetachtig',
] as const;
export const HEALTH_EN = [
  'off sick with long covid, call back in a month',
  'recovering from cancer treatment, be gentle',
  'mentioned she has MS, prefers email over calls',
  'on medical leave for depression',
] as const;
export const RELIGION_NL = [
  'is moslim, geen afspraken tijdens ramadan',
  'strenggelovig christen, nooit op zondag bellen',
  'joods, geen afspraken op sabbat',
  'gaat elke vrijdag naar de moskee, na 14u bellen',
] as const;
export const RELIGION_EN = [
  'devout catholic, avoid sunday calls',
  'observes shabbat, no meetings friday afternoon',
  'is a jehovahs witness, no birthday gifts',
] as const;
export const CRIMINAL_NL = [
  'heeft een strafblad',
  'zat vast wegens fraude, pas op met krediet',
  'veroordeeld voor rijden onder invloed, geen leaseauto',
  'heeft taakstraf gehad volgens buurman',
] as const;
export const CRIMINAL_EN = [
  'has a criminal record for theft',
  'was convicted of fraud in 2019, cash only',
  'did time for assault apparently',
] as const;
