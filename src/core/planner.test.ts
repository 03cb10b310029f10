import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProfileConfig } from './config-types.ts';
import type { Decision, HeldNumber, Link, Person } from './model.ts';
import { compileProfiles, planPerson } from './planner.ts';

const profiles = compileProfiles({
  'sip-user': {
    name: 'sip-user',
    resources: [
      // Listed dependent first on purpose: the planner must order by dependsOn, not by list.
      {
        target: 'pbx',
        type: 'sip-alias',
        key: '{{numbers.did}}',
        dependsOn: ['sip-subscriber'],
        secret: false,
        attributes: { username: { value: '{{numbers.extension}}', mode: 'enforce' } },
      },
      {
        target: 'pbx',
        type: 'sip-subscriber',
        key: '{{numbers.extension}}',
        dependsOn: [],
        secret: true,
        attributes: {
          displayName: { value: '{{person.displayName}}', mode: 'enforce' },
          email: { value: '{{person.mail | lower}}', mode: 'create' },
        },
      },
    ],
  } satisfies ProfileConfig,
});
const writeBack = { dir: { telephoneNumber: 'did' as const } };

function person(over: Partial<Person> = {}): Person {
  return {
    id: 'p1',
    status: 'active',
    excluded: false,
    pinned: false,
    attributes: { displayName: 'Ada Lovelace', mail: 'Ada@Example.com', site: 'nyc' },
    sourceLinks: [{ source: 'dir', externalId: 'uuid-1' }],
    ...over,
  };
}
const ext: HeldNumber = { pool: 'nyc-ext', kind: 'extension', value: '2001' };
const did: HeldNumber = { pool: 'nyc-did', kind: 'did', value: '+12125550101' };
const joiner: Decision = {
  personId: 'p1',
  lifecycle: 'joiner',
  rule: 'nyc',
  profile: 'sip-user',
  problems: [],
  numbers: [
    { kind: 'extension', pool: 'nyc-ext' },
    { kind: 'did', pool: 'nyc-did' },
  ],
};
function link(type: string, key: string, attributes: Record<string, string>, target = 'pbx'): Link {
  return { personId: 'p1', target, type, key, externalId: `${type}-${key}`, attributes };
}
const fullLinks = [
  link('sip-subscriber', '2001', { displayName: 'Ada Lovelace', email: 'ada@example.com' }),
  link('sip-alias', '+12125550101', { username: '2001' }),
  link('writeback', 'uuid-1', { telephoneNumber: '+12125550101' }, 'dir'),
];
const summary = (p: ReturnType<typeof planPerson>) =>
  p.operations.map((o) => `${o.action} ${o.type} ${o.key} after[${o.after.join(',')}]`);

test('a joiner gets resources in dependency order, then the write-back', () => {
  const plan = planPerson({
    person: person(),
    decision: joiner,
    numbers: [ext, did],
    links: [],
    profiles,
    writeBack,
  });
  assert.deepEqual(summary(plan), [
    'create sip-subscriber 2001 after[]',
    'create sip-alias +12125550101 after[0]',
    'create writeback uuid-1 after[0,1]',
  ]);
  assert.equal(plan.operations[0].secret, true);
  assert.deepEqual(plan.operations[0].attributes, {
    displayName: 'Ada Lovelace',
    email: 'ada@example.com',
  });
  assert.deepEqual(plan.operations[2].attributes, { telephoneNumber: '+12125550101' });
  assert.equal(plan.operations[2].target, 'dir');
  assert.equal(plan.label, 'Ada Lovelace');
  assert.equal(plan.deprovision, false);
});

test('a fully provisioned person gets no operations', () => {
  const plan = planPerson({
    person: person(),
    decision: { ...joiner, lifecycle: 'unchanged' },
    numbers: [ext, did],
    links: fullLinks,
    profiles,
    writeBack,
  });
  assert.deepEqual(plan.operations, []);
});

test('enforced attributes are updated; create-only attributes never are', () => {
  const changed = person({ attributes: { displayName: 'Ada King', mail: 'ada.king@example.com' } });
  const plan = planPerson({
    person: changed,
    decision: { ...joiner, lifecycle: 'mover' },
    numbers: [ext, did],
    links: fullLinks,
    profiles,
    writeBack,
  });
  assert.deepEqual(summary(plan), ['update sip-subscriber 2001 after[]']);
  assert.deepEqual(plan.operations[0].attributes, { displayName: 'Ada King' });
  assert.deepEqual(plan.operations[0].before, { displayName: 'Ada Lovelace' });
});

test('a leaver loses write-back, alias, subscriber, then the numbers', () => {
  const plan = planPerson({
    person: person({ status: 'disabled' }),
    decision: { personId: 'p1', lifecycle: 'leaver', numbers: [], problems: [] },
    numbers: [ext, did],
    links: [...fullLinks].reverse(),
    profiles,
    writeBack,
  });
  assert.deepEqual(summary(plan), [
    'delete writeback uuid-1 after[]',
    'delete sip-alias +12125550101 after[0]',
    'delete sip-subscriber 2001 after[0,1]',
    'delete number nyc-ext:2001 after[0,1,2]',
    'delete number nyc-did:+12125550101 after[0,1,2]',
  ]);
  assert.ok(plan.operations.slice(3).every((o) => o.target === 'inventory'));
  assert.deepEqual(plan.operations[0].attributes, { telephoneNumber: '+12125550101' });
  assert.equal(plan.deprovision, true);
});

