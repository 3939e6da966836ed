/**
 * Special categories (GDPR Art. 9), criminal data (Art. 10) and subjective judgements, from Dutch and
 * English wording. Terms are regex sources with their inflections, abbreviations and common typos; all
 * terms are compiled into ONE case-insensitive regex so a text is scanned once. The few matches are then
 * checked by a category guard against the usual false alarms (an insurer selling a health product, a
 * church as a building, a union or party as the customer organisation, a fingerprint scanner as a product).
 */
import type { DetectorCategory } from './types';

/** 'context': the term is a context word; the detection is the value after it (see structured.ts). */
export type Guard = 'none' | 'product' | 'org' | 'device' | 'project' | 'context' | 'mark-product' | 'mark-person';

export interface Term {
  /** null for a marker: a word the guards look for, not a finding. */
  category: DetectorCategory | null;
  /** Regex source without capturing groups; word boundaries are added around it. */
  src: string;
  guard: Guard;
}

const W = '[a-zà-ÿ]*'; // any inflection or compound tail
const SP = String.raw`[\s-]+`;
/** Intensifiers that may sit between a copula and an adjective. */
const INT = String.raw`(?:(?:erg|heel|zeer|echt|super|behoorlijk|nogal|best|wat|een\s+beetje|beetje|extreem|ontzettend|enorm|ronduit|gewoon|zo|very|really|extremely|quite|so|a\s+bit|bit|pretty|rather|incredibly|totally|being|a|an|een|such\s+a|zo'?n)\s+){0,3}`;

const t = (category: DetectorCategory, guard: Guard, ...srcs: string[]): Term[] =>
  srcs.map((src) => ({ category, src, guard }));

