/**
 * Workday Get_Workers through the engine, registered by `type: workday`: joiners are
 * provisioned, a hire to come waits, a page failing mid-read de-provisions nobody, wrong
 * credentials leave the source unread and change nothing, and a termination takes effect.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import { parseConfig } from '../../core/config.ts';
import { openEngine } from '../../engine/engine.ts';
import { reconcile } from '../../engine/reconcile.ts';
import { NullTarget } from '../null/null-target.ts';
import {
  startWorkersEmulator,
  type EmuWorker,
} from '../../../test/emulators/workday/workday-workers-emulator.ts';

const config = (url: string) => `
store: sqlite:./callsign.db
secretKey: file:./secret.key
correlation: [mail]
sources:
  - name: wd
    type: workday
    url: ${url}
    username: isu@acme
    password: env:CALLSIGN_TEST_WD_PASSWORD
    pageSize: 2
    personKey: mail
    provisionDaysBeforeStart: 2
targets:
  - { name: pbx, type: "null" }
safety: { maxDeprovisionShare: 1, maxDeprovisionCount: 5 }
pools:
  ext: { kind: extension, range: { start: '4000', end: '4099' }, quarantineDays: 30 }
profiles:
  phone:
    resources:
      - target: pbx
        type: sip-subscriber
        key: '{{numbers.extension}}'
        attributes: { displayName: '{{person.displayName}}' }
rules:
  - name: staff
    when: person.workerType == "employee" && !person.onLeave
    profile: phone
    numbers: { extension: ext }
`;

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
  const dir = await mkdtemp(join(tmpdir(), 'callsign-wd-e2e-'));
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
  const file = join(dir, 'callsign.yaml');
  await writeFile(file, config(wd.url));
  let now = new Date('2030-03-01T09:00:00Z');
  const engine = await openEngine(parseConfig(config(wd.url), file), {
    log: pino({ level: 'silent' }),
    actor: 'test',
    clock: () => now,
  });
  assert.equal(engine.sources.get('wd')?.kind, 'workday');
  const pbx = new NullTarget({ name: 'pbx', concurrency: 2 });
  engine.targets.set('pbx', pbx);
  const run = () => reconcile(engine, { mode: 'sync', actor: 'test' });
  const deletes = () => pbx.effects.filter((e) => e.action === 'delete').length;
  try {
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
    const stale = await openEngine(parseConfig(config(wd.url), file), {
      log: pino({ level: 'silent' }),
      actor: 'test',
      clock: () => now,
    });
    stale.targets.set('pbx', pbx);
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
  } finally {
    await engine.close();
    await wd.close();
    delete process.env.CALLSIGN_TEST_WD_PASSWORD;
    await rm(dir, { recursive: true, force: true });
  }
});
