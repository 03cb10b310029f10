/**
 * Allocation policies, DID↔extension pairs, range changes and imports, on SQLite and
 * PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { CallsignError } from '../core/errors.ts';
import type { Person } from '../core/model.ts';
import { testDialects, withStore } from './testing/databases.ts';
import type { PoolDefinition, Store } from './types.ts';

const dialects = await testDialects();
const T0 = new Date('2030-01-01T00:00:00Z');
const DAY = 86_400_000;

for (const name of ['sqlite', 'postgres'] as const) {
  const skip = dialects.names.includes(name) ? false : dialects.skipped;
  describe(`number policies on ${name}`, { skip }, () => {
    const run = (fn: (store: Store) => Promise<void>) => () => withStore(name, fn);

    test(
      'pattern prefers matching numbers, then falls back to the lowest',
      run(async (store) => {
        await store.syncPool(range('ext', 2000, 300, { policy: 'pattern', pattern: '2X00' }));
        const got = [];
        for (let i = 0; i < 4; i++) {
          got.push((await store.allocateNumber('ext', `p${i}`, T0, 'e')).value);
        }
        assert.deepEqual(got, ['2000', '2100', '2200', '2001']);
      }),
    );

    test(
      'least-recently-used gives never-used numbers, then the longest released',
      run(async (store) => {
        await store.syncPool(
          range('ext', 100, 3, { policy: 'least-recently-used', quarantineDays: 0 }),
        );
        for (const p of ['a', 'b', 'c']) await store.allocateNumber('ext', p, T0, 'e');
        await store.releaseNumber('ext', '101', new Date(T0.getTime() + DAY), 'e');
        await store.releaseNumber('ext', '100', new Date(T0.getTime() + 2 * DAY), 'e');
        const later = new Date(T0.getTime() + 3 * DAY);
        assert.equal((await store.allocateNumber('ext', 'd', later, 'e')).value, '101');
        assert.equal((await store.allocateNumber('ext', 'e2', later, 'e')).value, '100');
      }),
    );

    test(
      'random spreads over the pool and never repeats',
      run(async (store) => {
        await store.syncPool(range('ext', 1000, 200, { policy: 'random' }));
        const got = new Set<string>();
        for (let i = 0; i < 20; i++) {
          got.add((await store.allocateNumber('ext', `p${i}`, T0, 'e')).value);
        }
        assert.equal(got.size, 20);
        const lowest = Array.from({ length: 20 }, (_, i) => String(1000 + i));
        assert.notDeepEqual([...got].sort(), lowest);
      }),
    );

    test(
      'a mapped extension follows the DID; a taken extension skips that DID',
      run(async (store) => {
        await store.syncPool(did('did', 12125552000, 5));
        await store.syncPool({
          ...range('ext', 2000, 5),
          mapping: {
            didPool: 'did',
            width: 4,
            offset: 0,
          },
        });
        await store.blockNumber('ext', '2000', 'lobby phone', 'cli');

        const ext = await store.allocateNumber('ext', 'ann', T0, 'engine');
        assert.equal(ext.value, '2001');
        assert.deepEqual((await store.numbersOf('ann')).map((n) => n.value).sort(), [
          '+12125552001',
          '2001',
        ]);
        const d = await store.allocateNumber('did', 'bob', T0, 'engine');
        assert.equal(d.value, '+12125552002');
        assert.equal((await store.allocateNumber('ext', 'bob', T0, 'engine')).value, '2002');
        // The DID whose extension was blocked stays free for nobody's pair.
        const free = await store.searchNumbers({ pool: 'did', state: 'available' });
        assert.deepEqual(
          free.map((n) => n.value),
          ['+12125552000', '+12125552003', '+12125552004'],
        );
      }),
    );

    test(
      'a shrunk range keeps assignments, reports them, and retires free numbers',
      run(async (store) => {
        await store.syncPool(range('ext', 100, 10));
        for (const p of ['a', 'b', 'c']) await store.allocateNumber('ext', p, T0, 'e');
        await store.syncPool(range('ext', 101, 4)); // 101..104: 100 is outside

        const rows = await store.listNumbers('ext');
        const byValue = new Map(rows.map((r) => [r.value, r]));
        assert.equal(byValue.get('100')?.state, 'assigned');
        assert.equal(byValue.get('100')?.personId, 'a');
        assert.equal(byValue.get('100')?.outOfRange, true);
        assert.equal(byValue.get('109')?.state, 'retired');
        const [usage] = await store.poolUsage(T0);
        assert.deepEqual(usage?.outOfRange, ['100']);
        assert.equal(usage?.free, 2);
        assert.equal(usage?.counts.retired, 5);

        await store.releaseNumber('ext', '100', T0, 'e');
        const after = new Date(T0.getTime() + 60 * DAY);
        assert.equal((await store.allocateNumber('ext', 'd', after, 'e')).value, '103');
        assert.equal((await store.allocateNumber('ext', 'e2', after, 'e')).value, '104');
        await assert.rejects(
          store.allocateNumber('ext', 'f', after, 'e'),
          (err: CallsignError) => err.code === 'exhausted',
        );

        await store.syncPool(range('ext', 100, 10));
        assert.equal((await store.allocateNumber('ext', 'f', after, 'e')).value, '100');
        const [retired] = await store.queryAudit({ action: 'number.retired' });
        assert.equal(retired?.actor, 'config');
      }),
    );

    test(
      'import applies every row in one transaction, or none',
      run(async (store) => {
        await store.syncPool(range('ext', 100, 5));
        for (const id of ['ann', 'bob']) await store.savePerson(person(id), {});
        const n = await store.importNumbers(
          [
            { line: 2, pool: 'ext', value: '103', state: 'assigned', personId: 'ann' },
            { line: 3, pool: 'ext', value: '104', state: 'blocked', note: 'fax' },
          ],
          'cli:import',
          T0,
        );
        assert.equal(n, 2);
        assert.equal((await store.allocateNumber('ext', 'ann', T0, 'e')).value, '103');

        await assert.rejects(
          store.importNumbers(
            [
              { line: 2, pool: 'ext', value: '100', state: 'assigned', personId: 'bob' },
              { line: 3, pool: 'ext', value: '103', state: 'assigned', personId: 'bob' },
            ],
            'cli:import',
            T0,
          ),
          (err: CallsignError) =>
            err.code === 'state' &&
            /line 3, field number: '103' .* assigned to person ann/.test(err.message),
        );
        assert.equal((await store.searchNumbers({ personId: 'bob' })).length, 0);
        // Re-running the first import changes nothing.
        assert.equal(
          await store.importNumbers(
            [{ line: 2, pool: 'ext', value: '103', state: 'assigned', personId: 'ann' }],
            'cli:import',
            T0,
          ),
          0,
        );
      }),
    );
  });
}

function range(
  name: string,
  first: number,
  count: number,
  extra: Partial<PoolDefinition> = {},
): PoolDefinition {
  const values = Array.from({ length: count }, (_, i) => String(first + i));
  return { name, kind: 'extension', values, quarantineDays: 30, ...extra };
}

function did(name: string, first: number, count: number): PoolDefinition {
  const values = Array.from({ length: count }, (_, i) => `+${first + i}`);
  return { name, kind: 'did', values, quarantineDays: 30 };
}

function person(id: string): Person {
  return { id, attributes: {}, status: 'active', sourceLinks: [], excluded: false, pinned: false };
}
