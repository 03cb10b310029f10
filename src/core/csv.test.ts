import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { csvField, guardFormula, parseCsv, restoreCell, toCsv } from './csv.ts';

test('RFC 4180: commas, quotes and line breaks are quoted; records end in CRLF', () => {
  const csv = toCsv([
    ['pool', 'note'],
    ['nyc', 'a, b'],
    ['nyc', 'say "hi"'],
    ['nyc', 'two\nlines'],
    ['nyc', 'cr\r\nlf'],
  ]);
  assert.equal(
    csv,
    'pool,note\r\nnyc,"a, b"\r\nnyc,"say ""hi"""\r\nnyc,"two\nlines"\r\n' + 'nyc,"cr\r\nlf"\r\n',
  );
});

test('hostile cells are neutralised with a leading apostrophe', () => {
  const hostile: [string, string][] = [
    ['=HYPERLINK("http://evil","x")', `"'=HYPERLINK(""http://evil"",""x"")"`],
    ["+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\t=1+1', "'\t=1+1"],
    ['\r=1+1', `"'\r=1+1"`],
    ['   =1+1', "'   =1+1"],
    ["'=1+1", "''=1+1"],
  ];
  for (const [cell, written] of hostile) assert.equal(csvField(cell), written, cell);
});

test('E.164 numbers stay text: one apostrophe, restored on reading', () => {
  assert.equal(csvField('+12125550100'), "'+12125550100");
  const [row] = parseCsv(toCsv([['+12125550100', '2001', '+1 (908) 555-0100 x123']]));
  assert.deepEqual(row, ["'+12125550100", '2001', "'+1 (908) 555-0100 x123"]);
  assert.deepEqual(row!.map(restoreCell), ['+12125550100', '2001', '+1 (908) 555-0100 x123']);
});

test('harmless text and non-string cells are written as they are', () => {
  assert.equal(
    toCsv([['2001', "O'Brien", 'a=b', '', null, undefined, -5, 3.5, true]]),
    "2001,O'Brien,a=b,,,,-5,3.5,true\r\n",
  );
  assert.equal(guardFormula("'quoted'"), "'quoted'");
  assert.equal(restoreCell("'quoted'"), "'quoted'");
});

test('write then read gives back every cell, and no field starts a formula', () => {
  const cell = fc.oneof(
    fc.string({
      unit: fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '"', ',', "'", ' ', 'a', '1'),
    }),
    fc.string(),
  );
  fc.assert(
    fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 5 })), (rows) => {
      const parsed = parseCsv(toCsv(rows));
      assert.deepEqual(
        parsed.map((r) => r.map(restoreCell)),
        rows,
      );
      for (const field of parsed.flat()) {
        const start = field.replace(/^ +/, '')[0];
        assert.ok(start === undefined || !'=+-@\t\r'.includes(start), JSON.stringify(field));
      }
    }),
    { numRuns: 500 },
  );
});

test('an unclosed quote is an error naming where', () => {
  assert.throws(() => parseCsv('a,"b\r\n'), /offset 3 never closes/);
});
