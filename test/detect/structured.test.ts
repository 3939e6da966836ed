import { detect, type DetectorCategory } from '../../src/detect';

/** The substrings found for one category. */
function found(text: string, category: DetectorCategory): string[] {
  return detect(text)
    .filter((d) => d.category === category)
    .map((d) => text.slice(d.start, d.end));
}

describe('bsn', () => {
  it.each([
    ['Klant belde, BSN 1234.56.782 doorgegeven.', '1234.56.782'],
    ['bsn: 123456782', '123456782'],
    ['Sofinummer 111 222 333 staat in het dossier', '111 222 333'],
    ['His citizen service number is 123.456.782.', '123.456.782'],
    ['burgerservicenummer 12345672 (oud nummer)', '12345672'],
    ['nummer 999999990 genoteerd', '999999990'],
  ])('finds the BSN in %j', (text, want) => expect(found(text, 'bsn')).toEqual([want]));

  it.each([
    'Ordernummer 123456782 is verzonden',
    'Factuur 111222333 staat open',
    'Random getal 123456789 zonder checksum',
    'KvK 12345678 en BTW NL123456782B01',
    'Bel +31 612 345 678',
    'Postcode 1234 AB, huisnummer 12',
    'Artikel 12345678 besteld',
    'Telefoon 0612345678',
    'Tracking 1234567820',
  ])('finds no BSN in %j', (text) => expect(found(text, 'bsn')).toEqual([]));
});

describe('iban', () => {
  it.each([
    ['Rekening NL91 ABNA 0417 1643 00 voor de terugbetaling', 'NL91 ABNA 0417 1643 00'],
    ['iban: nl91abna0417164300.', 'nl91abna0417164300'],
    ['Pays from DE89 3704 0044 0532 0130 00 monthly', 'DE89 3704 0044 0532 0130 00'],
    ['Belgische rekening BE68 5390 0754 7034 voor de huur', 'BE68 5390 0754 7034'],
  ])('finds the IBAN in %j', (text, want) => expect(found(text, 'iban')).toEqual([want]));

  it.each(['Rekening NL91 ABNA 0417 1643 01', 'BTW NL123456782B01', 'Product code AB12CDEF34567890', 'versie NL20 release'])(
    'finds no IBAN in %j',
    (text) => expect(found(text, 'iban')).toEqual([]),
  );
});

describe('email', () => {
  it.each([
    ['mail naar jan.de.vries@voorbeeld.nl graag', 'jan.de.vries@voorbeeld.nl'],
    ['Contact: a+b@sub.example.co.uk.', 'a+b@sub.example.co.uk'],
  ])('finds the address in %j', (text, want) => expect(found(text, 'email')).toEqual([want]));

  it.each(['@jan op twitter', 'meeting @ 10:00', 'user@localhost zonder domein'])('finds no address in %j', (text) =>
    expect(found(text, 'email')).toEqual([]),
  );
});

describe('phone', () => {
  it.each([
    ['bel 06-12345678 na vijven', '06-12345678'],
    ['tel: 020 123 4567', '020 123 4567'],
    ['mobiel +31 6 12345678', '+31 6 12345678'],
    ['Call him on +44 7700 900123 tomorrow', '+44 7700 900123'],
    ['nummer 0031 20 1234567', '0031 20 1234567'],
    ['UK office 020 7946 0958', '020 7946 0958'],
    ['tel (010) 123 45 67', '(010) 123 45 67'],
  ])('finds the number in %j', (text, want) => expect(found(text, 'phone')).toEqual([want]));

  it.each([
    'Ordernummer 0123456789',
    'Factuurnr. 0612345678',
    'Datum 01-02-2023',
    'KvK 12345678',
    'versie 2.10.3',
    'Postcode 1234 AB',
    'Bedrag 1.234.567,00',
  ])('finds no number in %j', (text) => expect(found(text, 'phone')).toEqual([]));
});

