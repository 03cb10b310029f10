import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallsignConfig } from './config-types.ts';
import type { Person } from './model.ts';
import { compileRules } from './rules.ts';

const config: Pick<CallsignConfig, 'rules' | 'profiles' | 'pools'> = {
  rules: [
    {
      name: 'agents',
      when: 'person.department == "Support" && person.title.startsWith("Agent")',
      profile: 'agent',
      numbers: { extension: '{{person.site}}-ext' },
    },
    {
      name: 'staff',
      when: 'person.workerType == "employee"',
      profile: 'user',
      numbers: { extension: '{{person.site}}-ext', did: '{{person.site}}-did' },
    },
  ],
  profiles: {
    agent: { name: 'agent', resources: [] },
    user: {
      name: 'user',
      resources: [
        {
          target: 'pbx',
          type: 'sip-subscriber',
          key: '{{numbers.extension}}',
          dependsOn: [],
          secret: false,
          attributes: { displayName: { value: '{{person.displayName}}', mode: 'enforce' } },
        },
      ],
    },
  },
  pools: ['nyc-ext', 'nyc-did', 'sfo-ext'].map((name) => ({
    name,
    kind: name.endsWith('did') ? ('did' as const) : ('extension' as const),
    range: { start: '1', end: '2' },
    exclude: [],
    quarantineDays: 30,
  })),
};
const rules = compileRules(config);

function person(id: string, attributes: Person['attributes']): Person {
  return { id, attributes, status: 'active', sourceLinks: [], excluded: false, pinned: false };
}

test('the first matching rule decides, with pools named from attributes', () => {
  const ada = person('p1', {
    department: 'Support',
    title: 'Agent II',
    site: 'nyc',
    workerType: 'employee',
  });
  const decision = rules.decide(ada, 'joiner');
  assert.equal(decision.rule, 'agents');
  assert.deepEqual(decision.numbers, [{ kind: 'extension', pool: 'nyc-ext' }]);
  assert.equal(decision.lifecycle, 'joiner');

  const bob = person('p2', { department: 'Sales', site: 'nyc', workerType: 'employee' });
  assert.deepEqual(
    rules.decide(bob).numbers.map((n) => n.pool),
    ['nyc-ext', 'nyc-did'],
  );
  const eve = person('p3', { department: 'Sales', site: 'nyc', workerType: 'contractor' });
  assert.equal(rules.decide(eve).profile, undefined);
});

test('a person lacking an attribute a rule reads gets a problem naming it; others are fine', () => {
  const people = [
    person('p1', { department: 'Support', site: 'nyc', workerType: 'employee' }), // no title
    person('p2', { department: 'Sales', site: 'nyc', workerType: 'employee' }),
  ];
  const [held, fine] = people.map((p) => rules.decide(p, 'unchanged'));
  assert.equal(held.profile, undefined);
  assert.deepEqual(held.numbers, []);
  assert.equal(held.problems.length, 1);
  assert.equal(held.problems[0].record, 'p1');
  assert.equal(held.problems[0].field, 'title');
  assert.match(held.problems[0].message, /rule agents reads person\.title/);
  assert.equal(fine.rule, 'staff');
  assert.deepEqual(fine.problems, []);
});

test('a pool that does not exist for the person is a problem, not a partial decision', () => {
  const decision = rules.decide(
    person('p4', { department: 'Sales', site: 'sfo', workerType: 'employee' }),
  );
  assert.equal(decision.profile, undefined);
  assert.deepEqual(decision.numbers, []);
  assert.match(decision.problems[0].message, /pool sfo-did \(numbers\.did\) does not exist/);
});

test('a rule that does not return a boolean is a problem', () => {
  const odd = compileRules({
    ...config,
    rules: [{ name: 'odd', when: 'person.site', profile: 'user', numbers: {} }],
  });
  const decision = odd.decide(person('p5', { site: 'nyc' }));
  assert.match(
    decision.problems[0].message,
    /rule odd \(rules\[0\]\.when\) gave a string, not true or false/,
  );
});

test('leavers and future starters are not matched against rules', () => {
  const bob = person('p2', { department: 'Sales', site: 'nyc', workerType: 'employee' });
  assert.equal(rules.decide(bob, 'leaver').profile, undefined);
  assert.equal(rules.decide(bob, 'future-start').profile, undefined);
});

test('the fingerprint covers exactly the attributes rules and templates read', () => {
  assert.deepEqual(rules.attributes, ['department', 'displayName', 'site', 'title', 'workerType']);
  const base = { department: 'Sales', site: 'nyc', workerType: 'employee', phone: '1' };
  const a = rules.fingerprint({ attributes: base });
  assert.equal(rules.fingerprint({ attributes: { ...base, phone: '2' } }), a);
  assert.notEqual(rules.fingerprint({ attributes: { ...base, site: 'sfo' } }), a);
  assert.notEqual(rules.fingerprint({ attributes: { ...base, displayName: 'X' } }), a);
});
