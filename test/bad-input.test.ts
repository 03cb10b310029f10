/**
 * Bad input on the spine, on a real directory: a target that answers an error for one person
 * fails that person only; a person without the site a rule reads is reported with the field named;
 * an excluded person is left alone; an unreachable directory is reported and changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { NullTarget } from '../src/connectors/null/null-target.ts';
import { CallsignError } from '../src/core/errors.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { generateLabPeople } from '../src/lab/slapd.ts';
import { labUnavailable, startLab, type Lab } from './lab.ts';

const skip = labUnavailable({ kamailio: false });
const people = generateLabPeople(9).map((p) => ({ ...p, employeeType: 'employee' }));
let lab: Lab;

before(async () => {
  if (skip) return;
  lab = await startLab({ people, store: 'sqlite:./callsign.db', kamailio: false });
});
after(async () => {
  await lab?.stop();
});

test('one failing person, one without a site: the rest are provisioned', { skip }, async () => {
  await lab.slapd.people.modifyPerson(people[0]!.uid, { l: null });
  const engine = await lab.open();
  const failing = new NullTarget({
    name: 'pbx',
    concurrency: 4,
    failures: (change) =>
      change.type === 'sip-subscriber' && change.key === '3000'
        ? new CallsignError('rejected', 'subscriber 3000: the platform refused the value')
        : undefined,
  });
  engine.targets.set('pbx', failing);
  try {
    const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
    assert.equal(report.state, 'failed');
    assert.equal(report.execution?.failed, 1);

    const missing = report.problems.find((p) => p.field === 'site');
    assert.ok(missing, `the missing site is reported: ${JSON.stringify(report.problems)}`);
    assert.match(missing.record, new RegExp(people[0]!.cn));

    const failed = await engine.store.listOperations({ state: ['failed'] });
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.key, '3000');
    const waiting = await engine.store.listOperations({
      personId: failed[0]!.personId,
      state: ['pending'],
    });
    assert.ok(waiting.length >= 1, "the failing person's later operations wait");
    const created = failing.effects.filter(
      (e) => e.type === 'sip-subscriber' && e.action === 'create',
    );
    assert.equal(created.length, 7, 'nine people less the failing one and the one without a site');
  } finally {
    await engine.close();
  }
});

test(
  'an excluded person is left out; an unreachable directory changes nothing',
  { skip },
  async () => {
    const engine = await lab.open();
    try {
      const person = (
        await engine.store.findPeopleByKey('employeeId', people[1]!.employeeNumber)
      )[0]!;
      await engine.store.setPersonFlags(person.id, { excluded: true }, 'test');
      await lab.slapd.people.disablePerson(people[1]!.uid);
      const report = await reconcile(engine, { mode: 'plan', actor: 'test' });
      assert.ok(!report.plans.some((p) => p.personId === person.id && p.operations.length > 0));

      await lab.slapd.stop();
      const blind = await reconcile(engine, { mode: 'plan', actor: 'test' });
      assert.equal(blind.sources[0]!.complete, false);
      assert.match(blind.sources[0]!.error?.code ?? '', /unavailable/);
      assert.equal(blind.plans.filter((p) => p.deprovision).length, 0);
    } finally {
      await engine.close();
    }
  },
);

test(
  'a number the platform already uses is held and the hire gets the next one',
  { skip },
  async () => {
    await lab.slapd.stop().catch(() => undefined);
    const fresh = await startLab({
      people: people.slice(0, 2),
      store: 'sqlite:./callsign.db',
      kamailio: false,
    });
    try {
      const engine = await fresh.open();
      try {
        const next = await engine.store.peekNumber('nyc-ext', 'nobody', new Date());
        assert.ok(next, 'the NYC pool has a free extension');
        // Someone configured this extension on the platform by hand.
        fresh.nullTarget!.resources.set(`sip-subscriber/${next.value}`, { username: next.value });
        const hire = {
          ...generateLabPeople(1, { first: 30 })[0]!,
          l: 'nyc',
          employeeType: 'employee',
        };
        await fresh.slapd.people.addPerson(hire);

        const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
        assert.equal(report.state, 'finished');
        const person = (await engine.store.findPeopleByKey('employeeId', hire.employeeNumber))[0]!;
        const ext = (await engine.store.numbersOf(person.id)).find((n) => n.kind === 'extension');
        assert.ok(ext && ext.value !== next.value, `the hire got another extension: ${ext?.value}`);
        const held = (await engine.store.listNumbers('nyc-ext')).find(
          (n) => n.value === next.value,
        );
        assert.equal(held?.state, 'held');
      } finally {
        await engine.close();
      }
    } finally {
      await fresh.stop();
    }
  },
);
