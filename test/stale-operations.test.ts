/**
 * Old operations never act on what now belongs to someone else, on SQLite and PostgreSQL,
 * through an HR export and a null PBX whose deletes can be made to fail: a leaver's failed
 * removal, skipped and retried after the number went to a new hire, is cancelled as stale and
 * the hire keeps their subscriber; a rehire whose old row is gone gets it created again.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { NullTarget } from '../src/connectors/null/null-target.ts';
import type { TargetChange, TargetResult } from '../src/connectors/types.ts';
import { DROP_HEADER, dropSource, hrCsv } from '../src/connectors/hr/test-kit.ts';
import { CallsignError } from '../src/core/errors.ts';
import { phoneConfig } from '../src/core/testing/config-text.ts';
import type { Engine } from '../src/engine/engine.ts';
import { approveRun } from '../src/engine/approval.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { withConfigEngine } from '../src/engine/testing/config-engine.ts';
import { createTestDatabase, testDialects } from '../src/store/testing/databases.ts';

const { names, skipped } = await testDialects();
if (skipped) test(skipped, { skip: true }, () => {});

function config(store: string, brakeShare = false): string {
  const text = phoneConfig({
    sources: dropSource(`    workerType:
      column: Type
      map: { Regular: employee }
    missingGraceSeconds: 0`),
    when: 'person.workerType == "employee"',
    attributes: "{ displayName: '{{person.displayName}}' }",
    maxDeprovisionCount: 5,
    quarantineDays: 0,
    lastExtension: '4000',
  }).replace('store: sqlite:./callsign.db', `store: ${store}`);
  // The default brake: one leaver of one person is held.
  return brakeShare ? text.replace(/^safety: .*\n/m, '') : text;
}

const P1 = 'W1,Active,Regular,ann@example.org,Ann One,2020-01-01,';
const P2 = 'W2,Active,Regular,bob@example.org,Bob Two,2020-01-01,';

/**
 * A PBX whose subscriber deletes fail while `broken`: `after` removes the row first, as
 * Kamailio does when the registration drop then cannot reach the RPC URL; `before` fails with
 * the row still there.
 */
class DropFailsPbx extends NullTarget {
  broken: boolean | 'before' = false;

  override async apply(change: TargetChange): Promise<TargetResult> {
    // Kamailio's answer to an update of a row that is not there.
    if (change.action === 'update' && !this.resources.has(`${change.type}/${change.key}`)) {
      this.calls += 1;
      throw new CallsignError('not_found', `${change.key} has no subscriber row to update`);
    }
    const failing = this.broken !== false && change.action === 'delete';
    const unreachable = () =>
      new CallsignError('unavailable', 'RPC endpoint unreachable', { retryable: false });
    if (failing && this.broken === 'before') throw unreachable();
    const result = await super.apply(change);
    if (failing) throw unreachable();
    return result;
  }
}

function flakyPbx() {
  const pbx = new DropFailsPbx({ name: 'pbx', concurrency: 2 });
  return { pbx, state: pbx };
}

async function scenario(
  dialect: (typeof names)[number],
  brakeShare: boolean,
  body: (t: {
    engine: Engine;
    pbx: NullTarget;
    state: { broken: boolean | 'before' };
    drop: (rows: string[]) => Promise<void>;
    sync: () => ReturnType<typeof reconcile>;
  }) => Promise<void>,
) {
  const database = await createTestDatabase(dialect);
  try {
    const options = { config: config(database.url, brakeShare), prefix: 'callsign-stale-' };
    await withConfigEngine(options, async ({ dir, engine }) => {
      const { pbx, state } = flakyPbx();
      engine.targets.set('pbx', pbx);
      await mkdir(join(dir, 'drop'));
      const drop = (rows: string[]) =>
        writeFile(join(dir, 'drop', 'workers.csv'), hrCsv(rows, DROP_HEADER));
      const sync = () => reconcile(engine, { mode: 'sync', actor: 'test' });
      await body({ engine, pbx, state, drop, sync });
    });
  } finally {
    await database.dispose();
  }
}

