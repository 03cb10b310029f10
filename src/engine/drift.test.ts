/**
 * The drift check reads links back only from targets that remember what earlier runs made: a
 * configured `null` target forgets when its process ends, and reading it would plan every
 * resource again at every run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { NullTarget } from '../connectors/null/null-target.ts';
import type { Link } from '../core/model.ts';
import { dropDrifted } from './drift.ts';
import type { Engine } from './engine.ts';

function engineWith(target: NullTarget) {
  const state = new Map<string, string>();
  const deleted: string[] = [];
  const warnings: string[] = [];
  const engine = {
    targets: new Map([[target.name, target]]),
    log: { warn: (_data: unknown, msg: string) => void warnings.push(msg) },
    store: {
      getState: async (k: string) => state.get(k),
      setState: async (k: string, v: string) => void state.set(k, v),
      deleteLink: async (_p: string, _t: string, type: string, key: string) =>
        void deleted.push(`${type}/${key}`),
    },
  } as unknown as Engine;
  return { engine, deleted, warnings };
}

const link: Link = {
  personId: 'p1',
  target: 'pbx',
  type: 'sip-subscriber',
  key: '2001',
  externalId: 'x',
  attributes: {},
};

test('a target that remembers: a resource gone behind our back is dropped and reported', async () => {
  const { engine, deleted } = engineWith(new NullTarget({ name: 'pbx', concurrency: 1 }));
  const problems = await dropDrifted(engine, new Map([['p1', [link]]]), []);
  assert.deepEqual(deleted, ['sip-subscriber/2001']);
  assert.equal(problems.length, 1);
});

test('links to something that is not a target (write-back, inventory) are not read', async () => {
  const pbx = new NullTarget({ name: 'pbx', concurrency: 1 });
  const { engine, deleted, warnings } = engineWith(pbx);
  const writeBack: Link = { ...link, target: 'dir', type: 'writeback', key: 'uuid-1' };
  const problems = await dropDrifted(engine, new Map([['p1', [writeBack]]]), []);
  assert.deepEqual(deleted, []);
  assert.deepEqual(problems, []);
  assert.deepEqual(warnings, [], 'nothing tried to read them');
});

test('a target that forgets between processes is not read back', async () => {
  const target = new NullTarget({ name: 'pbx', concurrency: 1, remembers: false });
  const { engine, deleted } = engineWith(target);
  const problems = await dropDrifted(engine, new Map([['p1', [link]]]), []);
  assert.deepEqual(deleted, []);
  assert.deepEqual(problems, []);
});
