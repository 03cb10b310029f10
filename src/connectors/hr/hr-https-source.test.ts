import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { HrHttpsSourceConfig } from '../../core/config-hr-https.ts';
import { CallsignError } from '../../core/errors.ts';
import { makeTestCa, type TestCa } from '../../lab/test-ca.ts';
import {
  startQasEmulator,
  type QasEmulator,
} from '../../../test/emulators/peoplesoft/qas-emulator.ts';
import {
  startRaasEmulator,
  type RaasEmulator,
  type ReportRow,
} from '../../../test/emulators/workday-raas/raas-emulator.ts';
import { HrHttpsSource } from './hr-https-source.ts';
import { jsonRows } from './hr-https-read.ts';
import { HR_HEADER, hrConfig } from './test-kit.ts';

const COLUMNS = HR_HEADER.split(',');
const PASSWORD = 'report-user-secret';

function worker(id: string, extra: Partial<ReportRow> = {}): ReportRow {
  return {
    'Worker ID': id,
    Status: 'Active',
    Type: 'Regular',
    Email: `${id.toLowerCase()}@example.com`,
    First: 'Ada',
    Last: `Worker ${id}`,
    'Hire Date': '2031-02-01',
    'Termination Date': '',
    Country: 'GB',
    Phone: '',
    Manager: '',
    ...extra,
  };
}

const ROWS: ReportRow[] = [
  worker('W1'),
  worker('W2', { 'Hire Date': '2031-02-30' }),
  worker('W3', { Country: 'UK', Status: 'Leave' }),
];

let ca: TestCa;
let raas: RaasEmulator;
let qas: QasEmulator;
let qasRows: Record<string, string>[] = ROWS;

before(async () => {
  ca = await makeTestCa();
  raas = await startRaasEmulator({
    ca,
    tenant: 'acme',
    owner: 'isu_callsign',
    report: 'Callsign_Workers',
    username: 'isu_callsign',
    password: PASSWORD,
    columns: COLUMNS,
    rows: () => ROWS,
  });
  qas = await startQasEmulator({
    ca,
    node: 'PSFT_HR',
    username: 'CALLSIGN',
    password: PASSWORD,
    queries: { CS_WORKERS: () => qasRows },
  });
});

after(async () => {
  await raas.close();
  await qas.close();
  ca.remove();
});

function raasConfig(over: Partial<HrHttpsSourceConfig> = {}): HrHttpsSourceConfig {
  const { type: _t, path: _p, ...mapping } = hrConfig('', 'workday');
  return {
    ...mapping,
    type: 'hr-https',
    feed: 'workday-raas',
    url: raas.url,
    format: 'json',
    maxRows: 100_000,
    username: 'isu_callsign',
    password: 'env:UNUSED',
    tlsCa: ca.caFile,
    timeoutMs: 2_000,
    ...over,
  };
}

function qasConfig(over: Partial<HrHttpsSourceConfig> = {}): HrHttpsSourceConfig {
  return raasConfig({
    feed: 'peoplesoft-qas',
    url: qas.url,
    query: 'CS_WORKERS',
    owner: 'PUBLIC',
    username: 'CALLSIGN',
    ...over,
  });
}

