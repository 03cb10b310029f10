/**
 * A dry run's allocation (Store.previewNumbers) against real allocation, on SQLite and
 * PostgreSQL: the same numbers in the same order for every ordered policy, past the first
 * window batch, never one number for two people, and a person's own number kept for them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Person } from '../core/model.ts';
import { testDialects, withStore } from './testing/databases.ts';
import type { PoolDefinition, Store } from './types.ts';

const dialects = await testDialects();
const T0 = new Date('2030-01-01T00:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(T0.getTime() + days * DAY);
/** More people than the preview's first batch (64), so later batches are read too. */
const PEOPLE = 100;

for (const name of ['sqlite', 'postgres'] as const) {
  const skip = dialects.names.includes(name) ? false : dialects.skipped;
  describe(`number preview on ${name}`, { skip }, () => {
    const run = (fn: (store: Store) => Promise<void>) => () => withStore(name, fn);

    for (const extra of [
      { policy: 'lowest' },
      { policy: 'least-recently-used' },
      { policy: 'pattern', pattern: '1X5' },
    ] as const) {
      test(
        `${extra.policy}: the preview shows what allocation then gives, person by person`,
        run(async (store) => {
          await mixedPool(store, extra);
          const people = Array.from({ length: PEOPLE }, (_, i) => `p${i}`);
          const preview = store.previewNumbers(() => at(10));
          const shown = [];
          for (const p of people) shown.push((await preview.peek('ext', p))?.value);
          const given = [];
          for (const p of people)
            given.push((await store.allocateNumber('ext', p, at(10), 'e')).value);
          assert.deepEqual(shown, given);
          assert.equal(new Set(shown).size, PEOPLE);
        }),
      );
    }

    test(
      'random shows every free number once, then nothing',
      run(async (store) => {
        await store.syncPool(pool({ policy: 'random', values: values(100, PEOPLE) }));
        const preview = store.previewNumbers(() => T0);
        const shown = new Set<string>();
        for (let i = 0; i < PEOPLE; i++) shown.add((await preview.peek('ext', `p${i}`))!.value);
        assert.deepEqual([...shown].sort(), values(100, PEOPLE).sort());
        assert.equal(await preview.peek('ext', 'late'), undefined);
        assert.equal(await preview.peek('missing-pool', 'p0'), undefined);
      }),
    );

    test(
      "a person's own number is shown to them, a lapsed one only if nobody was shown it first",
      run(async (store) => {
        await store.syncPool(pool({ values: values(100, 10), quarantineDays: 5 }));
        for (const p of ['ada', 'bob', 'cy', 'dan', 'eve']) await store.savePerson(person(p), {});
        await store.pinNumber('ext', '105', 'ada', 'cli');
        await store.reserveNumber('ext', '106', { personId: 'bob', now: T0 }, 'cli');
        // cy leaves: her number waits out quarantine, and she is rehired inside it.
        assert.equal((await store.allocateNumber('ext', 'cy', T0, 'e')).value, '100');
        await store.releaseNumber('ext', '100', T0, 'e');
        // dan left long ago: his number's quarantine has lapsed, so it is anyone's.
        assert.equal((await store.allocateNumber('ext', 'dan', T0, 'e')).value, '101');
        await store.releaseNumber('ext', '101', at(-30), 'e');

        const preview = store.previewNumbers(() => at(1));
        const peek = async (p: string) => (await preview.peek('ext', p))?.value;
        assert.equal(await peek('eve'), '101');
        assert.equal(await peek('eve'), '101', 'a second need of the pool: the same number');
        assert.equal(await peek('dan'), '102');
        assert.equal(await peek('ada'), '105');
        assert.equal(await peek('bob'), '106');
        assert.equal(await peek('cy'), '100');
        assert.equal(await peek('fay'), '103');
      }),
    );

    test(
      "a preview carries the number's own emergency data",
      run(async (store) => {
        await store.syncPool(pool({ values: values(100, 3) }));
        const emergency = { location: 'Floor 3', callback: '+12125550100' };
        await store.setNumberEmergency('ext', '100', emergency, 'cli');
        const preview = store.previewNumbers(() => T0);
        assert.deepEqual(await preview.peek('ext', 'ada'), {
          pool: 'ext',
          kind: 'extension',
          value: '100',
          emergency,
        });
        assert.deepEqual(await preview.peek('ext', 'bob'), {
          pool: 'ext',
          kind: 'extension',
          value: '101',
        });
      }),
    );
  });
}

/**
 * A pool with used, released (at different times), reserved and blocked numbers among free ones,
 * so the preview's window passes over rows in every state and release order matters.
 */
async function mixedPool(store: Store, extra: Partial<PoolDefinition>): Promise<void> {
  await store.syncPool(pool({ ...extra, values: values(100, PEOPLE + 40), quarantineDays: 1 }));
  for (let i = 0; i < 30; i++) await store.allocateNumber('ext', `old${i}`, T0, 'e');
  // Released in a scattered order: least-recently-used must give them oldest first.
  for (const i of [17, 3, 25, 8, 11]) {
    await store.releaseNumber('ext', String(100 + i), at(1 + (i % 4)), 'e');
  }
  await store.blockNumber('ext', '140', 'lobby phone', 'cli');
  await store.reserveNumber('ext', '141', { note: 'for the CEO', now: T0 }, 'cli');
  await store.reserveNumber('ext', '142', { until: at(2), now: T0 }, 'cli');
}

function pool(extra: Partial<PoolDefinition> & { values: string[] }): PoolDefinition {
  return { name: 'ext', kind: 'extension', quarantineDays: 30, ...extra };
}

function values(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(first + i));
}

function person(id: string): Person {
  return { id, attributes: {}, status: 'active', sourceLinks: [], excluded: false, pinned: false };
}
