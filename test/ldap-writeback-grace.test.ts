/**
 * Trial defects on a real slapd with an injected clock. A rule that gives only an extension
 * writes no empty telephoneNumber back (that write failed and blocked the person). A person
 * deleted from the directory during `missingGraceSeconds` is planned nothing (they were planned
 * as a joiner, written back to the vanished entry), and after the grace leaves as a leaver even
 * when they hold only numbers (their provisioning was skipped).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { NullTarget } from '../src/connectors/null/null-target.ts';
import type { LdapSourceConfig } from '../src/core/config-types.ts';
import { CallsignError, ErrorCode } from '../src/core/errors.ts';
import type { Engine } from '../src/engine/engine.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { generateLabPeople } from '../src/lab/slapd.ts';
import { labUnavailable, startLab, type Lab } from './lab.ts';

const skip = labUnavailable({ kamailio: false });
if (skip) test(`write-back and grace tests skipped: ${skip}`, { skip: true }, () => {});

const people = generateLabPeople(3).map((p) => ({ ...p, employeeType: 'employee' }));
const dave = people[0]!;
const START = Date.parse('2031-03-01T09:00:00.000Z');

describe(
  'write-back without a DID, deletion inside the grace',
  { skip: skip !== undefined },
  () => {
    let lab: Lab;
    let dir: string;
    let now = new Date(START);

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'callsign-wbgrace-'));
      lab = await startLab({ people, store: `sqlite:${join(dir, 'store.db')}`, kamailio: false });
      // Extension only: no DID pool in the rule, no alias in the profile; write-back stays.
      const yaml = readFileSync(lab.configPath, 'utf8')
        .replace(
          "numbers: { extension: '{{person.site}}-ext', did: '{{person.site}}-did' }",
          "numbers: { extension: '{{person.site}}-ext' }",
        )
        .replace(
          /      - target: pbx\n        type: sip-alias[\s\S]*?username: '\{\{numbers.extension\}\}'\n/,
          '',
        );
      assert.doesNotMatch(yaml, /sip-alias|-did' \}/);
      writeFileSync(lab.configPath, yaml);
    });
    after(async () => {
      await lab?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    async function run(minutes: number, target?: NullTarget) {
      now = new Date(START + minutes * 60_000);
      const engine: Engine = await lab.open();
      engine.clock = () => now;
      (engine.config.sources[0] as LdapSourceConfig).missingGraceSeconds = 3600;
      if (target) engine.targets.set('pbx', target);
      try {
        const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
        return { report, engine, everyone: await engine.store.listPeople() };
      } finally {
        await engine.close();
      }
    }
    const find = (all: Awaited<ReturnType<typeof run>>['everyone']) =>
      all.find((p) => p.attributes.employeeId === dave.employeeNumber)!;

    test('no empty write-back; only the refused line fails', async () => {
      // Dave's line is refused, so he holds an extension and nothing else.
      const refusing = new NullTarget({
        name: 'pbx',
        concurrency: 4,
        failures: (change) =>
          change.attributes.displayName === dave.cn
            ? new CallsignError(ErrorCode.Rejected, 'refused by the test')
            : undefined,
      });
      const { report, everyone } = await run(0, refusing);
      const ops = report.plans.flatMap((p) => p.operations);
      assert.deepEqual(
        ops.filter((o) => o.type === 'writeback'),
        [],
        'nobody has a DID, so nothing is written back',
      );
      assert.equal(report.counts.joiner, 3);
      const engine = await lab.open();
      try {
        const failed = await engine.store.listOperations({ state: ['failed'] });
        assert.deepEqual(
          failed.map((o) => `${o.personId} ${o.type}`),
          [`${find(everyone).id} sip-subscriber`],
        );
        await engine.store.setOperationState(failed[0]!.id, 'skipped', 'test');
      } finally {
        await engine.close();
      }
    });

    test('deleted inside the grace: nothing planned, the grace is noted', async () => {
      await lab.slapd.people.deletePerson(dave.uid);
      const { report, everyone } = await run(10);
      const person = find(everyone);
      assert.equal(person.status, 'active');
      const plan = report.plans.find((p) => p.personId === person.id);
      assert.deepEqual(plan?.operations, []);
      assert.notEqual(plan?.lifecycle, 'joiner');
      const note = report.problems.find((p) => p.field === 'missingSince');
      assert.match(note?.message ?? '', /leaves after 2031-03-01T10:10:00.000Z/);
      assert.equal(report.state, 'finished');
    });

    test('after the grace the person leaves as a leaver and gives the number back', async () => {
      const { report, everyone } = await run(75);
      const person = find(everyone);
      assert.equal(person.status, 'deleted');
      const plan = report.plans.find((p) => p.personId === person.id);
      assert.equal(plan?.lifecycle, 'leaver');
      assert.deepEqual(
        plan.operations.map((o) => `${o.action} ${o.target}/${o.type}`),
        ['delete inventory/number'],
      );
      assert.equal(report.state, 'finished');
    });
  },
);
