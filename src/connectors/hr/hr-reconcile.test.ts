/**
 * HR exports through the engine: a future hire is provisioned the configured days before the
 * start and not before; a contractor converted to employee under a new worker id stays the same
 * person (matched by mail) and keeps their extension; a worker id on two rows changes nothing
 * for that person; a termination takes effect on its date; a broken file changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { parseConfig } from '../../core/config.ts';
import { phoneConfig } from '../../core/testing/config-text.ts';
import { reconcile } from '../../engine/reconcile.ts';
import { withConfigEngine } from '../../engine/testing/config-engine.ts';
import { DROP_HEADER, dropSource, hrCsv } from './test-kit.ts';

const CONFIG = phoneConfig({
  sources: dropSource(`    workerType:
      column: Type
      map: { Regular: employee, Contractor: contractor, Intern: intern }
    provisionDaysBeforeStart: 3`),
  when: 'person.workerType == "employee" || person.workerType == "contractor"',
  attributes: "{ displayName: '{{person.displayName}}' }",
  // Two people: one leaver is half of them, which the default brake would hold.
  maxDeprovisionCount: 5,
  quarantineDays: 30,
});

test('future hire, conversion to employee, repeated id, termination date', async () => {
  let now = new Date('2030-03-01T09:00:00Z');
  const options = { config: CONFIG, prefix: 'callsign-hr-e2e-', clock: () => now };
  await withConfigEngine(options, async ({ dir, engine, pbx }) => {
    await mkdir(join(dir, 'drop'));
    const drop = (rows: string[]) =>
      writeFile(join(dir, 'drop', 'workers.csv'), hrCsv(rows, DROP_HEADER));
    const run = () => reconcile(engine, { mode: 'sync', actor: 'test' });
    const personOf = async (workerId: string) =>
      (await engine.store.listPeople()).find((p) =>
        p.sourceLinks.some((l) => l.externalId === workerId),
      );
    const subscribers = () => [...pbx.resources.keys()].filter((k) => k.startsWith('sip-'));

    // Dates lie after the wall clock: the store journals operations at wall-clock time.
    // Day 1: a contractor at work; a hire starting on 10 March (provisioned from 7 March).
    await drop([
      'C100,Active,Contractor,kim@example.org,Kim Contractor,2029-01-01,',
      'E200,Active,Regular,lee@example.org,Lee Future,2030-03-10,',
    ]);
    let report = await run();
    assert.equal(report.sources[0]!.complete, true);
    assert.equal(report.counts['future-start'], 1);
    assert.deepEqual(subscribers(), ['sip-subscriber/4000']);
    const kim = (await personOf('C100'))!;

    // Day 7 (start - 3 days): Kim is now employee E300 and the old id is terminated.
    now = new Date('2030-03-07T09:00:00Z');
    await drop([
      'C100,Terminated,Contractor,kim@example.org,Kim Contractor,2029-01-01,2030-03-06',
      'E300,Active,Regular,Kim@Example.org,Kim Employee,2030-03-07,',
      'E200,Active,Regular,lee@example.org,Lee Future,2030-03-10,',
    ]);
    report = await run();
    const superseded = report.problems.find((p) => p.outcome === 'superseded');
    assert.match(superseded?.message ?? '', /C100 is superseded by worker E300/);
    const converted = (await personOf('E300'))!;
    assert.equal(converted.id, kim.id, 'the converted contractor is the same person');
    assert.equal(converted.attributes.displayName, 'Kim Employee');
    assert.equal(pbx.effects.filter((e) => e.action === 'delete').length, 0);
    assert.equal(pbx.resources.get('sip-subscriber/4000')?.displayName, 'Kim Employee');
    assert.deepEqual(subscribers().sort(), ['sip-subscriber/4000', 'sip-subscriber/4001']);

    // Day 8: E300 appears on two rows (one says terminated): nothing changes for Kim.
    now = new Date('2030-03-08T09:00:00Z');
    await drop([
      'E300,Active,Regular,kim@example.org,Kim Employee,2030-03-07,',
      'E300,Terminated,Regular,kim@example.org,Kim Employee,2030-03-07,2030-03-08',
      'E200,Active,Regular,lee@example.org,Lee Future,2030-03-10,2030-03-20',
    ]);
    report = await run();
    const held = report.problems.filter((p) => p.outcome === 'held');
    assert.equal(held.length, 2);
    assert.ok(!report.plans.some((p) => p.personId === kim.id), 'no plan for the held person');
    assert.equal(pbx.effects.filter((e) => e.action === 'delete').length, 0);

    // A file that cannot be read changes nothing either.
    await writeFile(join(dir, 'drop', 'workers.csv'), Buffer.from([0x57, 0x6f, 0xff, 0x0a]));
    report = await run();
    assert.equal(report.sources[0]!.complete, false);
    assert.match(report.sources[0]!.error?.message ?? '', /invalid UTF-8 at byte 2 \(line 1\)/);
    assert.equal(pbx.effects.filter((e) => e.action === 'delete').length, 0);

    // 20 March is Lee's last day: the termination takes effect when it ends (UTC by default).
    await drop([
      'E300,Active,Regular,kim@example.org,Kim Employee,2030-03-07,',
      'E200,Active,Regular,lee@example.org,Lee Future,2030-03-10,2030-03-20',
    ]);
    now = new Date('2030-03-20T23:59:00Z');
    await run();
    assert.equal(pbx.effects.filter((e) => e.action === 'delete').length, 0);
    now = new Date('2030-03-21T00:00:00Z');
    report = await run();
    assert.equal(report.counts.leaver, 1);
    assert.ok(!pbx.resources.has('sip-subscriber/4001'), 'Lee is de-provisioned after the date');
    // Still listed as terminated, Lee is not given a phone again on the next run.
    now = new Date('2030-03-22T00:00:00Z');
    report = await run();
    assert.ok(
      !pbx.resources.has('sip-subscriber/4001'),
      'a past termination is not re-provisioned',
    );
  });
});

test('configuration: derived attributes are known to rules; the person key must correlate', () => {
  const config = parseConfig(CONFIG, '/srv/callsign.yaml');
  const hr = config.sources[0]!;
  assert.equal(hr.type, 'hr-file');
  if (hr.type !== 'hr-file') return;
  assert.equal(hr.path, '/srv/drop');
  assert.equal(hr.attributes.startDate, 'Hire Date');
  assert.equal(hr.attributes.workerType, 'Type');
  const bad = CONFIG.replace('correlation: [mail]', 'correlation: [displayName]');
  assert.throws(
    () => parseConfig(bad, '/srv/callsign.yaml'),
    /attribute mail \(column Email\) is not in correlation/,
  );
  const noId = CONFIG.replace('workerId: Worker ID, ', '');
  assert.throws(() => parseConfig(noId, '/srv/callsign.yaml'), /must map workerId/);
});
