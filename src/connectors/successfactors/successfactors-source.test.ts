/**
 * The SuccessFactors source against the OData emulator: a few hundred people over several
 * pages (client and server-driven paging) mapped by the HR row rules, effective dating (a
 * future hire, a termination to come, a future department change not taken early), a
 * contractor converted to employee, faulty people reported and the rest used, a page failing
 * mid-read leaves the read incomplete, wrong credentials are a clear auth error, 429/503 are
 * waited out, and changes since the cursor come from lastModifiedDateTime.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { API_ATTRIBUTES, type SuccessFactorsSourceConfig } from '../../core/config-hr-api.ts';
import { CallsignError } from '../../core/errors.ts';
import {
  startSfEmulator,
  type EmuPerson,
  type SfEmulator,
} from '../../../test/emulators/successfactors/successfactors-emulator.ts';
import { odataDate } from './sf-odata.ts';
import { SuccessFactorsSource } from './successfactors-source.ts';

const TODAY = '2031-03-01';
const NOW = new Date(`${TODAY}T09:00:00Z`);

function person(
  id: string,
  over: Partial<EmuPerson> = {},
  job: Record<string, unknown> = {},
): EmuPerson {
  return {
    personIdExternal: id,
    personal: [{ startDate: '2020-01-01', firstName: `Ann ${id}`, lastName: 'Person' }],
    emails: [{ address: `${id.toLowerCase()}@example.org`, primary: true }],
    phones: [{ countryCode: '49', areaCode: '30', number: '1234567', primary: true }],
    employments: [
      {
        startDate: '2029-05-01',
        userId: `u${id}`,
        jobs: [
          {
            startDate: '2029-05-01',
            emplStatus: 'A',
            company: 'ACME_DE',
            department: 'Sales',
            location: 'Berlin',
            jobTitle: 'Rep',
            employeeClass: '1',
            managerId: 'P1000',
            countryOfCompany: 'DEU',
            ...job,
          },
        ],
      },
    ],
    ...over,
  };
}

const bulk = Array.from({ length: 250 }, (_, i) => person(`P${1000 + i}`));
const SPECIAL: EmuPerson[] = [
  // A hire to come: the only job record starts in the future.
  person('F1', {
    employments: [
      {
        startDate: '2031-03-15',
        userId: 'uF1',
        jobs: [{ startDate: '2031-03-15', emplStatus: 'A', employeeClass: '1' }],
      },
    ],
  }),
  // Leaving: a termination record dated ahead, the employment not yet ended.
  person('L1', {
    employments: [
      {
        startDate: '2020-01-01',
        userId: 'uL1',
        jobs: [
          {
            startDate: '2020-01-01',
            endDate: '2031-03-19',
            emplStatus: 'A',
            department: 'Ops',
            employeeClass: '1',
          },
          { startDate: '2031-03-20', emplStatus: 'T', department: 'Ops', employeeClass: '1' },
        ],
      },
    ],
  }),
  // Gone last month.
  person('G1', {
    employments: [
      {
        startDate: '2020-01-01',
        endDate: '2031-02-01',
        userId: 'uG1',
        jobs: [{ startDate: '2031-02-02', emplStatus: 'T', employeeClass: '1' }],
      },
    ],
  }),
  // On unpaid leave; and a department change ahead that must not be taken early.
  person('U1', {}, { emplStatus: 'U' }),
  person('M1', {
    employments: [
      {
        startDate: '2020-01-01',
        userId: 'uM1',
        jobs: [
          {
            startDate: '2020-01-01',
            endDate: '2031-03-31',
            emplStatus: 'A',
            department: 'Sales',
            employeeClass: '1',
          },
          { startDate: '2031-04-01', emplStatus: 'A', department: 'Marketing', employeeClass: '1' },
        ],
      },
    ],
  }),
  // Contractor converted: the old person ended, a new person id with the same mail.
  person('C9', {
    emails: [{ address: 'cy@example.org', primary: true }],
    employments: [
      {
        startDate: '2029-01-01',
        endDate: '2031-02-28',
        userId: 'uC9',
        jobs: [{ startDate: '2031-03-01', emplStatus: 'T', employeeClass: '2' }],
      },
    ],
  }),
  person('E9', { emails: [{ address: 'Cy@Example.org', primary: true }] }),
  // Faulty: no name; a date literal that is none; a country Callsign cannot read.
  person('X1', { personal: [{ startDate: '2020-01-01', firstName: 'Only' }] }),
  person('X2', {
    employments: [
      {
        startDate: { raw: '/Date(soon)/' },
        userId: 'uX2',
        jobs: [{ startDate: '2020-01-01', emplStatus: 'A', employeeClass: '1' }],
      },
    ],
  }),
  person('X3', {}, { countryOfCompany: 'XYZ' }),
];

let sf: SfEmulator;
let paged: SfEmulator;
before(async () => {
  const people = [...bulk, ...SPECIAL];
  sf = await startSfEmulator({
    people,
    basic: { user: 'api@ACME', password: 'p:w' },
    today: TODAY,
  });
  paged = await startSfEmulator({ people, token: 'tok-1', today: TODAY, serverPageSize: 60 });
});
after(async () => {
  await sf.close();
  await paged.close();
});

function config(url: string, auth: SuccessFactorsSourceConfig['auth']): SuccessFactorsSourceConfig {
  return {
    name: 'sf',
    type: 'successfactors',
    url,
    auth,
    statuses: { active: ['A'], leave: ['U', 'P'], terminated: ['T', 'R'] },
    pageSize: 100,
    timeoutMs: 5_000,
    personKey: 'mail',
    countryAliases: {},
    workerTypes: { '1': 'employee', '2': 'contractor' },
    provisionDaysBeforeStart: 3,
    attributes: { ...API_ATTRIBUTES },
  };
}

const basic = (password = 'p:w') =>
  new SuccessFactorsSource(config(sf.url, { user: 'api@ACME', password: 'env:X' }), {
    secret: password,
    clock: () => NOW,
    backoffMs: 5,
  });

test('/Date(ms)/ literals are read as UTC dates; the open end is no end', () => {
  assert.equal(odataDate('/Date(1704844800000)/'), '2024-01-10');
  assert.equal(odataDate('/Date(1704844800000+0000)/'), '2024-01-10');
  assert.equal(odataDate('/Date(253402214400000)/'), undefined);
  assert.equal(odataDate('/Date(x)/'), '/Date(x)/');
});

test('260 people over 3 pages go through the HR row rules, effective-dated as of today', async () => {
  sf.requests.length = 0;
  const snap = await basic().readAll();
  assert.equal(snap.complete, true);
  assert.equal(sf.requests.length, 3);
  assert.match(decodeURIComponent(sf.requests[0]!), /fromDate=2031-03-01/);
  assert.equal(snap.records.length, 257, 'X1, X2 held; C9 superseded');
  assert.deepEqual([...(snap.heldIds ?? [])].sort(), ['X1', 'X2']);
  const rec = (id: string) => snap.records.find((r) => r.externalId === id)?.attributes;
  assert.deepEqual(rec('P1001'), {
    workerId: 'P1001',
    mail: 'p1001@example.org',
    givenName: 'Ann P1001',
    sn: 'Person',
    displayName: 'Ann P1001 Person',
    title: 'Rep',
    department: 'Sales',
    company: 'ACME_DE',
    location: 'Berlin',
    hrStatus: 'A',
    onLeave: false,
    hireDate: '2029-05-01',
    startDate: '2029-04-28',
    endDate: null,
    workerType: 'employee',
    country: 'DE',
    phone: '+49301234567',
    managerId: 'P1000',
  });
  assert.equal(rec('F1')?.startDate, '2031-03-12', 'future hire, 3 days ahead');
  assert.equal(rec('L1')?.hrStatus, 'A');
  assert.equal(rec('L1')?.endDate, '2031-03-20', 'termination to come, kept as future');
  assert.equal(rec('G1')?.endDate, '2031-02-01');
  assert.equal(rec('U1')?.onLeave, true);
  assert.equal(rec('M1')?.department, 'Sales', 'the April change is not taken early');
  assert.equal(rec('C9'), undefined);
  assert.equal(rec('E9')?.workerType, 'employee');

  const about = (id: string) => snap.problems.filter((p) => p.record.endsWith(`(worker ${id})`));
  assert.match(about('X1')[0]!.message, /has no name/);
  assert.equal(about('X2')[0]!.field, 'hireDate');
  assert.match(about('X2')[0]!.message, /\/Date\(soon\)\//);
  assert.equal(about('X3')[0]!.field, 'country');
  assert.equal(about('X3')[0]!.outcome, 'dropped');
  assert.equal(rec('X3')?.department, 'Sales', 'the rest of X3 is used');
  assert.equal(about('C9')[0]!.outcome, 'superseded');
});

test('server-driven paging (__next) with a bearer token reads every page', async () => {
  const src = new SuccessFactorsSource(config(paged.url, { token: 'env:T' }), {
    secret: 'tok-1',
    clock: () => NOW,
  });
  paged.requests.length = 0;
  const snap = await src.readAll();
  assert.equal(snap.complete, true);
  assert.equal(paged.requests.length, 5);
  assert.equal(snap.records.length, 257);
});

test('a page failing mid-read leaves the read incomplete', async () => {
  sf.failAt(200);
  try {
    const snap = await basic().readAll();
    assert.equal(snap.complete, false);
    assert.equal(snap.records.length, 199, 'pages 1 and 2 (200 people, C9 superseded by E9)');
    const failure = snap.problems.find((p) => p.record === 'page 3');
    assert.match(failure?.message ?? '', /HTTP 500: COE_GENERAL_SERVER_FAILURE.*incomplete/);
  } finally {
    sf.failAt(200, 0);
  }
});

test('a person removed mid-read shifts $skip: fewer than __count read is incomplete', async () => {
  const removed = sf.people.findIndex((p) => p.personIdExternal === 'P1005');
  const saved = sf.people[removed]!;
  sf.onPage = (skip) => {
    if (skip === 100) sf.people.splice(removed, 1);
  };
  try {
    const snap = await basic().readAll();
    assert.equal(snap.complete, false);
    const failure = snap.problems.find((p) => /server counted 260/.test(p.message));
    assert.match(failure?.message ?? '', /read 259 workers .*nobody is taken for gone/);
  } finally {
    delete sf.onPage;
    sf.people.splice(removed, 0, saved);
  }
});

test('wrong credentials are a clear auth error', async () => {
  await assert.rejects(basic('nope').readAll(), (err: unknown) => {
    assert.ok(err instanceof CallsignError);
    assert.equal(err.code, 'auth');
    assert.match(err.message, /HTTP 401: COE_AUTHENTICATION_FAILED/);
    assert.doesNotMatch(err.message, /nope/);
    return true;
  });
});

test('429 and 503 are waited out (Retry-After) and the read completes', async () => {
  sf.throttle(1, 0, 429);
  let snap = await basic().readAll();
  assert.equal(snap.complete, true);
  sf.throttle(2, 0, 503);
  snap = await basic().readAll();
  assert.equal(snap.records.length, 257);
});

test('changes since the cursor come from lastModifiedDateTime', async () => {
  const src = basic();
  const first = await src.readChanges(undefined);
  assert.equal(first.cursor, NOW.toISOString());
  sf.people.push(person('N1', { lastModified: '2031-03-01T08:30:00Z' }));
  const batch = await src.readChanges('2031-03-01T08:00:00Z');
  assert.deepEqual(
    batch.records.map((r) => r.externalId),
    ['N1'],
  );
  const query = new URL(sf.requests.at(-1)!, sf.url).searchParams;
  assert.equal(
    query.get('$filter'),
    "lastModifiedDateTime gt datetimeoffset'2031-03-01T08:00:00Z'",
  );
});

test('an unreachable URL says why (the refused connection), not only "fetch failed"', async () => {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  const src = new SuccessFactorsSource(
    config(`http://127.0.0.1:${port}/odata/v2`, { user: 'api@ACME', password: 'env:X' }),
    { secret: 'pw', clock: () => NOW, backoffMs: 1, attempts: 1 },
  );
  await assert.rejects(src.readAll(), (err: unknown) => {
    assert.ok(err instanceof CallsignError);
    assert.equal(err.code, 'unavailable');
    assert.match(err.message, /^successfactors: fetch failed: .*ECONNREFUSED 127\.0\.0\.1:\d+/);
    return true;
  });
});
