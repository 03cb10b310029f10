/** Field cases S1–S6 (identity managers over SCIM) and the rehire rule, each as its own test. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { entraUser, patchOps, type ScimKit, scimKit } from './test-kit.ts';

let kit: ScimKit;
before(async () => {
  kit = await scimKit();
});
after(() => kit.close());

async function newUser(userName: string, extra: Record<string, unknown> = {}) {
  const res = await kit.call('POST', '/Users', entraUser(userName, extra));
  assert.equal(res.status, 201, JSON.stringify(res.json));
  return res.json.id as string;
}

test('S1: an op spelt Replace is a replace', async () => {
  const id = await newUser('amara.okafor@example.org');
  const res = await kit.call(
    'PATCH',
    `/Users/${id}`,
    patchOps({ op: 'Replace', path: 'displayName', value: 'Amara N. Okafor' }),
  );
  assert.equal(res.status, 204, JSON.stringify(res.json));
  const again = await kit.call('GET', `/Users/${id}`);
  assert.equal(again.json.displayName, 'Amara N. Okafor');
});

test('S2: "False" and "True" strings are stored and returned as booleans', async () => {
  const created = await kit.call('POST', '/Users', {
    ...entraUser('lars.nyberg@example.org'),
    active: 'True',
  });
  assert.equal(created.status, 201);
  assert.equal(created.json.active, true);
  const id = created.json.id;

  kit.changes.length = 0;
  const res = await kit.call(
    'PATCH',
    `/Users/${id}`,
    patchOps({ op: 'Replace', path: 'active', value: 'False' }),
  );
  assert.equal(res.status, 204);
  // The deactivation reaches the lifecycle as a disabled record: the leaver flow.
  assert.equal(kit.changes.length, 1);
  assert.equal(kit.changes[0]![0]!.state, 'disabled');
  assert.equal(kit.changes[0]![0]!.externalId, id);
  assert.strictEqual((await kit.call('GET', `/Users/${id}`)).json.active, false);
});

test('S3: a path-less replace {active:false} deactivates', async () => {
  const id = await newUser('mei.tanaka@example.org');
  const res = await kit.call(
    'PATCH',
    `/Users/${id}`,
    patchOps({ op: 'replace', value: { active: false } }),
  );
  assert.ok(res.status === 200 || res.status === 204, `status ${res.status}`);
  assert.strictEqual((await kit.call('GET', `/Users/${id}`)).json.active, false);
});

test('S4: a filtered path changes only the work email; a failing request changes nothing', async () => {
  const id = await newUser('joao.silva@example.org', {
    emails: [
      { type: 'work', value: 'joao.silva@example.org', primary: true },
      { type: 'home', value: 'joao@home.example' },
    ],
  });
  // `attributes` asks for the user back: 200 instead of 204 (RFC 7644 §3.5.2).
  const res = await kit.call(
    'PATCH',
    `/Users/${id}?attributes=emails`,
    patchOps({
      op: 'Replace',
      path: 'emails[type eq "work"].value',
      value: 'j.silva@example.org',
    }),
  );
  assert.equal(res.status, 200, JSON.stringify(res.json));
  const byType = Object.fromEntries(res.json.emails.map((e: any) => [e.type, e.value]));
  assert.deepEqual(byType, { work: 'j.silva@example.org', home: 'joao@home.example' });

  const version = res.headers.etag;
  const bad = await kit.call(
    'PATCH',
    `/Users/${id}`,
    patchOps(
      { op: 'replace', path: 'displayName', value: 'Should Not Stick' },
      { op: 'replace', path: 'emails[type eq "other"]', value: { display: 'x' } },
    ),
  );
  assert.equal(bad.status, 400);
  assert.equal(bad.json.scimType, 'noTarget');
  const now = await kit.call('GET', `/Users/${id}`);
  assert.notEqual(now.json.displayName, 'Should Not Stick');
  assert.equal(now.headers.etag, version);
});

test('S5: userName matches without case in filters and in uniqueness', async () => {
  await newUser('fatima.zahra@example.org');
  const found = await kit.call(
    'GET',
    '/Users?filter=' + encodeURIComponent('userName eq "FATIMA.ZAHRA@EXAMPLE.ORG"'),
  );
  assert.equal(found.status, 200);
  assert.equal(found.json.totalResults, 1);
  assert.equal(found.json.Resources[0].userName, 'fatima.zahra@example.org');

  const dup = await kit.call('POST', '/Users', entraUser('Fatima.Zahra@example.org'));
  assert.equal(dup.status, 409);
  assert.equal(dup.json.scimType, 'uniqueness');
  assert.equal(dup.json.status, '409');
});

test('S6: nothing found is an empty list; an unknown id is a 404 Error', async () => {
  const none = await kit.call(
    'GET',
    '/Users?filter=' + encodeURIComponent('userName eq "nobody.here@example.org"'),
  );
  assert.equal(none.status, 200);
  assert.deepEqual(none.json.schemas, ['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
  assert.equal(none.json.totalResults, 0);
  assert.deepEqual(none.json.Resources, []);

  const missing = await kit.call('GET', '/Users/no-such-user');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  assert.strictEqual(missing.json.status, '404');
});

test('a re-POST of a deactivated userName is a rehire under the same id', async () => {
  const id = await newUser('oskar.berg@example.org');
  await kit.call(
    'PATCH',
    `/Users/${id}`,
    patchOps({ op: 'replace', path: 'active', value: false }),
  );
  kit.changes.length = 0;
  const again = await kit.call(
    'POST',
    '/Users',
    entraUser('Oskar.Berg@example.org', { displayName: 'Oskar Berg' }),
  );
  assert.equal(again.status, 201);
  assert.equal(again.json.id, id);
  assert.equal(again.json.active, true);
  assert.equal(kit.changes[0]![0]!.state, 'active');
  assert.equal(kit.changes[0]![0]!.externalId, id);
});

test('DELETE sends a deleted record and the user is gone', async () => {
  const id = await newUser('ines.garcia@example.org');
  kit.changes.length = 0;
  const res = await kit.call('DELETE', `/Users/${id}`);
  assert.equal(res.status, 204);
  assert.equal(kit.changes[0]![0]!.state, 'deleted');
  assert.equal((await kit.call('GET', `/Users/${id}`)).status, 404);
  // The userName is free again: a new id.
  const fresh = await newUser('ines.garcia@example.org');
  assert.notEqual(fresh, id);
});
