/**
 * The planner's part of issue 4: a leaver's forward replaces their alias (alias removed first,
 * forward after), is updated when its target changes, removed before the number is released
 * when it ends, and removed before the alias comes back on a rehire; templates read the
 * numbers' emergency data as `emergency.*`, so a change of it updates the resource.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Decision, HeldNumber, Link, Person } from './model.ts';
import { compileProfiles, planPerson, type PlannedForward } from './planner.ts';

const profiles = compileProfiles({
  'sip-user': {
    name: 'sip-user',
    resources: [
      {
        target: 'pbx',
        type: 'sip-subscriber',
        key: '{{numbers.extension}}',
        dependsOn: [],
        secret: true,
        attributes: {},
      },
      {
        target: 'pbx',
        type: 'sip-alias',
        key: '{{numbers.did}}',
        dependsOn: ['sip-subscriber'],
        secret: false,
        attributes: { username: { value: '{{numbers.extension}}', mode: 'enforce' } },
      },
      {
        target: 'webex',
        type: 'person',
        key: '{{person.mail}}',
        dependsOn: [],
        secret: false,
        attributes: {
          emergencyCallbackNumber: {
            value: "{{emergency.callback | default:''}}",
            mode: 'enforce',
          },
        },
      },
    ],
  },
});

const ext: HeldNumber = { pool: 'nyc-ext', kind: 'extension', value: '2001' };
const did: HeldNumber = { pool: 'nyc-did', kind: 'did', value: '+12125550101' };
const until = '2031-03-18T09:00:00.000Z';
const toBoss: PlannedForward = {
  number: did,
  forward: { to: '+12125550150', extension: '2050', via: 'manager', until },
  targets: ['pbx'],
};

function person(status: Person['status'] = 'active'): Person {
  return {
    id: 'p1',
    status,
    excluded: false,
    pinned: false,
    attributes: { displayName: 'Ada', mail: 'ada@example.com' },
    sourceLinks: [],
  };
}

function decision(lifecycle: Decision['lifecycle']): Decision {
  const leaving = lifecycle === 'leaver';
  return {
    personId: 'p1',
    lifecycle,
    problems: [],
    ...(leaving ? {} : { rule: 'staff', profile: 'sip-user' }),
    numbers: leaving
      ? []
      : [
          { kind: 'extension', pool: 'nyc-ext' },
          { kind: 'did', pool: 'nyc-did' },
        ],
  };
}

function link(type: string, key: string, attributes: Record<string, string>, target = 'pbx'): Link {
  return { personId: 'p1', target, type, key, externalId: key, attributes };
}

const provisioned = [
  link('sip-subscriber', '2001', {}),
  link('sip-alias', did.value, { username: '2001' }),
  link('person', 'ada@example.com', { emergencyCallbackNumber: '' }, 'webex'),
];
const forwardLink = link('did-forward', did.value, {
  to: '+12125550150',
  extension: '2050',
  via: 'manager',
  until,
});

const steps = (plan: ReturnType<typeof planPerson>) =>
  plan.operations.map((op) => `${op.action} ${op.type} ${op.key}`);

test('a leaver with a forward: alias removed first, forward created, DID kept', () => {
  const plan = planPerson({
    person: person('disabled'),
    decision: decision('leaver'),
    numbers: [ext, did],
    links: provisioned,
    profiles,
    forwards: [toBoss],
  });
  assert.deepEqual(steps(plan), [
    'delete sip-alias +12125550101',
    'delete sip-subscriber 2001',
    'delete person ada@example.com',
    'create did-forward +12125550101',
    'delete number nyc-ext:2001',
  ]);
  const forward = plan.operations[3]!;
  assert.deepEqual(forward.attributes, toBoss.forward);
  assert.ok(forward.after.includes(0), 'the forward waits for the alias delete');
  assert.equal(plan.deprovision, true, 'a forward does not keep a leaver provisioned');
});

test('the manager left: the forward is re-pointed at the announcement', () => {
  const announcement: PlannedForward = {
    ...toBoss,
    forward: { to: '+12125550199', via: 'announcement', until },
  };
  const plan = planPerson({
    person: person('disabled'),
    decision: decision('unchanged'),
    numbers: [did],
    links: [forwardLink],
    profiles,
    forwards: [announcement],
  });
  assert.deepEqual(steps(plan), ['update did-forward +12125550101']);
  assert.deepEqual(plan.operations[0]!.attributes, { to: '+12125550199', via: 'announcement' });
});

test('the forward ended: removed, then the number is released', () => {
  const plan = planPerson({
    person: person('disabled'),
    decision: decision('unchanged'),
    numbers: [did],
    links: [forwardLink],
    profiles,
    forwards: [],
  });
  assert.deepEqual(steps(plan), [
    'delete did-forward +12125550101',
    'delete number nyc-did:+12125550101',
  ]);
  assert.deepEqual(plan.operations[1]!.after, [0]);
});

test('a rehire during the forward: the forward goes before the alias comes back', () => {
  const plan = planPerson({
    person: person('active'),
    decision: decision('rehire'),
    numbers: [ext, did],
    links: [forwardLink],
    profiles,
  });
  assert.deepEqual(steps(plan), [
    'delete did-forward +12125550101',
    'create sip-subscriber 2001',
    'create person ada@example.com',
    'create sip-alias +12125550101',
  ]);
});

test('emergency data reaches attributes; a change of it is an update', () => {
  const withCallback = { ...did, emergency: { callback: '+12125550100', location: 'Fl 3' } };
  const plan = planPerson({
    person: person(),
    decision: decision('unchanged'),
    numbers: [ext, withCallback],
    links: provisioned,
    profiles,
  });
  assert.deepEqual(steps(plan), ['update person ada@example.com']);
  assert.deepEqual(plan.operations[0]!.attributes, { emergencyCallbackNumber: '+12125550100' });

  const none = planPerson({
    person: person(),
    decision: decision('unchanged'),
    numbers: [ext, did],
    links: provisioned,
    profiles,
  });
  assert.deepEqual(steps(none), [], 'no emergency data renders the default');
});
