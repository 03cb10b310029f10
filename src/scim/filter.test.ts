/** Filters: the parser's grammar and precedence, every operator, and invalid filters as 400s. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { matches } from './filter-eval.ts';
import { parseFilter } from './filter-parser.ts';
import { USER_KIND } from './schemas.ts';
import { entraUser, type ScimKit, scimKit } from './test-kit.ts';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

test('and binds tighter than or; not applies to what follows; grouping overrides', () => {
  const f = parseFilter('a pr or b pr and c pr');
  assert.equal(f.op, 'or');
  const g = parseFilter('(a pr or b pr) and not (c pr)');
  assert.equal(g.op, 'and');
  assert.equal(g.op === 'and' && g.right.op, 'not');
  const h = parseFilter('userName Eq "x" AND title PR');
  assert.equal(h.op, 'and');
});

test('value paths keep their conditions on one element', () => {
  const user = {
    emails: [
      { type: 'work', value: 'a@x' },
      { type: 'home', value: 'b@x' },
    ],
  };
  const scope = { kind: USER_KIND, value: user };
  assert.equal(matches(parseFilter('emails[type eq "work" and value eq "a@x"]'), scope), true);
  assert.equal(matches(parseFilter('emails[type eq "work" and value eq "b@x"]'), scope), false);
  assert.equal(matches(parseFilter('emails[type eq "home"].value eq "b@x"'), scope), true);
  assert.equal(matches(parseFilter('emails[type eq "work"].value eq "b@x"'), scope), false);
});

test('unparsable filters are 400 invalidFilter', () => {
  for (const bad of [
    'userName eq',
    'userName zz "x"',
    '(userName pr',
    'userName eq "x" )',
    'emails[type eq "work"',
    'userName eq "x" title',
    'eq "x"',
  ]) {
    assert.throws(
      () => parseFilter(bad),
      (e: any) => e.status === 400 && e.scimType === 'invalidFilter',
      bad,
    );
  }
});

let kit: ScimKit;
before(async () => {
  kit = await scimKit();
  const people = [
    ['ada@example.org', 'Ada', 'Engineering', '100', '2024-01-05T00:00:00Z'],
    ['bob@example.org', 'Bob', 'Sales', '205', '2024-06-01T00:00:00Z'],
    ['cy@example.net', 'Cy', 'Engineering', '330', '2025-01-01T00:00:00Z'],
  ];
  for (const [userName, title, department, employeeNumber] of people) {
    const res = await kit.call(
      'POST',
      '/Users',
      entraUser(userName!, {
        title,
        [ENT]: { department, employeeNumber },
      }),
    );
    assert.equal(res.status, 201);
  }
  const bob = await kit.call('GET', '/Users?filter=userName eq "bob@example.org"');
  await kit.call('PATCH', `/Users/${bob.json.Resources[0].id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', path: 'active', value: false }],
  });
});
after(() => kit.close());

async function names(filter: string): Promise<string[]> {
  const res = await kit.call('GET', `/Users?filter=${encodeURIComponent(filter)}`);
  assert.equal(res.status, 200, `${filter}: ${JSON.stringify(res.json)}`);
  return res.json.Resources.map((r: any) => r.userName).sort();
}

test('each comparison operator', async () => {
  assert.deepEqual(await names('title eq "ada"'), ['ada@example.org']);
  assert.deepEqual(await names('title ne "Ada"'), ['bob@example.org', 'cy@example.net']);
  assert.deepEqual(await names('userName co "example.o"'), ['ada@example.org', 'bob@example.org']);
  assert.deepEqual(await names('userName sw "B"'), ['bob@example.org']);
  assert.deepEqual(await names('userName ew ".NET"'), ['cy@example.net']);
  assert.deepEqual(await names(`${ENT}:employeeNumber gt "205"`), ['cy@example.net']);
  assert.deepEqual(await names(`${ENT}:employeeNumber ge "205"`), [
    'bob@example.org',
    'cy@example.net',
  ]);
  assert.deepEqual(await names(`${ENT}:employeeNumber lt "205"`), ['ada@example.org']);
  assert.deepEqual(await names(`${ENT}:employeeNumber le "205"`), [
    'ada@example.org',
    'bob@example.org',
  ]);
  assert.deepEqual(await names('title pr'), [
    'ada@example.org',
    'bob@example.org',
    'cy@example.net',
  ]);
  assert.deepEqual(await names('nickName pr'), []);
  assert.deepEqual(await names('active eq false'), ['bob@example.org']);
  assert.deepEqual(await names('meta.created ge "2000-01-01T00:00:00Z"'), [
    'ada@example.org',
    'bob@example.org',
    'cy@example.net',
  ]);
});

test('and, or, not and grouping over real users', async () => {
  assert.deepEqual(await names(`${ENT}:department eq "Engineering" and active eq true`), [
    'ada@example.org',
    'cy@example.net',
  ]);
  assert.deepEqual(await names('title eq "Ada" or title eq "Cy" and active eq false'), [
    'ada@example.org',
  ]);
  assert.deepEqual(await names('(title eq "Ada" or title eq "Cy") and not (userName ew ".net")'), [
    'ada@example.org',
  ]);
  assert.deepEqual(await names('emails[type eq "work" and value sw "cy"]'), ['cy@example.net']);
  assert.deepEqual(await names('emails.value co "bob"'), ['bob@example.org']);
});

test('filters that do not parse or name nothing are 400 invalidFilter', async () => {
  for (const bad of ['userName eq', 'nosuch eq "x"', 'active gt true', 'name eq "x"']) {
    const res = await kit.call('GET', `/Users?filter=${encodeURIComponent(bad)}`);
    assert.equal(res.status, 400, bad);
    assert.equal(res.json.scimType, 'invalidFilter', bad);
    assert.equal(res.json.status, '400');
  }
});
