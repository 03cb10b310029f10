/**
 * Completion as one transaction, on SQLite and on PostgreSQL: the operation's state, its one
 * audit row and its link change (with the secret of a deleted resource) are written together,
 * and not at all when the fence is stale; batched writes keep their own answers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Link, PlannedOperation } from '../core/model.ts';
import { testDialects, withStore } from './testing/databases.ts';
import type { CompletionAudit, OperationRecord, Store } from './types.ts';

const dialects = await testDialects();

for (const name of ['sqlite', 'postgres'] as const) {
  const skip = dialects.names.includes(name) ? false : dialects.skipped;
  describe(`completion on ${name}`, { skip }, () => {
    const run = (fn: (store: Store) => Promise<void>) => () => withStore(name, fn);

    test(
      'done with a link save writes state, link and one audit row',
      run(async (store) => {
        const [claimed] = await journalAndClaim(store, [op('A', '1001')]);
        const audit = auditOf('1001', 'cli:alice');

        const ok = await store.complete(claimed!.id, claimed!.fence, {
          state: 'done',
          result: result('1001'),
          audit,
          link: { save: link('A', '1001') },
        });

        assert.equal(ok, true);
        assert.equal((await store.getOperation(claimed!.id))?.state, 'done');
        assert.deepEqual(await store.listLinks('A'), [link('A', '1001')]);
        const rows = await store.queryAudit({ personId: 'A' });
        assert.deepEqual(
          rows.map((r) => [r.action, r.actor, r.subject, r.runId, r.before, r.after]),
          [
            [
              'operation.done',
              'cli:alice',
              'kam/sip-subscriber/1001',
              'r1',
              audit.before,
              audit.after,
            ],
          ],
        );
      }),
    );

    test(
      'a stale fence writes no state, link or audit row',
      run(async (store) => {
        const [claimed] = await journalAndClaim(store, [op('A', '1001')]);
        const stale = claimed!.fence - 1;
        const outcome = {
          state: 'done' as const,
          result: result('1001'),
          audit: auditOf('1001', 'cli:alice'),
          link: { save: link('A', '1001') },
        };

        // Together in one batch: the stale one changes nothing, the valid one everything.
        const answers = await Promise.all([
          store.complete(claimed!.id, stale, outcome),
          store.complete(claimed!.id, claimed!.fence, { ...outcome, link: undefined }),
          store.complete(claimed!.id, claimed!.fence, outcome),
        ]);

        assert.deepEqual(answers, [false, true, false]);
        assert.deepEqual(await store.listLinks(), []);
        assert.equal((await store.queryAudit({ personId: 'A' })).length, 1);
      }),
    );

    test(
      "a link delete removes the link and that resource's secret only",
      run(async (store) => {
        await store.saveLink(link('A', '1001'));
        await store.saveLink(link('A', '1002'));
        await store.putSecret('kam/sip-subscriber/1001', 'old-ciphertext');
        await store.putSecret('kam/sip-subscriber/1002', 'other-ciphertext');
        const [claimed] = await journalAndClaim(store, [op('A', '1001', { action: 'delete' })]);

        const resource = { personId: 'A', target: 'kam', type: 'sip-subscriber', key: '1001' };
        const ok = await store.complete(claimed!.id, claimed!.fence, {
          state: 'done',
          result: result('1001'),
          link: { delete: resource },
        });

        assert.equal(ok, true);
        assert.deepEqual(
          (await store.listLinks('A')).map((l) => l.key),
          ['1002'],
        );
        assert.equal(await store.getSecret('kam/sip-subscriber/1001'), undefined);
        assert.equal(
          (await store.getSecret('kam/sip-subscriber/1002'))?.ciphertext,
          'other-ciphertext',
        );
        // Without an audit override the engine's default row, one, with the same subject form.
        const rows = await store.queryAudit({ personId: 'A' });
        assert.deepEqual(
          rows.map((r) => [r.action, r.actor, r.subject]),
          [['operation.done', 'engine', 'kam/sip-subscriber/1001']],
        );
      }),
    );

    test(
      'failed and retried completions write one audit row each',
      run(async (store) => {
        const [a, b] = await journalAndClaim(store, [op('A', '1001'), op('B', '2001')]);
        const error = { code: 'unavailable', message: 'timeout', retryable: true };

        assert.equal(
          await store.complete(a!.id, a!.fence, {
            state: 'pending',
            notBefore: new Date(Date.now() + 60_000),
            error,
            audit: auditOf('1001', 'cli:bob'),
          }),
          true,
        );
        assert.equal(
          await store.complete(b!.id, b!.fence, {
            state: 'failed',
            error: { ...error, retryable: false },
            audit: auditOf('2001', 'cli:bob'),
          }),
          true,
        );

        const rows = await store.queryAudit({ runId: 'r1' });
        assert.deepEqual(
          rows.map((r) => [r.personId, r.action, r.actor, r.subject]),
          [
            ['A', 'operation.retry', 'cli:bob', 'kam/sip-subscriber/1001'],
            ['B', 'operation.failed', 'cli:bob', 'kam/sip-subscriber/2001'],
          ],
        );
        assert.equal((await store.getOperation(a!.id))?.state, 'pending');
        assert.equal((await store.getOperation(b!.id))?.state, 'failed');
      }),
    );

    test(
      'one bad write in a batch fails alone and leaves nothing behind',
      run(async (store) => {
        const claimed = await journalAndClaim(store, [op('A', '1'), op('B', '2'), op('C', '3')]);
        const bad = { ...link('B', '2'), attributes: { n: 1n } as unknown as Link['attributes'] };
        const links = [link('A', '1'), bad, link('C', '3')];

        const answers = await Promise.allSettled(
          claimed.map((c, i) =>
            store.complete(c.id, c.fence, {
              state: 'done',
              result: result(c.key),
              link: { save: links[i]! },
            }),
          ),
        );
        const renewed = await Promise.all(
          claimed.map((c) => store.renewLease(c.id, c.fence, 60_000, new Date(Date.now() + 2_000))),
        );

        assert.deepEqual(
          answers.map((a) => a.status),
          ['fulfilled', 'rejected', 'fulfilled'],
        );
        assert.deepEqual(
          (await store.listLinks()).map((l) => l.personId),
          ['A', 'C'],
        );
        assert.deepEqual(
          (await store.queryAudit({ runId: 'r1' })).map((r) => r.personId),
          ['A', 'C'],
        );
        // B is still claimed by us, so its lease renews; A and C are done, so theirs do not.
        assert.deepEqual(renewed, [false, true, false]);
        assert.equal((await store.getOperation(claimed[1]!.id))?.state, 'running');
      }),
    );
  });
}

async function journalAndClaim(store: Store, ops: PlannedOperation[]): Promise<OperationRecord[]> {
  await store.journal('r1', ops, 'pending');
  return store.claim({
    owner: 'w1',
    slots: { kam: 10 },
    leaseMs: 30_000,
    limit: 10,
    now: new Date(Date.now() + 1_000),
  });
}

function op(personId: string, key: string, extra: Partial<PlannedOperation> = {}) {
  return {
    personId,
    action: 'create' as const,
    target: 'kam',
    type: 'sip-subscriber',
    key,
    attributes: { domain: 'example.com' },
    after: [],
    reason: 'rule staff',
    ...extra,
  };
}

function link(personId: string, key: string): Link {
  return {
    personId,
    target: 'kam',
    type: 'sip-subscriber',
    key,
    externalId: `ext-${key}`,
    attributes: { domain: 'example.com', extension: key },
  };
}

function result(key: string) {
  return { externalId: `ext-${key}`, outcome: 'created' };
}

function auditOf(key: string, actor: string): CompletionAudit {
  return {
    actor,
    subject: `kam/sip-subscriber/${key}`,
    before: { extension: 'old' },
    after: { extension: key },
  };
}
