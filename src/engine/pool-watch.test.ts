import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MetricsRecorder } from '../api/metrics.ts';
import type { CallsignConfig } from '../core/config-types.ts';
import type { PoolUsage } from '../store/types.ts';
import type { Engine } from './engine.ts';
import { EngineEvents, type EngineEventMap } from './events.ts';
import { lowStockThreshold, PoolWatch } from './pool-watch.ts';

const NOW = new Date('2025-03-01T12:00:00Z');

function usage(pool: string, free: number, total = 100, blocked = 0): PoolUsage {
  const counts = {
    available: free,
    assigned: total - free - blocked,
    quarantined: 0,
    reserved: 0,
    held: 0,
    blocked,
    retired: 0,
    forwarding: 0,
  };
  return { pool, kind: 'extension', total, counts, free };
}

const withRule = (below: number) =>
  ({
    notifications: { rules: [{ on: 'pool-low', to: [], template: 't', below }] },
  }) as unknown as Pick<CallsignConfig, 'notifications'>;

describe('pool:low', () => {
  it('uses the pool-low rule count, else 10% of the usable numbers', () => {
    assert.deepEqual(lowStockThreshold({}), { percent: 10 });
    assert.deepEqual(lowStockThreshold(withRule(25)), { below: 25 });
  });

  it('emits when a pool becomes low, once per episode', async () => {
    let pools = [usage('a', 9), usage('b', 10), usage('c', 9, 100, 20)];
    const events = new EngineEvents();
    const seen: EngineEventMap['pool:low'][] = [];
    events.on('pool:low', (e) => void seen.push(e));
    const watch = new PoolWatch({
      store: { poolUsage: async () => pools },
      config: {},
      clock: () => NOW,
      events,
    });
    // a: 9 of 100 usable free (low); b: 10% exactly (not); c: 9 of 80 usable (11%, not).
    assert.deepEqual(await watch.check(), ['a']);
    assert.deepEqual(
      seen.map((e) => [e.pool, e.free, e.threshold]),
      [['a', 9, { percent: 10 }]],
    );
    await watch.check();
    assert.equal(seen.length, 1, 'still low: no second event');
    pools = [usage('a', 50), usage('b', 10), usage('c', 9, 100, 20)];
    assert.deepEqual(await watch.check(), []);
    pools = [usage('a', 1), usage('b', 10), usage('c', 9, 100, 20)];
    await watch.check();
    assert.deepEqual(
      seen.map((e) => e.pool),
      ['a', 'a'],
      'low again after recovering',
    );
  });

  it('counts free numbers against the rule when one is configured', async () => {
    const events = new EngineEvents();
    const seen: string[] = [];
    events.on('pool:low', (e) => void seen.push(e.pool));
    const watch = new PoolWatch({
      store: { poolUsage: async () => [usage('a', 9), usage('b', 30)] },
      config: withRule(20),
      clock: () => NOW,
      events,
    });
    assert.deepEqual(await watch.check(), ['a']);
    assert.deepEqual(seen, ['a']);
  });

  it('exposes callsign_pool_low next to the free numbers', async () => {
    const engine = {
      config: {},
      store: {
        listOperations: async () => [],
        poolUsage: async () => [usage('nyc-ext', 3), usage('lon-ext', 60)],
      },
    } as unknown as Engine;
    const text = await new MetricsRecorder(() => NOW).render(engine);
    assert.match(text, /^# TYPE callsign_pool_low gauge$/m);
    assert.match(text, /^callsign_pool_low\{pool="nyc-ext"\} 1$/m);
    assert.match(text, /^callsign_pool_low\{pool="lon-ext"\} 0$/m);
    assert.match(text, /^callsign_pool_free_numbers\{pool="nyc-ext",kind="extension"\} 3$/m);
  });
});
