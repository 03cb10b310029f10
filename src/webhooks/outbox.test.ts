/**
 * The outbox on SQLite and PostgreSQL: events journaled before any send survive a reopen and are
 * sent by a new dispatcher; an event key journals once; a lease keeps a second dispatcher off a
 * delivery in flight; redelivery; run events from the runs table, each state once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { CallsignError } from '../core/errors.ts';
import { openStore } from '../store/open.ts';
import { createTestDatabase, testDialects, withStore } from '../store/testing/databases.ts';
import type { WebhookEventBody } from './event-types.ts';
import { RUNS_SINCE_KEY } from './event-feed.ts';
import { webhookOutboxOf } from './outbox.ts';
import { FakeClock, harness, operation, webhook } from './test-kit.ts';
import { TestReceiver } from './test-receiver.ts';

const dialects = await testDialects();

for (const name of ['sqlite', 'postgres'] as const) {
  const skip = dialects.names.includes(name) ? false : dialects.skipped;
  describe(`webhook outbox on ${name}`, { skip }, () => {
    let receiver: TestReceiver;
    before(async () => {
      receiver = await new TestReceiver().start();
    });
    after(() => receiver.stop());

    test('deliveries journaled before a crash are sent by a new dispatcher', async () => {
      receiver.requests.length = 0;
      const database = await createTestDatabase(name);
      const hook = webhook('crm', receiver.url());
      try {
        const first = await openStore(database.url);
        const h = harness(first, [hook]);
        const data = operation('op-1');
        for (const id of ['op-1', 'op-2', 'op-3']) {
          await h.outbox.enqueue({
            key: `op:${id}`,
            type: 'operation.done',
            occurredAt: h.clock.now(),
            data: { ...pick(data), operationId: id },
            webhooks: ['crm'],
          });
        }
        // The process "crashes": nothing was sent, the connection goes away.
        await first.close();
        assert.equal(receiver.requests.length, 0);

        const second = await openStore(database.url);
        try {
          const again = harness(second, [hook], new FakeClock());
          assert.equal((await again.dispatcher.drain()).delivered, 3);
          const order = receiver.requests.map(
            (r) => (JSON.parse(r.body) as { data: { operationId: string } }).data.operationId,
          );
          assert.deepEqual(order, ['op-1', 'op-2', 'op-3']);
          assert.equal((await again.dispatcher.drain()).delivered, 0, 'each is sent once');
        } finally {
          await second.close();
        }
      } finally {
        await database.dispose();
      }
    });

    test('an event key journals once; an event nobody wants is not journaled', () =>
      withStore(name, async (store) => {
        const outbox = webhookOutboxOf(store);
        const event = {
          key: 'run:r1:finished',
          type: 'run.finished' as const,
          occurredAt: new Date(),
          data: runData(),
          webhooks: ['a', 'b'],
        };
        assert.ok(await outbox.enqueue(event));
        assert.equal(await outbox.enqueue(event), undefined);
        assert.equal(await outbox.enqueue({ ...event, key: 'other', webhooks: [] }), undefined);
        const list = await outbox.list();
        assert.deepEqual(list.map((d) => d.webhook).sort(), ['a', 'b']);
        assert.equal(new Set(list.map((d) => d.eventId)).size, 1);
      }));

    test('a claimed delivery is not claimed again until its lease runs out', () =>
      withStore(name, async (store) => {
        const outbox = webhookOutboxOf(store);
        const now = new Date('2030-01-01T00:00:00Z');
        await outbox.enqueue({
          key: 'k',
          type: 'run.braked',
          occurredAt: now,
          data: runData(),
          webhooks: ['a'],
        });
        const head = (await outbox.head('a'))!;
        const claims = await Promise.all([1, 2, 3].map(() => outbox.claim(head.id, now, 1000)));
        assert.equal(claims.filter(Boolean).length, 1);
        assert.equal(await outbox.claim(head.id, new Date(now.getTime() + 999), 1000), false);
        assert.equal(await outbox.claim(head.id, new Date(now.getTime() + 1000), 1000), true);
        assert.equal((await outbox.get(head.id))!.attempts, 2);
      }));

    test('redeliver sends a failed delivery again with the same event id', () =>
      withStore(name, async (store) => {
        receiver.requests.length = 0;
        receiver.script.length = 0;
        receiver.script.push({ status: 404 });
        const h = harness(store, [webhook('crm', receiver.url())]);
        await h.outbox.enqueue({
          key: 'k',
          type: 'run.failed',
          occurredAt: h.clock.now(),
          data: runData(),
          webhooks: ['crm'],
        });
        assert.equal((await h.dispatcher.drain()).failed, 1);
        const [lost] = await h.outbox.list({ failed: true });

        await assert.rejects(
          h.outbox.redeliver('nope', h.clock.now()),
          (err: CallsignError) => err.code === 'not_found',
        );
        const again = await h.outbox.redeliver(lost!.id, h.clock.now());
        assert.deepEqual([again.state, again.attempts], ['pending', 0]);
        await assert.rejects(
          h.outbox.redeliver(lost!.id, h.clock.now()),
          (err: CallsignError) => err.code === 'state',
        );
        assert.equal((await h.dispatcher.drain()).delivered, 1);

        const ids = receiver.requests.map((r) => (JSON.parse(r.body) as WebhookEventBody).id);
        assert.equal(ids.length, 2);
        assert.equal(ids[0], ids[1]);
        assert.equal((await h.outbox.list({ failed: true })).length, 0);
      }));

    test('run states become events once each; runs settled before the first scan do not', () =>
      withStore(name, async (store) => {
        const clock = new FakeClock();
        const h = harness(
          store,
          [
            webhook('ops', receiver.url(), {
              events: ['run.braked', 'run.finished'],
            }),
          ],
          clock,
        );
        await store.createRun({
          id: 'old',
          kind: 'sync',
          state: 'finished',
          actor: 'poll',
          startedAt: '2029-12-31T00:00:00.000Z',
          summary: {},
        });
        await store.updateRun('old', { finishedAt: '2029-12-31T00:01:00.000Z' });
        assert.equal(await h.feed.scanRuns(), 0);
        assert.equal(await store.getState(RUNS_SINCE_KEY), clock.now().toISOString());

        clock.advance(1000);
        await store.createRun({
          id: 'r1',
          kind: 'sync',
          state: 'running',
          actor: 'poll',
          startedAt: clock.now().toISOString(),
          summary: {},
        });
        assert.equal(await h.feed.scanRuns(), 0, 'running is not announced');
        await store.updateRun('r1', { state: 'braked', summary: { brake: { share: 0.5 } } });
        assert.equal(await h.feed.scanRuns(), 1);
        assert.equal(await h.feed.scanRuns(), 0, 'seen again: not journaled again');
        await store.updateRun('r1', { state: 'rejected', finishedAt: clock.now().toISOString() });
        assert.equal(await h.feed.scanRuns(), 0, 'rejected is not wanted by this webhook');

        const [braked] = await h.outbox.list();
        assert.equal(braked!.type, 'run.braked');
        const body = JSON.parse((await h.outbox.head('ops'))!.body) as WebhookEventBody;
        assert.deepEqual(body.data, {
          runId: 'r1',
          kind: 'sync',
          state: 'braked',
          actor: 'poll',
          startedAt: clock.now().toISOString(),
          summary: { brake: { share: 0.5 } },
        });
      }));
  });
}

function pick(op: ReturnType<typeof operation>) {
  return {
    operationId: op.id,
    runId: op.runId,
    personId: op.personId,
    target: op.target,
    type: op.type,
    key: op.key,
    action: op.action,
    attempt: op.attempts,
  };
}

function runData() {
  return {
    runId: 'r1',
    kind: 'sync',
    state: 'finished',
    actor: 'poll',
    startedAt: '2030-01-01T00:00:00.000Z',
    summary: {},
  };
}