// ------------------------------------------------------------------------------------------- health
const HEALTH: Term[] = [
  ...t(
    'health',
    'product',
    // sickness and leave
    String.raw`ziektewet|ziek(?:e|er)?|ziekgemeld|ziek\s+gemeld|ziekmelding${W}|ziekteverlof|ziekteverzuim|ziek\s+thuis|arbeidsongeschikt${W}|wia-?uitkering|wao-?uitkering|sick\s+leave|off\s+sick|on\s+sick\s+leave|sick\s+note|signed\s+off\s+sick|called\s+in\s+sick|belde\s+zich\s+ziek|meldde\s+zich\s+ziek`,
    // mental health
    String.raw`burn-?out${W}|burnt?\s+out|overspannen${W}|overspannenheid|depressi${W}|depresie${W}|depresief${W}|depressed|angststoorni${W}|paniekaanval${W}|panic\s+attacks?|anxiety\s+(?:disorder|attacks?)|bipola${W}|schizofren${W}|schizophren${W}|psychose|psychoses|psychosis|psychotisch${W}|psychotic|ptss|ptsd|eetstoorni${W}|anorexia|boulimia|bulimia|adhd|autis${W}|autist${W}|suïcid${W}|suicid${W}|zelfmoord${W}|self-?harm|ggz-?behandeling|in\s+therapie|in\s+therapy|psycholoog|psychiater|psychiatrist|therapeut|therapist|mental\s+health\s+(?:issues|problems|condition)|psychische\s+(?:klachten|problemen)`,
    // chronic and serious conditions
    String.raw`diabet${W}|diabeet|diabetici|suikerziekte|suikerpati[eë]nt${W}|(?:borst|long|darm|huid|prostaat|bot|alvleesklier|baarmoederhals|eierstok)?kanker|cancer|tumou?r${W}|chemo${W}|bestraling${W}|radiotherap${W}|oncolo${W}|leuk(?:a)?emi${W}|lymfoom|lymphoma|hernia|artrose|arthritis|reuma${W}|astma${W}|asthma${W}|epilep${W}|migraine${W}|multiple\s+scleros${W}|parkinson${W}|alzheimer${W}|dementi${W}|demente|hartaanval|hartinfarct|heart\s+attack|hartpati[eë]nt${W}|hartproblemen|heart\s+(?:condition|problems|disease)|herseninfarct|beroerte|had\s+a\s+stroke|hiv|hiv-positief|aids-pati[eë]nt|long\s+covid|covid(?:-19)?|corona-?besmet${W}|besmet\s+met\s+corona|positief\s+getest|tested\s+positive|chronisch\s+ziek|chronic(?:ally)?\s+ill${W}|chronic\s+(?:pain|illness|fatigue)|rugklachten|rugpijn|back\s+(?:pain|problems)|whiplash|fibromyalg${W}|crohn${W}|copd|nierdialyse|dialyse|dialysis|transplantat${W}|long\s+ziek`,
    // complaints, injuries, impairments, treatments
    String.raw`angstaanval${W}|angstig${W}|hoofdpijn${W}|migraineaanval${W}|pijnklachten|hartkloppingen|hoge\s+bloeddruk|allergie${W}|allergisch${W}|allergic|allerg(?:y|ies)|eczeem|psoriasis|hersenschudding|concussion|gebroken\s+(?:been|arm|enkel|pols|heup|rib${W}|teen|voet)|(?:been|arm|enkel|pols|heup)\s+gebroken|broke\s+(?:his|her|a|their)\s+(?:leg|arm|ankle|wrist|hip|back)|broken\s+(?:leg|arm|ankle|wrist|hip)|dyslex${W}|dyslecti${W}|ivf${W}|vruchtbaarheidsbehandeling${W}|fertility\s+treatment${W}|re-?integr${W}|reïntegr${W}|bedrijfsarts|arbo-?arts|occupational\s+health|(?:heeft|has)\s+ms(?!\s+(?:office|teams|word|excel|365|access|dynamics|project|sql|outlook))|ms-pati[eë]nt${W}|(?:lichamelijke|verstandelijke|visuele|auditieve|fysieke)\s+beperking|(?<=(?:heeft|met)\s+een\s+)beperking|scootmobiel${W}|mobility\s+scooter|gehoorapparat${W}|hearing\s+aids?|blindengeleidehond|guide\s+dog|(?:na|ivm|wegens|door|vanwege|due\s+to)\s+(?:langdurige\s+|long-term\s+)?(?:ziekte|illness)|langdurig\s+ziek|long-term\s+sick`,
    // pregnancy, surgery, hospital, care, disability, addiction
    String.raw`(?:hoog)?zwanger${W}|pregnan${W}|(?:na|van)\s+een\s+operatie|operatie\s+(?:gehad|ondergaan)|moet\s+geopereerd\s+worden|(?:herstel(?:t|lende|len)?|aan\s+het\s+herstellen|recovering|recovers)\s+(?:van|from)\s+(?:(?:een|de|het|zijn|haar|a|an|the|his|her)\s+)?[a-zà-ÿ]+(?:-[a-zà-ÿ]+)?|miskraam|miscarriage|bevallingsverlof|zwangerschapsverlof|maternity\s+leave|geopereerd|(?:knie|heup|rug|hart|oog|schouder)operatie|operatie\s+aan|surgery|operated\s+on|opgenomen\s+in\s+het\s+ziekenhuis|ligt\s+in\s+het\s+ziekenhuis|lag\s+in\s+het\s+ziekenhuis|in\s+(?:the\s+)?hospital|hospitali[sz]ed|admitted\s+to\s+hospital|revalid${W}|rehab|afkick${W}|verslaaf${W}|verslaving${W}|alcoholis${W}|alcoholic|drugsverslaaf${W}|addict${W}|medicatie|medicijnen|medication|antidepressiva|antidepressants?|insuline|insulin|gehandicapt${W}|handicap|disabled|disability|rolstoel${W}|wheelchair|slechtziend${W}|slechthorend${W}|doof|dove|deaf|blind${W}|diagnose|gediagnosticeerd|diagnosed|diagnosis|fysiotherap${W}|physiotherap${W}|behandeling\s+(?:voor|tegen)|treatment\s+for|suffers\s+from|suffering\s+from|lijdt\s+aan|leed\s+aan|kampt\s+met`,
  ),
];

