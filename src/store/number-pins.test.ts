/**
 * Pins, emergency overrides and leaver forwards on SQLite and on PostgreSQL (migration 0008):
 * a pinned number goes to its person first and to nobody else, survives their release, and
 * cannot be taken from someone else; a forwarding number keeps its person (a rehire gets it
 * back) until it is released to quarantine; every change is audited.
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
  describe(`number pins, emergency and forwards on ${name}`, { skip }, () => {
    const run = (fn: (store: Store) => Promise<void>) => () => withStore(name, fn);

    test(
      'a pinned number goes to its person first, never to another, and back to them on release',
      run(async (store) => {
        await store.syncPool(extensions('ext', 100, 4));
        await savePeople(store, ['ada', 'bob']);
        await store.pinNumber('ext', '102', 'ada', 'cli:root');

        assert.equal((await store.allocateNumber('ext', 'bob', T0, 'engine')).value, '100');
        assert.equal((await store.allocateNumber('ext', 'ada', T0, 'engine')).value, '102');
        await store.releaseNumber('ext', '102', T0, 'engine');
        const [row] = await store.searchNumbers({ pool: 'ext', prefix: '102' });
        assert.deepEqual([row?.state, row?.personId, row?.pinnedTo], ['reserved', 'ada', 'ada']);

        // Long after any quarantine would have lapsed, nobody else is given it.
        const later = new Date(T0.getTime() + 400 * DAY);
        await store.savePerson(person('cy'), {});
        assert.equal((await store.allocateNumber('ext', 'cy', later, 'engine')).value, '101');
        assert.equal((await store.allocateNumber('ext', 'ada', later, 'engine')).value, '102');

        const audit = await store.queryAudit({ action: 'number.pinned' });
        assert.equal(audit.length, 1);
        assert.equal(audit[0]?.actor, 'cli:root');
        assert.equal(audit[0]?.personId, 'ada');
      }),
    );

    test(
      'pinning a number someone else holds is refused naming both; unpin frees a pin reservation',
      run(async (store) => {
        await store.syncPool(extensions('ext', 100, 4));
        await savePeople(store, ['ada', 'bob']);
        await store.allocateNumber('ext', 'bob', T0, 'engine');

        await assert.rejects(
          store.pinNumber('ext', '100', 'ada', 'cli:root'),
          stateError(
            /Cannot pin number '100' in pool 'ext' to Ada \(person ada\): it is assigned to Bob \(person bob\)/,
          ),
        );
        await store.pinNumber('ext', '103', 'ada', 'cli:root');
        await assert.rejects(
          store.pinNumber('ext', '103', 'bob', 'cli:root'),
          stateError(/to Bob \(person bob\): it is pinned to Ada \(person ada\)/),
        );
        await assert.rejects(
          store.pinNumber('ext', '101', 'bob', 'cli:root'),
          stateError(/they already hold '100' in that pool/),
        );

        await assert.rejects(
          store.unreserveNumber('ext', '103', 'tidy up', 'cli:root'),
          stateError(/Cannot unreserve number '103' in pool 'ext': it is pinned to person ada/),
        );
        await assert.rejects(
          store.blockNumber('ext', '103', 'vanity', 'cli:root'),
          stateError(/it is pinned to person ada; unpin it first/),
        );
        await store.unpinNumber('ext', '103', 'changed my mind', 'cli:root');
        const [row] = await store.searchNumbers({ pool: 'ext', prefix: '103' });
        assert.deepEqual(
          [row?.state, row?.personId, row?.pinnedTo],
          ['available', undefined, undefined],
        );
        await assert.rejects(
          store.unpinNumber('ext', '103', 'again', 'cli:root'),
          stateError(/it is not pinned/),
        );
        const [entry] = await store.queryAudit({ action: 'number.unpinned' });
        assert.deepEqual(entry?.after, { state: 'available', reason: 'changed my mind' });
      }),
    );

    test(
      'a forwarding number keeps its person, returns on rehire, and is quarantined on release',
      run(async (store) => {
        await store.syncPool(dids('did', 12125550100, 3));
        await savePeople(store, ['ada']);
        const got = await store.allocateNumber('did', 'ada', T0, 'engine');
        const until = new Date(T0.getTime() + 14 * DAY).toISOString();
        const forward = { to: '+12125550199', extension: '2001', via: 'manager' as const, until };
        await store.forwardNumber('did', got.value, forward, T0, 'engine');

        const [row] = await store.searchNumbers({ pool: 'did', personId: 'ada' });
        assert.deepEqual([row?.state, row?.availableAt], ['forwarding', until]);
        assert.deepEqual(row?.forward, forward);
        assert.deepEqual(await store.numbersOf('ada'), [], 'a forward is not an assignment');

        // The manager left: the forward now rings the announcement; audited as a change.
        const announcement = { to: '+12125550150', via: 'announcement' as const, until };
        await store.forwardNumber('did', got.value, announcement, T0, 'engine');
        await store.forwardNumber('did', got.value, announcement, T0, 'engine');
        const changes = await store.queryAudit({ action: 'number.forward-changed' });
        assert.equal(changes.length, 1, 'the same forward again changes nothing');

        // A rehire while forwarding gets the number back and the forward is gone.
        assert.equal((await store.allocateNumber('did', 'ada', T0, 'engine')).value, got.value);
        const [back] = await store.searchNumbers({ pool: 'did', personId: 'ada' });
        assert.deepEqual([back?.state, back?.forward], ['assigned', undefined]);

        await store.forwardNumber('did', got.value, forward, T0, 'engine');
        const end = new Date(until);
        await store.releaseNumber('did', got.value, end, 'engine', 'forward ended');
        const [gone] = await store.searchNumbers({ pool: 'did', prefix: got.value });
        assert.equal(gone?.state, 'quarantined');
        assert.equal(gone?.forward, undefined);
        assert.equal(gone?.availableAt, new Date(end.getTime() + 30 * DAY).toISOString());
        const usage = await store.poolUsage(end);
        assert.equal(usage[0]?.counts.forwarding, 0);
      }),
    );

    test(
      'a number takes its own emergency data, cleared with null, audited',
      run(async (store) => {
        await store.syncPool(dids('did', 12125550100, 2));
        const emergency = { location: 'Floor 3, 1 Main St', callback: '+12125550100' };
        await store.setNumberEmergency('did', '+12125550101', emergency, 'cli:root');
        const [row] = await store.searchNumbers({ pool: 'did', prefix: '+12125550101' });
        assert.deepEqual(row?.emergency, emergency);
        await savePeople(store, ['ada']);
        await store.reserveNumber('did', '+12125550101', { personId: 'ada', now: T0 }, 'cli:root');
        const held = await store.allocateNumber('did', 'ada', T0, 'engine');
        assert.deepEqual((await store.numbersOf('ada'))[0]?.emergency, emergency);
        assert.equal(held.value, '+12125550101');

        await store.setNumberEmergency('did', '+12125550101', null, 'cli:root');
        assert.equal((await store.numbersOf('ada'))[0]?.emergency, undefined);
        const audit = await store.queryAudit({ action: 'number.emergency' });
        assert.deepEqual(
          audit.map((a) => a.after),
          [{ emergency }, { emergency: null }],
        );
      }),
    );
  });
}

function extensions(name: string, first: number, count: number) {
  const values = Array.from({ length: count }, (_, i) => String(first + i));
  return { name, kind: 'extension' as const, values, quarantineDays: 30 };
}

function dids(name: string, first: number, count: number) {
  const values = Array.from({ length: count }, (_, i) => `+${first + i}`);
  return { name, kind: 'did' as const, values, quarantineDays: 30 };
}

async function savePeople(store: Store, ids: string[]): Promise<void> {
  for (const id of ids) await store.savePerson(person(id), {});
}

function person(id: string): Person {
  const displayName = id.charAt(0).toUpperCase() + id.slice(1);
  const attributes: Person['attributes'] = id === 'cy' ? {} : { displayName };
  return { id, attributes, status: 'active', sourceLinks: [], excluded: false, pinned: false };
}

function stateError(message: RegExp) {
  return (err: CallsignError) => err.code === 'state' && message.test(err.message);
}
