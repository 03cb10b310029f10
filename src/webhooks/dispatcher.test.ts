/**
 * Webhook delivery against a real HTTP receiver on 127.0.0.1, on SQLite and PostgreSQL: the
 * signature, filtering by event type, retries (500, 429 with Retry-After, receiver down), a 400
 * that fails at once, order per webhook, and no secret in bodies or logs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { CallsignError } from '../core/errors.ts';
import { testDialects, withStore } from '../store/testing/databases.ts';
import type { Store } from '../store/types.ts';
import { WebhookDispatcher } from './dispatcher.ts';
import type { WebhookEventBody } from './event-types.ts';
import { verifySignature } from './signature.ts';
import {
  capturingLogger,
  eventually,
  FakeClock,
  harness,
  operation,
  webhook,
  type Harness,
} from './test-kit.ts';
import { TestReceiver } from './test-receiver.ts';

const dialects = await testDialects();

for (const name of ['sqlite', 'postgres'] as const) {
  const skip = dialects.names.includes(name) ? false : dialects.skipped;
  describe(`webhook delivery on ${name}`, { skip }, () => {
    let receiver: TestReceiver;
    before(async () => {
      receiver = await new TestReceiver().start();
    });
    after(() => receiver.stop());
    const fresh = () => {
      receiver.requests.length = 0;
      receiver.script.length = 0;
    };
    const run = (fn: (store: Store) => Promise<void>) => () => {
      fresh();
      return withStore(name, fn);
    };

    test(
      'a delivery is signed with the webhook secret and verifies with no other',
      run(async (store) => {
        const hook = webhook('crm', receiver.url());
        const h = harness(store, [hook]);
        await done(h, 'op-1');

        assert.deepEqual(await h.dispatcher.drain(), { delivered: 1, retried: 0, failed: 0 });
        const [req] = receiver.requests;
        assert.ok(req);
        assert.equal(req.method, 'POST');
        assert.equal(req.headers['content-type'], 'application/json');
        assert.equal(req.headers['callsign-event'], 'operation.done');
        const [delivery] = await h.outbox.list();
        assert.equal(req.headers['callsign-delivery'], delivery!.id);

        const header = req.headers['callsign-signature'] as string;
        const now = h.clock.now();
        assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
        assert.ok(verifySignature({ secret: hook.secret, header, body: req.body, now }));
        assert.ok(!verifySignature({ secret: 'another-secret', header, body: req.body, now }));
        assert.ok(
          !verifySignature({
            secret: hook.secret,
            header,
            body: req.body.replace('op-1', 'op-2'),
            now,
          }),
          'a changed body must not verify',
        );
        const late = new Date(now.getTime() + 301_000);
        assert.ok(!verifySignature({ secret: hook.secret, header, body: req.body, now: late }));

        const body = JSON.parse(req.body) as WebhookEventBody;
        assert.equal(body.id, delivery!.eventId);
        assert.equal(body.type, 'operation.done');
        assert.equal(body.occurredAt, now.toISOString());
        assert.deepEqual(body.data, {
          operationId: 'op-1',
          runId: 'run-1',
          personId: 'p-1',
          target: 'pbx',
          type: 'subscriber',
          key: '2001',
          action: 'create',
          attempt: 1,
          outcome: 'created',
          externalId: 'ext-op-1',
        });
        const [logged] = await h.outbox.list();
        assert.equal(logged!.state, 'delivered');
        assert.equal(logged!.lastStatus, 200);
        assert.equal(logged!.attempts, 1);
      }),
    );

    test(
      'each webhook gets only the event types it asked for',
      run(async (store) => {
        const all = webhook('all', receiver.url('/all'));
        const failures = webhook('failures', receiver.url('/failures'), {
          events: ['operation.failed'],
        });
        const h = harness(store, [all, failures]);
        await done(h, 'op-1');
        await failed(h, 'op-2', 'rejected');

        await h.dispatcher.drain();
        const seen = receiver.requests.map((r) => `${r.path} ${r.headers['callsign-event']}`);
        assert.deepEqual(seen.sort(), [
          '/all operation.done',
          '/all operation.failed',
          '/failures operation.failed',
        ]);
      }),
    );

    test(
      'a 500 is retried after the backoff, then delivered with the same body',
      run(async (store) => {
        receiver.script.push({ status: 500 });
        const h = harness(store, [webhook('crm', receiver.url())]);
        await done(h, 'op-1');

        assert.deepEqual(await h.dispatcher.drain(), { delivered: 0, retried: 1, failed: 0 });
        const [waiting] = await h.outbox.list();
        assert.equal(waiting!.state, 'pending');
        assert.equal(waiting!.lastStatus, 500);
        assert.equal(waiting!.lastError, 'HTTP 500');
        // Backoff base 1 s with the jitter at its floor: half of it.
        assert.equal(Date.parse(waiting!.nextAttemptAt) - h.clock.now().getTime(), 500);

        assert.deepEqual(await h.dispatcher.drain(), { delivered: 0, retried: 0, failed: 0 });
        h.clock.advance(500);
        assert.deepEqual(await h.dispatcher.drain(), { delivered: 1, retried: 0, failed: 0 });
        const [first, second] = receiver.requests;
        assert.equal(first!.body, second!.body);
        assert.equal(first!.headers['callsign-delivery'], second!.headers['callsign-delivery']);
        const [logged] = await h.outbox.list();
        assert.deepEqual(
          [logged!.state, logged!.attempts, logged!.lastStatus],
          ['delivered', 2, 200],
        );
      }),
    );

    test(
      'a 429 waits for its Retry-After, not the shorter backoff',
      run(async (store) => {
        receiver.script.push({ status: 429, headers: { 'Retry-After': '120' } });
        const h = harness(store, [webhook('crm', receiver.url())]);
        await done(h, 'op-1');

        assert.equal((await h.dispatcher.drain()).retried, 1);
        const [waiting] = await h.outbox.list();
        assert.equal(Date.parse(waiting!.nextAttemptAt) - h.clock.now().getTime(), 120_000);

        h.clock.advance(119_000);
        assert.equal((await h.dispatcher.drain()).delivered, 0);
        assert.equal(receiver.requests.length, 1);
        h.clock.advance(1_000);
        assert.equal((await h.dispatcher.drain()).delivered, 1);
        assert.equal(receiver.requests.length, 2);
      }),
    );

    test(
      'a 400 fails at once, and the next delivery goes',
      run(async (store) => {
        receiver.script.push({ status: 400 });
        const h = harness(store, [webhook('crm', receiver.url())]);
        await done(h, 'op-1');
        await done(h, 'op-2');

        assert.deepEqual(await h.dispatcher.drain(), { delivered: 1, retried: 0, failed: 1 });
        assert.equal(receiver.requests.length, 2);
        const failedOnes = await h.outbox.list({ failed: true });
        assert.equal(failedOnes.length, 1);
        assert.deepEqual([failedOnes[0]!.attempts, failedOnes[0]!.lastStatus], [1, 400]);
        const ids = receiver.requests.map((r) => (JSON.parse(r.body) as WebhookEventBody).data);
        assert.deepEqual(
          ids.map((d) => (d as { operationId: string }).operationId),
          ['op-1', 'op-2'],
        );
      }),
    );

    test(
      'a delivery waiting for a retry holds back the later ones of its webhook',
      run(async (store) => {
        receiver.script.push({ status: 503 });
        const h = harness(store, [webhook('crm', receiver.url())]);
        await done(h, 'op-1');
        await done(h, 'op-2');

        await h.dispatcher.drain();
        assert.equal(receiver.requests.length, 1, 'op-2 must not overtake op-1');
        h.clock.advance(60_000);
        await h.dispatcher.drain();
        const order = receiver.requests.map(
          (r) => (JSON.parse(r.body) as { data: { operationId: string } }).data.operationId,
        );
        assert.deepEqual(order, ['op-1', 'op-1', 'op-2']);
      }),
    );

    test(
      'retries stop after maxAttempts: the delivery fails with the last error',
      run(async (store) => {
        receiver.script.push({ status: 502 }, { status: 502 });
        const h = harness(store, [webhook('crm', receiver.url(), { maxAttempts: 2 })]);
        await done(h, 'op-1');

        await h.dispatcher.drain();
        h.clock.advance(60_000);
        assert.deepEqual(await h.dispatcher.drain(), { delivered: 0, retried: 0, failed: 1 });
        const [logged] = await h.outbox.list({ failed: true });
        assert.deepEqual([logged!.attempts, logged!.lastError], [2, 'HTTP 502']);
      }),
    );

    test(
      'a receiver that is down is retried and gets the event once it is up',
      run(async (store) => {
        const hook = webhook('crm', receiver.url());
        await receiver.stop();
        const { log } = capturingLogger();
        // This dispatcher runs on the real clock: the event must not be journaled in the future.
        const h = harness(store, [hook], new FakeClock(new Date().toISOString()));
        const dispatcher = new WebhookDispatcher({
          outbox: h.outbox,
          webhooks: [hook],
          log,
          pollMs: 20,
          backoff: { baseMs: 20, maxMs: 100 },
        });
        await done(h, 'op-1');
        dispatcher.start();
        try {
          await eventually(async () => ((await h.outbox.list())[0]?.attempts ?? 0) >= 2);
          const [down] = await h.outbox.list();
          assert.equal(down!.state, 'pending');
          assert.match(down!.lastError ?? '', /network error/);
          assert.equal(down!.lastStatus, undefined);

          await receiver.start();
          await eventually(async () => (await h.outbox.list())[0]?.state === 'delivered');
          assert.equal(receiver.requests.length, 1);
        } finally {
          await dispatcher.stop();
          if (receiver.requests.length === 0) await receiver.start().catch(() => undefined);
        }
      }),
    );

    test(
      'no secret reaches a body or a log line',
      run(async (store) => {
        receiver.script.push({ status: 500 }, { status: 401 });
        const hook = webhook('crm', receiver.url('/in/tok-in-path'));
        const h = harness(store, [hook]);
        await failed(h, 'op-1', 'auth');
        await done(h, 'op-2');

        await h.dispatcher.drain();
        h.clock.advance(60_000);
        await h.dispatcher.drain();
        assert.equal(receiver.requests.length, 3);
        const logs = h.logText();
        assert.ok(logs.includes('webhook will retry'), 'the logger was used');
        for (const text of [logs, ...receiver.requests.map((r) => r.body)]) {
          assert.ok(!text.includes(hook.secret), 'secret leaked');
          assert.ok(!text.includes('tok-in-path'), 'URL leaked');
          assert.ok(!text.includes('displayName'), 'attributes leaked');
        }
      }),
    );
  });
}

/** Emits `operation:done` and waits until the feed journaled it. */
async function done(h: Harness, id: string): Promise<void> {
  const before = await count(h);
  h.events.emit('operation:done', {
    operation: operation(id),
    result: { externalId: `ext-${id}`, outcome: 'created' },
    durationMs: 3,
  });
  await eventually(async () => (await count(h)) > before);
}

/** Emits `operation:failed` and waits until the feed journaled it. */
async function failed(h: Harness, id: string, code: 'rejected' | 'auth'): Promise<void> {
  const before = await count(h);
  const error = new CallsignError(code, `Target refused ${id}`);
  h.events.emit('operation:failed', { operation: operation(id, { state: 'failed' }), error });
  await eventually(async () => (await count(h)) > before);
}

async function count(h: Harness): Promise<number> {
  return new Set((await h.outbox.list({ limit: 1000 })).map((d) => d.eventId)).size;
}
