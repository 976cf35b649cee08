import { describe, expect, it } from 'vitest';
import { isKnownUnit } from '../../../core/index.js';
import { sniffDelimiter } from '../src/csv-reader.js';
import { fixWindows1252, sniffEncoding } from '../src/encoding.js';
import { isHashtagRow, matchesHxl, parseHxlPattern, parseHxlTag } from '../src/hxl.js';
import { globToRegExp } from '../src/sources.js';
import {
  formulaLead,
  movementType,
  normalizeKey,
  parseDate,
  parseDateTime,
  parseNumber,
  unitCode,
} from '../src/values.js';

describe('numbers as partners write them', () => {
  it.each([
    ['12,5', 12.5],
    ['12.5', 12.5],
    ['1 234,50', 1234.5],
    ['1\u00a0234,50', 1234.5],
    ['1\u202f234', 1234],
    ['1.234,50', 1234.5],
    ['1,234.50', 1234.5],
    ['1.234.567', 1234567],
    ['-7,5', -7.5],
    ['+3', 3],
    [' 42 ', 42],
  ])('%j → %d', (text, n) => expect(parseNumber(text, 'auto', ';')).toBe(n));

  it('reads 1,234 as thousands only in a comma-delimited file', () => {
    expect(parseNumber('1,234', 'auto', ',')).toBe(1234);
    expect(parseNumber('1,234', 'auto', ';')).toBe(1.234);
    expect(parseNumber('12,5', 'auto', ',')).toBe(12.5);
  });

  it('follows a configured decimal separator', () => {
    expect(parseNumber('1.234', ',', ';')).toBe(1234);
    expect(parseNumber('1,234', '.', ';')).toBe(1234);
  });

  it.each(['', 'abc', '12,5x', '5,2,1', '1.2.3,4,5', '--3', '12 kg'])('refuses %j', (text) =>
    expect(parseNumber(text)).toBeUndefined(),
  );

  it('takes a formula cell by its cached result', () => {
    expect(parseNumber({ formula: '12*20', result: 240 })).toBe(240);
  });
});

describe('dates', () => {
  it('reads day-first, ISO and Excel dates as wall-clock time at the offset', () => {
    expect(parseDateTime('06/01/2025', '+01:00')).toBe('2025-01-06T00:00:00+01:00');
    expect(parseDateTime('06/01/2025 14:05', '+01:00')).toBe('2025-01-06T14:05:00+01:00');
    expect(parseDateTime('6-1-25', '+01:00')).toBe('2025-01-06T00:00:00+01:00');
    expect(parseDateTime('2025-01-06T09:15:00Z', '+01:00')).toBe('2025-01-06T09:15:00Z');
    expect(parseDateTime('2025-01-06 09:15:00.123456', '+01:00')).toBe('2025-01-06T09:15:00.123456+01:00');
    expect(parseDateTime('01/06/2025', '+01:00', 'mdy')).toBe('2025-01-06T00:00:00+01:00');
    expect(parseDateTime(new Date(Date.UTC(2025, 1, 3, 9, 30)), '+01:00')).toBe('2025-02-03T09:30:00+01:00');
    expect(parseDateTime(45_694, '+01:00')).toBe('2025-02-06T00:00:00+01:00');
  });

  it('refuses impossible dates', () => {
    for (const bad of ['31/02/2025', '2025-13-01', '00/01/2025', 'janvier', '06/01/2025 25:00']) {
      expect(parseDateTime(bad, '+01:00'), bad).toBeUndefined();
    }
  });

  it('reads an expiry month as its last day', () => {
    expect(parseDate('03/2026')).toBe('2026-03-31');
    expect(parseDate('2024-02')).toBe('2024-02-29');
    expect(parseDate('30/06/2025')).toBe('2025-06-30');
    expect(parseDate('13/2026')).toBeUndefined();
  });
});

