/**
 * Workday Get_Workers through the engine, registered by `type: workday`: joiners are
 * provisioned, a hire to come waits, a page failing mid-read de-provisions nobody, wrong
 * credentials leave the source unread and change nothing, and a termination takes effect.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { phoneConfig } from '../../core/testing/config-text.ts';
import { reconcile } from '../../engine/reconcile.ts';
import { withConfigEngine } from '../../engine/testing/config-engine.ts';
import {
  startWorkersEmulator,
  type EmuWorker,
} from '../../../test/emulators/workday/workday-workers-emulator.ts';

const wdConfig = (url: string) =>
  phoneConfig({
    sources: `  - name: wd
    type: workday
    url: ${url}
    username: isu@acme
    password: env:CALLSIGN_TEST_WD_PASSWORD
    pageSize: 2
    personKey: mail
    provisionDaysBeforeStart: 2`,
    when: 'person.workerType == "employee" && !person.onLeave',
    attributes: "{ displayName: '{{person.displayName}}' }",
    maxDeprovisionCount: 5,
    quarantineDays: 30,
  });

const worker = (id: string, over: Partial<EmuWorker> = {}): EmuWorker => ({
  id,
  firstName: id,
  lastName: 'Worker',
  email: `${id.toLowerCase()}@example.org`,
  active: true,
  hireDate: '2029-01-01',
  ...over,
});

test('joiners, a hire to come, a failed page, wrong credentials, a leaver', async () => {
  process.env.CALLSIGN_TEST_WD_PASSWORD = 'pw&<ok>';
  const wd = await startWorkersEmulator({
    username: 'isu@acme',
    password: 'pw&<ok>',
    workers: [
      worker('E1'),
      worker('E2'),
      worker('E3'),
      worker('F4', { active: false, hireDate: '2030-03-10' }),
    ],
  });
  let now = new Date('2030-03-01T09:00:00Z');
  const options = { config: wdConfig(wd.url), prefix: 'callsign-wd-e2e-', clock: () => now };
  try {
    await withConfigEngine(options, async ({ engine, pbx, open }) => {
      assert.equal(engine.sources.get('wd')?.kind, 'workday');
      const run = () => reconcile(engine, { mode: 'sync', actor: 'test' });
      const deletes = () => pbx.effects.filter((e) => e.action === 'delete').length;

      let report = await run();
      assert.equal(report.sources[0]!.complete, true);
      assert.equal(pbx.resources.size, 3, 'E1, E2, E3');
      assert.equal(report.counts['future-start'], 1, 'F4 waits for 8 March');

      // E3 is on page 2, which fails: E3 is not taken for gone.
      wd.failPage(2);
      report = await run();
      assert.equal(report.sources[0]!.complete, false);
      assert.equal(deletes(), 0);
      wd.failPage(2, 0);

      // Wrong credentials: the source is unread, nothing changes.
      process.env.CALLSIGN_TEST_WD_PASSWORD = 'stale';
      const stale = await open();
      try {
        report = await reconcile(stale, { mode: 'sync', actor: 'test' });
        assert.equal(report.sources[0]!.complete, false);
        assert.match(report.sources[0]!.error?.message ?? '', /invalid username or password/);
        assert.equal(deletes(), 0);
      } finally {
        await stale.close();
      }

      // E2 terminated on 5 March; on 8 March F4 is provisioned (2 days ahead) and E2 leaves.
      Object.assign(wd.workers[1]!, {
        active: false,
        terminated: true,
        terminationDate: '2030-03-05',
      });
      now = new Date('2030-03-08T09:00:00Z');
      report = await run();
      assert.equal(report.sources[0]!.complete, true);
      assert.equal(deletes(), 1);
      assert.equal(pbx.resources.size, 3, 'E1, E3 and F4');
    });
  } finally {
    await wd.close();
    delete process.env.CALLSIGN_TEST_WD_PASSWORD;
  }
});
