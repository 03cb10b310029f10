/**
 * `pool.low` reaches webhook subscribers once per crossing: the pool watch's `pool:low` becomes
 * one outbox event, a pool still low at the next check adds nothing, and a pool that recovers
 * and runs low again is announced again. Only webhooks that want `pool.low` get it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PoolWatch } from '../engine/pool-watch.ts';
import { testDialects, withStore } from '../store/testing/databases.ts';
import type { PoolUsage } from '../store/types.ts';
import type { PoolLowEventData } from './event-types.ts';
import { harness, webhook } from './test-kit.ts';

const dialects = await testDialects();

function usage(free: number): PoolUsage {
  const counts = {
    available: free,
    assigned: 100 - free,
    quarantined: 0,
    reserved: 0,
    held: 0,
    blocked: 0,
    retired: 0,
    forwarding: 0,
  };
  return { pool: 'nyc-did', kind: 'did', total: 100, counts, free };
}

for (const name of ['sqlite', 'postgres'] as const) {
  const skip = dialects.names.includes(name) ? false : dialects.skipped;
  describe(`pool.low webhook event on ${name}`, { skip }, () => {
    test('one event per crossing, only for webhooks that subscribe to it', () =>
      withStore(name, async (store) => {
        const hooks = [
          webhook('ops', 'http://127.0.0.1:9/ops', { events: ['pool.low'] }),
          webhook('runs', 'http://127.0.0.1:9/runs', { events: ['run.finished'] }),
        ];
        const h = harness(store, hooks);
        let free = 50;
        const watch = new PoolWatch({
          store: { poolUsage: async () => [usage(free)] },
          config: {},
          clock: h.clock.now,
          events: h.events,
        });
        const poolEvents = async () => (await h.outbox.list()).filter((d) => d.type === 'pool.low');

        await watch.check();
        assert.equal((await poolEvents()).length, 0, 'half free: not low');

        free = 5;
        await watch.check();
        h.clock.advance(60_000);
        await watch.check();
        await settle();
        const first = await poolEvents();
        assert.equal(first.length, 1, 'low at two checks: one event');
        assert.equal(first[0]!.webhook, 'ops');
        const head = await h.outbox.head('ops');
        const data = JSON.parse(head!.body).data as PoolLowEventData;
        assert.deepEqual(data, {
          pool: 'nyc-did',
          kind: 'did',
          free: 5,
          total: 100,
          threshold: { percent: 10 },
        });

        free = 40;
        h.clock.advance(60_000);
        await watch.check();
        free = 2;
        h.clock.advance(60_000);
        await watch.check();
        await settle();
        assert.equal((await poolEvents()).length, 2, 'recovered, then low again: second event');
        h.detach();
      }));
  });
}

/** Listeners journal asynchronously; give their writes a moment to land. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