// ----------------------------------------------------------------------------------------- religion
const RELIGION: Term[] = [
  ...t(
    'religion',
    'org',
    String.raw`moslim${W}|moslima${W}|muslim${W}|islamiet${W}|islamitisch${W}|islamic|islam|katholiek${W}|katholieke|rooms-katholiek${W}|catholic${W}|protestant${W}|protestants|christen${W}|christelijk${W}|christian${W}|gereformeerd${W}|hervormd${W}|evangelisch${W}|evangelical${W}|pinkstergemeente|jood|joden|joods${W}|jewish|jew|hindoe${W}|hindoeïst${W}|hindu${W}|boeddhist${W}|boeddhisme|buddhis${W}|sikh${W}|jehova${W}|jehovah${W}|mormo${W}|atheïst${W}|atheist${W}|agnost${W}|orthodox${W}|religie${W}|religieus${W}|religieuze|religion${W}|religious|gelovig${W}|devout|believer|bekeerd\s+tot|converted\s+to|keppel${W}|kippah|kipa|yarmulke|tulband|turban|hidjab|hijab|niqab|boerka|burqa|jehova's\s+getuige|jehovah's\s+witness`,
  ),
  ...t(
    'religion',
    'none',
    String.raw`(?:gaat|ga|gaan|ging|gingen|komt|kwam)\s+(?:\w+\s+){0,3}naar\s+(?:de|het)\s+(?:kerk|moskee|synagoge|tempel|mis|gebedsdienst)|(?:goes|went|go|going)\s+to\s+(?:church|mosque|synagogue|temple|mass)|attends?\s+(?:the\s+)?(?:church|mosque|synagogue|temple|mass)|kerkgang${W}|kerkganger${W}|churchgoer${W}|(?:vast|vasten|viert|vieren)\s+(?:\w+\s+){0,3}(?:de\s+)?(?:ramadan|suikerfeest|offerfeest|pesach|jom\s+kipoer|divali|diwali)|(?:observes|observing|fasting\s+(?:for|during))\s+(?:the\s+)?(?:ramadan|sabbath|shabbat|passover|lent)|draagt\s+een\s+hoofddoek|wears\s+a\s+headscarf|(?:zijn|haar|his|her)\s+(?:geloof|faith)|(?<=het\s)geloof|bidt|bidden|prays|praying|gebedstijd${W}|prayer\s+times?|sabbat${W}|sabbath|shabbat|koosjer\s+eten|eats\s+kosher|keeps\s+kosher`,
  ),
];

// -------------------------------------------------------------------------------- political opinion
const PARTIES =
  String.raw`(?:vvd|pvv|pvda|cda|d66|d'66|groenlinks|gl-pvda|groenlinks-pvda|sp|fvd|forum\s+voor\s+democratie|christenunie|cu|sgp|pvdd|partij\s+voor\s+de\s+dieren|volt|ja21|denk|bbb|boerburgerbeweging|boer-burgerbeweging|nsc|nieuw\s+sociaal\s+contract|50plus|labour|tories|tory|conservatives|conservative\s+party|lib\s*dems?|liberal\s+democrats|reform\s+uk|ukip|green\s+party|democrats|republicans|democratic\s+party|republican\s+party|gop|maga|afd|spd|cdu|n-va|vlaams\s+belang)`;
