/**
 * The spine end to end, through the CLI as an administrator runs it: a real OpenLDAP, a real
 * Kamailio and SIPp. A new hire's extension registers with the secret shown once and is reached
 * on its DID; the number is written back; a person lacking an attribute is reported and the
 * rest go on; after the person is disabled the extension gets 401, the directory number is
 * cleared and both numbers rest in quarantine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { call, register } from '../src/lab/sipp.ts';
import { generateLabPeople } from '../src/lab/slapd.ts';
import { labUnavailable, startLab, type Lab } from './lab.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const skip = labUnavailable({ kamailio: true });

const people = generateLabPeople(6).map((p) => ({ ...p, employeeType: 'employee' }));
let lab: Lab;

function cli(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    [join(root, 'bin/callsign.mjs'), ...args, '-c', lab.configPath],
    {
      encoding: 'utf8',
      env: { ...process.env, CALLSIGN_LOG_LEVEL: 'warn' },
      timeout: 60_000,
    },
  );
  return { code: result.status, out: result.stdout, err: result.stderr };
}

before(async () => {
  if (skip) return;
  lab = await startLab({ people, store: 'sqlite:./callsign.db', kamailio: true });
  // This person lacks the site attribute the rule reads.
  await lab.slapd.people.modifyPerson(people[5]!.uid, { l: null });
});
after(async () => {
  await lab?.stop();
});

test('plan, sync, SIP proof, leaver: through the CLI on real servers', { skip }, async () => {
  const plan = cli('plan', '--json');
  assert.equal(plan.code, 3, `plan exits 3 because one person has a problem: ${plan.err}`);
  const planned = JSON.parse(plan.out);
  assert.equal(planned.mode, 'plan');
  const problem = planned.problems.find((p: { field?: string }) => p.field === 'site');
  assert.ok(problem, `the missing site is named: ${JSON.stringify(planned.problems)}`);

  const sip = { sipPort: lab.kamailio!.sipPort, domain: lab.kamailio!.domain };
  const before = await register({ ...sip, user: '2000', password: 'nothing-yet' });
  assert.equal(before.status, 401, 'plan touched nothing on Kamailio');

  const sync = cli('sync', '--json');
  assert.equal(sync.code, 3, sync.err);
  const report = JSON.parse(sync.out);
  assert.equal(report.state, 'finished');
  assert.equal(report.credentials.length, 5, 'five people provisioned, the sixth held');

  const cred = report.credentials[0];
  const extension = cred.resource.split('/').pop();
  const registered = await register({ ...sip, user: extension, password: cred.secret });
  assert.equal(registered.status, 200);
  const wrong = await register({ ...sip, user: extension, password: 'not-the-secret' });
  assert.equal(wrong.status, 401);

  const show = JSON.parse(cli('people', 'show', cred.personId).out);
  const did = show.numbers.find((n: { kind: string }) => n.kind === 'did').value;
  const rang = await call({
    ...sip,
    fromUser: 'outside',
    to: did,
    callee: { user: extension, password: cred.secret },
  });
  assert.ok(rang.ok, `a call to ${did} reaches ${extension}: ${JSON.stringify(rang)}`);

  const uid = people.find((p) => p.cn === cred.label)!.uid;
  const phone = await lab.slapd.people.readPerson(uid, ['telephoneNumber']);
  assert.match(
    phone.telephoneNumber?.[0] ?? '',
    /^\+1 \d{3} \d{3} \d{4}$/,
    'printable E.164 written back',
  );

  const again = JSON.parse(cli('sync', '--json').out);
  assert.equal(again.credentials.length, 0, 'a secret is shown once only');
  const changes = again.plans.flatMap((p: { operations: unknown[] }) => p.operations);
  assert.equal(changes.length, 0, `a second sync changes nothing: ${JSON.stringify(changes)}`);

  await lab.slapd.people.disablePerson(uid);
  const leave = cli('sync', '--json');
  const left = JSON.parse(leave.out);
  const leaver = left.plans.find((p: { personId: string }) => p.personId === cred.personId);
  assert.equal(leaver.lifecycle, 'leaver');
  assert.equal(left.state, 'finished');

  const refused = await register({ ...sip, user: extension, password: cred.secret });
  assert.equal(refused.status, 401, 'the leaver can no longer register');
  const cleared = await lab.slapd.people.readPerson(uid, ['telephoneNumber']);
  assert.equal(cleared.telephoneNumber?.length ?? 0, 0, 'directory number cleared');

  const numbers = JSON.parse(cli('numbers', 'list', '--state', 'quarantined', '--json').out);
  const values = numbers.map((n: { value: string }) => n.value).sort();
  assert.deepEqual(values, [did, extension].sort());

  const audit = JSON.parse(cli('audit', '--person', cred.personId, '--json').out);
  assert.ok(audit.some((e: { action: string }) => e.action === 'operation.done'));
  assert.ok(!JSON.stringify(audit).includes(cred.secret), 'the secret never reaches the audit');
});
