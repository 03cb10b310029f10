/**
 * HR exports through the engine: a future hire is provisioned the configured days before the
 * start and not before; a contractor converted to employee under a new worker id stays the same
 * person (matched by mail) and keeps their extension; a worker id on two rows changes nothing
 * for that person; a termination takes effect on its date; a broken file changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import { NullTarget } from '../null/null-target.ts';
import { parseConfig } from '../../core/config.ts';
import { openEngine } from '../../engine/engine.ts';
import { reconcile } from '../../engine/reconcile.ts';
import { hrCsv } from './test-kit.ts';

const CONFIG = `
store: sqlite:./callsign.db
secretKey: file:./secret.key
correlation: [mail]
sources:
  - name: hr
    type: hr-file
    path: ./drop
    columns: { workerId: Worker ID, mail: Email, displayName: Name }
    keys: { personKey: Email }
    status: { column: Status, active: [Active], leave: [Leave], terminated: [Terminated] }
    dates: { hire: Hire Date, termination: Termination Date, format: YYYY-MM-DD }
    workerType:
      column: Type
      map: { Regular: employee, Contractor: contractor, Intern: intern }
    provisionDaysBeforeStart: 3
targets:
  - { name: pbx, type: "null" }
# Two people: one leaver is half of them, which the default brake would hold.
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
    when: person.workerType == "employee" || person.workerType == "contractor"
    profile: phone
    numbers: { extension: ext }
`;
const HEADER = 'Worker ID,Status,Type,Email,Name,Hire Date,Termination Date';

test('future hire, conversion to employee, repeated id, termination date', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'callsign-hr-e2e-'));
  await mkdir(join(dir, 'drop'));
  const file = join(dir, 'callsign.yaml');
  await writeFile(file, CONFIG);
  let now = new Date('2030-03-01T09:00:00Z');
  const engine = await openEngine(parseConfig(CONFIG, file), {
    log: pino({ level: 'silent' }),
    actor: 'test',
    clock: () => now,
  });
  const pbx = new NullTarget({ name: 'pbx', concurrency: 2 });
  engine.targets.set('pbx', pbx);
  const drop = (rows: string[]) => writeFile(join(dir, 'drop', 'workers.csv'), hrCsv(rows, HEADER));
  const run = () => reconcile(engine, { mode: 'sync', actor: 'test' });
  const personOf = async (workerId: string) =>
    (await engine.store.listPeople()).find((p) =>
      p.sourceLinks.some((l) => l.externalId === workerId),
    );
  const subscribers = () => [...pbx.resources.keys()].filter((k) => k.startsWith('sip-'));
  try {
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

    // Lee's termination on 20 March takes effect on that date, not the day before.
    await drop([
      'E300,Active,Regular,kim@example.org,Kim Employee,2030-03-07,',
      'E200,Active,Regular,lee@example.org,Lee Future,2030-03-10,2030-03-20',
    ]);
    now = new Date('2030-03-19T23:00:00Z');
    await run();
    assert.equal(pbx.effects.filter((e) => e.action === 'delete').length, 0);
    now = new Date('2030-03-20T00:00:00Z');
    report = await run();
    assert.equal(report.counts.leaver, 1);
    assert.ok(!pbx.resources.has('sip-subscriber/4001'), 'Lee is de-provisioned on the date');
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
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
