/**
 * When HR facts take effect through the engine: a worker left out of one export keeps their
 * phone for the source's grace period (HR exports drop rows by mistake) while a dated
 * termination takes effect on its date; a termination date is the last day worked, so it ends
 * at the start of the next day in the source's time zone, and a start begins at that day's start.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { phoneConfig } from '../../core/testing/config-text.ts';
import { reconcile } from '../../engine/reconcile.ts';
import { withConfigEngine } from '../../engine/testing/config-engine.ts';
import { apiRules } from './hr-api.ts';
import { rowMapper } from './hr-rows.ts';
import { DROP_HEADER, dropSource, hrCsv } from './test-kit.ts';

const config = (more: string) =>
  phoneConfig({
    sources: dropSource(`    workerType: { column: Type, map: { Regular: employee } }\n${more}`),
    when: 'person.workerType == "employee"',
    maxDeprovisionCount: 5,
  });

async function withDrop(
  text: string,
  clock: () => Date,
  body: (o: {
    drop: (rows: string[]) => Promise<void>;
    run: () => ReturnType<typeof reconcile>;
    subscribers: () => string[];
  }) => Promise<void>,
): Promise<void> {
  const options = { config: text, prefix: 'callsign-hr-timing-', clock };
  await withConfigEngine(options, async ({ dir, engine, pbx }) => {
    await mkdir(join(dir, 'drop'));
    await body({
      drop: (rows) => writeFile(join(dir, 'drop', 'workers.csv'), hrCsv(rows, DROP_HEADER)),
      run: () => reconcile(engine, { mode: 'sync', actor: 'test' }),
      subscribers: () => [...pbx.resources.keys()].filter((k) => k.startsWith('sip-')).sort(),
    });
  });
}

test('hr-file: a worker missing from one export waits out the grace; a dated termination does not', async () => {
  let now = new Date('2031-05-01T09:00:00Z');
  await withDrop(
    config(''),
    () => now,
    async ({ drop, run, subscribers }) => {
      const ann = 'A1,Active,Regular,ann@example.org,Ann,2030-01-01,';
      const bob = 'B1,Active,Regular,bob@example.org,Bob,2030-01-01,';
      await drop([ann, bob]);
      await run();
      assert.deepEqual(subscribers(), ['sip-subscriber/4000', 'sip-subscriber/4001']);

      // Bob's row is dropped by mistake; Ann is terminated with today as her last day.
      now = new Date('2031-05-02T09:00:00Z');
      await drop(['A1,Terminated,Regular,ann@example.org,Ann,2030-01-01,2031-05-02']);
      let report = await run();
      assert.equal(report.counts.leaver ?? 0, 0, 'nobody leaves yet');
      const pending = report.problems.find((p) => p.field === 'missingSince');
      assert.match(
        pending?.message ?? '',
        /absent from source hr since .*leaves after 2031-05-03T09/,
      );
      assert.deepEqual(subscribers(), ['sip-subscriber/4000', 'sip-subscriber/4001']);

      // Ann's termination takes effect when her last day ends, whatever the grace.
      now = new Date('2031-05-03T00:00:00Z');
      report = await run();
      assert.equal(report.counts.leaver, 1);
      assert.equal(subscribers().length, 1);

      // A day after Bob went missing, he counts as gone.
      now = new Date('2031-05-03T09:00:01Z');
      report = await run();
      assert.equal(report.counts.leaver, 1);
      assert.deepEqual(subscribers(), []);
    },
  );
});

test('hr-file: missingGraceSeconds 0 makes a missing worker leave at once', async () => {
  let now = new Date('2031-05-01T09:00:00Z');
  const text = config('    missingGraceSeconds: 0\n');
  await withDrop(
    text,
    () => now,
    async ({ drop, run, subscribers }) => {
      await drop([
        'A1,Active,Regular,ann@example.org,Ann,2030-01-01,',
        'B1,Active,Regular,bob@example.org,Bob,2030-01-01,',
      ]);
      await run();
      now = new Date('2031-05-02T09:00:00Z');
      await drop(['A1,Active,Regular,ann@example.org,Ann,2030-01-01,']);
      const report = await run();
      assert.equal(report.counts.leaver, 1);
      assert.deepEqual(subscribers(), ['sip-subscriber/4000']);
    },
  );
});

test('hr-file timezone: the last day ends at midnight there; a start begins at midnight there', async () => {
  // New York is UTC-5 until 10 March 2031 and UTC-4 after (daylight saving time).
  let now = new Date('2031-03-07T04:59:00Z');
  const text = config('    provisionDaysBeforeStart: 1\n    timezone: America/New_York\n');
  await withDrop(
    text,
    () => now,
    async ({ drop, run, subscribers }) => {
      await drop(['A1,Active,Regular,ann@example.org,Ann,2031-03-08,2031-03-20']);
      let report = await run();
      assert.equal(report.counts['future-start'], 1, '23:59 on 6 March in New York');
      now = new Date('2031-03-07T05:00:00Z');
      report = await run();
      assert.equal(report.counts.joiner, 1, 'midnight of 7 March in New York');

      // 20 March is her last day: at 23:30 in New York (03:30 UTC on the 21st) she still works.
      now = new Date('2031-03-21T03:30:00Z');
      report = await run();
      assert.equal(report.counts.leaver ?? 0, 0);
      assert.deepEqual(subscribers(), ['sip-subscriber/4000']);
      now = new Date('2031-03-21T04:00:00Z');
      report = await run();
      assert.equal(report.counts.leaver, 1);
      assert.deepEqual(subscribers(), []);
    },
  );
});

test('API sources (Workday, SuccessFactors) carry the zone into their rows', () => {
  const config = {
    name: 'wd',
    url: '',
    pageSize: 100,
    timeoutMs: 1000,
    countryAliases: {},
    workerTypes: {},
    provisionDaysBeforeStart: 0,
    attributes: {},
    timezone: 'Europe/Berlin',
  };
  const map = rowMapper(apiRules(config, { active: ['A'], leave: [], terminated: ['T'] }));
  const row = map({
    where: 'worker 1',
    values: { workerId: 'W1', status: 'T', hireDate: '2031-01-10', terminationDate: '2031-07-31' },
  });
  assert.equal(row.record.attributes.startsAt, '2031-01-09T23:00:00.000Z');
  assert.equal(row.record.attributes.endsAt, '2031-07-31T22:00:00.000Z', 'end of 31 July there');
  assert.equal(row.record.attributes.endDate, '2031-07-31');
});
