/**
 * The Workday Get_Workers source against the emulator: hundreds of workers over several pages
 * mapped by the HR row rules (joiner, leaver, future hire, leave, contractor converted to
 * employee, faulty workers reported and the rest used), a page failing mid-read leaves the
 * read incomplete, wrong credentials are a clear auth error, throttling is waited out, and
 * the transaction log gives changes since the cursor.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { WorkdaySourceConfig } from '../../core/config-hr-api.ts';
import { CallsignError } from '../../core/errors.ts';
import { API_ATTRIBUTES } from '../../core/config-hr-api.ts';
import {
  startWorkersEmulator,
  type EmuWorker,
  type WorkersEmulator,
} from '../../../test/emulators/workday/workday-workers-emulator.ts';
import { WorkdaySource } from './workday-source.ts';

const NOW = new Date('2031-03-01T09:00:00Z');

function bulk(n: number): EmuWorker[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `E${1000 + i}`,
    firstName: `Ann${i}`,
    lastName: 'Bulk',
    email: `e${1000 + i}@example.org`,
    phone: { code: '1', area: '201', number: '555-0123' },
    active: true,
    hireDate: '2029-05-01',
    title: 'Analyst',
    location: 'New York',
    country: { type: 'ISO_3166-1_Alpha-2_Code', value: 'US' },
    employeeType: 'Regular',
    managerId: 'E1000',
    department: 'Finance',
    company: 'Acme Inc',
  }));
}

const SPECIAL: EmuWorker[] = [
  // Joiner hired today; a leaver gone last month; a hire to come (Active 0 until then).
  {
    id: 'J1',
    firstName: 'Jo',
    lastName: 'Joiner',
    email: 'j1@example.org',
    active: true,
    hireDate: '2031-03-01',
  },
  {
    id: 'L1',
    firstName: 'Lee',
    lastName: 'Leaver',
    email: 'l1@example.org',
    active: false,
    terminated: true,
    hireDate: '2020-01-01',
    terminationDate: '2031-02-01',
  },
  {
    id: 'F1',
    firstName: 'Fay',
    lastName: 'Future',
    email: 'f1@example.org',
    active: false,
    hireDate: '2031-03-20',
  },
  {
    id: 'V1',
    firstName: 'Val',
    lastName: 'Leave',
    email: 'v1@example.org',
    active: true,
    onLeave: true,
    hireDate: '2025-01-01',
  },
  // A contractor converted: the contingent id ended, a new employee id with the same mail.
  {
    id: 'C7',
    contingent: true,
    firstName: 'Cy',
    lastName: 'Convert',
    email: 'cy@example.org',
    active: false,
    terminated: true,
    hireDate: '2029-01-01',
    terminationDate: '2031-02-28',
  },
  {
    id: 'E7',
    firstName: 'Cy',
    lastName: 'Convert',
    email: 'CY@example.org',
    active: true,
    hireDate: '2031-03-01',
    employeeType: 'Regular',
  },
  // Faulty: no name; a hire date that is no day; a country Callsign cannot read.
  { id: 'X1', email: 'x1@example.org', active: true, hireDate: '2025-01-01' },
  {
    id: 'X2',
    firstName: 'Bad',
    lastName: 'Date',
    email: 'x2@example.org',
    active: true,
    hireDate: '2025-02-30',
  },
  {
    id: 'X3',
    firstName: 'Odd',
    lastName: 'Country',
    email: 'x3@example.org',
    active: true,
    hireDate: '2025-01-01',
    country: { type: 'ISO_3166-1_Alpha-3_Code', value: 'XYZ' },
  },
];

let wd: WorkersEmulator;
before(async () => {
  wd = await startWorkersEmulator({
    username: 'isu@acme',
    password: 'pw<&>"',
    workers: [...bulk(300), ...SPECIAL],
  });
});
after(() => wd.close());

function config(over: Partial<WorkdaySourceConfig> = {}): WorkdaySourceConfig {
  return {
    name: 'workday',
    type: 'workday',
    url: wd.url,
    username: 'isu@acme',
    password: 'env:UNUSED',
    version: 'v42.0',
    pageSize: 100,
    timeoutMs: 5_000,
    personKey: 'mail',
    countryAliases: {},
    workerTypes: { Employee: 'employee', Contingent_Worker: 'contractor', Intern: 'intern' },
    provisionDaysBeforeStart: 5,
    attributes: { ...API_ATTRIBUTES },
    ...over,
  };
}

function source(password = 'pw<&>"', over: Partial<WorkdaySourceConfig> = {}) {
  return new WorkdaySource(config(over), { secret: password, clock: () => NOW, backoffMs: 5 });
}

test('309 workers over 4 pages go through the HR row rules, every fault reported', async () => {
  wd.requests.length = 0;
  const snap = await source().readAll();
  assert.equal(snap.complete, true);
  assert.deepEqual(
    wd.requests.map((r) => r.page),
    [1, 2, 3, 4],
  );
  assert.equal(new Set(wd.requests.map((r) => r.asOf)).size, 1, 'one as-of moment for all pages');
  // 309 workers: X1 and X2 held, C7 superseded by E7.
  assert.equal(snap.records.length, 306);
  assert.deepEqual([...(snap.heldIds ?? [])].sort(), ['X1', 'X2']);

  const rec = (id: string) => snap.records.find((r) => r.externalId === id)?.attributes;
  assert.deepEqual(
    {
      ...rec('E1005'),
    },
    {
      workerId: 'E1005',
      mail: 'e1005@example.org',
      givenName: 'Ann5',
      sn: 'Bulk',
      displayName: 'Ann5 Bulk',
      title: 'Analyst',
      department: 'Finance',
      company: 'Acme Inc',
      location: 'New York',
      hrStatus: 'Active',
      onLeave: false,
      hireDate: '2029-05-01',
      startDate: '2029-04-26',
      endDate: null,
      workerType: 'employee',
      country: 'US',
      phone: '+12015550123',
      managerId: 'E1000',
    },
  );
  assert.equal(rec('J1')?.startDate, '2031-02-24');
  assert.equal(rec('F1')?.hrStatus, 'Pre_Hire');
  assert.equal(rec('F1')?.startDate, '2031-03-15', 'future hire provisioned 5 days ahead');
  assert.equal(snap.records.find((r) => r.externalId === 'L1')?.state, 'active');
  assert.equal(rec('L1')?.endDate, '2031-02-01', 'leaves on the termination date');
  assert.equal(rec('V1')?.onLeave, true);
  assert.equal(rec('E7')?.workerType, 'employee');
  assert.equal(rec('C7'), undefined);

  const about = (id: string) => snap.problems.filter((p) => p.record.endsWith(`(worker ${id})`));
  assert.match(about('X1')[0]!.message, /has no name.*row held/);
  assert.equal(about('X2')[0]!.field, 'hireDate');
  assert.equal(about('X2')[0]!.outcome, 'held');
  assert.equal(about('X3')[0]!.field, 'country');
  assert.equal(about('X3')[0]!.outcome, 'dropped');
  assert.equal(rec('X3')?.country, null, 'the rest of X3 is used');
  assert.equal(about('C7')[0]!.outcome, 'superseded');
  assert.match(about('X1')[0]!.record, /^page 4 entry \d+ \(worker X1\)$/);
});

test('a page failing mid-read leaves the read incomplete, with what was read kept', async () => {
  wd.failPage(3);
  try {
    const snap = await source().readAll();
    assert.equal(snap.complete, false);
    assert.equal(snap.records.length, 200, 'pages 1 and 2 only');
    const failure = snap.problems.find((p) => p.record === 'page 3');
    assert.match(failure?.message ?? '', /internal error.*read incomplete/i);
  } finally {
    wd.failPage(3, 0);
  }
});

test('wrong credentials are a clear auth error, not an empty read', async () => {
  await assert.rejects(source('wrong').readAll(), (err: unknown) => {
    assert.ok(err instanceof CallsignError);
    assert.equal(err.code, 'auth');
    assert.match(err.message, /invalid username or password/);
    assert.doesNotMatch(err.message, /wrong/);
    return true;
  });
});

test('throttling (429 Retry-After) is waited out and the read completes', async () => {
  wd.throttle(2, 0);
  const snap = await source().readAll();
  assert.equal(snap.complete, true);
  assert.equal(snap.records.length, 306);
});

test('a version the tenant does not serve is refused with the fault text', async () => {
  await assert.rejects(source(undefined, { version: 'v12.0' }).readAll(), /service version/);
});

test('changes since the cursor come from the transaction log window', async () => {
  const hr = source();
  const first = await hr.readChanges(undefined);
  assert.deepEqual(first.records, []);
  assert.equal(first.cursor, NOW.toISOString());
  const joiner: EmuWorker = {
    id: 'N1',
    firstName: 'New',
    lastName: 'Hire',
    email: 'n1@example.org',
    active: true,
    hireDate: '2031-03-01',
    updatedAt: '2031-03-01T08:30:00Z',
  };
  wd.workers.push(joiner, { ...SPECIAL[7]!, updatedAt: '2031-03-01T08:40:00Z' });
  const batch = await hr.readChanges('2031-03-01T08:00:00Z');
  assert.deepEqual(
    batch.records.map((r) => r.externalId),
    ['N1'],
  );
  assert.equal(batch.problems?.[0]?.field, 'hireDate', 'X2 (bad date) is named, not emitted');
  assert.equal(batch.complete, true);
});

test('an unreachable URL says why (the refused connection), not only "fetch failed"', async () => {
  const port = await closedPort();
  const src = new WorkdaySource(config({ url: `http://127.0.0.1:${port}/ccx/service/acme` }), {
    secret: 'pw',
    clock: () => NOW,
    backoffMs: 1,
    attempts: 1,
  });
  await assert.rejects(src.readAll(), (err: unknown) => {
    assert.ok(err instanceof CallsignError);
    assert.equal(err.code, 'unavailable');
    assert.match(err.message, /^workday: page 1: fetch failed: .*ECONNREFUSED 127\.0\.0\.1:\d+/);
    return true;
  });
});

async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}