describe('vocabularies', () => {
  it('reads movement types in French, English and Arabic', () => {
    expect(movementType('Réception')).toBe('receipt');
    expect(movementType('SORTIE')).toBe('dispatch');
    expect(movementType('Transfert sortant')).toBe('transfer-out');
    expect(movementType('Don reçu')).toBe('donation-in');
    expect(movementType('Péremption')).toBe('expiry-write-off');
    expect(movementType('expiry-write-off')).toBe('expiry-write-off');
    expect(movementType('توزيع')).toBe('dispatch');
    expect(movementType('Téléportation')).toBeUndefined();
  });

  it('maps unit words to Rec 20 codes and keeps known codes', () => {
    expect(unitCode('kg', isKnownUnit)).toBe('KGM');
    expect(unitCode('Litres', isKnownUnit)).toBe('LTR');
    expect(unitCode('sachet', isKnownUnit)).toBe('XPA');
    expect(unitCode('unité', isKnownUnit)).toBe('EA');
    expect(unitCode('XBX', isKnownUnit)).toBe('XBX');
    expect(unitCode('xbo', isKnownUnit)).toBe('XBO');
    expect(unitCode('boisseau', isKnownUnit)).toBe('boisseau');
  });

  it('normalises headers', () => {
    expect(normalizeKey(' Quantité (kg) ')).toBe('quantite kg');
    expect(normalizeKey('N° de lot')).toBe('n de lot');
    expect(normalizeKey('code_entrepot')).toBe(normalizeKey('Code entrepôt'));
  });
});

describe('formula-looking text', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', '='],
    ['+212600000000', '+'],
    ['-2+3', '-'],
    ['@SUM(A1)', '@'],
    ['\tx', 'a tab'],
    ['  =1+1', '='],
  ])('%j starts with %s', (text, lead) => expect(formulaLead(text)).toBe(lead));

  it.each(['-', 'riz', 'a=b', 'souss-massa-wh1'])('%j is plain text', (text) =>
    expect(formulaLead(text)).toBeUndefined(),
  );
});

describe('HXL', () => {
  it('parses hashtags and matches patterns with + and - attributes', () => {
    const tag = parseHxlTag('#item +name +i_FR');
    expect(tag?.text).toBe('#item+name+i_fr');
    const fr = parseHxlPattern('#item+name+i_fr');
    const notAr = parseHxlPattern('#item+name-i_ar');
    expect(fr && tag && matchesHxl(fr, tag)).toBe(true);
    expect(notAr && tag && matchesHxl(notAr, tag)).toBe(true);
    const ar = parseHxlTag('#item+name+i_ar');
    expect(notAr && ar && matchesHxl(notAr, ar)).toBe(false);
    expect(parseHxlTag('Quantité')).toBeUndefined();
  });

  it('finds a hashtag row: every non-empty cell a hashtag', () => {
    expect(isHashtagRow(['#adm1+name', '', '#value'])).toBe(true);
    expect(isHashtagRow(['#adm1+name', 'Région'])).toBe(false);
    expect(isHashtagRow(['', ''])).toBe(false);
  });
});

describe('encodings and delimiters', () => {
  it('detects the BOM, UTF-8 and Latin-1', () => {
    expect(sniffEncoding(Buffer.from('\uFEFFa;b', 'utf8'), 'auto', true)).toEqual({
      encoding: 'utf-8',
      bom: true,
      fellBack: false,
    });
    expect(sniffEncoding(Buffer.from('Quantité', 'utf8'), 'auto', true).encoding).toBe('utf-8');
    expect(sniffEncoding(Buffer.from('Quantité', 'latin1'), 'auto', true)).toEqual({
      encoding: 'windows-1252',
      bom: false,
      fellBack: true,
    });
    // A sample that ends inside a multi-byte character is still UTF-8.
    expect(sniffEncoding(Buffer.from('abc é', 'utf8').subarray(0, 5), 'auto', false).encoding).toBe('utf-8');
  });

  it('reads Windows-1252 characters that ISO-8859-1 lacks', () => {
    expect(fixWindows1252(Buffer.from([0x80, 0x20, 0x9c, 0x75, 0x76, 0x92]).toString('latin1'))).toBe('€ œuv’');
  });

  it('picks the delimiter that splits lines regularly, title lines and decimal commas aside', () => {
    expect(sniffDelimiter('Rapport, janvier;;;\nDate;Qté;Unité;Motif\n06/01;12,5;kg;a, b\n07/01;3,2;kg;c\n')).toBe(';');
    expect(sniffDelimiter('a,b,c\n1,"2;3",4\n')).toBe(',');
    expect(sniffDelimiter('a\tb\tc\n1\t2,5\t3\n')).toBe('\t');
  });

  it('matches globs on names relative to the folder', () => {
    const re = globToRegExp('*.{csv,xlsx}');
    expect(re.test('Stock.CSV')).toBe(true);
    expect(re.test('sub/stock.csv')).toBe(false);
    expect(globToRegExp('**/*.csv').test('2025/01/stock.csv')).toBe(true);
    expect(globToRegExp('**/*.csv').test('stock.csv')).toBe(true);
  });
});