describe('ip_address', () => {
  it.each([
    ['Login vanaf 192.168.1.10 geblokkeerd', '192.168.1.10'],
    ['IPv6 2001:db8:85a3::8a2e:370:7334 gezien', '2001:db8:85a3::8a2e:370:7334'],
    ['from fe80:0:0:0:202:b3ff:fe1e:8329 yesterday', 'fe80:0:0:0:202:b3ff:fe1e:8329'],
  ])('finds the address in %j', (text, want) => expect(found(text, 'ip_address')).toEqual([want]));

  it.each(['versie 1.2.3.4 uitgerold', 'Release v10.0.1.2', '999.1.1.1 is geen adres', 'Afspraak 10:30:00 morgen', 'Bedrag 1.250.000'])(
    'finds no address in %j',
    (text) => expect(found(text, 'ip_address')).toEqual([]),
  );
});

describe('date_of_birth (context-bound)', () => {
  it.each([
    ['Mevrouw is geboren op 12-03-1980 in Utrecht', '12-03-1980'],
    ['geb. 3/4/75', '3/4/75'],
    ['Geboortedatum: 1980-03-12', '1980-03-12'],
    ['DOB 12 March 1980', '12 March 1980'],
    ['born on March 12, 1980 in Leeds', 'March 12, 1980'],
    ['geboren 5 mei 1969', '5 mei 1969'],
    ['date of birth: 01/02/1990', '01/02/1990'],
  ])('finds the date in %j', (text, want) => expect(found(text, 'date_of_birth')).toEqual([want]));

  it.each(['Afspraak op 12-03-2024 bevestigd', 'Contract start 1980-03-12', 'Invoice dated March 12, 2024', 'Geboren in Utrecht, verhuisd in 2010'])(
    'finds no date of birth in %j',
    (text) => expect(found(text, 'date_of_birth')).toEqual([]),
  );
});

describe('id_document (context-bound)', () => {
  it.each([
    ['Paspoortnummer NW1234567 gecontroleerd', 'NW1234567'],
    ['kopie rijbewijs nr. 5123456789 ontvangen', '5123456789'],
    ['ID-kaart: IR12K34L5', 'IR12K34L5'],
    ['passport no. 123456789 checked', '123456789'],
    ['driving licence number 501234567 on file', '501234567'],
  ])('finds the number in %j', (text, want) =>
    expect(found(text, 'id_document')).toEqual([want]),
  );

  it.each(['Paspoort verloopt in 2027', 'Ordernummer NW1234567', 'Klant vroeg naar rijbewijs-eisen voor de lease', 'Version AB1234567'])(
    'finds no document number in %j',
    (text) => expect(found(text, 'id_document')).toEqual([]),
  );
});

describe('license_plate (context-bound)', () => {
  it.each([
    ['Leaseauto met kenteken 12-ABC-3 ingeleverd', '12-ABC-3'],
    ['kenteken: XX-99-99', 'XX-99-99'],
    ['licence plate AB12 CDE seen', 'AB12 CDE'],
    ['nummerplaat 1-ABC-234', '1-ABC-234'],
    ['kenteken gv123x', 'gv123x'],
  ])('finds the plate in %j', (text, want) => expect(found(text, 'license_plate')).toEqual([want]));

  it.each(['Order 12-ABC-3 verzonden', 'Kenteken nog onbekend', 'Part number AB12 CDE', 'Kenteken wordt 2024 bekend'])(
    'finds no plate in %j',
    (text) => expect(found(text, 'license_plate')).toEqual([]),
  );
});

describe('detect', () => {
  it('returns detections sorted by start with JavaScript string offsets, end exclusive', () => {
    const text = 'Één notitie: mail jan@voorbeeld.nl, BSN 123456782.';
    const ds = detect(text);
    expect(ds.map((d) => d.category)).toEqual(['email', 'bsn']);
    expect(text.slice(ds[0]!.start, ds[0]!.end)).toBe('jan@voorbeeld.nl');
    expect(text.slice(ds[1]!.start, ds[1]!.end)).toBe('123456782');
  });

  it('limits detection to the categories asked for', () => {
    const text = 'BSN 123456782, mail jan@voorbeeld.nl, zit in de ziektewet';
    expect(detect(text, { categories: ['bsn'] }).map((d) => d.category)).toEqual(['bsn']);
    expect(detect(text, { categories: ['health', 'email'] }).map((d) => d.category)).toEqual(['email', 'health']);
    expect(detect(text, { categories: [] })).toEqual([]);
  });

  it('returns nothing for an empty text', () => expect(detect('')).toEqual([]));
});