const POLITICAL: Term[] = [
  ...t(
    'political_opinion',
    'none',
    String.raw`(?:stemt|stemde|stemden|stemmen|stem|gestemd|kiest|koos|voted?|votes|voting|lid\s+van|lid\s+bij|member\s+of|aanhanger\s+van|supporter\s+of|fan\s+van|sympathisant\s+van|campaigns?\s+for|campagne\s+voor|actief\s+(?:bij|voor|in)|active\s+in|supports)\s+(?:(?:altijd|nog\s+steeds|steeds|ook|al\s+jaren|vroeger|trouw|always|still|also|loyally)\s+)?(?:op\s+|voor\s+|for\s+)?(?:de\s+|het\s+|the\s+)?${PARTIES}`,
    String.raw`(?:fan|aanhanger|supporter|bewonderaar|volger|admirer)s?\s+(?:van|of)\s+(?:wilders|trump|baudet|yeşilgöz|yesilgoz|timmermans|omtzigt|farage|corbyn|le\s+pen|orb[aá]n|erdo[gğ]an|putin|poetin)|(?:wilders|trump|baudet|farage|corbyn|erdogan|poetin|putin)-?(?:aanhanger|fan|supporter|stemmer|voter|adept|lover)${W}|brexiteer${W}|remainer${W}|brexit-?(?:aanhanger|supporter|voter)${W}|(?:gemeenteraad|raadslid|raadsleden|wethouder|kamerlid|statenlid|fractievoorzitter|councill?or|candidate|kandidaat|lijsttrekker)\s+(?:\w+\s+){0,2}(?:voor|namens|for|on\s+behalf\s+of)\s+(?:de\s+|het\s+|the\s+)?${PARTIES}`,
    String.raw`(?:vvd|pvv|pvda|cda|d66|groenlinks|sp|fvd|christenunie|sgp|pvdd|volt|ja21|denk|bbb|nsc|labour|tory|ukip|maga)(?:-?stemmer${W}|-?lid|-?aanhanger${W}|-?kiezer${W}|'?er|'?ers|[\s-]?voters?|[\s-]?supporters?|[\s-]?members?)`,
    String.raw`politieke\s+(?:voorkeur${W}|overtuiging${W}|kleur|opvatting${W}|ideeën|standpunt${W}|sympathie${W})|politiek\s+(?:actief|links|rechts|geëngageerd)|political\s+(?:views?|opinions?|affiliation|leanings?|beliefs?|preferences?)|politically\s+(?:active|left|right)|extreem-?rechts|extreem-?links|ultra-?rechts|radicaal-?rechts|radicaal-?links|far[\s-]right|far[\s-]left|alt-right|right[\s-]wing${W}|left[\s-]wing${W}|rechts\s+georiënteerd|links\s+georiënteerd|communist${W}|socialist\s+(?:ideeën|views)|fascist${W}|nationalist${W}|populist${W}|anarchist${W}|marxist${W}|klimaatactivist${W}|climate\s+activist|activist\s+(?:bij|voor|for)|demonstreert|demonstreerde|demonstratie\s+tegen|protest\s+march|protested\s+against|extinction\s+rebellion|boerenprotest${W}`,
  ),
];

// ---------------------------------------------------------------------------------------- ethnicity
const ORIGINS =
  String.raw`(?:marokkaan|marokkaans|turks|turkse|surinaams|surinaamse|antilliaans|antilliaanse|kaapverdisch${W}|ghanees|ghanese|somalisch${W}|syrisch${W}|eritrees${W}|afghaans${W}|irakees${W}|iraans${W}|koerdisch${W}|molukks${W}|indonesisch${W}|indisch${W}|chinees|chinese|aziatisch${W}|afrikaans${W}|arabisch${W}|pools|poolse|roemeens${W}|bulgaars${W}|nigeriaans${W}|pakistaans${W}|hindostaans${W}|creools${W}|joods${W}|moroccan|turkish|surinamese|antillean|somali|syrian|eritrean|afghan|iraqi|iranian|kurdish|indonesian|asian|african|arab|arabic|polish|romanian|nigerian|pakistani|indian|jamaican|caribbean|hispanic|latino|latina|mexican|irish|jewish|roma)`;
const ETHNICITY: Term[] = [
  ...t(
    'ethnicity',
    'none',
    String.raw`${ORIGINS}e?\s+(?:afkomst|komaf|achtergrond|origine|roots|afstamming|descent|origin|heritage|background|ethnicity|extraction)`,
    String.raw`(?:hij|zij|ze|klant|meneer|mevrouw|mevr\.?|dhr\.?|contactpersoon|he|she|customer|client|contact)\s+is\s+(?:(?:a|een|half)\s+)?(?:black|asian|hispanic|latino|latina|arab|marokkaan${W}|turk|turks|turkse|surinamer|surinaams${W}|antilliaan${W}|somali[eë]r|koerd|roma|mixed[\s-]race|biracial|person\s+of\s+colou?r|getint)(?![\s-]*(?:label|list|paper|board|box|market|markt|company|bedrijf|leverancier|supplier|bank))`,
    String.raw`allochto${W}|autochto${W}|person\s+of\s+colou?r|people\s+of\s+colou?r|bame|migratieachtergrond|migrantenachtergrond|niet-westers${W}|etnisch${W}|etniciteit|ethnic${W}|ethnicity|huidskleur|skin\s+colou?r|donkere\s+huid${W}|getint${W}|zwarte\s+(?:man|vrouw|jongen|meid)|black\s+(?:man|woman|guy|lady)|roma|sinti|zigeuner${W}|gypsy|gipsy|woonwagenbewoner${W}|(?:heeft|has)\s+(?:marokkaanse|turkse|surinaamse|antilliaanse|moroccan|turkish|surinamese)\s+roots|(?:oorspronkelijk|originally)\s+(?:uit|from)\s+(?:marokko|turkije|suriname|de\s+antillen|curaçao|somalië|syrië|eritrea|afghanistan|irak|iran|ghana|nigeria|pakistan|morocco|turkey|somalia|syria|iraq|jamaica)`,
  ),
];