test('a mover to another extension: new line first, old one removed, old number released', () => {
  const ext2: HeldNumber = { pool: 'sfo-ext', kind: 'extension', value: '3005' };
  const decision: Decision = {
    ...joiner,
    lifecycle: 'mover',
    rule: 'sfo',
    numbers: [
      { kind: 'extension', pool: 'sfo-ext' },
      { kind: 'did', pool: 'nyc-did' },
    ],
  };
  const plan = planPerson({
    person: person(),
    decision,
    numbers: [ext, did, ext2],
    links: fullLinks,
    profiles,
    writeBack,
  });
  assert.deepEqual(summary(plan), [
    'create sip-subscriber 3005 after[]',
    'update sip-alias +12125550101 after[0]',
    'delete sip-subscriber 2001 after[]',
    'delete number nyc-ext:2001 after[2]',
  ]);
  assert.equal(plan.deprovision, false);
});

test('pinned and excluded people get no operations', () => {
  const args = {
    decision: { ...joiner, profile: undefined, rule: undefined, numbers: [] },
    numbers: [ext, did],
    links: fullLinks,
    profiles,
    writeBack,
  };
  assert.deepEqual(planPerson({ ...args, person: person({ pinned: true }) }).operations, []);
  const excluded = planPerson({ ...args, person: person({ excluded: true }) });
  assert.deepEqual([excluded.operations, excluded.problems], [[], []]);
  // The same input without the flags removes everything: the flags are what held it.
  assert.equal(planPerson({ ...args, person: person() }).operations.length, 5);
});

test('a missing template value holds the person with a problem naming the field', () => {
  const plan = planPerson({
    person: person({ attributes: { mail: 'a@b.c' } }),
    decision: joiner,
    numbers: [ext, did],
    links: fullLinks,
    profiles,
    writeBack,
  });
  assert.deepEqual(plan.operations, []);
  assert.equal(plan.problems.length, 1);
  assert.equal(plan.problems[0].field, 'displayName');
  assert.match(plan.problems[0].message, /person p1 has no value for person\.displayName/);
  assert.equal(plan.label, 'a@b.c');
});

test('a decision with problems changes nothing', () => {
  const decision: Decision = {
    personId: 'p1',
    lifecycle: 'unchanged',
    numbers: [],
    problems: [{ source: 'rules', record: 'p1', field: 'site', message: 'missing' }],
  };
  const plan = planPerson({
    person: person(),
    decision,
    numbers: [ext, did],
    links: fullLinks,
    profiles,
    writeBack,
  });
  assert.deepEqual(plan.operations, []);
  assert.equal(plan.problems.length, 1);
});

test('configuration profiles are accepted and compiled once', () => {
  const config = {
    profiles: {
      'sip-user': {
        name: 'sip-user',
        resources: [
          {
            target: 'pbx',
            type: 'sip-subscriber',
            key: '{{numbers.extension}}',
            dependsOn: [],
            secret: false,
            attributes: {},
          },
        ],
      },
    },
    sources: [],
  };
  const decision = { ...joiner, numbers: [joiner.numbers[0]] };
  const plan = planPerson({ person: person(), decision, numbers: [ext], links: [], config });
  assert.deepEqual(summary(plan), ['create sip-subscriber 2001 after[]']);
});

test('write-back to an HR source waits for the hire date; a directory takes it before', () => {
  const sources = [
    { name: 'dir', type: 'ldap' },
    { name: 'hr', type: 'hr-file' },
  ] as unknown as NonNullable<Parameters<typeof planPerson>[0]['config']>['sources'];
  const both = { dir: { telephoneNumber: 'did' as const }, hr: { workPhone: 'did' as const } };
  const preHire = person({
    attributes: { displayName: 'Ada Lovelace', mail: 'a@example.com', hireDate: '2031-03-02' },
    sourceLinks: [
      { source: 'dir', externalId: 'uuid-1' },
      { source: 'hr', externalId: 'W100' },
    ],
  });
  const planAt = (now: string) =>
    planPerson({
      person: preHire,
      decision: joiner,
      numbers: [ext, did],
      links: [],
      profiles,
      writeBack: both,
      config: { profiles: {}, sources },
      now: new Date(now),
    }).operations.filter((o) => o.type === 'writeback');

  assert.deepEqual(
    planAt('2031-03-01T23:00:00Z').map((o) => o.target),
    ['dir'],
    'the day before the hire only the directory is written',
  );
  assert.deepEqual(planAt('2031-03-02T08:00:00Z').map((o) => o.target).sort(), ['dir', 'hr']);
});
