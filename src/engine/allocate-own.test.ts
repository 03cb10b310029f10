/**
 * The platform conflict check before an allocation holds a number another resource uses; it
 * never holds one because of the person's own resource (their number given back to them).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { phoneConfig } from '../core/testing/config-text.ts';
import { dropSource } from '../connectors/hr/test-kit.ts';
import { allocateFree } from './allocate.ts';
import { withConfigEngine } from './testing/config-engine.ts';

const config = phoneConfig({ sources: dropSource(''), when: "'true'" });

test("a number in use by the person's own resource is given back, not held", async () => {
  await withConfigEngine({ config, prefix: 'callsign-alloc-own-' }, async ({ engine, pbx }) => {
    const { store } = engine;
    for (const id of ['ann', 'ben']) {
      const person = { id, attributes: {}, status: 'active' as const, sourceLinks: [] };
      await store.savePerson({ ...person, excluded: false, pinned: false }, {});
    }
    const first = await allocateFree(engine, 'ext', 'ann', 'test');
    assert.equal(first.value, '4000');
    await store.saveLink({
      personId: 'ann',
      target: 'pbx',
      type: 'sip-subscriber',
      key: '4000',
      externalId: 'sub-4000',
      attributes: {},
    });
    // The number went to quarantine while her subscriber still carries it on the platform.
    await store.releaseNumber('ext', '4000', engine.clock(), 'test', 'operator release');
    const inUse = new Set(['4000', '4001']);
    Object.assign(pbx, { numberInUse: async (value: string) => inUse.has(value) });

    const again = await allocateFree(engine, 'ext', 'ann', 'test');
    assert.equal(again.value, '4000', 'her own number comes back');
    const row = (await store.listNumbers('ext')).find((n) => n.value === '4000');
    assert.equal(row?.state, 'assigned');
    assert.equal(row?.personId, 'ann');

    const other = await allocateFree(engine, 'ext', 'ben', 'test');
    assert.equal(other.value, '4002', "4001 is someone else's on the platform: held");
    const held = (await store.listNumbers('ext')).find((n) => n.value === '4001');
    assert.equal(held?.state, 'held');
  });
});
