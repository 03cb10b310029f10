/**
 * Leaver forwarding end to end on a real OpenLDAP, a real Kamailio and SIPp (issue 4). A leaver
 * whose DID pool has `leaverForward: { days: 14, to: manager }` loses their extension at once,
 * but a call to their DID reaches their manager (named by the directory's `manager` DN) until
 * the 14 days have passed on the engine's clock; then the forward is removed from Kamailio and
 * only then does the number rest in quarantine, and the DID rings nobody. Someone rehired
 * during their forward gets their DID back, ringing their own new line.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import pino from 'pino';

import { loadConfig } from '../src/core/config.ts';
import { openEngine, type Engine } from '../src/engine/engine.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { call, register } from '../src/lab/sipp.ts';
import { generateLabPeople } from '../src/lab/slapd.ts';
import { labUnavailable, startLab, type Lab } from './lab.ts';

const skip = labUnavailable({ kamailio: true });
const DAY = 86_400_000;

const [boss, leaver, other] = generateLabPeople(3).map((p) => ({
  ...p,
  l: 'nyc',
  employeeType: 'employee',
}));
let lab: Lab;
let engine: Engine;
// Injected clock, in the future (the store journals at wall-clock time).
let now = new Date('2031-03-03T09:00:00Z');

before(async () => {
  if (skip) return;
  lab = await startLab({
    people: [boss!, leaver!, other!],
    store: 'sqlite:./callsign.db',
    kamailio: true,
  });
  const yaml = readFileSync(lab.configPath, 'utf8')
    .replace(
      '      workerType: employeeType\n',
      '      workerType: employeeType\n      manager: manager\n',
    )
    .replace(
      "    range: { start: '+12125552000', end: '+12125552999' }\n    quarantineDays: 90\n",
      "    range: { start: '+12125552000', end: '+12125552999' }\n    quarantineDays: 90\n" +
        '    leaverForward: { days: 14, to: manager }\n',
    );
  assert.match(yaml, /leaverForward/);
  writeFileSync(lab.configPath, yaml);
  const managerDn = await lab.slapd.people.personDn(boss!.uid);
  await lab.slapd.people.modifyPerson(leaver!.uid, { manager: managerDn });
  await lab.slapd.people.modifyPerson(other!.uid, { manager: managerDn });

  const log = pino({ level: process.env.CALLSIGN_TEST_LOG ?? 'silent' });
  engine = await openEngine(loadConfig(lab.configPath), { log, actor: 'test', clock: () => now });
});
after(async () => {
  await engine?.close();
  await lab?.stop();
});

test('a leaver DID rings the manager for 14 days, then goes to quarantine', { skip }, async () => {
  const first = await reconcile(engine, { mode: 'sync', actor: 'test' });
  assert.equal(first.state, 'finished', JSON.stringify(first.problems));
  const credOf = (cn: string) => first.credentials.find((c) => c.label === cn)!;
  const bossCred = credOf(boss!.cn);
  const leaverCred = credOf(leaver!.cn);
  const bossExt = bossCred.resource.split('/').pop()!;
  const leaverId = leaverCred.personId;
  const leaverDid = (await engine.store.numbersOf(leaverId)).find((n) => n.kind === 'did')!.value;
  const bossDid = (await engine.store.numbersOf(bossCred.personId)).find((n) => n.kind === 'did');

  // The leaver goes; a day later the sync removes their line and forwards their DID.
  await lab.slapd.people.disablePerson(leaver!.uid);
  now = new Date(now.getTime() + DAY);
  const left = await reconcile(engine, { mode: 'sync', actor: 'test' });
  assert.equal(left.state, 'finished', JSON.stringify(left.problems));
  const plan = left.plans.find((p) => p.personId === leaverId)!;
  assert.equal(plan.lifecycle, 'leaver');
  assert.deepEqual(
    plan.operations.map((op) => `${op.action} ${op.type}`),
    [
      'delete writeback',
      'delete sip-alias',
      'delete sip-subscriber',
      'create did-forward',
      'delete number',
    ],
    'the line goes, the DID is forwarded, only the extension is released',
  );

  const [forwarding] = await engine.store.searchNumbers({
    personId: leaverId,
    state: 'forwarding',
  });
  assert.equal(forwarding?.value, leaverDid);
  const until = new Date(now.getTime() + 14 * DAY).toISOString();
  assert.deepEqual(forwarding?.forward, {
    to: bossDid!.value,
    extension: bossExt,
    via: 'manager',
    until,
  });

  const sip = { sipPort: lab.kamailio!.sipPort, domain: lab.kamailio!.domain };
  const gone = await register({
    ...sip,
    user: leaverCred.resource.split('/').pop()!,
    password: leaverCred.secret,
  });
  assert.equal(gone.status, 401, 'the leaver cannot register any more');
  const forwarded = await call({
    ...sip,
    fromUser: 'outside',
    to: leaverDid,
    callee: { user: bossExt, password: bossCred.secret },
  });
  assert.ok(
    forwarded.ok,
    `a call to ${leaverDid} reaches the manager: ${JSON.stringify(forwarded)}`,
  );
  assert.match(forwarded.reached ?? '', new RegExp(`^sip:${bossExt}@`), 'INVITE for the manager');

  // Day 10: still forwarding, nothing to do.
  now = new Date(now.getTime() + 9 * DAY);
  const quiet = await reconcile(engine, { mode: 'sync', actor: 'test' });
  assert.equal(quiet.plans.flatMap((p) => p.operations).length, 0, 'the forward is kept');

  // Past the 14 days: the forward is removed first, then the number is quarantined.
  now = new Date(Date.parse(until) + 60_000);
  const ended = await reconcile(engine, { mode: 'sync', actor: 'test' });
  assert.equal(ended.state, 'finished', JSON.stringify(ended.problems));
  const end = ended.plans.find((p) => p.personId === leaverId)!;
  assert.deepEqual(
    end.operations.map((op) => `${op.action} ${op.target}/${op.type}`),
    ['delete pbx/did-forward', 'delete inventory/number'],
  );
  const [rested] = await engine.store.searchNumbers({ prefix: leaverDid });
  assert.equal(rested?.state, 'quarantined');
  assert.equal(rested?.forward, undefined);

  const unrouted = await call({
    ...sip,
    fromUser: 'outside',
    to: leaverDid,
    callee: { user: bossExt, password: bossCred.secret },
    timeoutMs: 5000,
  });
  assert.equal(unrouted.ok, false, 'after the forward the DID rings nobody');
  assert.equal(unrouted.calleeRegisterStatus, undefined, 'the manager still registers');
  assert.ok((unrouted.status ?? 0) >= 400, `the proxy refuses: ${JSON.stringify(unrouted)}`);

  const audit = await engine.store.queryAudit({ personId: leaverId });
  const numberEvents = audit
    .filter((a) => a.action.startsWith('number.') && a.action !== 'number.assigned')
    .map((a) => `${a.action} ${a.subject.split(':').pop()}`);
  const leaverExt = leaverCred.resource.split('/').pop();
  assert.deepEqual(
    numberEvents,
    [
      `number.forwarding ${leaverDid}`,
      `number.released ${leaverExt}`,
      `number.released ${leaverDid}`,
    ],
    'DID forwarded and extension released when leaving; DID released when the forward ends',
  );
});

test('a rehire during the forward gets the DID back on their own line', { skip }, async () => {
  const uid = other!.uid;
  const person = (await engine.store.listPeople()).find(
    (p) => p.attributes.displayName === other!.cn,
  )!;
  const did = (await engine.store.numbersOf(person.id)).find((n) => n.kind === 'did')!.value;
  await lab.slapd.people.disablePerson(uid);
  now = new Date(now.getTime() + DAY);
  await reconcile(engine, { mode: 'sync', actor: 'test' });
  const [forwarding] = await engine.store.searchNumbers({ prefix: did });
  assert.equal(forwarding?.state, 'forwarding');

  await lab.slapd.people.enablePerson(uid);
  now = new Date(now.getTime() + 2 * DAY);
  const back = await reconcile(engine, { mode: 'sync', actor: 'test' });
  assert.equal(back.state, 'finished', JSON.stringify(back.problems));
  const plan = back.plans.find((p) => p.personId === person.id)!;
  assert.equal(plan.lifecycle, 'rehire');
  assert.equal(plan.operations[0]?.type, 'did-forward', 'the forward goes first');
  assert.equal(plan.operations[0]?.action, 'delete');
  const [mine] = await engine.store.searchNumbers({ prefix: did });
  assert.deepEqual(
    [mine?.state, mine?.personId, mine?.forward],
    ['assigned', person.id, undefined],
  );

  const cred = back.credentials.find((c) => c.personId === person.id)!;
  const extension = cred.resource.split('/').pop()!;
  const sip = { sipPort: lab.kamailio!.sipPort, domain: lab.kamailio!.domain };
  const rang = await call({
    ...sip,
    fromUser: 'outside',
    to: did,
    callee: { user: extension, password: cred.secret },
  });
  assert.ok(rang.ok, `the DID rings the rehire again: ${JSON.stringify(rang)}`);
});