async function refusal(source: HrHttpsSource): Promise<CallsignError> {
  const err = await source.readAll().then(
    () => assert.fail('the read should have been refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CallsignError, String(err));
  return err;
}

function checkRows(snapshot: Awaited<ReturnType<HrHttpsSource['readAll']>>) {
  assert.equal(snapshot.complete, true);
  assert.deepEqual(
    snapshot.records.map((r) => r.externalId),
    ['W1', 'W3'],
  );
  // W2's 30 February holds the row, named with its field.
  const held = snapshot.problems.find((p) => p.outcome === 'held');
  assert.equal(held?.field, 'hireDate');
  assert.match(held?.record ?? '', /W2/);
  assert.deepEqual(snapshot.heldIds, ['W2']);
  const w3 = snapshot.records.find((r) => r.externalId === 'W3');
  assert.equal(w3?.attributes.country, 'GB');
  assert.equal(w3?.attributes.onLeave, true);
  assert.equal(w3?.attributes.startDate, '2031-01-29');
}

test('Workday RaaS JSON: Report_Entry rows go through the HR row checks', async () => {
  const source = new HrHttpsSource(raasConfig(), { password: PASSWORD });
  const snapshot = await source.readAll();
  checkRows(snapshot);
  assert.match(snapshot.problems.find((p) => p.outcome === 'held')?.record ?? '', /^entry 2/);
  assert.deepEqual(raas.requests.at(-1), { format: 'json', authorized: true });
});

test('Workday RaaS CSV: the same rows, named by line', async () => {
  const source = new HrHttpsSource(raasConfig({ format: 'csv' }), { password: PASSWORD });
  const snapshot = await source.readAll();
  checkRows(snapshot);
  assert.match(snapshot.problems.find((p) => p.outcome === 'held')?.record ?? '', /^line 3/);
  assert.equal(raas.requests.at(-1)?.format, 'csv');
});

test('Workday RaaS: a wrong password is an auth error and reads nothing', async () => {
  const err = await refusal(new HrHttpsSource(raasConfig(), { password: 'wrong' }));
  assert.equal(err.code, 'auth');
  assert.match(err.message, /answered 401/);
  assert.doesNotMatch(err.message, /wrong|secret/);
});

test('Workday RaaS: an HTTP 500 leaves the source unread', async () => {
  raas.failNext(500);
  const err = await refusal(new HrHttpsSource(raasConfig(), { password: PASSWORD }));
  assert.equal(err.code, 'unavailable');
  assert.match(err.message, /answered 500.*nothing read/);
});

for (const format of ['json', 'csv'] as const) {
  test(`Workday RaaS ${format}: a body cut mid-way is an incomplete read, not a short one`, async () => {
    raas.cutNext(format === 'json' ? 250 : 200);
    const err = await refusal(new HrHttpsSource(raasConfig({ format }), { password: PASSWORD }));
    assert.equal(err.code, 'incomplete');
    assert.match(err.message, /stopped early.*read incomplete/);
  });
}

test('Workday RaaS: a server that goes silent mid-body times out as incomplete', async () => {
  raas.stallNext(120);
  const source = new HrHttpsSource(raasConfig({ timeoutMs: 300 }), { password: PASSWORD });
  const err = await refusal(source);
  assert.equal(err.code, 'incomplete');
  assert.match(err.message, /no data for 300 ms/);
});

test('Workday RaaS: a certificate from another CA is refused', async () => {
  const other = await makeTestCa({ name: 'Other CA' });
  try {
    const err = await refusal(
      new HrHttpsSource(raasConfig({ tlsCa: other.caFile }), { password: PASSWORD }),
    );
    assert.equal(err.code, 'unavailable');
    assert.match(err.message, /certificate/);
  } finally {
    other.remove();
  }
});

test('JSON rows are handed over as they arrive, before the body ends', async () => {
  const handed: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((ok) => (release = ok));
  async function* body() {
    yield Buffer.from('{"Report_Entry":[{"Worker ID":"W1"},');
    await gate;
    handed.push('second chunk');
    yield Buffer.from('{"Worker ID":"W2"}]}');
  }
  const rows = jsonRows(body(), 'test', 'Report_Entry');
  const first = await rows.next();
  handed.push(`row ${first.done ? '' : first.value.values['Worker ID']}`);
  release();
  for await (const row of rows) handed.push(`row ${row.values['Worker ID']}`);
  assert.deepEqual(handed, ['row W1', 'second chunk', 'row W2']);
});

test('JSON without the expected list is refused (a changed report is not "nobody")', async () => {
  async function* body() {
    yield Buffer.from('{"Report_Data":[]}');
  }
  const read = async () => {
    for await (const _ of jsonRows(body(), 'source wd', 'Report_Entry')) void _;
  };
  await assert.rejects(read, /no Report_Entry list/);
  async function* empty() {
    yield Buffer.from('{"Report_Entry":[]}');
  }
  let n = 0;
  for await (const _ of jsonRows(empty(), 'source wd', 'Report_Entry')) n++;
  assert.equal(n, 0);
});

test('PeopleSoft QAS: ExecuteQuery JSON rows, attr:rownumber left out', async () => {
  qasRows = ROWS;
  const source = new HrHttpsSource(qasConfig(), { password: PASSWORD });
  const snapshot = await source.readAll();
  checkRows(snapshot);
  const last = qas.requests.at(-1);
  assert.equal(last?.path.endsWith('/ExecuteQuery.v1/PUBLIC/CS_WORKERS/JSON/NONFILE'), true);
  assert.equal(last?.maxrows, '100001');
  assert.equal(last?.authorized, true);
  assert.equal('attr:rownumber' in (snapshot.records[0]?.attributes ?? {}), false);
});

test('PeopleSoft QAS: more rows than maxRows is an incomplete read', async () => {
  qasRows = Array.from({ length: 5 }, (_, i) => worker(`W${i + 1}`));
  const err = await refusal(new HrHttpsSource(qasConfig({ maxRows: 4 }), { password: PASSWORD }));
  assert.equal(err.code, 'incomplete');
  assert.match(err.message, /more than maxRows \(4\)/);
  assert.equal(qas.requests.at(-1)?.maxrows, '5');
  // Exactly maxRows rows is a complete answer.
  const ok = await new HrHttpsSource(qasConfig({ maxRows: 5 }), { password: PASSWORD }).readAll();
  assert.equal(ok.records.length, 5);
});

test('PeopleSoft QAS: a cut body, a wrong password, an unknown query', async () => {
  qasRows = ROWS;
  qas.cutNext(150);
  let err = await refusal(new HrHttpsSource(qasConfig(), { password: PASSWORD }));
  assert.equal(err.code, 'incomplete');
  err = await refusal(new HrHttpsSource(qasConfig(), { password: 'nope' }));
  assert.equal(err.code, 'auth');
  err = await refusal(new HrHttpsSource(qasConfig({ query: 'NO_SUCH' }), { password: PASSWORD }));
  assert.equal(err.code, 'not_found');
  assert.match(err.message, /NO_SUCH does not exist/);
});