// ------------------------------------------------------------------------------- sexual orientation
const SEXUAL: Term[] = [
  ...t(
    'sexual_orientation',
    'org',
    String.raw`homo|homo's|homos|homoseksu${W}|homosexu${W}|homofiel${W}|gay|gays|lesbisch${W}|lesbienne${W}|lesbian${W}|lesbo|biseksu${W}|bisexu${W}|bi-seksu${W}|panseksu${W}|pansexu${W}|aseksu${W}|asexu${W}|heteroseksu${W}|heterosexu${W}|queer|lhbti${W}|lhbtiq${W}|lgbt${W}|lgbtq${W}|coming-?out|uit\s+de\s+kast|came\s+out\s+as|out\s+as\s+gay|seksuele\s+geaardheid|seksuele\s+voorkeur|geaardheid|sexual\s+orientation|sexuality|seksualiteit|zijn\s+(?:echtgenoot|vriendje)|his\s+(?:husband|boyfriend)|haar\s+echtgenote|her\s+(?:wife|girlfriend)|transgender${W}|transseksu${W}|transsexu${W}|non-?binai?r${W}|non-?binary|genderqueer|interseks${W}|intersex`,
    String.raw`(?:hij|meneer|dhr\.?|he)\s+is\s+(?:getrouwd|samen|samenwonend)\s+met\s+een\s+man|(?:zij|ze|mevrouw|mevr\.?|she)\s+is\s+(?:getrouwd|samen|samenwonend)\s+met\s+een\s+vrouw|he(?:'s|\s+is)\s+married\s+to\s+a\s+man|she(?:'s|\s+is)\s+married\s+to\s+a\s+woman`,
  ),
];

// ---------------------------------------------------------------------------------- criminal record
const CRIMINAL: Term[] = [
  ...t(
    'criminal_record',
    'project',
    String.raw`strafblad${W}|criminal\s+record${W}|criminal\s+past|justitieel\s+verleden|justitiële\s+documentatie|strafrechtelijk${W}|veroordeeld${W}|veroordeling${W}|convicted|conviction${W}|gevangenis${W}|gevangen\s+gezet|gevangenisstraf|prison|jail${W}|jailed|gaol|imprisoned|incarcerated|gedetineerd${W}|gedetineerde${W}|ex-?gedetineerde${W}|detentie|in\s+de\s+bak|in\s+de\s+cel|zit\s+vast|zat\s+vast|heeft\s+(?:\w+\s+){0,2}gezeten|served\s+time|celstraf${W}|taakstraf${W}|werkstraf${W}|community\s+service|enkelband|ankle\s+(?:monitor|tag)|reclassering|probation|on\s+parole|parole|voorwaardelijk\s+vrij|gearresteerd|opgepakt\s+(?:door|voor)|aangehouden\s+(?:door\s+de\s+politie|voor|wegens)|arrested|verdachte\s+in|verdacht\s+van|suspected\s+of|charged\s+with|aangeklaagd|vervolgd\s+(?:voor|wegens)|prosecuted|crimineel|criminele|criminal(?!\s+(?:law|lawyer|justice))|ex-?con|ex-?convict|felon${W}|felony|misdrijf|misdrijven|drugsdealer${W}|drug\s+dealer${W}|dealt\s+drugs|dealt\s+in\s+drugs|witwassen|money\s+laundering|fraudeur${W}|veroordeeld\s+voor\s+fraude|rijontzegging|driving\s+ban|rijden\s+onder\s+invloed|drunk\s+driving|drink-?driving|vog\s+(?:geweigerd|afgewezen)|geen\s+vog\s+(?:gekregen|ontvangen)|huiselijk\s+geweld|domestic\s+violence|vastgezeten|vastgezet|drugshandel|drugssmokkel|drug\s+trafficking|contactverbod|gebiedsverbod|straatverbod|restraining\s+order|huisarrest|house\s+arrest|tbs-?kliniek|tbs\s+opgelegd|voorarrest|on\s+remand|verhoord\s+door\s+de\s+politie|police\s+caution|cautioned\s+by\s+(?:the\s+)?police|mishandeling|assault|diefstal|theft|inbraak\s+gepleegd|shoplifting|winkeldiefstal`,
  ),
];

