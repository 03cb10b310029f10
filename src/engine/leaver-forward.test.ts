/**
 * Which forwards a leaver's plan keeps, on SQLite and PostgreSQL: the manager's number (found
 * by correlation value), the announcement once the manager has left, no forward at all when
 * there is no announcement to fall back to, none past the end, and none for someone who is
 * back. Sync records the forward in the inventory; plan mode writes nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import pino from 'pino';

import type { PoolConfig } from '../core/config-types.ts';
import type { Link, Person } from '../core/model.ts';
import { testDialects, withStore } from '../store/testing/databases.ts';
import type { Store } from '../store/types.ts';
import type { Engine } from './engine.ts';
import { leaverForwards } from './leaver-forward.ts';

const dialects = await testDialects();
const T0 = new Date('2031-05-01T08:00:00Z');
const DAY = 86_400_000;

function pools(announcement?: string): PoolConfig[] {
  const forward = { days: 14, to: 'manager' as const, managerAttribute: 'manager' };
  return [
    {
      name: 'ext',
      kind: 'extension',
      range: { start: '2000', end: '2009' },
      exclude: [],
      quarantineDays: 30,
    },
    {
      name: 'did',
      kind: 'did',
      region: 'US',
      range: { start: '+12125550100', end: '+12125550109' },
      exclude: [],
      quarantineDays: 30,
      leaverForward: announcement === undefined ? forward : { ...forward, announcement },
    },
  ];
}

function engineOf(store: Store, clock: { now: Date }, announcement?: string): Engine {
  return {
    store,
    config: { pools: pools(announcement), correlation: ['employeeId'] },
    targets: new Map([['pbx', { name: 'pbx', resourceTypes: ['sip-alias', 'did-forward'] }]]),
    clock: () => clock.now,
    log: pino({ level: 'silent' }),
  } as unknown as Engine;
}

function person(id: string, status: Person['status'], attributes: Person['attributes']): Person {
  return { id, status, attributes, sourceLinks: [], excluded: false, pinned: false };
}

const links: Link[] = [
  {
    personId: 'ada',
    target: 'pbx',
    type: 'sip-alias',
    key: '+12125550101',
    externalId: 'x',
    attributes: {},
  },
];

async function setUp(store: Store) {
  for (const p of pools()) {
    const values =
      p.kind === 'did'
        ? Array.from({ length: 10 }, (_, i) => `+1212555010${i}`)
        : Array.from({ length: 10 }, (_, i) => `200${i}`);
    await store.syncPool({ name: p.name, kind: p.kind, values, quarantineDays: 30 });
  }
  await store.savePerson(person('boss', 'active', { employeeId: 'E1' }), { employeeId: 'E1' });
  await store.savePerson(person('ada', 'disabled', { manager: 'E1' }), {});
  await store.allocateNumber('did', 'boss', T0, 'test');
  await store.allocateNumber('ext', 'boss', T0, 'test');
  return store.allocateNumber('did', 'ada', T0, 'test');
}

for (const name of ['sqlite', 'postgres'] as const) {
  const skip = dialects.names.includes(name) ? false : dialects.skipped;
  describe(`leaver forwards on ${name}`, { skip }, () => {
    test('manager first, the announcement once the manager left, then the end', () =>
      withStore(name, async (store) => {
        const did = await setUp(store);
        const clock = { now: T0 };
        const engine = engineOf(store, clock, '+12125550199');
        const ada = person('ada', 'disabled', { manager: 'E1' });
        const input = { engine, person: ada, leaving: true, actor: 'test', links };

        const dry = await leaverForwards({ ...input, sync: false, held: [did], forwarding: [] });
        assert.equal(dry.forwards[0]?.forward.via, 'manager');
        assert.equal((await store.numbersOf('ada')).length, 1, 'plan mode writes nothing');

        const first = await leaverForwards({ ...input, sync: true, held: [did], forwarding: [] });
        const until = new Date(T0.getTime() + 14 * DAY).toISOString();
        assert.deepEqual(first.forwards[0]?.forward, {
          to: '+12125550100',
          extension: '2000',
          via: 'manager',
          until,
        });
        assert.deepEqual(first.forwards[0]?.targets, ['pbx']);
        const forwarding = () => store.searchNumbers({ personId: 'ada', state: 'forwarding' });
        assert.equal((await forwarding())[0]?.forward?.until, until);

        // The manager leaves too: the same forward now rings the announcement.
        await store.savePerson(person('boss', 'disabled', { employeeId: 'E1' }), {
          employeeId: 'E1',
        });
        clock.now = new Date(T0.getTime() + 3 * DAY);
        const later = await leaverForwards({
          ...input,
          sync: true,
          held: [],
          forwarding: await forwarding(),
        });
        assert.deepEqual(later.forwards[0]?.forward, {
          to: '+12125550199',
          via: 'announcement',
          until,
        });
        assert.equal((await forwarding())[0]?.forward?.via, 'announcement');

        clock.now = new Date(Date.parse(until) + 1);
        const ended = await leaverForwards({
          ...input,
          sync: true,
          held: [],
          forwarding: await forwarding(),
        });
        assert.deepEqual(ended.forwards, [], 'past its end the forward is not kept');
        assert.deepEqual(ended.numbers, [{ pool: 'did', kind: 'did', value: did.value }]);
      }));

    test('no announcement: a manager who left ends the forward; someone back keeps none', () =>
      withStore(name, async (store) => {
        const did = await setUp(store);
        const engine = engineOf(store, { now: T0 });
        const ada = person('ada', 'disabled', { manager: 'E1' });
        const input = { engine, person: ada, leaving: true, actor: 'test', links, sync: true };
        await leaverForwards({ ...input, held: [did], forwarding: [] });
        const forwarding = await store.searchNumbers({ personId: 'ada', state: 'forwarding' });
        assert.equal(forwarding.length, 1);

        await store.savePerson(person('boss', 'disabled', { employeeId: 'E1' }), {
          employeeId: 'E1',
        });
        const ended = await leaverForwards({ ...input, held: [], forwarding });
        assert.deepEqual(ended.forwards, [], 'nobody to ring: the forward ends');

        const back = await leaverForwards({ ...input, leaving: false, held: [], forwarding });
        assert.deepEqual(back.forwards, []);

        const nowhere = await leaverForwards({ ...input, links: [], held: [did], forwarding: [] });
        assert.deepEqual(nowhere.forwards, [], 'no target that takes forwards: none');
      }));

    test('no target takes did-forward (the null target): the plan notes the DID goes to quarantine', () =>
      withStore(name, async (store) => {
        const did = await setUp(store);
        const engine = engineOf(store, { now: T0 });
        engine.targets.set('pbx', { name: 'pbx', resourceTypes: ['sip-alias'] } as never);
        const ada = person('ada', 'disabled', { manager: 'E1' });
        const input = { engine, person: ada, actor: 'test', links, sync: true, forwarding: [] };
        const kept = await leaverForwards({ ...input, leaving: true, held: [did] });
        assert.deepEqual(kept.forwards, []);
        assert.deepEqual(kept.notes, [
          {
            source: 'callsign',
            record: 'ada',
            field: 'numbers.did',
            message:
              "pool 'did' has leaverForward, but no target takes did-forward: " +
              `the DID ${did.value} goes to quarantine directly`,
            severity: 'info',
          },
        ]);
        assert.equal(
          (await store.searchNumbers({ personId: 'ada', state: 'forwarding' })).length,
          0,
        );

        const staying = await leaverForwards({ ...input, leaving: false, held: [did] });
        assert.deepEqual(staying.notes, [], 'only a leaver gets the note');
      }));
  });
}
