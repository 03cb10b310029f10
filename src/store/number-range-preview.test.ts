/**
 * The read-only side of pool sync on both dialects: `previewPool` tells what `syncPool` would
 * change and writes nothing; a reverted range brings back what the range alone retired; and
 * `listPersonKeys` returns correlation keys as stored, for case-blind lookups.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { testDialects, withStore } from './testing/databases.ts';
import type { PoolDefinition, Store } from './types.ts';

const dialects = await testDialects();
const range = (first: number, count: number): PoolDefinition => ({
  name: 'ext',
  kind: 'extension',
  values: Array.from({ length: count }, (_, i) => String(first + i)),
  quarantineDays: 30,
});

for (const name of ['sqlite', 'postgres'] as const) {
  const skip = dialects.names.includes(name) ? false : dialects.skipped;
  describe(`pool preview on ${name}`, { skip }, () => {
    const run = (fn: (store: Store) => Promise<void>) => () => withStore(name, fn);

    test(
      'previewPool counts the change of a new range and writes nothing',
      run(async (store) => {
        assert.deepEqual(await store.previewPool(range(100, 10)), {
          pool: 'ext',
          isNew: true,
          added: 10,
          retired: 0,
          restored: 0,
          outOfRange: [],
          settings: false,
        });
        assert.deepEqual(await store.listNumbers('ext'), [], 'nothing written for a new pool');

        await store.syncPool(range(100, 10));
        await store.savePerson(
          {
            id: 'p1',
            attributes: {},
            status: 'active',
            sourceLinks: [],
            excluded: false,
            pinned: false,
          },
          {},
        );
        await store.allocateNumber('ext', 'p1', new Date(), 'engine'); // 100
        assert.equal(await store.previewPool(range(100, 10)), undefined, 'unchanged');

        const shrunk = range(105, 10);
        const before = await store.listNumbers('ext');
        assert.deepEqual(await store.previewPool({ ...shrunk, quarantineDays: 7 }), {
          pool: 'ext',
          isNew: false,
          added: 5,
          retired: 4,
          restored: 0,
          outOfRange: ['100'],
          settings: true,
        });
        assert.deepEqual(await store.listNumbers('ext'), before, 'preview changed nothing');

        await store.syncPool(shrunk);
        const retired = (await store.listNumbers('ext')).filter((n) => n.state === 'retired');
        assert.equal(retired.length, 4);
        const back = await store.previewPool(range(100, 10));
        assert.equal(back?.restored, 4);
        await store.syncPool(range(100, 10));
        const states = (await store.listNumbers('ext'))
          .filter((n) => Number(n.value) < 110)
          .map((n) => n.state);
        assert.deepEqual(states.sort(), [...Array(9).fill('available'), 'assigned'].sort());
      }),
    );

    test(
      'listPersonKeys returns the keys as stored, for the keys asked',
      run(async (store) => {
        const person = {
          status: 'active' as const,
          sourceLinks: [],
          excluded: false,
          pinned: false,
        };
        await store.savePerson(
          { id: 'p9', attributes: {}, ...person },
          { workerId: 'W9', mail: 'A@x' },
        );
        const keys = await store.listPersonKeys(['workerId']);
        assert.deepEqual(keys, [{ key: 'workerId', value: 'W9', personId: 'p9' }]);
        assert.deepEqual(await store.listPersonKeys([]), []);
      }),
    );
  });
}
