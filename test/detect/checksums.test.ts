import { isValidBsn, isValidIban } from '../../src/detect';

describe('isValidBsn (elfproef, weights 9..2 and -1)', () => {
  it.each(['123456782', '111222333', '999999990', '1234.56.782', '123.456.782', '123 456 782', '1234 56 782', '12345672'])(
    'accepts %s',
    (s) => expect(isValidBsn(s)).toBe(true),
  );

  it.each([
    ['123456789', 'checksum fails'],
    ['111222334', 'last digit off by one'],
    ['000000000', 'sum is zero'],
    ['12345678', 'eight digits that fail with a leading zero'],
    ['1234567821', 'ten digits'],
    ['1234-56-782', 'dashes are not a BSN form'],
    ['12345678a', 'letters'],
    ['', 'empty'],
  ])('rejects %s (%s)', (s) => expect(isValidBsn(s)).toBe(false));
});

describe('isValidIban (mod-97, any country)', () => {
  it.each([
    'NL91ABNA0417164300',
    'NL91 ABNA 0417 1643 00',
    'nl91 abna 0417 1643 00',
    'DE89 3704 0044 0532 0130 00',
    'GB82 WEST 1234 5698 7654 32',
    'BE68 5390 0754 7034',
    'FR14 2004 1010 0505 0001 3M02 606',
    'NO9386011117947',
  ])('accepts %s', (s) => expect(isValidIban(s)).toBe(true));

  it.each([
    ['NL91ABNA0417164301', 'check digits fail'],
    ['NL91ABNA041716430', 'one character short for NL'],
    ['DE89370400440532013001', 'check digits fail'],
    ['XX00', 'too short'],
    ['NL91-ABNA-0417-1643-00', 'dashes'],
  ])('rejects %s (%s)', (s) => expect(isValidIban(s)).toBe(false));
});
