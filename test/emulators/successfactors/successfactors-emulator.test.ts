/**
 * The SuccessFactors emulator keeps to the OData v2 shapes the source relies on: d.results
 * with __count, expansion or __deferred, effective dating as of today or from a date,
 * client and server-driven paging, $filter on lastModifiedDateTime, auth, error bodies,
 * throttling and a failing page.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startSfEmulator, type EmuPerson, type SfEmulator } from './successfactors-emulator.ts';

const people: EmuPerson[] = Array.from({ length: 7 }, (_, i) => ({
  personIdExternal: `P${i + 1}`,
  lastModified: i === 0 ? '2031-02-20T10:00:00Z' : '2030-01-01T00:00:00Z',
  personal: [{ startDate: '2020-01-01', firstName: `F${i}`, lastName: 'L' }],
  employments: [
    {
      startDate: '2020-01-01',
      userId: `u${i + 1}`,
      jobs: [
        { startDate: '2020-01-01', endDate: '2031-03-09', emplStatus: 'A', department: 'Old' },
        { startDate: '2031-03-10', emplStatus: 'A', department: 'New' },
      ],
    },
  ],
}));

const AUTH = { authorization: `Basic ${Buffer.from('api@ACME:pw:x').toString('base64')}` };
let sf: SfEmulator;
let paged: SfEmulator;
before(async () => {
  sf = await startSfEmulator({
    people,
    basic: { user: 'api@ACME', password: 'pw:x' },
    today: '2031-03-01',
  });
  paged = await startSfEmulator({ people, token: 'tok', today: '2031-03-01', serverPageSize: 3 });
});
after(async () => {
  await sf.close();
  await paged.close();
});

async function get(emu: SfEmulator, query: string, headers: Record<string, string> = AUTH) {
  const res = await fetch(`${emu.url}/PerPerson?$format=json&${query}`, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

test('client paging with $top/$skip and __count; /Date(ms)/ literals', async () => {
  const r = await get(sf, '$top=5&$skip=5&$inlinecount=allpages');
  assert.equal(r.body.d.__count, '7');
  assert.deepEqual(
    r.body.d.results.map((p: any) => p.personIdExternal),
    ['P6', 'P7'],
  );
  assert.equal(r.body.d.__next, undefined);
  assert.match(r.body.d.results[0].lastModifiedDateTime, /^\/Date\(\d+\+0000\)\/$/);
});

test('navigations are __deferred unless expanded; effective records as of today or fromDate', async () => {
  const plain = await get(sf, '$top=1');
  assert.ok(plain.body.d.results[0].employmentNav.__deferred.uri.endsWith('/employmentNav'));
  const today = await get(sf, '$top=1&$expand=employmentNav,employmentNav/jobInfoNav');
  const jobs = today.body.d.results[0].employmentNav.results[0].jobInfoNav.results;
  assert.deepEqual(
    jobs.map((j: any) => j.department),
    ['Old'],
  );
  const ahead = await get(
    sf,
    '$top=1&$expand=employmentNav,employmentNav/jobInfoNav&fromDate=2031-03-01',
  );
  const both = ahead.body.d.results[0].employmentNav.results[0].jobInfoNav.results;
  assert.deepEqual(
    both.map((j: any) => j.department),
    ['Old', 'New'],
  );
});

test('server-driven paging gives __next with a $skiptoken until the last page', async () => {
  const bearer = { authorization: 'Bearer tok' };
  const first = await get(paged, '$top=100', bearer);
  assert.equal(first.body.d.results.length, 3);
  const next = await fetch(first.body.d.__next, { headers: bearer }).then((r) => r.json() as any);
  assert.equal(new URL(first.body.d.__next).searchParams.get('$skiptoken'), '3');
  assert.deepEqual(
    next.d.results.map((p: any) => p.personIdExternal),
    ['P4', 'P5', 'P6'],
  );
});

test('$filter on lastModifiedDateTime; a bad filter is an OData error body', async () => {
  const since = await get(
    sf,
    `$filter=${encodeURIComponent("lastModifiedDateTime gt datetimeoffset'2031-01-01T00:00:00Z'")}`,
  );
  assert.deepEqual(
    since.body.d.results.map((p: any) => p.personIdExternal),
    ['P1'],
  );
  const bad = await get(sf, `$filter=${encodeURIComponent('startswith(x)')}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'COE_INVALID_FILTER');
  assert.equal(typeof bad.body.error.message.value, 'string');
});

test('wrong credentials 401; throttling with Retry-After; a failing page; all on demand', async () => {
  const denied = await get(sf, '$top=1', { authorization: 'Basic eDp5' });
  assert.equal(denied.status, 401);
  assert.equal(denied.body.error.code, 'COE_AUTHENTICATION_FAILED');
  sf.throttle(1, 3, 503);
  const busy = await get(sf, '$top=1');
  assert.equal(busy.status, 503);
  assert.equal(busy.headers.get('retry-after'), '3');
  assert.equal((await get(sf, '$top=1')).status, 200);
  sf.failAt(2, 1);
  assert.equal((await get(sf, '$top=2&$skip=2')).status, 500);
  assert.equal((await get(sf, '$top=2&$skip=2')).status, 200);
});
