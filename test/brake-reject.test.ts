/**
 * A rejected brake leaves people as they were, on SQLite and PostgreSQL, through an HR export:
 * a header-only export (a complete read of nobody) is held by the brake; rejecting it keeps
 * everyone active; a 0-byte export after it (an unreadable source) plans no leaver and exits 5.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { exitCodeOf } from '../src/cli/run-commands.ts';
import { ExitCode } from '../src/cli/exit-codes.ts';
import { DROP_HEADER, dropSource, hrCsv } from '../src/connectors/hr/test-kit.ts';
import { phoneConfig } from '../src/core/testing/config-text.ts';
import { approveRun, rejectRun } from '../src/engine/approval.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { withConfigEngine } from '../src/engine/testing/config-engine.ts';
import { createTestDatabase, testDialects } from '../src/store/testing/databases.ts';

const { names, skipped } = await testDialects();
if (skipped) test(skipped, { skip: true }, () => {});

function config(store: string): string {
  return phoneConfig({
    sources: dropSource(`    workerType:
      column: Type
      map: { Regular: employee }
    missingGraceSeconds: 0`),
    when: 'person.workerType == "employee"',
    maxDeprovisionCount: 5,
  }).replace('store: sqlite:./callsign.db', `store: ${store}`);
}

const ROWS = Array.from(
  { length: 7 },
  (_, i) => `W${i},Active,Regular,p${i}@example.org,Person ${i},2020-01-01,`,
);

for (const dialect of names) {
  describe(`brake rejection on ${dialect}`, () => {
    test('a rejected run leaves people as they were; an unreadable export removes nobody', async () => {
      const database = await createTestDatabase(dialect);
      try {
        const options = { config: config(database.url), prefix: 'callsign-reject-' };
        await withConfigEngine(options, async ({ dir, engine, pbx }) => {
          await mkdir(join(dir, 'drop'));
          const file = join(dir, 'drop', 'workers.csv');
          const sync = () => reconcile(engine, { mode: 'sync', actor: 'test' });
          const statuses = async () =>
            (await engine.store.listPeople()).map((p) => p.status).sort();

          await writeFile(file, hrCsv(ROWS, DROP_HEADER));
          assert.equal((await sync()).state, 'finished');
          assert.equal(pbx.resources.size, 7);

          // A complete read of nobody: everyone would leave, so the brake holds.
          await writeFile(file, hrCsv([], DROP_HEADER));
          const held = await sync();
          assert.equal(held.state, 'braked');
          assert.equal(exitCodeOf(held), ExitCode.Braked);
          await rejectRun(engine, { runId: held.runId, actor: 'admin' });
          assert.deepEqual(await statuses(), Array(7).fill('active'));

          // An unreadable export: nobody is planned to leave, and the exit says why.
          await writeFile(file, '');
          const plan = await reconcile(engine, { mode: 'plan', actor: 'test' });
          assert.equal(plan.sources[0]!.complete, false);
          assert.equal(plan.plans.filter((p) => p.deprovision).length, 0);
          const blind = await sync();
          assert.notEqual(blind.state, 'braked');
          assert.equal(exitCodeOf(blind), ExitCode.SourceIncomplete);
          assert.equal(pbx.resources.size, 7);
          assert.deepEqual(await statuses(), Array(7).fill('active'));

          // Stored as deleted by an earlier observation nobody approved (as a rejected run
          // left them before): an unreadable export still removes nobody.
          const keys = (p: { attributes: Record<string, unknown> }) => ({
            mail: String(p.attributes.mail),
          });
          const stored = await engine.store.listPeople();
          for (const p of stored)
            await engine.store.savePerson({ ...p, status: 'deleted' }, keys(p));
          const stale = await reconcile(engine, { mode: 'plan', actor: 'test' });
          assert.equal(stale.plans.filter((p) => p.deprovision).length, 0);
          assert.match(JSON.stringify(stale.problems), /source hr was not read completely/);
          for (const p of stored) await engine.store.savePerson(p, keys(p));

          // The same cut approved: the people leave and stay gone.
          await writeFile(file, hrCsv([], DROP_HEADER));
          const again = await sync();
          assert.equal(again.state, 'braked');
          const approved = await approveRun(engine, { runId: again.runId, actor: 'admin' });
          assert.equal(approved.state, 'finished');
          assert.equal(pbx.resources.size, 0);
          assert.deepEqual(await statuses(), Array(7).fill('deleted'));
        });
      } finally {
        await database.dispose();
      }
    });
  });
}
