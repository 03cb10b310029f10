/**
 * The grace period for leaving a directory's scope, on a real slapd with an injected clock: a
 * person absent from a complete read keeps their state and resources, shown as pending-missing,
 * until `missingGraceSeconds` after they first went missing; one who comes back in time is
 * simply still there; an explicit deletion from a change feed is immediate.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { LdapSourceConfig } from '../src/core/config-types.ts';
import type { Engine } from '../src/engine/engine.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { generateLabPeople } from '../src/lab/slapd.ts';
import { labUnavailable, startLab, type Lab } from './lab.ts';

const skip = labUnavailable({ kamailio: false });
if (skip) test(`grace tests skipped: ${skip}`, { skip: true }, () => {});

const people = generateLabPeople(6).map((p) => ({ ...p, employeeType: 'employee' }));
const HOUR = 3600_000;

describe('grace period before leaving', { skip: skip !== undefined }, () => {
  let lab: Lab;
  let dir: string;
  let now = new Date('2030-01-01T09:00:00.000Z');
  const at = (ms: number) => (now = new Date(Date.parse('2030-01-01T09:00:00.000Z') + ms));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callsign-grace-'));
    lab = await startLab({ people, store: `sqlite:${join(dir, 'store.db')}`, kamailio: false });
  });
  after(async () => {
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the engine on the injected clock with a one-hour grace on the directory. */
  async function run(filter?: string) {
    const engine: Engine = await lab.open();
    engine.clock = () => now;
    const source = engine.config.sources[0] as LdapSourceConfig;
    source.missingGraceSeconds = 3600;
    // The connector holds this same object: a changed filter takes people out of scope.
    if (filter !== undefined) source.filter = filter;
    try {
      const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
      const everyone = await engine.store.listPeople();
      return { report, everyone, engine };
    } finally {
      await engine.close();
    }
  }
  const byEmployee = <T extends { attributes: Record<string, unknown> }>(all: T[], id: string) =>
    all.find((p) => p.attributes.employeeId === id)!;
  const outOf = (...uids: string[]) =>
    `(&(objectClass=inetOrgPerson)${uids.map((uid) => `(!(uid=${uid}))`).join('')})`;

  test('everyone is provisioned first', async () => {
    const { report } = await run();
    assert.equal(report.state, 'finished');
    assert.equal(report.counts.joiner, 6);
  });

  test('a person moved out of the filter is pending-missing, keeps everything', async () => {
    at(10 * 60_000);
    const calls = lab.nullTarget!.calls;
    const { report, everyone } = await run(outOf(people[1]!.uid));
    const person = byEmployee(everyone, people[1]!.employeeNumber);
    assert.equal(person.status, 'active');
    assert.equal(person.sourceLinks[0]!.missingSince, '2030-01-01T09:10:00.000Z');
    assert.equal(report.plans.filter((p) => p.deprovision).length, 0);
    assert.equal(lab.nullTarget!.calls, calls, 'no target call');
    const line = report.problems.find((p) => p.field === 'missingSince');
    assert.ok(line, 'the plan shows the pending person');
    assert.match(line.record, new RegExp(person.id));
    assert.equal(
      line.message,
      'absent from source lab-ldap since 2030-01-01T09:10:00.000Z; ' +
        'leaves after 2030-01-01T10:10:00.000Z',
    );
  });

  test('still inside the grace period, the first absence time is kept', async () => {
    at(50 * 60_000);
    const { report, everyone } = await run(outOf(people[1]!.uid));
    const person = byEmployee(everyone, people[1]!.employeeNumber);
    assert.equal(person.status, 'active');
    assert.equal(person.sourceLinks[0]!.missingSince, '2030-01-01T09:10:00.000Z');
    assert.equal(report.plans.filter((p) => p.deprovision).length, 0);
  });

  test('back in scope before the end: nothing happened', async () => {
    at(55 * 60_000);
    const out = await run(outOf(people[1]!.uid, people[2]!.uid));
    const gone = byEmployee(out.everyone, people[2]!.employeeNumber);
    assert.equal(gone.sourceLinks[0]!.missingSince, '2030-01-01T09:55:00.000Z');
    at(60 * 60_000);
    const calls = lab.nullTarget!.calls;
    const back = await run(outOf(people[1]!.uid));
    const person = byEmployee(back.everyone, people[2]!.employeeNumber);
    assert.equal(person.status, 'active');
    assert.equal(person.sourceLinks[0]!.missingSince, undefined);
    assert.equal(back.report.plans.filter((p) => p.personId === person.id).length, 0);
    assert.equal(lab.nullTarget!.calls, calls);
  });

  test('after the grace period the person leaves', async () => {
    at(HOUR + 10 * 60_000);
    const { report, everyone } = await run(outOf(people[1]!.uid));
    const person = byEmployee(everyone, people[1]!.employeeNumber);
    assert.equal(person.status, 'deleted');
    const plan = report.plans.find((p) => p.personId === person.id);
    assert.equal(plan?.lifecycle, 'leaver');
    assert.equal(plan?.deprovision, true);
    assert.ok(plan.operations.some((op) => op.action === 'delete'));
    assert.equal(report.problems.filter((p) => p.field === 'missingSince').length, 0);
  });

  test('an explicit deletion from a change feed is immediate', async () => {
    at(HOUR + 20 * 60_000);
    const engine = await lab.open();
    engine.clock = () => now;
    (engine.config.sources[0] as LdapSourceConfig).missingGraceSeconds = 3600;
    try {
      const victim = byEmployee(await engine.store.listPeople(), people[3]!.employeeNumber);
      const externalId = victim.sourceLinks[0]!.externalId;
      const changes = [
        {
          source: 'lab-ldap',
          problems: [],
          records: [{ source: 'lab-ldap', externalId, state: 'deleted' as const, attributes: {} }],
        },
      ];
      const report = await reconcile(engine, { mode: 'sync', actor: 'test', changes });
      const plan = report.plans.find((p) => p.personId === victim.id);
      assert.equal(plan?.lifecycle, 'leaver');
      assert.equal((await engine.store.getPerson(victim.id))?.status, 'deleted');
    } finally {
      await engine.close();
    }
  });
});
