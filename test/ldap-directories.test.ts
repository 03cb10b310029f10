/**
 * Two real directories at once (two lab slapd servers), each with its own filter and mapping,
 * correlated by employeeId into one person; and two entries of one directory claiming the same
 * employee id: both held and reported, nothing changes for them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { parse, stringify } from 'yaml';

import { loadConfig } from '../src/core/config.ts';
import { openEngine } from '../src/engine/engine.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { generateLabPeople, startSlapd, type SlapdLab } from '../src/lab/slapd.ts';
import { labUnavailable, startLab, type Lab } from './lab.ts';

const skip = labUnavailable({ kamailio: false });
if (skip) test(`directory tests skipped: ${skip}`, { skip: true }, () => {});

const corp = generateLabPeople(6).map((p) => ({ ...p, employeeType: 'employee' }));
// EMEA's own people, one contractor its filter leaves out, and corp's third person again
// under another uid, mail and entryUUID.
const emea = [
  ...generateLabPeople(3, { first: 101, domain: 'emea.example.com' }).map((p) => ({
    ...p,
    employeeType: 'employee',
    l: 'lon',
  })),
  { ...generateLabPeople(1, { first: 104 })[0]!, employeeType: 'contractor' },
  { ...corp[2]!, uid: 'jdoe-emea', mail: 'jdoe@emea.example.com', departmentNumber: 'CC-77' },
];

describe('several directories', { skip: skip !== undefined }, () => {
  let lab: Lab;
  let second: SlapdLab;
  let known: Awaited<ReturnType<typeof sync>>['everyone'] = [];
  const envName = `CALLSIGN_TEST_EMEA_${randomBytes(4).toString('hex').toUpperCase()}`;

  before(async () => {
    lab = await startLab({ people: corp, store: 'sqlite:./store.db', kamailio: false });
    process.env[envName] = randomBytes(9).toString('hex');
    second = await startSlapd({
      people: emea,
      suffix: 'dc=emea,dc=example',
      servicePassword: process.env[envName],
    });
    const doc = parse(readFileSync(lab.configPath, 'utf8'));
    doc.sources.push({
      name: 'emea-ldap',
      type: 'ldap',
      url: second.url,
      bindDn: second.serviceDn,
      password: `env:${envName}`,
      baseDn: second.peopleDn,
      filter: '(&(objectClass=inetOrgPerson)(employeeType=employee))',
      idAttribute: 'entryUUID',
      missingGraceSeconds: 0,
      attributes: {
        employeeId: 'employeeNumber',
        displayName: 'cn',
        site: 'l',
        workerType: 'employeeType',
        costCenter: 'departmentNumber',
      },
    });
    writeFileSync(lab.configPath, stringify(doc));
  });
  after(async () => {
    await second?.stop();
    await lab?.stop();
    delete process.env[envName];
  });

  async function sync() {
    const log = pino({ level: 'silent' });
    const engine = await openEngine(loadConfig(lab.configPath), { log, actor: 'test' });
    engine.targets.set('pbx', lab.nullTarget!);
    try {
      const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
      return { report, everyone: await engine.store.listPeople() };
    } finally {
      await engine.close();
    }
  }

  test('one person present in both directories is one person', async () => {
    const { report, everyone } = await sync();
    known = everyone;
    assert.equal(report.state, 'finished');
    assert.deepEqual(
      report.sources.map((s) => [s.name, s.complete, s.records]),
      [
        ['lab-ldap', true, 6],
        ['emea-ldap', true, 4],
      ],
    );
    assert.equal(everyone.length, 6 + 3, "the contractor is outside emea-ldap's filter");
    const both = everyone.filter((p) => p.attributes.employeeId === corp[2]!.employeeNumber);
    assert.equal(both.length, 1);
    const [person] = both;
    assert.deepEqual(person!.sourceLinks.map((l) => l.source).sort(), ['emea-ldap', 'lab-ldap']);
    // Source order: corp's own values win; what only EMEA maps is there too.
    assert.equal(person!.attributes.mail, corp[2]!.mail);
    assert.equal(person!.attributes.costCenter, 'CC-77');
    assert.equal(report.counts.joiner, 9);
  });

  test('two entries of one directory, one employee id: both held, nothing changes', async () => {
    const [, , , fourth, fifth] = corp;
    await lab.slapd.people.modifyPerson(fourth!.uid, { employeeNumber: fifth!.employeeNumber });
    const calls = lab.nullTarget!.calls;
    const { report, everyone } = await sync();

    const held = report.problems.filter((p) => /share employeeId/.test(p.message));
    assert.equal(held.length, 2);
    assert.ok(held.every((p) => p.source === 'lab-ldap' && p.field === 'employeeId'));
    const shared = fifth!.employeeNumber.toLowerCase();
    assert.match(held[0]!.message, new RegExp(`share employeeId ${shared}`));

    const mails = [fourth!.mail, fifth!.mail];
    const ids = known.filter((p) => mails.includes(String(p.attributes.mail)));
    assert.equal(ids.length, 2);
    for (const old of ids) {
      const now = everyone.find((p) => p.id === old.id)!;
      assert.deepEqual(now, old, 'the held person is unchanged in the store');
      assert.equal(report.plans.filter((p) => p.personId === old.id).length, 0);
    }
    assert.equal(lab.nullTarget!.calls, calls, 'no target call for them');
  });
});