// ------------------------------------------------------------------------------------- trade union
const UNIONS = String.raw`(?:vakbond${W}|vakvereniging|fnv${W}|cnv${W}|vcp|avv|de\s+unie|abvakabo|nvj|ac\s+puma|ncf|nu'?91|unite|unison|gmb|rmt|ucu|nasuwt|neu|teamsters|afl-cio|seiu|the\s+union|a\s+union|trade\s+union|labou?r\s+union|ver\.?di|ig\s+metall|acv|abvv|aclvb)`;
const TRADE_UNION: Term[] = [
  ...t(
    'trade_union',
    'none',
    String.raw`vakbondslid${W}|vakbondsleden|vakbondsman|vakbondsvrouw|vakbondsactivist${W}|vakbondsbestuurder|vakbondsvertegenwoordiger|vakbondsconsulent|kaderlid|kaderleden|union\s+members?|union\s+membership|union\s+rep${W}|union\s+representative|shop\s+steward|trade\s+unionist|unionised|unionized|(?:fnv|cnv|vcp|unite|unison|gmb)-?(?:lid|leden|member)`,
    String.raw`(?:lid|member|leden|lidmaatschap|membership|aangesloten|zit|zat|actief|active|joined|werd\s+lid|gaat\s+naar|stapt\s+naar|stapte\s+naar|dreigt\s+met|via|bijgestaan\s+door|represented\s+by|belongs\s+to|belonged\s+to)\s+(?:(?:\w+|ook|also)\s+){0,2}(?:van|of|bij|in|to|naar|met)?\s*(?:de\s+|het\s+|the\s+|a\s+|zijn\s+|haar\s+|his\s+|her\s+)?${UNIONS}`,
    String.raw`(?:zijn|haar|his|her|hun|their)\s+(?:vakbond${W}|union)`,
  ),
];

// ------------------------------------------------------------------------------ biometric / genetic
const BIOMETRIC: Term[] = [
  ...t(
    'biometric_genetic',
    'device',
    String.raw`vingerafdruk${W}|fingerprints?|irisscan${W}|iris\s+scan${W}|retinascan${W}|retina\s+scan${W}|gezichtsscan${W}|face\s+scan${W}|facial\s+(?:scan|geometry|template)s?|gezichtsherkenning${W}|facial\s+recognition|biometri${W}|stemafdruk${W}|voiceprint${W}|voice\s+print|handpalmscan${W}|palm\s+scan${W}|dna-?(?:test|onderzoek|profiel|analyse|sample|monster|match|afname|uitslag|databank)${W}|dna\s+(?:test|onderzoek|profiel|analyse|samples?|match|results?|testing|profile)${W}|genetisch${W}|genetic${W}|genetics|erfelijk${W}|hereditary|gendefect${W}|genmutatie${W}|gene\s+mutation${W}|brca\d?|genoom${W}|genome\s+sequencing|23andme|ancestry\s+dna|vaderschapstest${W}|paternity\s+test${W}`,
  ),
];

