/**
 * The store's one suite, run on SQLite and on PostgreSQL (see testing/databases.ts): people and
 * links, the operation queue's rules, the number inventory, and allocation under concurrency.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

import Sqlite from 'better-sqlite3';

import { CallsignError } from '../core/errors.ts';
import type { Person, PlannedOperation } from '../core/model.ts';
import { openStore } from './open.ts';
import { testDialects, withStore, type StoreName } from './testing/databases.ts';
import type { ClaimOptions, Store } from './types.ts';

const dialects = await testDialects();
const DAY = 86_400_000;

for (const name of ['sqlite', 'postgres'] as const) {
  const skip = dialects.names.includes(name) ? false : dialects.skipped;
  describe(`store on ${name}`, { skip }, () => {
    const run = (fn: (store: Store) => Promise<void>) => () => withStore(name, fn);

    test('migrations are idempotent and data survives a reopen', () =>
      withStore(name, async (store, database) => {
        await store.setState('cursor', 'abc');
        await store.migrate();
        await store.close();

        const again = await openStore(database.url);
        try {
          await again.migrate();
          assert.equal(again.dialect, name);
          assert.equal(await again.getState('cursor'), 'abc');
          await again.setState('cursor', 'def');
          assert.equal(await again.getState('cursor'), 'def');
        } finally {
          await again.close();
        }
        // withStore closes the first handle again; closing twice must be harmless.
      }));

    test(
      'people: save, replace, find by key and by source link, flags',
      run(async (store) => {
        await store.savePerson(person('p1', [['ldap', 'u-1']]), { employeeId: 'E1', mail: 'a@x' });
        await store.savePerson(person('p2', [['ldap', 'u-2']]), { employeeId: 'E2' });

        assert.deepEqual(
          (await store.findPeopleByKey('employeeId', 'E1')).map((p) => p.id),
          ['p1'],
        );
        assert.equal((await store.findPersonBySourceLink('ldap', 'u-2'))?.id, 'p2');
        assert.equal(await store.findPersonBySourceLink('ldap', 'nobody'), undefined);
        assert.deepEqual(await store.getPerson('p1'), person('p1', [['ldap', 'u-1']]));

        // Replacing drops old keys; a source link moves to the person that now claims it.
        await store.savePerson(
          person('p1', [
            ['ldap', 'u-2'],
            ['hr', '7'],
          ]),
          { employeeId: 'E9' },
        );
        assert.deepEqual(await store.findPeopleByKey('employeeId', 'E1'), []);
        assert.deepEqual(await store.findPeopleByKey('mail', 'a@x'), []);
        assert.equal((await store.findPersonBySourceLink('ldap', 'u-2'))?.id, 'p1');
        assert.deepEqual((await store.getPerson('p2'))?.sourceLinks, []);
        assert.deepEqual(
          (await store.listPeople()).map((p) => p.id),
          ['p1', 'p2'],
        );

        await store.setPersonFlags('p2', { excluded: true }, 'cli:root');
        const p2 = await store.getPerson('p2');
        assert.equal(p2?.excluded, true);
        assert.equal(p2?.pinned, false);
        const audit = await store.queryAudit({ personId: 'p2' });
        assert.deepEqual(
          audit.map((a) => [a.action, a.actor, a.after]),
          [['person.excluded', 'cli:root', { excluded: true }]],
        );
        await assert.rejects(
          store.setPersonFlags('ghost', { pinned: true }, 'x'),
          (err: CallsignError) => err.code === 'not_found' && err.message.includes("'ghost'"),
        );
      }),
    );

    test(
      'links: save replaces, list by person, delete',
      run(async (store) => {
        const link = {
          personId: 'p1',
          target: 'kam',
          type: 'sip-subscriber',
          key: '1001',
          externalId: 'x1',
          attributes: { domain: 'example.com' },
        };
        await store.saveLink(link);
        await store.saveLink({ ...link, externalId: 'x2' });
        await store.saveLink({ ...link, personId: 'p2', key: '1002' });

        assert.deepEqual(await store.listLinks('p1'), [{ ...link, externalId: 'x2' }]);
        assert.equal((await store.listLinks()).length, 2);
        await store.saveLink({ ...link, type: 'sip-alias', key: '+12125550100' });
        assert.equal(await store.countLinkedPeople(), 2, 'two people, one with two links');
        await store.deleteLink('p1', 'kam', 'sip-alias', '+12125550100');
        await store.deleteLink('p1', 'kam', 'sip-subscriber', '1001');
        assert.equal(await store.countLinkedPeople(), 1);
        assert.deepEqual(
          (await store.listLinks()).map((l) => l.personId),
          ['p2'],
        );
      }),
    );

    test(
      'runs, secrets and state',
      run(async (store) => {
        const created = await store.createRun({
          id: 'r1',
          kind: 'sync',
          state: 'running',
          actor: 'poll',
          summary: { people: 3 },
          startedAt: '2030-01-01T00:00:00.000Z',
        });
        await store.createRun({
          id: 'r2',
          kind: 'plan',
          state: 'running',
          actor: 'cli:root',
          summary: {},
          startedAt: '2030-01-02T00:00:00.000Z',
        });
        await store.updateRun('r1', { state: 'finished', finishedAt: '2030-01-01T00:01:00.000Z' });
        assert.deepEqual(await store.getRun('r1'), {
          ...created,
          state: 'finished',
          finishedAt: '2030-01-01T00:01:00.000Z',
        });
        assert.deepEqual(
          (await store.listRuns(1)).map((r) => r.id),
          ['r2'],
        );
        await assert.rejects(store.updateRun('nope', { state: 'failed' }), /Run 'nope'/);

        await store.putSecret('sip:1001', 'cipher-1');
        await store.markSecretDelivered('sip:1001', new Date('2030-01-01T00:00:00Z'));
        assert.deepEqual(await store.getSecret('sip:1001'), {
          ciphertext: 'cipher-1',
          deliveredAt: '2030-01-01T00:00:00.000Z',
        });
        await store.putSecret('sip:1001', 'cipher-2');
        assert.deepEqual(await store.getSecret('sip:1001'), { ciphertext: 'cipher-2' });
        await store.deleteSecret('sip:1001');
        assert.equal(await store.getSecret('sip:1001'), undefined);
        assert.equal(await store.getState('missing'), undefined);
      }),
    );

    test(
      "claim takes each person's oldest operation, one in flight",
      run(async (store) => {
        await store.journal(
          'r1',
          [op('A', 'a1'), op('A', 'a2'), op('B', 'b1'), op('A', 'a3')],
          'pending',
        );
        const t0 = soon();

        const first = await store.claim(claimOptions(t0));
        assert.deepEqual(
          first.map((o) => o.key),
          ['a1', 'b1'],
        );
        for (const o of first) {
          assert.equal(o.state, 'running');
          assert.equal(o.fence, 1);
          assert.equal(o.attempts, 1);
          assert.equal(o.leaseOwner, 'w1');
          assert.equal(o.leaseUntil, new Date(t0.getTime() + 30_000).toISOString());
        }
        assert.deepEqual(await store.claim(claimOptions(t0)), []);

        assert.equal(await store.complete(first[0]!.id, 1, done()), true);
        assert.deepEqual(
          (await store.claim(claimOptions(t0))).map((o) => o.key),
          ['a2'],
        );
        assert.equal(await store.countOpen('r1'), 3);
      }),
    );

    test(
      "seq orders a person's operations across runs",
      run(async (store) => {
        const [old] = await store.journal('r1', [op('A', 'first')], 'pending');
        const [later] = await store.journal('r2', [op('A', 'second')], 'pending');
        const a = await store.getOperation(old!);
        const b = await store.getOperation(later!);
        assert.ok(a!.seq < b!.seq);

        const claimed = await store.claim(claimOptions(soon()));
        assert.deepEqual(
          claimed.map((o) => o.id),
          [old],
        );
      }),
    );

    test(
      'a failed operation blocks later ones; skipped, cancelled do not',
      run(async (store) => {
        await store.journal('r1', [op('A', 'a1'), op('A', 'a2'), op('A', 'a3')], 'pending');
        const t0 = soon();

        const [a1] = await store.claim(claimOptions(t0));
        assert.equal(await store.complete(a1!.id, a1!.fence, failed()), true);
        assert.deepEqual(await store.claim(claimOptions(t0)), []);

        // Retry: the failed one runs again, still ahead of the rest.
        await store.setOperationState(a1!.id, 'pending', 'cli:root');
        const [again] = await store.claim(claimOptions(t0));
        assert.equal(again!.key, 'a1');
        assert.equal(again!.attempts, 2);
        assert.equal(await store.complete(again!.id, again!.fence, failed()), true);

        await store.setOperationState(a1!.id, 'skipped', 'cli:root');
        const [a2] = await store.claim(claimOptions(t0));
        assert.equal(a2!.key, 'a2');
        await store.complete(a2!.id, a2!.fence, failed());
        await store.setOperationState(a2!.id, 'cancelled', 'cli:root');
        assert.deepEqual(
          (await store.claim(claimOptions(t0))).map((o) => o.key),
          ['a3'],
        );

        await assert.rejects(
          store.setOperationState(a2!.id, 'pending', 'cli:root'),
          (err: CallsignError) => err.code === 'state' && err.message.includes('cancelled'),
        );
        const actions = await store.queryAudit({ action: 'operation.skipped' });
        assert.deepEqual(
          actions.map((a) => [a.actor, a.personId]),
          [['cli:root', 'A']],
        );
      }),
    );

    test(
      'claim respects per-target free slots and the limit',
      run(async (store) => {
        const ops = [];
        for (let i = 0; i < 5; i++)
          ops.push(op(`x${i}`, `kx${i}`, 'X'), op(`y${i}`, `ky${i}`, 'Y'));
        await store.journal('r1', [...ops, op('z', 'kz', 'Z')], 'pending');
        const t0 = soon();

        const claimed = await store.claim(claimOptions(t0, { slots: { X: 2, Y: 1, Z: 0 } }));
        assert.deepEqual(
          claimed.map((o) => o.key),
          ['kx0', 'ky0', 'kx1'],
        );
        const limited = await store.claim(claimOptions(t0, { slots: { X: 5, Y: 5 }, limit: 2 }));
        assert.deepEqual(
          limited.map((o) => o.key),
          ['ky1', 'kx2'],
        );
        assert.deepEqual(await store.claim(claimOptions(t0, { slots: {} })), []);
      }),
    );

    test(
      'notBefore holds a retry back and keeps later operations behind it',
      run(async (store) => {
        await store.journal('r1', [op('A', 'a1'), op('A', 'a2')], 'pending');
        const t0 = soon();
        const [a1] = await store.claim(claimOptions(t0));
        const retryAt = new Date(t0.getTime() + 10_000);
        assert.equal(
          await store.complete(a1!.id, a1!.fence, {
            state: 'pending',
            notBefore: retryAt,
            error: { code: 'unavailable', message: 'timeout', retryable: true },
          }),
          true,
        );

        assert.deepEqual(await store.claim(claimOptions(new Date(retryAt.getTime() - 1))), []);
        const [retried] = await store.claim(claimOptions(retryAt));
        assert.equal(retried!.key, 'a1');
        assert.equal(retried!.attempts, 2);
        assert.equal(retried!.lastError?.message, 'timeout');
      }),
    );

    test(
      'leases: renew, reap, and fenced completion',
      run(async (store) => {
        await store.journal('r1', [op('A', 'a1')], 'pending');
        const t0 = soon();
        const at = (ms: number) => new Date(t0.getTime() + ms);
        const [c1] = await store.claim(claimOptions(t0, { leaseMs: 1_000 }));

        assert.equal(await store.renewLease(c1!.id, c1!.fence + 1, 1_000, at(500)), false);
        assert.equal(await store.renewLease(c1!.id, c1!.fence, 1_000, at(500)), true);
        assert.equal(await store.reapLeases(at(1_400)), 0);
        assert.equal(await store.reapLeases(at(1_500)), 1);
        assert.equal(await store.renewLease(c1!.id, c1!.fence, 1_000, at(1_600)), false);
        assert.equal(await store.complete(c1!.id, c1!.fence, done()), false);
        assert.equal((await store.getOperation(c1!.id))?.state, 'pending');

        const [c2] = await store.claim(claimOptions(at(1_600), { owner: 'w2' }));
        assert.equal(c2!.fence, c1!.fence + 1);
        assert.equal(await store.complete(c1!.id, c1!.fence, done()), false);
        assert.equal((await store.getOperation(c1!.id))?.leaseOwner, 'w2');
        // Completions arriving together share a transaction but keep their own fence checks.
        const answers = await Promise.all(
          [c1!.fence, c2!.fence, c2!.fence].map((fence) => store.complete(c1!.id, fence, done())),
        );
        assert.deepEqual(answers, [false, true, false]);

        const final = await store.getOperation(c1!.id);
        assert.equal(final?.state, 'done');
        assert.deepEqual(final?.result, { externalId: 'ext-1', outcome: 'created' });
        assert.equal(final?.leaseUntil, undefined);
        assert.equal((await store.queryAudit({ action: 'operation.done' })).length, 1);
      }),
    );

    test(
      'held operations wait for approval, then run or are cancelled',
      run(async (store) => {
        await store.journal('braked', [op('A', 'a1'), op('B', 'b1')], 'held');
        await store.journal('next', [op('A', 'a2')], 'pending');
        const t0 = soon();

        assert.deepEqual(await store.claim(claimOptions(t0)), []);
        assert.equal(await store.countOpen('braked'), 2);
        assert.equal(await store.releaseHeld('braked', 'pending'), 2);
        assert.deepEqual(
          (await store.claim(claimOptions(t0))).map((o) => o.key),
          ['a1', 'b1'],
        );

        await store.journal('braked2', [op('C', 'c1')], 'held');
        await store.journal('next2', [op('C', 'c2')], 'pending');
        assert.equal(await store.releaseHeld('braked2', 'cancelled'), 1);
        assert.equal(await store.releaseHeld('braked2', 'cancelled'), 0);
        assert.deepEqual(
          (await store.claim(claimOptions(t0))).map((o) => o.key),
          ['c2'],
        );
        const listed = await store.listOperations({ runId: 'braked2' });
        assert.deepEqual(
          listed.map((o) => o.state),
          ['cancelled'],
        );
      }),
    );

    test(
      'audit: completion entries and queries',
      run(async (store) => {
        await store.audit({
          at: '2001-01-01T00:00:00.000Z',
          actor: 'cli:root',
          action: 'run.approved',
          subject: 'run:r1',
          runId: 'r1',
          before: { state: 'braked' },
          after: { state: 'approved' },
        });
        await store.audit({
          at: '2001-01-02T00:00:00.000Z',
          actor: 'poll',
          action: 'person.seen',
          subject: 'person:B',
          personId: 'B',
        });
        const [id] = await store.journal(
          'r1',
          [op('A', 'a1', 'kam', { before: { x: '1' } })],
          'pending',
        );
        const [claimed] = await store.claim(claimOptions(soon()));
        await store.complete(claimed!.id, claimed!.fence, done());

        const forA = await store.queryAudit({ personId: 'A' });
        assert.equal(forA.length, 1);
        assert.equal(forA[0]!.action, 'operation.done');
        assert.equal(forA[0]!.runId, 'r1');
        assert.deepEqual(forA[0]!.before, { x: '1' });
        assert.deepEqual((forA[0]!.after as { operationId: string }).operationId, id);

        assert.deepEqual(
          (await store.queryAudit({ runId: 'r1' })).map((a) => a.action),
          ['run.approved', 'operation.done'],
        );
        assert.deepEqual(
          (await store.queryAudit({ since: '2001-01-01T12:00:00.000Z' })).map((a) => a.action),
          ['person.seen', 'operation.done'],
        );
        assert.deepEqual(
          (await store.queryAudit({ limit: 1 })).map((a) => a.subject),
          ['run:r1'],
        );
      }),
    );

    test(
      'numbers: lowest free first, existing kept, peek changes nothing',
      run(async (store) => {
        await store.syncPool(pool('ext', ['100', '101', '102', '103'], 30));
        const now = new Date('2030-01-01T00:00:00Z');

        assert.equal((await store.allocateNumber('ext', 'p1', now, 'engine')).value, '100');
        assert.deepEqual(await store.allocateNumber('ext', 'p2', now, 'engine'), {
          pool: 'ext',
          kind: 'extension',
          value: '101',
        });
        assert.equal((await store.allocateNumber('ext', 'p1', now, 'engine')).value, '100');
        assert.equal((await store.peekNumber('ext', 'p3', now))?.value, '102');
        assert.equal((await store.peekNumber('ext', 'p3', now))?.value, '102');
        assert.deepEqual(await store.numbersOf('p3'), []);

        await store.holdNumber('ext', '102', 'exists on the platform', 'engine');
        assert.equal((await store.allocateNumber('ext', 'p3', now, 'engine')).value, '103');
        await store.syncPool(pool('ext', ['100', '101', '102', '103', '104'], 30));
        const states = (await store.listNumbers('ext')).map((n) => [n.value, n.state, n.personId]);
        assert.deepEqual(states, [
          ['100', 'assigned', 'p1'],
          ['101', 'assigned', 'p2'],
          ['102', 'held', undefined],
          ['103', 'assigned', 'p3'],
          ['104', 'available', undefined],
        ]);
        const assigned = await store.queryAudit({ action: 'number.assigned' });
        assert.deepEqual(
          assigned.map((a) => a.subject),
          ['number:ext:100', 'number:ext:101', 'number:ext:103'],
        );
      }),
    );

    test(
      'numbers: exhausted pool names pool and size',
      run(async (store) => {
        await store.syncPool(pool('tiny', ['1', '2'], 0));
        const now = new Date('2030-01-01T00:00:00Z');
        await store.allocateNumber('tiny', 'p1', now, 'engine');
        await store.allocateNumber('tiny', 'p2', now, 'engine');
        await assert.rejects(
          store.allocateNumber('tiny', 'p3', now, 'engine'),
          (err: CallsignError) =>
            err.code === 'exhausted' &&
            err.message ===
              "Cannot allocate a number from pool 'tiny': all 2 numbers are assigned, " +
                'quarantined, held or blocked',
        );
        assert.equal(await store.peekNumber('tiny', 'p3', now), undefined);
        await assert.rejects(
          store.allocateNumber('nope', 'p1', now, 'engine'),
          (err: CallsignError) => err.code === 'missing_reference' && /'nope'/.test(err.message),
        );
      }),
    );

    test(
      'numbers: quarantine until availableAt; a rehire gets theirs back',
      run(async (store) => {
        await store.syncPool(pool('did', ['+15550100', '+15550101'], 10));
        const t0 = new Date('2030-01-01T00:00:00Z');
        const day = (n: number) => new Date(t0.getTime() + n * DAY);
        await store.allocateNumber('did', 'leaver', t0, 'engine');
        await store.allocateNumber('did', 'other', t0, 'engine');
        await store.releaseNumber('did', '+15550100', t0, 'engine');
        await store.releaseNumber('did', '+15550100', day(1), 'engine');

        const [released] = await store.listNumbers('did');
        assert.equal(released!.state, 'quarantined');
        assert.equal(released!.availableAt, day(10).toISOString());
        assert.deepEqual(await store.numbersOf('leaver'), []);
        await assert.rejects(
          store.allocateNumber('did', 'newcomer', day(9), 'engine'),
          (err: CallsignError) => err.code === 'exhausted',
        );

        // Inside the quarantine the same person gets it back, and so does peek.
        assert.equal((await store.peekNumber('did', 'leaver', day(5)))?.value, '+15550100');
        assert.equal(
          (await store.allocateNumber('did', 'leaver', day(5), 'engine')).value,
          '+15550100',
        );
        await store.releaseNumber('did', '+15550100', day(6), 'engine');
        assert.equal(
          (await store.allocateNumber('did', 'newcomer', day(16), 'engine')).value,
          '+15550100',
        );
        assert.deepEqual(
          (await store.numbersOf('newcomer')).map((n) => n.value),
          ['+15550100'],
        );
      }),
    );

    test(
      '20 concurrent allocators × 50 get distinct numbers',
      run(async (store) => {
        const values = Array.from({ length: 1_100 }, (_, i) => String(20_000 + i));
        await store.syncPool(pool('big', values, 30));
        const now = new Date('2030-01-01T00:00:00Z');

        const got = await Promise.all(
          Array.from({ length: 20 }, async (_, a) => {
            const mine: string[] = [];
            for (let i = 0; i < 50; i++) {
              mine.push((await store.allocateNumber('big', `a${a}-p${i}`, now, 'engine')).value);
            }
            return mine;
          }),
        );

        const all = got.flat();
        assert.equal(new Set(all).size, 1_000);
        assert.deepEqual([...all].sort(), values.slice(0, 1_000));
      }),
    );

    test(
      'concurrent claimers keep per-person order and run each op once',
      run(async (store) => {
        const ops: PlannedOperation[] = [];
        for (let i = 0; i < 10; i++) {
          for (let p = 0; p < 15; p++) ops.push(op(`P${p}`, `k${i}`, p % 2 === 0 ? 'X' : 'Y'));
        }
        await store.journal('r1', ops, 'pending');
        const t0 = soon();
        const inFlight = new Set<string>();
        const finished = new Map<string, number[]>();

        await Promise.all(
          Array.from({ length: 4 }, async (_, w) => {
            while ((await store.countOpen('r1')) > 0) {
              const batch = await store.claim(
                claimOptions(t0, { owner: `w${w}`, slots: { X: 3, Y: 3 }, limit: 4 }),
              );
              for (const o of batch) {
                assert.ok(!inFlight.has(o.personId), `${o.personId} has two in flight`);
                inFlight.add(o.personId);
              }
              for (const o of batch) {
                inFlight.delete(o.personId);
                assert.equal(await store.complete(o.id, o.fence, done()), true);
                finished.set(o.personId, [...(finished.get(o.personId) ?? []), o.seq]);
              }
              if (batch.length === 0) await new Promise((r) => setTimeout(r, 2));
            }
          }),
        );

        assert.equal([...finished.values()].flat().length, 150);
        for (const seqs of finished.values())
          assert.deepEqual(
            seqs,
            [...seqs].sort((a, b) => a - b),
          );
      }),
    );

    if (name === 'postgres') {
      test('4 processes allocating at once get distinct numbers', () =>
        withStore(name, async (store, database) => {
          const values = Array.from({ length: 400 }, (_, i) => String(5_000 + i));
          await store.syncPool(pool('shared', values, 30));
          const results = await runWorkers(database.url, 4, 100);
          const all = results.flat();

          assert.equal(all.length, 400);
          assert.equal(new Set(all.map((r) => r.value)).size, 400);
          const assigned = (await store.listNumbers('shared')).filter(
            (n) => n.state === 'assigned',
          );
          assert.equal(assigned.length, 400);
          for (const r of all.slice(0, 20)) {
            assert.deepEqual(
              (await store.numbersOf(r.personId)).map((n) => n.value),
              [r.value],
            );
          }
        }));
    }
  });
}

describe('openStore', () => {
  test('SQLite: creates folder and file in WAL mode; plain paths and :memory:', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callsign-open-'));
    try {
      const path = join(dir, 'nested', 'deeper', 'store.db');
      for (const url of [`sqlite:${path}`, path]) {
        const store = await openStore(url);
        await store.setState('k', url);
        await store.close();
      }
      const raw = new Sqlite(path, { readonly: true });
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      raw.close();

      const memory = await openStore('sqlite::memory:');
      await memory.setState('k', 'v');
      assert.equal(await memory.getState('k'), 'v');
      await memory.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('refuses unknown schemes and reports an unreachable PostgreSQL', async () => {
    await assert.rejects(
      openStore('mysql://localhost/x'),
      (err: CallsignError) => err.code === 'config' && err.message.includes("'mysql'"),
    );
    await assert.rejects(
      openStore('postgres://someone:hunter2@127.0.0.1:1/db'),
      (err: CallsignError) =>
        err.code === 'unavailable' &&
        err.message.includes('127.0.0.1:1/db') &&
        !err.message.includes('hunter2'),
    );
  });
});

/** Starts the allocation workers, releases them together, and gathers what each got. */
async function runWorkers(url: string, workers: number, each: number) {
  const script = fileURLToPath(new URL('./testing/allocate-worker.ts', import.meta.url));
  const now = '2030-01-01T00:00:00.000Z';
  const children = Array.from({ length: workers }, (_, w) =>
    spawn(
      process.execPath,
      ['--import', 'tsx', script, url, 'shared', `w${w}`, String(each), now],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    ),
  );
  const outputs = children.map(() => '');
  const ready = children.map(
    (child, i) =>
      new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          outputs[i] += chunk.toString();
          if (outputs[i]!.startsWith('ready\n')) resolve();
        });
      }),
  );
  const exits = children.map(
    (child) =>
      new Promise<number | null>((resolve) => {
        child.on('exit', resolve);
      }),
  );

  await Promise.all(ready);
  for (const child of children) child.stdin.write('go\n');
  assert.deepEqual(
    await Promise.all(exits),
    children.map(() => 0),
  );

  return outputs.map((out) =>
    out
      .split('\n')
      .slice(1)
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { personId: string; value: string }),
  );
}

