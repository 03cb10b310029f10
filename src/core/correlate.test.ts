import assert from 'node:assert/strict';
import { test } from 'node:test';
import { correlate } from './correlate.ts';
import type { Person, SourceRecord } from './model.ts';

const keys = ['employeeId', 'mail'];
function rec(
  source: string,
  externalId: string,
  attributes: SourceRecord['attributes'],
): SourceRecord {
  return { source, externalId, state: 'active', attributes };
}
function person(id: string, attributes: Person['attributes'], links: [string, string][] = []) {
  return {
    id,
    attributes,
    status: 'active' as const,
    excluded: false,
    pinned: false,
    sourceLinks: links.map(([source, externalId]) => ({ source, externalId })),
  };
}
const ada = person('p-ada', { employeeId: 'E1', mail: 'ada@example.com' }, [['ldap', 'u1']]);
const bob = person('p-bob', { employeeId: 'E2', mail: 'bob@example.com' });

test('a source link wins; then keys in order, without regard to case or spaces', () => {
  const result = correlate({
    keys,
    people: [ada, bob],
    records: [
      rec('ldap', 'u1', { employeeId: 'E999', mail: 'other@example.com' }),
      rec('hr', 'w2', { employeeId: ' e2 ' }),
      rec('hr', 'w9', { employeeId: 'E9', mail: 'new@example.com' }),
      rec('ldap', 'u9', { mail: 'NEW@example.com' }),
    ],
  });
  assert.deepEqual(result.problems, []);
  const by = (id: string) => result.matches.find((m) => m.records.some((r) => r.externalId === id));
  assert.equal(by('u1')?.person?.id, 'p-ada');
  assert.equal(by('u1')?.via, 'link');
  assert.equal(by('w2')?.person?.id, 'p-bob');
  assert.equal(by('w2')?.via, 'key:employeeId');
  // Two sources' first sight of one new person: one group, no person yet.
  assert.equal(by('w9'), by('u9'));
  assert.equal(by('w9')?.person, undefined);
  assert.equal(result.matches.length, 3);
});

test('a record whose keys match two people is held', () => {
  const result = correlate({
    keys,
    people: [ada, bob],
    records: [
      rec('hr', 'w1', { employeeId: 'E1', mail: 'bob@example.com' }),
      rec('hr', 'w3', { employeeId: 'E3' }),
    ],
  });
  assert.equal(result.ambiguous.length, 1);
  assert.equal(result.ambiguous[0].record.externalId, 'w1');
  assert.equal(result.problems[0].field, 'mail');
  assert.match(
    result.problems[0].message,
    /matches person p-bob, but employeeId matches person p-ada/,
  );
  assert.deepEqual(result.heldPeople.sort(), ['p-ada', 'p-bob']);
  assert.deepEqual(
    result.matches.map((m) => m.records[0].externalId),
    ['w3'],
  );
});

test('two records of one source sharing a key value are both held', () => {
  const result = correlate({
    keys,
    people: [ada],
    records: [
      rec('ldap', 'u1', { employeeId: 'E1' }),
      rec('ldap', 'u7', { employeeId: 'e1' }),
      rec('hr', 'w1', { employeeId: 'E1' }),
    ],
  });
  assert.deepEqual(result.ambiguous.map((a) => a.record.externalId).sort(), ['u1', 'u7']);
  assert.match(result.problems[0].message, /2 records of ldap share employeeId e1 \(u1, u7\)/);
  assert.deepEqual(result.heldPeople, ['p-ada']);
  // The other source's record still correlates.
  assert.equal(result.matches[0].person?.id, 'p-ada');
  assert.deepEqual(
    result.matches[0].records.map((r) => r.externalId),
    ['w1'],
  );
});

test('two records of one source reaching one person by different keys are held', () => {
  const result = correlate({
    keys,
    people: [ada],
    records: [rec('hr', 'w1', { employeeId: 'E1' }), rec('hr', 'w5', { mail: 'ada@example.com' })],
  });
  assert.equal(result.matches.length, 0);
  assert.equal(result.ambiguous.length, 2);
  assert.deepEqual(result.heldPeople, ['p-ada']);
});
