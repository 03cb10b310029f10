import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatTime, parseTime, parseTimestampCursor } from './delta-timestamp.ts';

describe('timestamp cursor parts', () => {
  it('parses GeneralizedTime as OpenLDAP and AD write it', () => {
    assert.equal(parseTime('20261204172004Z')?.toISOString(), '2026-12-04T17:20:04.000Z');
    assert.equal(parseTime('20261204172004.0Z')?.toISOString(), '2026-12-04T17:20:04.000Z');
    assert.equal(parseTime('20261204172004.992241Z')?.getUTCSeconds(), 4);
  });

  it('refuses text that is no time', () => {
    for (const bad of ['', 'yesterday', '20261304172004Z', '20261204176104Z', '2026120417Z']) {
      assert.equal(parseTime(bad), undefined, bad);
    }
    assert.equal(parseTime('20260230120000Z'), undefined, 'February 30th rolls over');
  });

  it('formats whole seconds, so text order is time order', () => {
    const ms = Date.UTC(2026, 11, 4, 17, 20, 4, 999);
    assert.equal(formatTime(ms), '20261204172004Z');
    assert.equal(formatTime(ms - 1000), '20261204172003Z');
    assert.equal(formatTime(Date.UTC(2027, 0, 1)) > formatTime(Date.UTC(2026, 11, 31)), true);
  });

  it('reads back only cursors it wrote', () => {
    const good = { v: 1, t: '20261204172004Z', seen: { 'uid=a,ou=People': 'abc' } };
    assert.deepEqual(parseTimestampCursor(JSON.stringify(good)), good);
    const bad = [
      'not json',
      'null',
      '[]',
      JSON.stringify({ ...good, v: 2 }),
      JSON.stringify({ ...good, t: 'soon' }),
      JSON.stringify({ ...good, seen: ['x'] }),
      JSON.stringify({ ...good, seen: { a: 1 } }),
    ];
    for (const text of bad) assert.equal(parseTimestampCursor(text), undefined, text);
  });
});