// ------------------------------------------------------------------------------ subjective opinion
const ADJ = String.raw`(?:lastig${W}|vervelend${W}|agressie?f|agressieve|onbeschoft${W}|brutaal|brutale|arrogant${W}|dom|domme|dommer|lui|luie|irritant${W}|onaangena${W}|onsympathiek${W}|onbetrouwbaar|onbetrouwbare|achterbaks${W}|gierig${W}|krenterig${W}|hysterisch${W}|opdringerig${W}|zeurderig${W}|chagrijnig${W}|onvriendelijk${W}|kortaf|raar|rare|vreemd${W}|dik|dikke|lelijk${W}|gestoord${W}|gek|gekke|wereldvreemd${W}|naïef|naief|naïeve|traag|trage|sloom|slome|incompetent${W}|onredelijk${W}|ongeduldig${W}|onmogelijk${W}|moeilijk${W}|rude|annoying|difficult|aggressive|arrogant|stupid|dumb|lazy|obnoxious|unpleasant|hysterical|pushy|stingy|cheap|untrustworthy|dishonest|shady|creepy|grumpy|nasty|irritating|useless|incompetent|clueless|fat|ugly|weird|crazy|unreliable|condescending|whiny|moody|slow|dense|thick|unbearable|impossible|demanding|rude)`;
const PERSON = String.raw`(?:klant|klanten|klantje|man|vrouw|mevrouw|meneer|heer|dame|vent|kerel|gast|type|persoon|figuur|mens|contactpersoon|beller|oude\s+man|oude\s+vrouw|customer|client|guy|woman|lady|person|bloke|fellow|chap|character|contact|individual|dude|caller|old\s+man|old\s+woman|gentleman|heerschap)`;
const SUBJECTIVE: Term[] = [
  ...t(
    'subjective_opinion',
    'none',
    // insults and labels that judge the person whatever the context
    String.raw`zeikerd${W}|zeur|zeurpiet${W}|zeurkous${W}|klootzak${W}|eikel${W}|idioot|idioten|debiel${W}|sukkel${W}|zuurpruim${W}|querulant${W}|betweter${W}|kutwijf|trut${W}|halve\s+gare|lastpak${W}|drammer${W}|dramkont${W}|dramaqueen|drama\s+queen|etterbak${W}|aso|asociaal|asociale|randdebiel${W}|mafkees|malloot|gladjakker${W}|oplichter${W}|leugenaar${W}|zwamneus|klager|zeurder${W}|idiot${W}|moron${W}|jerk${W}|asshole${W}|arsehole${W}|nutcase${W}|nutjob${W}|troublemaker${W}|lunatic${W}|psycho|whiner${W}|crackpot${W}|creep|sleazeball|loser${W}|liar|scumbag${W}|pain\s+in\s+the\s+(?:neck|ass|arse|butt)|(?<=\ba\s)nightmare|ramp\s+van\s+een\s+${PERSON}|moeilijk\s+mens|wappie${W}|complotdenker${W}|conspiracy\s+nut`,
    // adjective + person: "een lastige klant", "rude customer"
    String.raw`${ADJ}\s+(?:(?:oud|oude|jonge?|old|young|little)\s+)?${PERSON}(?!\s*(?:portaal|portal|service|segment|base|journey|success|support|data|nummer|number|ervaring|experience))`,
    // person + copula + adjective: "hij is erg onbeschoft", "she was really rude"
    String.raw`(?:hij|zij|ze|meneer|mevrouw|mevr\.?|dhr\.?|klant|contactpersoon|he|she|customer|client|guy|(?<=(?:die|deze)\s)(?:man|vrouw))\s+(?:is|was|bleek|lijkt|leek|blijft|bleef|klonk|reageerde|deed|doet|'s|is\s+being|was\s+being|seems|seemed|sounded|sounds|acted|behaved|remains|stays|werd|became|gets|got)\s+${INT}${ADJ}(?!\s+(?:te|to|om|bereikbaar|bereiken|reach|find|get|contact|plan|schedule|verstaan|hear|understand))`,
  ),
];

