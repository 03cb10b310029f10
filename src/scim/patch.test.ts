/** PATCH path forms, ETag preconditions, paging and sorting, groups, discovery. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { entraUser, patchOps, type ScimKit, scimKit } from './test-kit.ts';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
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

/** A PATCH; on success (204, RFC 7644 §3.5.2) the user as a GET then returns it. */
async function patch(id: string, ...ops: Record<string, unknown>[]) {
  const res = await kit.call('PATCH', `/Users/${id}`, patchOps(...ops));
  return res.status === 204 ? kit.call('GET', `/Users/${id}`) : res;
}

test('every path form: attr, attr.sub, urn:attr, filter, filter.sub, path-less', async () => {
  const id = await newUser('noor.haddad@example.org', {
    phoneNumbers: [{ type: 'work', value: '+1 212 555 0101' }],
  });
  const res = await patch(
    id,
    { op: 'add', path: 'title', value: 'Engineer' },
    { op: 'replace', path: 'name.givenName', value: 'Noor' },
    { op: 'Add', path: `${ENT}:department`, value: 'Research' },
    { op: 'add', path: 'emails', value: [{ type: 'home', value: 'noor@home.example' }] },
    { op: 'replace', path: 'phoneNumbers[type eq "work"]', value: { value: '+1 212 555 0199' } },
    { op: 'replace', path: 'emails[type eq "home"].display', value: 'Home' },
    { op: 'replace', value: { nickName: 'nh', [`${ENT}:employeeNumber`]: 'E-77' } },
    { op: 'add', value: { [ENT]: { costCenter: 'CC1' } } },
    { op: 'Add', path: `${ENT}:manager`, value: 'boss-id' },
  );
  assert.equal(res.status, 200, JSON.stringify(res.json));
  const u = res.json;
  assert.equal(u.title, 'Engineer');
  assert.equal(u.name.givenName, 'Noor');
  assert.deepEqual(u[ENT], {
    department: 'Research',
    employeeNumber: 'E-77',
    costCenter: 'CC1',
    manager: { value: 'boss-id' },
  });
  assert.equal(u.emails.length, 2);
  assert.equal(u.emails.find((e: any) => e.type === 'home').display, 'Home');
  assert.equal(u.phoneNumbers[0].value, '+1 212 555 0199');
  assert.equal(u.nickName, 'nh');
  assert.equal(kit.changes.at(-1)![0]!.attributes.department, 'Research');
  assert.equal(kit.changes.at(-1)![0]!.attributes.employeeId, 'E-77');
});

test('remove: attribute, sub-attribute, filtered element, extension attribute', async () => {
  const id = await newUser('tomas.novak@example.org', {
    title: 'Lead',
    name: { givenName: 'Tomas', familyName: 'Novak' },
    emails: [
      { type: 'work', value: 'tomas.novak@example.org' },
      { type: 'home', value: 't@h' },
    ],
    [ENT]: { department: 'Ops', costCenter: 'C9' },
  });
  const res = await patch(
    id,
    { op: 'remove', path: 'title' },
    { op: 'remove', path: 'name.familyName' },
    { op: 'remove', path: 'emails[type eq "home"]' },
    { op: 'remove', path: `${ENT}:costCenter` },
  );
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.title, undefined);
  assert.deepEqual(res.json.name, { givenName: 'Tomas' });
  assert.deepEqual(
    res.json.emails.map((e: any) => e.type),
    ['work'],
  );
  assert.deepEqual(res.json[ENT], { department: 'Ops' });
});

test('PATCH errors carry the right scimType and change nothing', async () => {
  const id = await newUser('keiko.mori@example.org');
  const cases: [Record<string, unknown>, string][] = [
    [{ op: 'remove' }, 'noTarget'],
    [{ op: 'replace', path: 'nosuch', value: 'x' }, 'invalidPath'],
    [{ op: 'replace', path: 'emails[type eq', value: 'x' }, 'invalidPath'],
    [{ op: 'replace', path: 'active', value: 'maybe' }, 'invalidValue'],
    [{ op: 'replace', path: 'groups', value: [] }, 'mutability'],
    [{ op: 'frobnicate', path: 'title', value: 'x' }, 'invalidSyntax'],
    [{ op: 'remove', path: 'userName' }, 'invalidValue'],
  ];
  for (const [op, scimType] of cases) {
    const res = await patch(id, { op: 'replace', path: 'title', value: 'Changed' }, op);
    assert.equal(res.status, 400, JSON.stringify(op));
    assert.equal(res.json.scimType, scimType, JSON.stringify(op));
  }
  assert.equal((await kit.call('GET', `/Users/${id}`)).json.title, undefined);
  const malformed = await kit.call('PATCH', `/Users/${id}`, '{"Operations": [');
  assert.equal(malformed.status, 400);
  assert.equal(malformed.json.scimType, 'invalidSyntax');
});

