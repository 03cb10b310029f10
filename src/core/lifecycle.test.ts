import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify, hasEnded } from './lifecycle.ts';
import type { Person } from './model.ts';
import { compileRules } from './rules.ts';

const now = new Date('2025-03-01T12:00:00Z');
const rules = compileRules({
  rules: [{ name: 'r', when: 'person.site == "nyc"', profile: 'p', numbers: {} }],
  profiles: { p: { name: 'p', resources: [] } },
  pools: [],
});
const attrs = { site: 'nyc', phone: '1' };
const previous: Person = {
  id: 'p1',
  attributes: attrs,
  status: 'active',
  sourceLinks: [],
  excluded: false,
  pinned: false,
  lastAppliedHash: rules.fingerprint({ attributes: attrs }),
};
const active = { status: 'active' as const, now };

test('joiner: someone new, or active without resources', () => {
  assert.equal(classify({ ...active, attributes: attrs, hasResources: false }), 'joiner');
  assert.equal(classify({ ...active, attributes: attrs, previous, hasResources: false }), 'joiner');
});

test('mover: only a change of a rule-relevant attribute counts', () => {
  const moved = { ...attrs, site: 'sfo' };
  const input = { ...active, previous, hasResources: true };
  assert.equal(
    classify({
      ...input,
      attributes: moved,
      fingerprint: rules.fingerprint({ attributes: moved }),
    }),
    'mover',
  );
  const phone = { ...attrs, phone: '2' };
  assert.equal(
    classify({
      ...input,
      attributes: phone,
      fingerprint: rules.fingerprint({ attributes: phone }),
    }),
    'unchanged',
  );
});

test('leaver: disabled, deleted or past the end date, with resources', () => {
  for (const status of ['disabled', 'deleted'] as const) {
    assert.equal(
      classify({ status, attributes: attrs, previous, hasResources: true, now }),
      'leaver',
    );
    assert.equal(
      classify({ status, attributes: attrs, previous, hasResources: false, now }),
      'unchanged',
    );
  }
  const endDate = new Date('2025-02-28T00:00:00Z');
  assert.equal(
    classify({ ...active, attributes: attrs, previous, hasResources: true, endDate }),
    'leaver',
  );
});

test('leaver: deleted holding only numbers (provisioning failed or skipped)', () => {
  for (const status of ['disabled', 'deleted'] as const) {
    const input = { status, attributes: attrs, previous, hasResources: false, now };
    assert.equal(classify({ ...input, holdsNumbers: true }), 'leaver');
    assert.equal(classify({ ...input, holdsNumbers: false }), 'unchanged');
  }
});

test('rehire: was disabled, now active', () => {
  const gone = { ...previous, status: 'disabled' as const };
  assert.equal(
    classify({
      person: { status: 'active', attributes: attrs },
      previous: gone,
      hasResources: false,
      now,
    }),
    'rehire',
  );
});

test('future start gets nothing yet; future end stays active', () => {
  const startDate = new Date('2025-03-10T00:00:00Z');
  assert.equal(
    classify({ ...active, attributes: attrs, hasResources: false, startDate }),
    'future-start',
  );
  assert.equal(
    classify({
      ...active,
      attributes: { ...attrs, startDate: '20250310000000Z' },
      hasResources: false,
    }),
    'future-start',
  );
  assert.equal(
    classify({ ...active, attributes: { ...attrs, startDate: '2025-02-01' }, hasResources: false }),
    'joiner',
  );
  const endDate = new Date('2025-04-01T00:00:00Z');
  assert.equal(
    classify({
      ...active,
      attributes: attrs,
      previous,
      hasResources: true,
      endDate,
      fingerprint: previous.lastAppliedHash,
    }),
    'future-end',
  );
});

test('a date-only end date is the last day: it ends at the next day; endsAt wins', () => {
  const withEnd = (extra: Record<string, string>, at: string) =>
    classify({
      ...active,
      attributes: { ...attrs, ...extra },
      previous,
      hasResources: true,
      now: new Date(at),
      fingerprint: previous.lastAppliedHash,
    });
  assert.equal(withEnd({ endDate: '2031-03-20' }, '2031-03-20T23:59:59Z'), 'future-end');
  assert.equal(withEnd({ endDate: '2031-03-20' }, '2031-03-21T00:00:00Z'), 'leaver');
  const ny = { endDate: '2031-03-20', endsAt: '2031-03-21T04:00:00.000Z' };
  assert.equal(withEnd(ny, '2031-03-21T03:59:00Z'), 'future-end');
  assert.equal(withEnd(ny, '2031-03-21T04:00:00Z'), 'leaver');
  assert.equal(hasEnded({ endDate: '2031-03-20' }, new Date('2031-03-21T00:00:00Z')), true);
  assert.equal(hasEnded({ endDate: '2031-03-20' }, new Date('2031-03-20T12:00:00Z')), false);
});