function person(id: string, links: [string, string][]): Person {
  return {
    id,
    attributes: { displayName: `Person ${id}`, groups: ['a', 'b'], active: true },
    status: 'active',
    sourceLinks: links.map(([source, externalId]) => ({ source, externalId, dn: `uid=${id}` })),
    excluded: false,
    pinned: false,
    lastAppliedHash: `h-${id}`,
  };
}

function op(
  personId: string,
  key: string,
  target = 'kam',
  extra: Partial<PlannedOperation> = {},
): PlannedOperation {
  return {
    personId,
    action: 'create',
    target,
    type: 'sip-subscriber',
    key,
    attributes: { domain: 'example.com' },
    after: [],
    reason: 'rule staff',
    ...extra,
  };
}

function claimOptions(now: Date, extra: Partial<ClaimOptions> = {}): ClaimOptions {
  return { owner: 'w1', slots: { kam: 10 }, leaseMs: 30_000, now, limit: 10, ...extra };
}

function pool(name: string, values: string[], quarantineDays: number) {
  return {
    name,
    kind: values[0]!.startsWith('+') ? ('did' as const) : ('extension' as const),
    values,
    quarantineDays,
  };
}

/** A claim time after the journal's own clock: operations are due from when they are written. */
function soon(): Date {
  return new Date(Date.now() + 1_000);
}

function done() {
  return { state: 'done' as const, result: { externalId: 'ext-1', outcome: 'created' } };
}

function failed() {
  return {
    state: 'failed' as const,
    error: { code: 'rejected', message: 'bad value', retryable: false },
  };
}

export type { StoreName };