test('ETags: If-Match with an old version is 412; the current one succeeds', async () => {
  const id = await newUser('ravi.kumar@example.org');
  const first = await kit.call('GET', `/Users/${id}`);
  const tag = first.headers.etag!;
  assert.equal(first.json.meta.version, tag);
  const ok = await kit.call(
    'PATCH',
    `/Users/${id}`,
    patchOps({ op: 'replace', path: 'title', value: 'A' }),
    { 'if-match': tag },
  );
  assert.equal(ok.status, 204);
  assert.notEqual(ok.headers.etag, tag);
  const stale = await kit.call(
    'PATCH',
    `/Users/${id}`,
    patchOps({ op: 'replace', path: 'title', value: 'B' }),
    { 'if-match': tag },
  );
  assert.equal(stale.status, 412);
  assert.equal(stale.json.status, '412');
  const del = await kit.call('DELETE', `/Users/${id}`, undefined, { 'if-match': tag });
  assert.equal(del.status, 412);
  const same = await kit.call('GET', `/Users/${id}`, undefined, {
    'if-none-match': ok.headers.etag!,
  });
  assert.equal(same.status, 304);
});

test('paging and sorting', async () => {
  for (const n of ['p3', 'p1', 'p5', 'p2', 'p4']) await newUser(`${n}@paging.example`);
  const filter = encodeURIComponent('userName ew "@paging.example"');
  const page = await kit.call(
    'GET',
    `/Users?filter=${filter}&sortBy=userName&sortOrder=descending&startIndex=2&count=2`,
  );
  assert.equal(page.json.totalResults, 5);
  assert.equal(page.json.itemsPerPage, 2);
  assert.equal(page.json.startIndex, 2);
  assert.deepEqual(
    page.json.Resources.map((r: any) => r.userName),
    ['p4@paging.example', 'p3@paging.example'],
  );
  const none = await kit.call('GET', `/Users?filter=${filter}&count=0`);
  assert.equal(none.json.totalResults, 5);
  assert.deepEqual(none.json.Resources, []);
  const proj = await kit.call('GET', `/Users?filter=${filter}&attributes=userName&count=1`);
  assert.deepEqual(Object.keys(proj.json.Resources[0]).sort(), ['id', 'schemas', 'userName']);
});

test('groups: members by PATCH in Entra form; users see their groups', async () => {
  const a = await newUser('g.one@example.org');
  const b = await newUser('g.two@example.org');
  const g = await kit.call('POST', '/Groups', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    displayName: 'Sales NYC',
  });
  assert.equal(g.status, 201);
  const gid = g.json.id;
  kit.changes.length = 0;
  const add = await kit.call(
    'PATCH',
    `/Groups/${gid}`,
    patchOps({ op: 'Add', path: 'members', value: [{ value: a }, { value: b }] }),
  );
  assert.equal(add.status, 204, JSON.stringify(add.json));
  assert.equal(kit.changes[0]!.length, 2);
  assert.deepEqual(kit.changes[0]![0]!.attributes.groups, ['Sales NYC']);
  const user = await kit.call('GET', `/Users/${a}`);
  assert.equal(user.json.groups[0].value, gid);

  // With `attributes` the PATCH answers 200 with the group (RFC 7644 §3.5.2).
  const rm = await kit.call(
    'PATCH',
    `/Groups/${gid}?attributes=members`,
    patchOps({ op: 'Remove', path: `members[value eq "${a}"]` }),
  );
  assert.equal(rm.status, 200);
  assert.deepEqual(
    rm.json.members.map((m: any) => m.value),
    [b],
  );
  const rm2 = await kit.call(
    'PATCH',
    `/Groups/${gid}`,
    patchOps({ op: 'remove', path: 'members', value: [{ value: b }] }),
  );
  assert.equal(rm2.status, 204);
  assert.equal((await kit.call('GET', `/Groups/${gid}`)).json.members, undefined);
  const bad = await kit.call(
    'PATCH',
    `/Groups/${gid}`,
    patchOps({ op: 'add', path: 'members', value: [{ value: 'ghost' }] }),
  );
  assert.equal(bad.status, 400);
  const listed = await kit.call(
    'GET',
    '/Groups?excludedAttributes=members&filter=' + encodeURIComponent('displayName eq "sales nyc"'),
  );
  assert.equal(listed.json.totalResults, 1);
});

test('discovery: config, resource types, schemas with attribute definitions', async () => {
  const spc = await kit.call('GET', '/ServiceProviderConfig');
  assert.equal(spc.json.patch.supported, true);
  assert.equal(spc.json.etag.supported, true);
  assert.equal(spc.json.bulk.supported, false);
  const types = await kit.call('GET', '/ResourceTypes');
  const user = types.json.Resources.find((t: any) => t.id === 'User');
  assert.deepEqual(
    user.schemaExtensions.map((e: any) => e.schema),
    [ENT, 'urn:callsign:params:scim:schemas:extension:telecom:1.0:User'],
  );
  const schema = await kit.call('GET', `/Schemas/${ENT}`);
  assert.equal(schema.status, 200);
  const dept = schema.json.attributes.find((x: any) => x.name === 'department');
  assert.equal(dept.type, 'string');
  assert.equal(dept.mutability, 'readWrite');
  const telecom = await kit.call(
    'GET',
    '/Schemas/urn:callsign:params:scim:schemas:extension:telecom:1.0:User',
  );
  assert.ok(telecom.json.attributes.every((x: any) => x.mutability === 'readOnly'));
  assert.equal((await kit.call('GET', '/Schemas/urn:nope')).status, 404);
});
