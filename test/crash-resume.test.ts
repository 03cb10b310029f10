/**
 * `callsign sync` killed with SIGKILL in the middle of its run, on SQLite and PostgreSQL, with
 * a real directory and a real Kamailio: the next `callsign sync` resumes the journaled
 * operations once their leases expire; every person ends with exactly one SIP account and one
 * alias, no operation is journaled twice, and the secrets of the killed run are still handed
 * out once and work.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import Database from 'better-sqlite3';

import { register } from '../src/lab/sipp.ts';
import { generateLabPeople } from '../src/lab/slapd.ts';
import {
  createTestDatabase,
  testDialects,
  type TestDatabase,
} from '../src/store/testing/databases.ts';
import { labUnavailable, startLab, type Lab } from './lab.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const skip = labUnavailable({ kamailio: true });
const { names, skipped } = skip ? { names: [], skipped: undefined } : await testDialects();
if (skip) test(`crash-resume tests skipped: ${skip}`, { skip: true }, () => {});
if (skipped) test(skipped, { skip: true }, () => {});

const people = generateLabPeople(24).map((p) => ({ ...p, employeeType: 'employee' }));
const cli = (lab: Lab) => [join(root, 'bin/callsign.mjs'), 'sync', '--json', '-c', lab.configPath];

function countRows(lab: Lab, table: string): number {
  const db = new Database(lab.kamailio!.dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

for (const name of names) {
  describe(`sync killed with SIGKILL and resumed, on ${name}`, () => {
    let lab: Lab;
    let database: TestDatabase;

    before(async () => {
      database = await createTestDatabase(name);
      lab = await startLab({ people, store: database.url, kamailio: true, leaseSeconds: 5 });
    });
    after(async () => {
      await lab?.stop();
      await database?.dispose();
    });

    test('nothing lost, nothing twice, secrets still handed out once', async () => {
      const child = spawn(process.execPath, cli(lab), { stdio: 'ignore' });
      const deadline = Date.now() + 30_000;
      while (countRows(lab, 'subscriber') < 4) {
        assert.ok(Date.now() < deadline, 'the first sync never started provisioning');
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const cut = countRows(lab, 'subscriber');
      assert.ok(cut < people.length, `the kill landed mid-run (${cut} of ${people.length})`);

      const resumed = spawnSync(process.execPath, cli(lab), { encoding: 'utf8', timeout: 90_000 });
      assert.equal(resumed.status, 0, resumed.stderr);
      const report = JSON.parse(resumed.stdout);
      assert.equal(report.state, 'finished');

      assert.equal(countRows(lab, 'subscriber'), people.length);
      assert.equal(countRows(lab, 'dbaliases'), people.length);
      const engine = await lab.open();
      try {
        const ops = await engine.store.listOperations({});
        const keys = ops
          .filter((o) => o.action === 'create')
          .map((o) => `${o.target}/${o.type}/${o.key}`);
        assert.equal(new Set(keys).size, keys.length, 'no operation journaled twice');
        assert.ok(
          ops.every((o) => o.state === 'done'),
          'every operation done',
        );
        const runs = await engine.store.listRuns(10);
        assert.ok(
          runs.every((r) => r.state === 'finished'),
          JSON.stringify(runs.map((r) => r.state)),
        );
      } finally {
        await engine.close();
      }

      // Secrets handed out by the killed run's display never happened: the resuming sync shows
      // each person's secret once (those not shown yet), and they work.
      const shown = report.credentials as { resource: string; secret: string }[];
      assert.equal(shown.length, people.length, 'every secret shown once, none lost by the kill');
      const sample = shown[0]!;
      const extension = sample.resource.split('/').pop()!;
      const sip = { sipPort: lab.kamailio!.sipPort, domain: lab.kamailio!.domain };
      assert.equal(
        (await register({ ...sip, user: extension, password: sample.secret })).status,
        200,
      );
    });
  });
}
