/**
 * Write-back for people without a number of the written kind: nothing is written while the
 * attribute holds nothing Callsign wrote; a number taken away is cleared with an empty value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProfileConfig } from './config-types.ts';
import type { Decision, HeldNumber, Link, Person } from './model.ts';
import { compileProfiles, planPerson } from './planner.ts';

const profiles = compileProfiles({
  'ext-only': {
    name: 'ext-only',
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
  } satisfies ProfileConfig,
});
const person: Person = {
  id: 'p1',
  status: 'active',
  excluded: false,
  pinned: false,
  attributes: { displayName: 'Dave New' },
  sourceLinks: [{ source: 'dir', externalId: 'uuid-1' }],
};
const ext: HeldNumber = { pool: 'ext', kind: 'extension', value: '2001' };
const did: HeldNumber = { pool: 'did', kind: 'did', value: '+12125550101' };
const extOnly: Decision = {
  personId: 'p1',
  lifecycle: 'joiner',
  rule: 'r',
  profile: 'ext-only',
  problems: [],
  numbers: [{ kind: 'extension', pool: 'ext' }],
};
const withDid: Decision = {
  ...extOnly,
  numbers: [...extOnly.numbers, { kind: 'did', pool: 'did' }],
};
const line: Link = {
  personId: 'p1',
  target: 'pbx',
  type: 'sip-subscriber',
  key: '2001',
  externalId: 'sub-2001',
  attributes: { displayName: 'Dave New' },
};
const written = (attributes: Record<string, string>): Link => ({
  personId: 'p1',
  target: 'dir',
  type: 'writeback',
  key: 'uuid-1',
  externalId: 'wb-uuid-1',
  attributes,
});
const writeBacks = (plan: ReturnType<typeof planPerson>) =>
  plan.operations.filter((o) => o.type === 'writeback');

test('a joiner without a DID gets no write-back of an empty telephoneNumber', () => {
  const writeBack = { dir: { telephoneNumber: 'did' as const } };
  const plan = planPerson({
    person,
    decision: extOnly,
    numbers: [ext],
    links: [],
    profiles,
    writeBack,
  });
  assert.deepEqual(
    plan.operations.map((o) => `${o.action} ${o.type}`),
    ['create sip-subscriber'],
  );
  // Provisioned, then planned again: still nothing to write.
  const again = planPerson({
    person,
    decision: { ...extOnly, lifecycle: 'unchanged' },
    numbers: [ext],
    links: [line],
    profiles,
    writeBack,
  });
  assert.deepEqual(again.operations, []);
});

test('only the attributes with a number are written on a first write-back', () => {
  const writeBack = { dir: { telephoneNumber: 'did' as const, ipPhone: 'extension' as const } };
  const plan = planPerson({
    person,
    decision: extOnly,
    numbers: [ext],
    links: [],
    profiles,
    writeBack,
  });
  const [op] = writeBacks(plan);
  assert.equal(op?.action, 'create');
  assert.deepEqual(op.attributes, { ipPhone: '2001' });
});

test('a DID taken away clears the attribute with an empty value', () => {
  const writeBack = { dir: { telephoneNumber: 'did' as const } };
  const plan = planPerson({
    person,
    decision: { ...extOnly, lifecycle: 'mover' },
    numbers: [ext],
    links: [line, written({ telephoneNumber: '+12125550101' })],
    profiles,
    writeBack,
  });
  const [op] = writeBacks(plan);
  assert.equal(op?.action, 'update');
  assert.deepEqual(op.attributes, { telephoneNumber: '' });
  assert.deepEqual(op.before, { telephoneNumber: '+12125550101' });
});

test('a DID given later is written where nothing was before', () => {
  const writeBack = { dir: { telephoneNumber: 'did' as const, ipPhone: 'extension' as const } };
  const plan = planPerson({
    person,
    decision: { ...withDid, lifecycle: 'mover' },
    numbers: [ext, did],
    links: [line, written({ ipPhone: '2001' })],
    profiles,
    writeBack,
  });
  const [op] = writeBacks(plan);
  assert.equal(op?.action, 'update');
  assert.deepEqual(op.attributes, { telephoneNumber: '+12125550101' });
});
