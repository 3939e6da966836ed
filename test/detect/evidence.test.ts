import { detect, redactEvidence, type Detection } from '../../src/detect';

function evidenceFor(text: string): string[] {
  return detect(text).map((d) => redactEvidence(d, text));
}

describe('redactEvidence', () => {
  it('shows only the last three digits of a BSN, in the dotted shape', () => {
    expect(evidenceFor('BSN 1234.56.782')).toEqual(['BSN ****.**.782']);
    expect(evidenceFor('bsn 123456782')).toEqual(['BSN ****.**.782']);
    expect(evidenceFor('bsn 123 456 782')).toEqual(['BSN *** *** 782']);
  });

  it('shows the country and the last two digits of an IBAN', () => {
    expect(evidenceFor('IBAN NL91 ABNA 0417 1643 00')).toEqual(['IBAN NL** **** **** **** 00']);
    expect(evidenceFor('iban de89370400440532013000')).toEqual(['IBAN DE** **** **** **** **** 00']);
  });

  it('never contains the value of other categories', () => {
    const text =
      'Mail jan@voorbeeld.nl, tel 06-12345678, geboren 12-03-1980, paspoort NW1234567, kenteken 12-ABC-3, ip 10.1.2.3, zit in de ziektewet.';
    const evidence = evidenceFor(text);
    expect(evidence).toHaveLength(7);
    for (const e of evidence) {
      for (const secret of ['jan', 'voorbeeld', '12345678', '1980', 'NW1234567', 'ABC', '10.1.2.3', 'ziektewet']) expect(e).not.toContain(secret);
    }
    expect(evidence).toContain('health: 1 term');
  });

  it('describes a special-category detection by category only', () => {
    const d: Detection = { category: 'religion', start: 9, end: 15 };
    expect(redactEvidence(d, 'Klant is moslim')).toBe('religion: 1 term');
  });
});