// ------------------------------------------------- context words for date of birth, ID document, plate
const CONTEXT: Term[] = [
  ...t(
    'date_of_birth',
    'context',
    String.raw`geboren|geb\.?|geboortedatum|geboortedag|geb(?:oorte)?\.?\s?datum|gebdat|geboorte|d\.?o\.?b\.?|born|birth\s?date|birthdate|date\s+of\s+birth|birthday|verjaardag`,
  ),
  ...t(
    'id_document',
    'context',
    String.raw`paspoort${W}|pasport${W}|passport${W}|rijbewijs${W}|id-?kaart${W}|identiteitskaart${W}|identiteitsbewijs${W}|id-?bewijs|legitimatie${W}|id[\s-]card|identity\s+card|national\s+id|driving\s+licen[cs]e|driver'?s\s+licen[cs]e|drivers\s+licen[cs]e|licen[cs]e\s+(?:no|number)|verblijfsvergunning${W}|verblijfsdocument${W}|residence\s+permit|vreemdelingendocument${W}|documentnummer|documentnr|document\s+number`,
  ),
  ...t(
    'license_plate',
    'context',
    String.raw`kenteken${W}|nummerplaat${W}|nummerbord${W}|licen[cs]e\s+plate|number\s+plate|numberplate|registration(?:\s+(?:number|no|plate))?|reg\.?\s*(?:no|nr|number)|plate`,
  ),
];

// ----------------------------------------------------------------------------- markers for the guards
/**
 * Markers are found in the same scan as the terms (listed last, so a term starting at the same word
 * wins) and only tell the guards what the sentence is about.
 */
const MARKERS: Term[] = [
  // A product, offer, project or market: "pakket met dekking voor fysiotherapie" is not about a person.
  { category: null, guard: 'mark-product', src: String.raw`verzeker${W}|polis${W}|pakket${W}|dekking${W}|premie${W}|product${W}|aanbod|aanbieding${W}|offerte${W}|brochure${W}|campagne${W}|module${W}|webinar${W}|lancering|lanceert|lanceren|verkoopt|verkopen|verkoop|app|software|licentie${W}|platform|tool|oplossing|insurance|insurer${W}|policy|policies|coverage|package${W}|products?|offer${W}|quote${W}|campaign${W}|launch${W}|sells|selling|sell|plan|plans|cover|vergoed${W}|zorgverzekeraar${W}|zorgaanbieder${W}|leverancier${W}|levering${W}|bestelling${W}|bestelt|besteld|project${W}|bouw${W}|renovatie${W}|installatie${W}|installeren|aanbesteding${W}|tender${W}|delivery|deliveries|supplier${W}|demo${W}|workshop${W}|training${W}|onderzoeksproject|research\s+project|klantsegment${W}|doelgroep${W}|target\s+group|markt|market${W}|sector|branche|feature${W}|functie|functionaliteit${W}|scanner${W}|lezer${W}|reader${W}|sensor${W}|terminal${W}|hardware|systeem|systemen|system${W}|toegangscontrole|access\s+control|api|integratie${W}|integration${W}|rapport${W}|report${W}|artikel${W}|article${W}|nieuwsbrief${W}|newsletter${W}|sponsor${W}|event${W}|evenement${W}` },
  // A person in the sentence: then a product word does not cancel the finding.
  { category: null, guard: 'mark-person', src: String.raw`hij|zij|ze|hem|zijn\s+(?:vrouw|man|zoon|dochter|partner|kind)|haar|mevrouw|meneer|mevr|dhr|mw|klant\s+(?:is|heeft|had|was|zit|ligt|lijdt)|he|she|him|his|her|mr|mrs|ms|patiënt|patient|medewerker\s+(?:is|heeft)|employee\s+(?:is|has)|customer\s+(?:is|has|was)|client\s+(?:is|has|was)|lijdt|leed|zit\s+in\s+de|ligt\s+in|herstelt|kampt|diagnosed|suffers|suffering|recovering` },
];

export const TERMS: readonly Term[] = [
  ...CONTEXT,
  ...HEALTH,
  ...RELIGION,
  ...POLITICAL,
  ...ETHNICITY,
  ...SEXUAL,
  ...CRIMINAL,
  ...TRADE_UNION,
  ...BIOMETRIC,
  ...SUBJECTIVE,
  ...MARKERS,
];
