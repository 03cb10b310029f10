/**
 * The Get_Workers emulator keeps to the published shapes the source relies on: paging with
 * Response_Results, Response_Group honoured, faults for credentials, Count and Page, the
 * transaction log window, a failing page and throttling.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { envelope, parseSoap, node, textOf } from '../../../src/connectors/workday/workday-xml.ts';
import {
  startWorkersEmulator,
  type EmuWorker,
  type WorkersEmulator,
} from './workday-workers-emulator.ts';

const workers: EmuWorker[] = Array.from({ length: 25 }, (_, i) => ({
  id: `E${i + 1}`,
  firstName: `F${i + 1}`,
  lastName: 'L',
  email: `e${i + 1}@example.org`,
  active: true,
  hireDate: '2024-01-10',
  updatedAt: i < 3 ? '2031-05-01T10:00:00Z' : '2031-01-01T00:00:00Z',
}));

let wd: WorkersEmulator;
before(async () => {
  wd = await startWorkersEmulator({ username: 'isu@acme', password: 'pw<&>', workers });
});
after(() => wd.close());

function request(page: number, count: number, extra = '', group = true): string {
  return (
    `<bsvc:Get_Workers_Request bsvc:version="v42.0"><bsvc:Request_Criteria>${extra}` +
    `</bsvc:Request_Criteria><bsvc:Response_Filter><bsvc:Page>${page}</bsvc:Page>` +
    `<bsvc:Count>${count}</bsvc:Count></bsvc:Response_Filter><bsvc:Response_Group>` +
    `<bsvc:Include_Reference>true</bsvc:Include_Reference>` +
    `<bsvc:Include_Personal_Information>${group}</bsvc:Include_Personal_Information>` +
    `</bsvc:Response_Group></bsvc:Get_Workers_Request>`
  );
}

async function post(body: string, password = 'pw<&>') {
  const res = await fetch(wd.url, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: envelope({ username: 'isu@acme', password, body }),
  });
  return { status: res.status, headers: res.headers, answer: parseSoap(await res.text()) };
}

function resultsOf(answer: ReturnType<typeof parseSoap>) {
  assert.ok('body' in answer);
  const r = node(answer.body, 'Get_Workers_Response');
  const res = node(r, 'Response_Results');
  const data = node(r, 'Response_Data')?.Worker;
  const list = Array.isArray(data) ? data : data === undefined ? [] : [data];
  return {
    total: textOf(res?.Total_Results),
    pages: textOf(res?.Total_Pages),
    pageResults: textOf(res?.Page_Results),
    page: textOf(res?.Page),
    workers: list as Record<string, unknown>[],
  };
}

test('pages carry Response_Results and the workers of that page only', async () => {
  const last = resultsOf((await post(request(3, 10))).answer);
  assert.deepEqual([last.total, last.pages, last.pageResults, last.page], ['25', '3', '5', '3']);
  const ids = last.workers.map((w) => textOf(node(w, 'Worker_Data')?.Worker_ID));
  assert.deepEqual(ids, ['E21', 'E22', 'E23', 'E24', 'E25']);
});

test('Response_Group leaves Personal_Data out unless asked', async () => {
  const without = resultsOf((await post(request(1, 5, '', false))).answer);
  assert.equal(node(without.workers[0], 'Worker_Data')?.Personal_Data, undefined);
  const withIt = resultsOf((await post(request(1, 5))).answer);
  assert.ok(node(withIt.workers[0], 'Worker_Data')?.Personal_Data !== undefined);
});

test('wrong password, Count over 999 and a page past the last are SOAP faults', async () => {
  const bad = await post(request(1, 10), 'nope');
  assert.equal(bad.status, 500);
  assert.ok('fault' in bad.answer && bad.answer.fault.code === 'Client.authenticationError');
  const count = await post(request(1, 1000));
  assert.ok('fault' in count.answer && count.answer.fault.code === 'Client.validationError');
  assert.match(count.answer.fault.xpath ?? '', /Count\[1\]$/);
  const past = await post(request(4, 10));
  assert.ok('fault' in past.answer && /past the last page/.test(past.answer.fault.message));
});

test('the transaction log window keeps workers whose entries fall inside it', async () => {
  const range =
    `<bsvc:Transaction_Log_Criteria_Data><bsvc:Transaction_Date_Range_Data>` +
    `<bsvc:Updated_From>2031-04-01T00:00:00Z</bsvc:Updated_From>` +
    `<bsvc:Updated_Through>2031-06-01T00:00:00Z</bsvc:Updated_Through>` +
    `</bsvc:Transaction_Date_Range_Data></bsvc:Transaction_Log_Criteria_Data>`;
  const r = resultsOf((await post(request(1, 100, range))).answer);
  assert.equal(r.total, '3');
});

test('a failing page and throttling happen on demand, then stop', async () => {
  wd.failPage(2, 1);
  const failed = await post(request(2, 10));
  assert.ok('fault' in failed.answer && failed.answer.fault.code === 'Server');
  assert.equal(resultsOf((await post(request(2, 10))).answer).page, '2');
  wd.throttle(1, 2);
  const slow = await post(request(1, 10));
  assert.equal(slow.status, 429);
  assert.equal(slow.headers.get('retry-after'), '2');
  assert.equal((await post(request(1, 10))).status, 200);
});
