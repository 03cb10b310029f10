import assert from 'node:assert/strict';
import { test } from 'node:test';

import { poolDefinition } from './pools.ts';

test('an extension range keeps its width and leaves out excluded values', () => {
  const pool = poolDefinition({
    name: 'lab-ext',
    kind: 'extension',
    range: { start: '0098', end: '0102' },
    exclude: ['0100'],
    quarantineDays: 30,
  });
  assert.deepEqual(pool.values, ['0098', '0099', '0101', '0102']);
});

test('a DID range stays in E.164', () => {
  const pool = poolDefinition({
    name: 'nyc-did',
    kind: 'did',
    range: { start: '+12125552998', end: '+12125553001' },
    exclude: [],
    quarantineDays: 90,
  });
  assert.deepEqual(pool.values, ['+12125552998', '+12125552999', '+12125553000', '+12125553001']);
});

test('a range of millions is refused with the pool named', () => {
  assert.throws(
    () =>
      poolDefinition({
        name: 'typo',
        kind: 'extension',
        range: { start: '1000', end: '99999999' },
        exclude: [],
        quarantineDays: 0,
      }),
    /pools\.typo\.range/,
  );
});