for (const dialect of names) {
  describe(`stale operations on ${dialect}`, () => {
    test("retrying a leaver's old removal never deletes the next holder's subscriber", async () => {
      await scenario(dialect, false, async ({ engine, pbx, state, drop, sync }) => {
        await drop([P1]);
        await sync();
        assert.ok(pbx.resources.has('sip-subscriber/4000'));

        // Ann leaves; the delete fails and the administrator skips it.
        state.broken = 'before';
        await drop([]);
        await sync();
        const [first] = await engine.store.listOperations({ state: ['failed'] });
        assert.equal(first?.key, '4000');
        await engine.store.setOperationState(first!.id, 'skipped', 'admin');
        // The number is released; the removal, planned again, fails again (the row goes).
        state.broken = true;
        await sync();
        const [old] = await engine.store.listOperations({ state: ['failed'] });
        assert.equal(old?.action, 'delete');
        assert.equal(old?.key, '4000');
        state.broken = false;

        // Bob joins and gets 4000 and a new subscriber 4000.
        await drop([P2]);
        await sync();
        assert.equal(pbx.resources.get('sip-subscriber/4000')?.displayName, 'Bob Two');

        // Retrying Ann's old removal is refused: the op is cancelled as stale.
        const outcome = await engine.store.setOperationState(old!.id, 'pending', 'admin');
        assert.equal(outcome.state, 'cancelled');
        assert.match(outcome.reason ?? '', /stale.*4000/);
        await sync();
        assert.equal(pbx.resources.get('sip-subscriber/4000')?.displayName, 'Bob Two');
        assert.equal((await engine.store.getOperation(old!.id))?.state, 'cancelled');
        const audit = await engine.store.queryAudit({ action: 'operation.stale' });
        assert.equal(audit.length, 1);
        const report = await sync();
        assert.ok(!report.plans.some((p) => p.operations.some((o) => o.action === 'delete')));
        assert.equal(pbx.resources.get('sip-subscriber/4000')?.displayName, 'Bob Two');

        // Removed from the PBX behind Callsign's back: the next full sync notices, says so,
        // and creates it again.
        pbx.resources.delete('sip-subscriber/4000');
        const drift = await sync();
        assert.match(JSON.stringify(drift.problems), /missing on the target/);
        assert.equal(pbx.resources.get('sip-subscriber/4000')?.displayName, 'Bob Two');
      });
    });

    test('a rehire whose removal is stuck gets the subscriber back', async () => {
      await scenario(dialect, false, async ({ engine, pbx, state, drop, sync }) => {
        await drop([P1]);
        await sync();
        assert.ok(pbx.resources.has('sip-subscriber/4000'));

        // Ann leaves: the row goes but the delete reports a failure.
        state.broken = true;
        await drop([]);
        await sync();
        const [stuck] = await engine.store.listOperations({ state: ['failed'] });
        assert.equal(stuck?.action, 'delete');
        assert.ok(!pbx.resources.has('sip-subscriber/4000'));

        // Ann is rehired; the failed delete is skipped; the subscriber must come back.
        state.broken = false;
        await drop([P1.replace('Ann One', 'Ann Again')]);
        await engine.store.setOperationState(stuck!.id, 'skipped', 'admin');
        let report = await sync();
        // An update that finds no row is not a dead end: at the latest the next run creates it.
        if (!pbx.resources.has('sip-subscriber/4000')) report = await sync();
        assert.equal(pbx.resources.get('sip-subscriber/4000')?.displayName, 'Ann Again');
        assert.equal(report.state, 'finished');
        assert.equal((await engine.store.listOperations({ state: ['failed'] })).length, 0);
        const next = await sync();
        assert.equal(next.plans.length, 0, 'nothing left to do');
      });
    });

    test('an approved leaver whose removal failed is not held by the brake again', async () => {
      await scenario(dialect, true, async ({ engine, pbx, state, drop, sync }) => {
        await drop([P1]);
        await sync();
        state.broken = true;
        await drop([]);
        const held = await sync();
        assert.equal(held.state, 'braked', 'one leaver of one person is held');
        await approveRun(engine, { runId: held.runId, actor: 'admin' });
        const [failed] = await engine.store.listOperations({ state: ['failed'] });
        assert.equal(failed?.action, 'delete');

        // The failure is reported, not asked about again.
        const waiting = await sync();
        assert.notEqual(waiting.state, 'braked');
        assert.equal(waiting.brake, undefined);

        // Skipped, the removal is planned again and runs without a second approval.
        state.broken = false;
        await engine.store.setOperationState(failed!.id, 'skipped', 'admin');
        const again = await sync();
        assert.equal(again.brake, undefined);
        assert.equal(again.state, 'finished');
        assert.equal(pbx.resources.size, 0);
        assert.equal((await engine.store.listLinks()).length, 0);
      });
    });
  });
}
