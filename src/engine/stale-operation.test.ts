/**
 * The executor never runs a stale operation, on SQLite and PostgreSQL: a leaver's removal that
 * waits out its backoff while the resource goes to another person is cancelled as stale when
 * its turn comes, and the new holder keeps the resource.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { NullTarget } from '../connectors/null/null-target.ts';
import { CallsignError } from '../core/errors.ts';
import type { PlannedOperation } from '../core/model.ts';
import { testDialects, withStore } from '../store/testing/databases.ts';
import { Executor } from './executor.ts';

const dialects = await testDialects();
if (dialects.skipped !== undefined) test(dialects.skipped, { skip: true }, () => {});

function op(personId: string, action: PlannedOperation['action'], name: string, key = '4000') {
  return {
    personId,
    action,
    target: 'pbx',
    type: 'sip-subscriber',
    key,
    attributes: { displayName: name },
    after: [],
    reason: 'test',
  } satisfies PlannedOperation;
}

for (const dialect of dialects.names) {
  describe(`stale operations in the executor on ${dialect}`, () => {
    test('a removal retried after the resource went to someone else is cancelled', async () => {
      await withStore(dialect, async (store) => {
        let deletes = 0;
        const pbx = new NullTarget({
          name: 'pbx',
          concurrency: 2,
          // The first removal fails retryably, so it waits while the hire's create runs.
          failures: (change) =>
            change.action === 'delete' && ++deletes === 1
              ? new CallsignError('unavailable', 'RPC endpoint unreachable', { retryable: true })
              : undefined,
        });
        pbx.resources.set('sip-subscriber/4000', { displayName: 'Ann' });
        await store.createRun({
          id: 'r1',
          kind: 'sync',
          state: 'running',
          actor: 't',
          summary: {},
        });
        await store.journal('r1', [op('ann', 'delete', 'Ann')], 'pending');
        const executor = new Executor({
          store,
          targets: new Map([['pbx', pbx]]),
          maxAttempts: 3,
          backoffBaseMs: 200,
          backoffMaxMs: 200,
          secrets: undefined,
        });
        await executor.runUntilIdle({ runId: 'no-such-run' });
        const [waiting] = await store.listOperations({ runId: 'r1' });
        assert.equal(waiting?.state, 'pending', 'the removal waits out its backoff');

        await store.createRun({
          id: 'r2',
          kind: 'sync',
          state: 'running',
          actor: 't',
          summary: {},
        });
        await store.journal('r2', [op('bob', 'create', 'Bob')], 'pending');
        await executor.runUntilIdle();

        assert.equal(pbx.resources.get('sip-subscriber/4000')?.displayName, 'Bob');
        const old = await store.getOperation(waiting!.id);
        assert.equal(old?.state, 'cancelled');
        assert.match(old?.lastError?.message ?? '', /stale: pbx\/sip-subscriber\/4000/);
        assert.deepEqual(
          (await store.listLinks()).map((l) => l.personId),
          ['bob'],
          "the leaver keeps no link to the hire's subscriber",
        );
      });
    });

    test('an update finds its resource gone: the link is dropped; a delete of it is done', async () => {
      await withStore(dialect, async (store) => {
        // As Kamailio answers an update or delete of a subscriber row that is not there.
        const pbx: NullTarget = new NullTarget({
          name: 'pbx',
          concurrency: 2,
          failures: (change): Error | undefined =>
            change.action !== 'create' && !pbx.resources.has(`${change.type}/${change.key}`)
              ? new CallsignError('not_found', `${change.key} has no subscriber row`)
              : undefined,
        });
        const link = { target: 'pbx', type: 'sip-subscriber', attributes: {}, externalId: 'x' };
        await store.saveLink({ ...link, personId: 'ann', key: '4000' });
        await store.saveLink({ ...link, personId: 'bob', key: '4001' });
        await store.createRun({
          id: 'r1',
          kind: 'sync',
          state: 'running',
          actor: 't',
          summary: {},
        });
        await store.journal('r1', [op('ann', 'update', 'Ann')], 'pending');
        await store.journal('r1', [op('bob', 'delete', 'Bob', '4001')], 'pending');
        const executor = new Executor({
          store,
          targets: new Map([['pbx', pbx]]),
          maxAttempts: 3,
          backoffBaseMs: 5,
          backoffMaxMs: 5,
          secrets: undefined,
        });
        const stats = await executor.runUntilIdle({ runId: 'r1' });
        assert.equal(stats.failed, 0, 'neither ends failed');

        const [update, remove] = await store.listOperations({ runId: 'r1' });
        assert.equal(update?.state, 'cancelled');
        assert.match(update?.lastError?.message ?? '', /missing on the target.*next run creates/);
        assert.equal(remove?.state, 'done', 'already gone is as good as deleted');
        assert.deepEqual(await store.listLinks(), [], 'no link is left to the missing resource');
      });
    });
  });
}
