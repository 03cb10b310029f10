/**
 * The planner's side of a forward that keeps the leaver's own resource (Unified CM: the
 * directory number stays, with Call Forward All): the forward is created once the phone and
 * user are gone, then the line's link is handed over (a delete marked `keptForForward`, after
 * the forward) instead of removing the line; the forward remembers the line, names it in every
 * update, and the extension is released only after the hand-over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Decision, HeldNumber, Link, Person } from './model.ts';
import { compileProfiles, KEPT_FOR_FORWARD, planPerson, type PlannedForward } from './planner.ts';

const profiles = compileProfiles({
  worker: {
    name: 'worker',
    resources: [
      {
        target: 'cucm',
        type: 'cucm-line',
        key: '{{numbers.extension}}@Internal_PT',
        dependsOn: [],
        secret: false,
        attributes: {},
      },
      {
        target: 'cucm',
        type: 'cucm-user',
        key: 'ana',
        dependsOn: ['cucm-line'],
        secret: false,
        attributes: {},
      },
      {
        target: 'cucm',
        type: 'cucm-phone',
        key: 'CSFANA',
        dependsOn: ['cucm-user', 'cucm-line'],
        secret: false,
        attributes: {},
      },
    ],
  },
});
const ext: HeldNumber = { pool: 'nyc-did-ext', kind: 'extension', value: '2101' };
const did: HeldNumber = { pool: 'nyc-did', kind: 'did', value: '+12125552101' };
const until = '2031-03-18T09:00:00.000Z';
const line = '2101@Internal_PT';
const toBoss: PlannedForward = {
  number: did,
  forward: { to: '+12125552100', extension: '2100', via: 'manager', until },
  targets: ['cucm'],
  lines: { cucm: line },
};
const person: Person = {
  id: 'p1',
  status: 'disabled',
  excluded: false,
  pinned: false,
  attributes: { displayName: 'Ana' },
  sourceLinks: [],
};
const leaver: Decision = { personId: 'p1', lifecycle: 'leaver', problems: [], numbers: [] };
const link = (type: string, key: string, attributes: Record<string, string> = {}): Link => ({
  personId: 'p1',
  target: 'cucm',
  type,
  key,
  externalId: key,
  attributes,
});
const provisioned = [
  link('cucm-line', line),
  link('cucm-user', 'ana'),
  link('cucm-phone', 'CSFANA'),
];
const steps = (plan: ReturnType<typeof planPerson>) =>
  plan.operations.map((op) => `${op.action} ${op.type} ${op.key}`);

test('the line is handed to the forward after phone and user go, never removed', () => {
  const plan = planPerson({
    person,
    decision: leaver,
    numbers: [ext, did],
    links: provisioned,
    profiles,
    forwards: [toBoss],
  });
  assert.deepEqual(steps(plan), [
    'delete cucm-phone CSFANA',
    'delete cucm-user ana',
    'create did-forward +12125552101',
    `delete cucm-line ${line}`,
    'delete number nyc-did-ext:2101',
  ]);
  const [phone, user, forward, handed, release] = plan.operations;
  assert.equal(forward!.attributes.line, line);
  assert.deepEqual(forward!.after, [0, 1], 'the forward waits for the phone and the user');
  assert.equal(handed!.attributes[KEPT_FOR_FORWARD], did.value);
  assert.ok(handed!.after.includes(2), 'the hand-over waits for the forward');
  assert.ok(release!.after.includes(3), 'the extension is released after the hand-over');
  assert.ok(phone && user);
});

test('the kept line is remembered by the forward link and named in its updates', () => {
  const forwardLink = link('did-forward', did.value, {
    to: '+12125552100',
    extension: '2100',
    via: 'manager',
    until,
    line,
  });
  const announcement: PlannedForward = {
    number: did,
    forward: { to: '+12125550199', via: 'announcement', until },
    targets: ['cucm'],
  };
  const plan = planPerson({
    person,
    decision: { ...leaver, lifecycle: 'unchanged' },
    numbers: [did],
    links: [forwardLink],
    profiles,
    forwards: [announcement],
  });
  assert.deepEqual(steps(plan), ['update did-forward +12125552101']);
  assert.deepEqual(plan.operations[0]!.attributes, {
    to: '+12125550199',
    via: 'announcement',
    line,
  });

  const same = planPerson({
    person,
    decision: { ...leaver, lifecycle: 'unchanged' },
    numbers: [did],
    links: [forwardLink],
    profiles,
    forwards: [{ ...toBoss, lines: {} }],
  });
  assert.deepEqual(steps(same), [], 'an unchanged forward plans nothing');
});
