/**
 * The administrator's number actions and the inventory reads, on SQLite and on PostgreSQL:
 * reservations (for a person, lapsing, raced), blocks, moves, searches and pool usage.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { CallsignError } from '../core/errors.ts';
import type { Person } from '../core/model.ts';
import { testDialects, withStore } from './testing/databases.ts';
import type { Store } from './types.ts';

const dialects = await testDialects();
const T0 = new Date('2030-01-01T00:00:00Z');
const DAY = 86_400_000;

for (const name of ['sqlite', 'postgres'] as const) {
  const skip = dialects.names.includes(name) ? false : dialects.skipped;
  describe(`number actions on ${name}`, { skip }, () => {
    const run = (fn: (store: Store) => Promise<void>) => () => withStore(name, fn);

    test(
      'reserve only a free number; allocation skips it; audit says who and why',
      run(async (store) => {
        await store.syncPool(extensions('ext', 100, 4));
        await store.reserveNumber('ext', '100', { note: 'CEO office', now: T0 }, 'cli:ann');

        assert.equal((await store.allocateNumber('ext', 'p1', T0, 'engine')).value, '101');
        await assert.rejects(
          store.reserveNumber('ext', '101', { now: T0 }, 'cli:ann'),
          stateError(/Cannot reserve number '101' in pool 'ext': it is assigned to person p1/),
        );
        await assert.rejects(
          store.reserveNumber('ext', '100', { now: T0 }, 'cli:bob'),
          stateError(/it is reserved \(CEO office\)/),
        );
        await assert.rejects(
          store.reserveNumber('ext', '999', { now: T0 }, 'cli:ann'),
          notFound(/Number '999' is not in pool 'ext'/),
        );
        await assert.rejects(
          store.reserveNumber('ext', '102', { personId: 'ghost' }, 'cli:a'),
          notFound(/Person ghost does not exist/),
        );

        const [entry] = await store.queryAudit({ action: 'number.reserved' });
        assert.equal(entry?.actor, 'cli:ann');
        assert.equal(entry?.subject, 'number:ext:100');
        assert.deepEqual(entry?.after, {
          state: 'reserved',
          personId: null,
          until: null,
          note: 'CEO office',
        });
        const [row] = await store.searchNumbers({ pool: 'ext', state: 'reserved' });
        assert.deepEqual(
          [row?.value, row?.note, row?.availableAt],
          ['100', 'CEO office', undefined],
        );

        await store.unreserveNumber('ext', '100', 'office moved', 'cli:ann');
        assert.equal((await store.allocateNumber('ext', 'p2', T0, 'engine')).value, '100');
        await assert.rejects(
          store.unreserveNumber('ext', '102', 'x', 'cli:ann'),
          stateError(/Cannot unreserve number '102' in pool 'ext': it is available/),
        );
        const [un] = await store.queryAudit({ action: 'number.unreserved' });
        assert.deepEqual(un?.after, { state: 'available', reason: 'office moved' });
      }),
    );

    test(
      "a person's reservation is given to them first, even before lower numbers",
      run(async (store) => {
        await store.syncPool(extensions('ext', 100, 5));
        await store.savePerson(person('ceo'), {});
        await store.reserveNumber('ext', '104', { personId: 'ceo', now: T0 }, 'cli:ann');

        assert.equal((await store.peekNumber('ext', 'ceo', T0))?.value, '104');
        assert.equal((await store.allocateNumber('ext', 'other', T0, 'engine')).value, '100');
        assert.equal((await store.allocateNumber('ext', 'ceo', T0, 'engine')).value, '104');
        assert.deepEqual(
          (await store.numbersOf('ceo')).map((n) => n.value),
          ['104'],
        );
        const [row] = await store.searchNumbers({ personId: 'ceo' });
        assert.deepEqual([row?.state, row?.note], ['assigned', undefined]);
      }),
    );

    test(
      'a lapsed reservation is free for anyone, and can be reserved again',
      run(async (store) => {
        await store.syncPool(extensions('ext', 100, 2));
        await store.savePerson(person('ceo'), {});
        const until = new Date(T0.getTime() + 7 * DAY);
        await store.reserveNumber('ext', '100', { until, personId: 'ceo', now: T0 }, 'cli:a');
        await store.allocateNumber('ext', 'p1', T0, 'engine');

        await assert.rejects(
          store.allocateNumber('ext', 'p2', T0, 'engine'),
          (err: CallsignError) => err.code === 'exhausted',
        );
        const later = new Date(until.getTime() + 1);
        assert.equal((await store.poolUsage(later))[0]?.free, 1);
        await store.reserveNumber('ext', '100', { note: 'again', now: later }, 'cli:b');
        await store.unreserveNumber('ext', '100', 'not needed', 'cli:b');
        await store.reserveNumber('ext', '100', { until, now: T0 }, 'cli:a');
        assert.equal((await store.allocateNumber('ext', 'p2', later, 'engine')).value, '100');

        await assert.rejects(
          store.reserveNumber('ext', '100', { until: T0, now: later }, 'a'),
          stateError(/until 2030-01-01T00:00:00.000Z: that time has passed/),
        );
      }),
    );

    test(
      'two reservations of one number at once: exactly one wins',
      run(async (store) => {
        await store.syncPool(extensions('ext', 100, 3));
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            store.reserveNumber('ext', '101', { note: `r${i}`, now: T0 }, `cli:u${i}`),
          ),
        );

        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        assert.equal(won.length, 1);
        for (const r of lost) assert.equal((r.reason as CallsignError).code, 'state');
        assert.equal((await store.queryAudit({ action: 'number.reserved' })).length, 1);
      }),
    );

    test(
      'allocations racing a reservation never take the reserved number',
      run(async (store) => {
        await store.syncPool(extensions('ext', 100, 30));
        const reserve = store.reserveNumber('ext', '105', { now: T0 }, 'cli:a').then(
          () => true,
          () => false,
        );
        const got = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.allocateNumber('ext', `p${i}`, T0, 'engine')),
        );
        const reserved = await reserve;

        const values = got.map((n) => n.value);
        assert.equal(new Set(values).size, 20);
        const [row] = await store.searchNumbers({ pool: 'ext', prefix: '105' });
        assert.equal(row?.state, reserved ? 'reserved' : 'assigned');
        assert.equal(values.includes('105'), !reserved);
      }),
    );

    test(
      'blocked numbers are never allocated; blocking an assigned one names the person',
      run(async (store) => {
        await store.syncPool(extensions('ext', 100, 3));
        await store.allocateNumber('ext', 'p1', T0, 'engine');
        await store.blockNumber('ext', '101', 'emergency services', 'cli:ann');

        assert.equal((await store.allocateNumber('ext', 'p2', T0, 'engine')).value, '102');
        await assert.rejects(
          store.allocateNumber('ext', 'p3', T0, 'engine'),
          (err: CallsignError) => err.code === 'exhausted',
        );
        assert.equal(await store.peekNumber('ext', 'p3', T0), undefined);
        await assert.rejects(
          store.blockNumber('ext', '100', 'x', 'cli:ann'),
          stateError(
            /Cannot block number '100' in pool 'ext': it is assigned to person p1; release or/,
          ),
        );
        await assert.rejects(
          store.blockNumber('ext', '101', 'x', 'cli:ann'),
          stateError(/it is blocked \(emergency services\)/),
        );
        await assert.rejects(
          store.unblockNumber('ext', '102', 'x', 'cli:ann'),
          stateError(/Cannot unblock number '102'/),
        );

        await store.unblockNumber('ext', '101', 'freed by carrier', 'cli:ann');
        assert.equal((await store.allocateNumber('ext', 'p3', T0, 'engine')).value, '101');
        const actions = (await store.queryAudit({})).map((a) => a.action);
        assert.deepEqual(
          actions.filter((a) => /block/.test(a)),
          ['number.blocked', 'number.unblocked'],
        );
      }),
    );

    test(
      'blocking a quarantined number keeps it from a rehire',
      run(async (store) => {
        await store.syncPool(extensions('ext', 100, 2));
        await store.allocateNumber('ext', 'leaver', T0, 'engine');
        await store.releaseNumber('ext', '100', T0, 'cli:ann', 'left the company');
        await store.blockNumber('ext', '100', 'port out', 'cli:ann');

        assert.equal((await store.allocateNumber('ext', 'leaver', T0, 'engine')).value, '101');
        const [released] = await store.queryAudit({ action: 'number.released' });
        assert.equal((released?.after as { reason: string }).reason, 'left the company');
      }),
    );

    test(
      'move gives an assigned number to another person; the old holder loses it',
      run(async (store) => {
        await store.syncPool(extensions('ext', 100, 3));
        for (const id of ['alice', 'bob', 'carol']) await store.savePerson(person(id), {});
        await store.allocateNumber('ext', 'alice', T0, 'engine');
        await store.allocateNumber('ext', 'carol', T0, 'engine');

        await store.moveNumber('ext', '100', 'bob', 'cli:ann', 'took over the desk');
        assert.deepEqual(await store.numbersOf('alice'), []);
        assert.deepEqual(
          (await store.numbersOf('bob')).map((n) => n.value),
          ['100'],
        );
        assert.equal((await store.allocateNumber('ext', 'alice', T0, 'engine')).value, '102');

        await assert.rejects(
          store.moveNumber('ext', '101', 'bob', 'cli:ann'),
          stateError(/Person bob already holds number '100' in pool 'ext'/),
        );
        await assert.rejects(
          store.moveNumber('ext', '101', 'nobody', 'cli:ann'),
          notFound(/Person nobody does not exist/),
        );
        await assert.rejects(
          store.moveNumber('ext', '101', 'carol', 'cli:ann'),
          stateError(/already assigned to person carol/),
        );
        await store.releaseNumber('ext', '101', T0, 'engine');
        await assert.rejects(
          store.moveNumber('ext', '101', 'alice', 'cli:ann'),
          stateError(/Cannot move number '101' in pool 'ext': it is quarantined until/),
        );

        const [moved] = await store.queryAudit({ action: 'number.moved' });
        assert.equal(moved?.personId, 'bob');
        assert.equal((moved?.before as { personId: string }).personId, 'alice');
      }),
    );

    test(
      'search filters combine; prefix is literal; usage counts every pool',
      run(async (s) => {
        await s.syncPool(extensions('ext', 2000, 12));
        await s.syncPool({
          name: 'did',
          kind: 'did',
          values: ['+12125550100', '+12125550101', '+13125550100'],
          quarantineDays: 10,
        });
        await s.syncPool({ name: 'empty', kind: 'extension', values: [], quarantineDays: 0 });
        await s.allocateNumber('ext', 'p1', T0, 'engine');
        await s.allocateNumber('did', 'p1', T0, 'engine');
        await s.allocateNumber('did', 'p2', T0, 'engine');
        await s.releaseNumber('did', '+12125550101', T0, 'engine');
        await s.blockNumber('ext', '2011', 'vanity', 'cli:a');

        const values = async (q: Parameters<Store['searchNumbers']>[0]) =>
          (await s.searchNumbers(q)).map((n) => n.value);
        assert.deepEqual(await values({ prefix: '+1212' }), ['+12125550100', '+12125550101']);
        assert.deepEqual(await values({ prefix: '201' }), ['2010', '2011']);
        assert.deepEqual(await values({ prefix: '20_' }), []);
        assert.deepEqual(await values({ personId: 'p1' }), ['+12125550100', '2000']);
        assert.deepEqual(await values({ pool: 'ext', state: 'blocked' }), ['2011']);
        assert.deepEqual(await values({ pool: 'did', personId: 'p2', state: 'quarantined' }), [
          '+12125550101',
        ]);

        const usage = await s.poolUsage(T0);
        assert.deepEqual(
          usage.map((u) => [u.pool, u.total, u.free]),
          [
            ['did', 3, 1],
            ['empty', 0, 0],
            ['ext', 12, 10],
          ],
        );
        assert.deepEqual(usage[0]?.counts, {
          available: 1,
          reserved: 0,
          assigned: 1,
          quarantined: 1,
          held: 0,
          blocked: 0,
          retired: 0,
          forwarding: 0,
        });
        assert.equal((await s.poolUsage(new Date(T0.getTime() + 10 * DAY)))[0]?.free, 2);
      }),
    );
  });
}

function extensions(name: string, first: number, count: number) {
  const values = Array.from({ length: count }, (_, i) => String(first + i));
  return { name, kind: 'extension' as const, values, quarantineDays: 30 };
}

function person(id: string): Person {
  return { id, attributes: {}, status: 'active', sourceLinks: [], excluded: false, pinned: false };
}

function stateError(message: RegExp) {
  return (err: CallsignError) => err.code === 'state' && message.test(err.message);
}

function notFound(message: RegExp) {
  return (err: CallsignError) => err.code === 'not_found' && message.test(err.message);
}
