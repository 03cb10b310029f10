/**
 * The safety brake on a real directory, on SQLite and PostgreSQL: a feed cut to 40% of its
 * people is held for approval with zero target calls; approval runs it, rejection changes
 * nothing; a failed or short read de-provisions nobody.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { approveRun, rejectRun } from '../src/engine/approval.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { generateLabPeople } from '../src/lab/slapd.ts';
import {
  createTestDatabase,
  testDialects,
  type TestDatabase,
} from '../src/store/testing/databases.ts';
import { labUnavailable, startLab, type Lab } from './lab.ts';

const skip = labUnavailable({ kamailio: false });
const { names, skipped } = skip ? { names: [], skipped: undefined } : await testDialects();
if (skip) test(`brake tests skipped: ${skip}`, { skip: true }, () => {});
if (skipped) test(skipped, { skip: true }, () => {});

// Employees only, so that every person gets resources and counts for the brake.
const people = generateLabPeople(20).map((p) => ({ ...p, employeeType: 'employee' }));

for (const name of names) {
  describe(`safety brake on ${name}`, () => {
    let lab: Lab;
    let database: TestDatabase;

    before(async () => {
      database = await createTestDatabase(name);
      lab = await startLab({
        people,
        store: database.url,
        kamailio: false,
        safety: { maxDeprovisionShare: 0.3, maxDeprovisionCount: 100 },
      });
    });
    after(async () => {
      await lab?.stop();
      await database?.dispose();
    });

    test('everyone is provisioned first', async () => {
      const engine = await lab.open();
      try {
        const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
        assert.equal(report.state, 'finished');
        assert.equal(report.brake, undefined);
        const subscribers = [...lab.nullTarget!.resources.keys()].filter((k) =>
          k.startsWith('sip-subscriber/'),
        );
        assert.equal(subscribers.length, 20);
      } finally {
        await engine.close();
      }
    });

    test('a failed read de-provisions nobody', async () => {
      const engine = await lab.open();
      const calls = lab.nullTarget!.calls;
      try {
        engine.sources.get('lab-ldap')!.readAll = async () => {
          throw new Error('connection reset');
        };
        const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
        assert.equal(report.sources[0]!.complete, false);
        assert.equal(report.plans.filter((p) => p.deprovision).length, 0);
        assert.equal(lab.nullTarget!.calls, calls);
      } finally {
        await engine.close();
      }
    });

    test('a feed cut to 40% is held with zero target calls, then rejected', async () => {
      for (const p of people.slice(8)) await lab.slapd.people.deletePerson(p.uid);
      const engine = await lab.open();
      const calls = lab.nullTarget!.calls;
      try {
        const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
        assert.equal(report.state, 'braked');
        assert.equal(report.brake?.deprovision, 12);
        assert.equal(lab.nullTarget!.calls, calls, 'no target call while braked');
        const held = await engine.store.listOperations({ runId: report.runId, state: ['held'] });
        assert.ok(held.length >= 24, `held operations: ${held.length}`);

        await assert.rejects(
          reconcile(engine, { mode: 'sync', actor: 'test' }),
          /waits at the safety brake/,
        );
        assert.equal(await rejectRun(engine, { runId: report.runId, actor: 'test' }), held.length);
        assert.equal(lab.nullTarget!.calls, calls, 'rejection reaches no target');
        assert.equal((await engine.store.getRun(report.runId))?.state, 'rejected');
      } finally {
        await engine.close();
      }
    });

    test('the next run brakes again, and approval carries it out', async () => {
      const engine = await lab.open();
      try {
        const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
        assert.equal(report.state, 'braked');
        const approved = await approveRun(engine, { runId: report.runId, actor: 'test:approver' });
        assert.equal(approved.state, 'finished');
        const subscribers = [...lab.nullTarget!.resources.keys()].filter((k) =>
          k.startsWith('sip-subscriber/'),
        );
        assert.equal(subscribers.length, 8);
        const quarantined = (await engine.store.listNumbers()).filter(
          (n) => n.state === 'quarantined',
        );
        assert.equal(quarantined.length, 24, 'extension and DID of each of the 12 leavers');
        const audit = await engine.store.queryAudit({
          runId: report.runId,
          action: 'run.approved',
        });
        assert.equal(audit[0]?.actor, 'test:approver');
      } finally {
        await engine.close();
      }
    });
  });
}
