import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { NullTarget } from '../connectors/null/null-target.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { PlannedOperation } from '../core/model.ts';
import type { Store } from '../store/types.ts';
import { Executor, type ExecutorOptions, type OperationHandler } from './executor.ts';
import { testDialects, withStore } from '../store/testing/databases.ts';
import { FakeClock, grid, journalRun } from './testing/queue-fixtures.ts';

const BASE = { maxAttempts: 3, backoffBaseMs: 5, backoffMaxMs: 20, secrets: undefined };

function executor(store: Store, targets: NullTarget[], extra: Partial<ExecutorOptions> = {}) {
  return new Executor({
    store,
    targets: new Map(targets.map((t) => [t.name, t])),
    ...BASE,
    ...extra,
  });
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function opByKey(store: Store, runId: string, key: string) {
  const op = (await store.listOperations({ runId })).find((o) => o.key === key);
  assert.ok(op, `operation ${key} exists`);
  return op;
}

const dialects = await testDialects();
if (dialects.skipped !== undefined) process.stderr.write(`${dialects.skipped}\n`);

for (const dialect of dialects.names) {
  describe(`Executor on ${dialect}`, { timeout: 30_000 }, () => {
    test('runs each person in journal order, one at a time, people in parallel', async () => {
      await withStore(dialect, async (store) => {
        const active = new Map<string, number>();
        let overlaps = 0;
        const target = new NullTarget({
          name: 'null',
          concurrency: 8,
          delay: async (change) => {
            const person = change.attributes.personId ?? '';
            active.set(person, (active.get(person) ?? 0) + 1);
            if ((active.get(person) ?? 0) > 1) overlaps += 1;
            await delay(Math.floor(Math.random() * 3));
            active.set(person, (active.get(person) ?? 1) - 1);
          },
        });
        const runId = await journalRun(store, grid(30, 6, 'null'));
        const exec = executor(store, [target]);
        exec.events.on('operation:done', () => {
          throw new Error('faulty listener');
        });
        exec.events.on('operation:started', async () => Promise.reject(new Error('async fault')));

        const stats = await exec.runUntilIdle({ runId });

        assert.deepEqual(stats, { done: 180, failed: 0, retried: 0 });
        assert.equal(overlaps, 0);
        assert.ok(target.maxInFlight > 1, 'people ran in parallel');
        const seen = new Map<string, number>();
        for (const effect of target.effects) {
          const person = effect.attributes.personId ?? '';
          const n = Number(effect.attributes.n);
          assert.equal(n, (seen.get(person) ?? -1) + 1, `${person} effect ${n} in order`);
          seen.set(person, n);
        }
        assert.equal(await store.countOpen(runId), 0);
      });
    });

    test('never has more calls in flight than the target allows', async () => {
      await withStore(dialect, async (store) => {
        const target = new NullTarget({ name: 'null', concurrency: 3, delay: () => delay(5) });
        const runId = await journalRun(store, grid(40, 1, 'null'));

        const stats = await executor(store, [target]).runUntilIdle({ runId });

        assert.equal(stats.done, 40);
        assert.equal(target.maxInFlight, 3);
      });
    });

    test('starts no more operations per second than the target rate', async () => {
      await withStore(dialect, async (store) => {
        const clock = new FakeClock();
        const starts: number[] = [];
        const target = new NullTarget({
          name: 'null',
          concurrency: 50,
          ratePerSecond: 20,
          delay: async () => void starts.push(clock.now().getTime()),
        });
        const runId = await journalRun(store, grid(60, 1, 'null'));

        const stats = await executor(store, [target], {
          clock: clock.now,
          sleep: clock.sleep,
        }).runUntilIdle({ runId });

        assert.equal(stats.done, 60);
        // Burst of 2 (a tenth of a second's worth) plus 20 per second, never more.
        for (let i = 0; i + 22 < starts.length; i++) {
          assert.ok(starts[i + 22]! - starts[i]! >= 1000, `window at start ${i}`);
        }
        const span = starts.at(-1)! - starts[0]!;
        // 60 starts less the initial burst (2, plus a token accrued while the first claim ran)
        // at 20/s: at least 56 intervals of 50 ms; the window check above is the strict one.
        assert.ok(span >= 2800 && span <= 6000, `60 starts at 20/s took ${span} ms`);
      });
    });

    test('retries a retryable error with backoff, then gives up at maxAttempts', async () => {
      await withStore(dialect, async (store) => {
        const calls = new Map<string, number>();
        const target = new NullTarget({
          name: 'null',
          concurrency: 2,
          failures: (change) => {
            const n = (calls.get(change.key) ?? 0) + 1;
            calls.set(change.key, n);
            const flaky = change.key === 'p0-0' && n <= 2;
            if (!flaky && change.key !== 'p1-0') return undefined;
            return new CallsignError(ErrorCode.Unavailable, `timeout on ${change.key}`);
          },
        });
        const runId = await journalRun(store, grid(2, 1, 'null'));
        const exec = executor(store, [target]);
        const retries: string[] = [];
        exec.events.on('operation:retry', (e) => void retries.push(e.operation.key));

        const stats = await exec.runUntilIdle({ runId });

        assert.deepEqual(stats, { done: 1, failed: 1, retried: 4 });
        assert.deepEqual(retries.sort(), ['p0-0', 'p0-0', 'p1-0', 'p1-0']);
        const flaky = await opByKey(store, runId, 'p0-0');
        assert.equal(flaky.state, 'done');
        assert.equal(flaky.attempts, 3);
        const dead = await opByKey(store, runId, 'p1-0');
        assert.equal(dead.state, 'failed');
        assert.equal(dead.lastError?.code, 'unavailable');
        assert.equal(target.effects.length, 1);
        // One audit row per completion, each with the run's actor.
        const audit = await store.queryAudit({ runId });
        const rows = (key: string) =>
          audit
            .filter((a) => a.subject === `null/thing/${key}`)
            .map((a) => `${a.actor} ${a.action}`);
        assert.deepEqual(rows('p0-0'), [
          'cli:test operation.retry',
          'cli:test operation.retry',
          'cli:test operation.done',
        ]);
        assert.deepEqual(rows('p1-0'), [
          'cli:test operation.retry',
          'cli:test operation.retry',
          'cli:test operation.failed',
        ]);
        assert.equal(audit.length, 6);
      });
    });

    test('a non-retryable error fails at once and holds only that person back', async () => {
      await withStore(dialect, async (store) => {
        const target = new NullTarget({
          name: 'null',
          concurrency: 4,
          failures: (change) =>
            change.key === 'p0-1'
              ? new CallsignError(ErrorCode.Rejected, 'extension refused')
              : undefined,
        });
        const runId = await journalRun(store, grid(3, 3, 'null'));

        const stats = await executor(store, [target]).runUntilIdle({ runId });

        assert.deepEqual(stats, { done: 7, failed: 1, retried: 0 });
        assert.equal((await opByKey(store, runId, 'p0-1')).attempts, 1);
        assert.equal((await opByKey(store, runId, 'p0-2')).state, 'pending');
        const applied = target.effects.map((e) => e.key);
        assert.ok(!applied.includes('p0-2'));
        assert.ok(['p1-2', 'p2-2'].every((k) => applied.includes(k)));
        const audit = await store.queryAudit({ runId, personId: 'p0' });
        assert.ok(
          audit.some(
            (a) =>
              a.action === 'operation.failed' &&
              a.subject === 'null/thing/p0-1' &&
              a.actor === 'cli:test',
          ),
        );

        const failed = await opByKey(store, runId, 'p0-1');
        await store.setOperationState(failed.id, 'skipped', 'cli:operator');
        const after = await executor(store, [target]).runUntilIdle({ runId });
        assert.equal(after.done, 1);
        assert.equal((await opByKey(store, runId, 'p0-2')).state, 'done');
      });
    });

    test('Retry-After pauses that target only', async () => {
      await withStore(dialect, async (store) => {
        const clock = new FakeClock();
        const times = new Map<string, number[]>();
        const record = (key: string) => {
          times.set(key, [...(times.get(key) ?? []), clock.now().getTime()]);
        };
        let throttled = false;
        const slow = new NullTarget({
          name: 'slow',
          concurrency: 1,
          delay: async (c) => void record(c.key),
          failures: () => {
            if (throttled) return undefined;
            throttled = true;
            return new CallsignError(ErrorCode.Throttled, 'busy', { retryAfterMs: 5000 });
          },
        });
        const fast = new NullTarget({
          name: 'fast',
          concurrency: 1,
          delay: async (c) => void record(c.key),
        });
        const runId = await journalRun(store, [
          { person: 'a', target: 'slow', n: 0 },
          { person: 'b', target: 'slow', n: 0 },
          ...['c', 'd', 'e', 'f'].map((person) => ({ person, target: 'fast', n: 0 })),
        ]);
        const exec = executor(store, [slow, fast], { clock: clock.now, sleep: clock.sleep });
        const paused: string[] = [];
        exec.events.on('target:paused', (e) => void paused.push(e.target));

        const stats = await exec.runUntilIdle({ runId });

        assert.deepEqual(stats, { done: 6, failed: 0, retried: 1 });
        assert.deepEqual(paused, ['slow']);
        const throttledAt = times.get('a-0')![0]!;
        assert.ok(times.get('a-0')![1]! >= throttledAt + 5000);
        assert.ok(times.get('b-0')![0]! >= throttledAt + 5000, 'the whole target paused');
        for (const key of ['c-0', 'd-0', 'e-0', 'f-0']) {
          assert.ok(times.get(key)![0]! < throttledAt + 5000, `${key} did not wait`);
        }
      });
    });

    test('a call that stalls past its lease cannot record its result', async () => {
      await withStore(dialect, async (store) => {
        const t0 = Date.parse('2030-01-01T00:00:00Z');
        const gate = deferred();
        const called = deferred();
        const stalled = new NullTarget({
          name: 'null',
          concurrency: 1,
          delay: async () => {
            called.resolve();
            await gate.promise;
          },
        });
        const healthy = new NullTarget({ name: 'null', concurrency: 1 });
        const runId = await journalRun(store, grid(1, 1, 'null'));
        const a = executor(store, [stalled], { clock: () => new Date(t0), owner: 'a' });
        const b = executor(store, [healthy], { clock: () => new Date(t0 + 600_000), owner: 'b' });
        const stale: string[] = [];
        a.events.on('operation:stale', (e) => void stale.push(e.phase));

        const runA = a.runUntilIdle({ runId });
        await called.promise;
        const statsB = await b.runUntilIdle({ runId });
        gate.resolve();
        const statsA = await runA;

        assert.equal(statsB.done, 1);
        assert.equal(statsA.done, 0);
        assert.deepEqual(stale, ['complete']);
        const op = await opByKey(store, runId, 'p0-0');
        assert.equal(op.state, 'done');
        assert.equal(op.fence, 2);
        const done = await store.queryAudit({ runId, action: 'operation.done' });
        assert.equal(done.filter((e) => e.subject === 'null/thing/p0-0').length, 1);
      });
    });

    test('a lease lost before the call means the target is not called', async () => {
      await withStore(dialect, async (store) => {
        const t0 = Date.parse('2030-01-01T00:00:00Z');
        const gate = deferred();
        const asked = deferred();
        const stalledSecrets = {
          reveal: async () => {
            asked.resolve();
            await gate.promise;
            return 'pw';
          },
        };
        const late = new NullTarget({ name: 'null', concurrency: 1 });
        const healthy = new NullTarget({ name: 'null', concurrency: 1 });
        const runId = await journalRun(store, [
          { person: 'p0', target: 'null', n: 0, secret: true },
        ]);
        const a = executor(store, [late], { clock: () => new Date(t0), secrets: stalledSecrets });
        const b = executor(store, [healthy], {
          clock: () => new Date(t0 + 600_000),
          secrets: { reveal: async () => 'pw' },
        });
        const stale: string[] = [];
        a.events.on('operation:stale', (e) => void stale.push(e.phase));

        const runA = a.runUntilIdle({ runId });
        await asked.promise;
        await b.runUntilIdle({ runId });
        gate.resolve();
        await runA;

        assert.equal(late.calls, 0);
        assert.deepEqual(stale, ['before-call']);
        assert.equal(healthy.effects.length, 1);
      });
    });

    test('in long-running mode, picks up work journaled after start until stopped', async () => {
      await withStore(dialect, async (store) => {
        const target = new NullTarget({ name: 'null', concurrency: 2 });
        const exec = executor(store, [target], { pollMs: 50 });
        const finished: string[] = [];
        exec.events.on('operation:done', (e) => void finished.push(e.operation.key));

        exec.start();
        const runId = await journalRun(store, grid(3, 2, 'null'));
        exec.wake();
        for (let i = 0; i < 200 && finished.length < 6; i++) await delay(10);
        await exec.stop();

        assert.equal(finished.length, 6);
        assert.equal(await store.countOpen(runId), 0);
        await assert.rejects(async () => {
          exec.start();
          await exec.runUntilIdle();
        }, /already running/);
        await exec.stop();
      });
    });

    test('one audit row per finished operation; links for handlers but inventory', async () => {
      await withStore(dialect, async (store) => {
        const target = new NullTarget({ name: 'null', concurrency: 4 });
        const handled: string[] = [];
        const handler: OperationHandler = async (change, context) => {
          handled.push(`${context.operation.target}:${change.action}:${change.key}`);
          return { externalId: `x-${change.key}`, outcome: 'noop' as const };
        };
        const exec = executor(store, [target], {
          handlers: new Map([
            ['inventory', handler],
            ['ldap', handler],
          ]),
        });
        const step = async (ops: PlannedOperation[]) => {
          const runId = `run-${Math.random().toString(36).slice(2, 10)}`;
          await store.createRun({
            id: runId,
            kind: 'sync',
            state: 'running',
            actor: 'cli:carol',
            summary: {},
          });
          await store.journal(runId, ops, 'pending');
          const stats = await exec.runUntilIdle({ runId });
          assert.deepEqual(stats, { done: ops.length, failed: 0, retried: 0 });
          return store.queryAudit({ runId });
        };
        const wb = (action: PlannedOperation['action'], attributes: Record<string, string>) => ({
          personId: 'p0',
          action,
          target: 'ldap',
          type: 'writeback',
          key: 'uid=p0',
          attributes,
          after: [],
          reason: 'test',
        });
        const inv: PlannedOperation = {
          ...wb('delete', {}),
          target: 'inventory',
          type: 'number',
          key: 'ext:1001',
        };
        const sub: PlannedOperation = {
          ...wb('create', { extension: '1001' }),
          target: 'null',
          type: 'thing',
          key: '1001',
        };

        const first = await step([sub, wb('create', { tel: '1001', mobile: '+1' }), inv]);
        assert.deepEqual(
          first.map((a) => [a.actor, a.action, a.subject]),
          [
            ['cli:carol', 'operation.done', 'null/thing/1001'],
            ['cli:carol', 'operation.done', 'ldap/writeback/uid=p0'],
            ['cli:carol', 'operation.done', 'inventory/number/ext:1001'],
          ],
        );
        const linked = async () =>
          (await store.listLinks('p0')).map((l) => [l.target, l.key, l.externalId, l.attributes]);
        assert.deepEqual(await linked(), [
          ['ldap', 'uid=p0', 'x-uid=p0', { tel: '1001', mobile: '+1' }],
          ['null', '1001', 'thing/1001', { extension: '1001' }],
        ]);

        // An update merges over the link's attributes; a delete removes the link.
        const second = await step([wb('update', { tel: '1002' })]);
        assert.equal(second.length, 1);
        assert.deepEqual((await linked())[0]![3], { tel: '1002', mobile: '+1' });
        await step([wb('delete', { tel: '1002' })]);
        assert.deepEqual(
          (await linked()).map((l) => l[0]),
          ['null'],
        );
        assert.deepEqual(handled, [
          'ldap:create:uid=p0',
          'inventory:delete:ext:1001',
          'ldap:update:uid=p0',
          'ldap:delete:uid=p0',
        ]);
      });
    });

    test('passes secrets, audits without them, keeps links, runs handlers', async () => {
      await withStore(dialect, async (store) => {
        const target = new NullTarget({ name: 'null', concurrency: 2 });
        const handled: string[] = [];
        const runId = await journalRun(
          store,
          [
            { person: 'p0', target: 'inventory', n: 0 },
            { person: 'p0', target: 'null', n: 1, secret: true },
            { person: 'p1', target: 'null', n: 0, secret: true, key: 'nosecret' },
          ],
          { actor: 'cli:alice' },
        );
        const exec = executor(store, [target], {
          handlers: new Map([
            [
              'inventory',
              async (change, context) => {
                handled.push(`${context.operation.personId}:${change.key}`);
                return { externalId: change.key, outcome: 'noop' as const };
              },
            ],
          ]),
          secrets: {
            reveal: async (ref) => (ref === 'null/thing/p0-1' ? 's3cret-value' : undefined),
          },
        });

        const stats = await exec.runUntilIdle({ runId });

        assert.deepEqual(stats, { done: 2, failed: 1, retried: 0 });
        assert.deepEqual(handled, ['p0:p0-0']);
        assert.equal(target.secrets.get('thing/p0-1'), 's3cret-value');
        const missing = await opByKey(store, runId, 'nosecret');
        assert.equal(missing.lastError?.code, 'missing_reference');
        const audit = await store.queryAudit({ runId });
        assert.ok(!JSON.stringify(audit).includes('s3cret-value'));
        const entry = audit.find((a) => a.subject === 'null/thing/p0-1');
        assert.equal(entry?.actor, 'cli:alice');
        assert.deepEqual(entry?.after, { personId: 'p0', n: '1' });
        const links = await store.listLinks('p0');
        assert.deepEqual(
          links.map((l) => [l.target, l.key, l.externalId]),
          [['null', 'p0-1', 'thing/p0-1']],
        );
      });
    });
  });
}
