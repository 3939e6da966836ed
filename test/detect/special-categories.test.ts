import { detect, type DetectorCategory } from '../../src/detect';

function categories(text: string): DetectorCategory[] {
  return detect(text).map((d) => d.category);
}

/** Positive cases: the text holds the category; negative: it must not be found there. */
const CASES: Record<string, { yes: string[]; no: string[] }> = {
  health: {
    yes: [
      'Klant belde, zit in de ziektewet ivm burn-out.',
      'Mevrouw is momenteel ziek thuis, terugbellen volgende week.',
      'Hij heeft diabetes type 2 en wil daarom geen avondafspraken.',
      'dhr heeft suikerziekte, let op bij lunch',
      'Ze is zwanger van de tweede, verlof vanaf maart.',
      'Contactpersoon herstelt van een knieoperatie.',
      'Partner heeft borstkanker, klant is daarom minder bereikbaar',
      'klant is depresief en overspannen (typo in notitie)',
      'He is off sick with a back problem until Friday.',
      'She was diagnosed with breast cancer last year.',
      'Customer mentioned his depression, be gentle on the phone.',
      'Contact is pregnant, maternity leave from June.',
      'Client had a heart attack in May, recovering now.',
      'klant gebruikt antidepressiva volgens collega',
      'Sits in a wheelchair, book the ground floor room.',
      'Hij is in behandeling bij de psycholoog.',
    ],
    no: [
      'Zilveren Kruis verkoopt een nieuw pakket met dekking voor fysiotherapie en diabeteszorg.',
      'Insurer launched a health plan with cancer cover for SMEs; sent brochure.',
      'Offerte gestuurd voor de zorgverzekering van 40 medewerkers, incl. fysiotherapie.',
      'Ziekenhuis Rijnstate bestelt 40 laptops.',
      'Levering van rolstoelen aan de thuiszorgorganisatie ingepland.',
      'Our product helps hospitals manage diabetes clinics; demo booked.',
      'Webinar over verzuim en burn-out preventie voor HR-managers.',
    ],
  },
  religion: {
    yes: [
      'Klant is moslim, geen afspraken op vrijdagmiddag.',
      'Mevrouw is katholiek en gaat elke zondag naar de kerk.',
      'He is a devout catholic.',
      'She observes the sabbath, no calls on Saturday.',
      'meneer vast tijdens de ramadan, lunchafspraak verzetten',
      'Hij is joods en eet koosjer eten.',
      'Customer is Jewish, avoid scheduling on Yom Kippur.',
      'Zij is gelovig en bidt vijf keer per dag.',
    ],
    no: [
      'Offerte voor de renovatie van de kerk in Ede verstuurd.',
      'Church roof repair project: quote sent to the parish council.',
      'Katholieke Universiteit Leuven bestelt 200 licenties.',
      'Christelijke Hogeschool Ede wil een demo.',
      'Levering stoelen aan de moskee in Amsterdam-West op dinsdag.',
      'Ik geloof dat de klant tevreden is.',
    ],
  },
  political_opinion: {
    yes: [
      'Klant stemt op de PVV en begon daarover tijdens het gesprek.',
      'Hij is lid van de VVD en actief in de gemeenteraad.',
      'Contact voted Labour and complained about the tax plans.',
      'Meneer is een fervente PVV-stemmer.',
      'She has strong left-wing views.',
      'Klant is extreemrechts, let op bij evenementen.',
      'Hij is D66\'er en wil duurzame opties.',
    ],
    no: [
      'De VVD-fractie bestelt 12 laptops voor het Tweede Kamerteam.',
      'Offerte gestuurd aan de PvdA afdeling Utrecht voor drukwerk.',
      'The battery pack is rated at 12 volt.',
      'Ik denk dat de klant volgende week tekent.',
      'Meeting with the SP team about the SharePoint migration.',
    ],
  },
  ethnicity: {
    yes: [
      'Mevrouw is van Marokkaanse afkomst en spreekt liever Arabisch.',
      'Klant heeft een migratieachtergrond, brief in eenvoudig Nederlands.',
      'He is of Turkish descent.',
      'Contactpersoon is oorspronkelijk uit Suriname.',
      'Customer is of Nigerian origin, prefers email.',
      'Zij heeft een donkere huidskleur (irrelevante opmerking collega).',
    ],
    no: [
      'Turkse leverancier levert de onderdelen in week 12.',
      'Order for the Moroccan market shipped via Rotterdam.',
      'Klant heeft een Duitse vestiging in Keulen.',
      'We sell to Asian and African distributors.',
    ],
  },
  sexual_orientation: {
    yes: [
      'Klant is homo en woont samen met zijn partner.',
      'Mevrouw is lesbisch, vermeldde haar vrouw.',
      'He is gay and mentioned his husband will join.',
      'Contact came out as bisexual last year.',
      'Hij is biseksueel volgens zijn collega.',
      'Meneer is vorig jaar uit de kast gekomen.',
    ],
    no: [
      'Sponsoring van Gay Pride Amsterdam besproken met marketing.',
      'LGBT network of the customer wants a workshop.',
      'De samenstelling is homogeen.',
      'Offerte voor het LHBTI-netwerk van de gemeente.',
    ],
  },
  criminal_record: {
    yes: [
      'Klant heeft een strafblad wegens fraude.',
      'Meneer heeft twee jaar in de gevangenis gezeten.',
      'Contact was convicted of theft in 2019.',
      'He served time for drunk driving.',
      'Hij draagt een enkelband en mag niet reizen.',
      'Klant is veroordeeld voor witwassen.',
      'Customer has a criminal record, finance flagged it.',
      'Zijn VOG geweigerd vanwege verleden.',
    ],
    no: [
      'Levering van matrassen aan de gevangenis in Vught ingepland.',
      'Prison catering tender: quote sent on Monday.',
      'Klant is advocaat strafrecht en wil een demo van ons dossiersysteem.',
      'VOG aangevraagd voor nieuwe medewerker.',
    ],
  },
  trade_union: {
    yes: [
      'Klant is lid van de FNV en wil ondersteuning bij het conflict.',
      'Hij is vakbondslid en kaderlid bij CNV.',
      'He is a union member and shop steward.',
      'Medewerker wordt bijgestaan door de vakbond.',
      'Contact is a member of Unite.',
      'Zij stapt naar haar vakbond als het niet opgelost wordt.',
    ],
    no: [
      'FNV heeft 20 licenties besteld voor het regiokantoor.',
      'Offerte aan CNV Vakmensen verstuurd.',
      'Trade union headquarters need new laptops; quote sent.',
      'De vakbond is onze grootste klant in de non-profit.',
    ],
  },
  biometric_genetic: {
    yes: [
      'Klant liet een DNA-test doen en deelde de uitslag.',
      'Mevrouw heeft een erfelijke aanleg voor borstkanker (BRCA1).',
      'Vingerafdruk van meneer opgeslagen bij toegangscheck.',
      'He shared his genetic test results with the account manager.',
      'Her fingerprints were taken at the office.',
    ],
    no: [
      'Offerte voor 20 vingerafdrukscanners voor de toegangscontrole.',
      'Customer wants the fingerprint login feature in the app.',
      'Innovatie zit in het DNA van het bedrijf.',
      'Order for the facial recognition module for the gate.',
      'Demo genetic algorithm optimiser for the logistics planning.',
    ],
  },
  subjective_opinion: {
    yes: [
      'Lastige klant, zeurt over elke factuur.',
      'Hij is erg onbeschoft aan de telefoon.',
      'Meneer is een zeikerd, niet meer terugbellen.',
      'Rude customer, shouted at the support agent.',
      'She was really annoying on the call.',
      'Typical nutcase, ignore his emails.',
      'Vervelende vrouw, altijd klagen.',
      'De klant is een querulant.',
    ],
    no: [
      'Lastige migratie, planning uitgelopen.',
      'Aggressive pricing from the competitor.',
      'The integration is difficult to test.',
      'Agressieve deadline voor de oplevering.',
      'Hij is lastig bereikbaar, beter mailen.',
      'She was difficult to reach this week.',
      'Afspraak bij de Dom in Utrecht.',
    ],
  },
};

describe.each(Object.entries(CASES))('%s', (category, { yes, no }) => {
  it.each(yes)('finds it in %j', (text) => expect(categories(text)).toContain(category));
  it.each(no)('does not find it in %j', (text) => expect(categories(text)).not.toContain(category));
});

describe('special-category spans', () => {
  it('covers the wording, not the whole note', () => {
    const text = 'Klant belde, zit in de ziektewet ivm burn-out, verder geen bijzonderheden.';
    const spans = detect(text).map((d) => text.slice(d.start, d.end));
    expect(spans).toEqual(['ziektewet', 'burn-out']);
  });
});
