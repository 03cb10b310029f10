/**
 * The emulator behaves as the Table API documentation says where Callsign depends on it: basic
 * auth, encoded queries, paging with X-Total-Count and Link, references as sys_ids (a display
 * value is refused unless sysparm_input_display_value=true), work notes as journal entries,
 * 429 with Retry-After, and a write committed while its answer is lost.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ServiceNowEmulator } from './servicenow-emulator.ts';

const sn = new ServiceNowEmulator();
let base = '';
const auth = `Basic ${Buffer.from('callsign:secret').toString('base64')}`;
const call = (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: auth, 'content-type': 'application/json', ...init.headers },
  });
let group = '';
let user = '';

before(async () => {
  base = await sn.start();
  group = sn.db.insert('sys_user_group', { name: 'Telecom Provisioning' }).sys_id!;
  user = sn.db.insert('sys_user', { name: 'Kim Lee', email: 'kim@example.org' }).sys_id!;
  const item = sn.db.insert('sc_cat_item', { name: 'New phone' }).sys_id!;
  for (let i = 0; i < 5; i++) sn.addRequest({ item, requestedFor: user, group });
});
after(() => sn.stop());

test('basic auth is required; a wrong password answers 401 in the error shape', async () => {
  const res = await fetch(`${base}/api/now/table/sc_task`, {
    headers: { authorization: `Basic ${Buffer.from('callsign:nope').toString('base64')}` },
  });
  assert.equal(res.status, 401);
  const body = (await res.json()) as { error: { message: string }; status: string };
  assert.equal(body.status, 'failure');
  assert.equal(body.error.message, 'User Not Authenticated');
});

test('paging: X-Total-Count, Link next until the last page, ORDERBY and a filter', async () => {
  const seen: string[] = [];
  let path: string | undefined =
    `/api/now/table/sc_task?sysparm_query=assignment_group=${group}^ORDERBYnumber` +
    '&sysparm_limit=2&sysparm_fields=number';
  let pages = 0;
  while (path !== undefined) {
    const res = await call(path);
    assert.equal(res.headers.get('x-total-count'), '5');
    const body = (await res.json()) as { result: { number: string }[] };
    seen.push(...body.result.map((r) => r.number));
    const next = /<([^>]+)>;rel="next"/.exec(res.headers.get('link') ?? '');
    path = next ? next[1]!.slice(base.length) : undefined;
    pages++;
  }
  assert.equal(pages, 3);
  assert.deepEqual(seen, [...seen].sort());
  assert.equal(new Set(seen).size, 5);
  const none = await call('/api/now/table/sc_task?sysparm_query=state=3');
  assert.equal(((await none.json()) as { result: unknown[] }).result.length, 0);
});

test('a display value for a reference is refused unless input display values are on', async () => {
  const task = sn.db.query('sc_task', 'ORDERBYnumber')[0]!;
  const body = JSON.stringify({ assignment_group: 'Telecom Provisioning', state: '3' });
  const refused = await call(`/api/now/table/sc_task/${task.sys_id}`, { method: 'PATCH', body });
  assert.equal(refused.status, 400);
  const error = (await refused.json()) as { error: { message: string; detail: string } };
  assert.match(error.error.detail, /assignment_group: "Telecom Provisioning" is not a sys_id/);
  assert.equal(sn.db.get('sc_task', task.sys_id!)!.state, '1', 'nothing changed');

  const byName = await call(
    `/api/now/table/sc_task/${task.sys_id}?sysparm_input_display_value=true`,
    { method: 'PATCH', body },
  );
  assert.equal(byName.status, 200);
  assert.equal(sn.db.get('sc_task', task.sys_id!)!.assignment_group, group);
  assert.equal(sn.db.get('sc_task', task.sys_id!)!.active, 'false', 'closed tasks go inactive');
});

test('work notes are appended as journal entries: a repeated note shows twice', async () => {
  const task = sn.db.query('sc_task', 'ORDERBYnumber')[1]!;
  const body = JSON.stringify({ work_notes: 'Extension 4000 assigned', state: '2' });
  await call(`/api/now/table/sc_task/${task.sys_id}`, { method: 'PATCH', body });
  await call(`/api/now/table/sc_task/${task.sys_id}`, { method: 'PATCH', body });
  assert.equal(sn.db.journal(task.sys_id!).length, 2);
  const res = await call(
    `/api/now/table/sc_task/${task.sys_id}?sysparm_display_value=true&sysparm_fields=work_notes`,
  );
  const notes = ((await res.json()) as { result: { work_notes: string } }).result.work_notes;
  assert.equal(notes.match(/Extension 4000 assigned/g)?.length, 2);
  const q = `element_id=${task.sys_id}^element=work_notes`;
  const journal = await call(`/api/now/table/sys_journal_field?sysparm_query=${q}`);
  assert.equal(((await journal.json()) as { result: unknown[] }).result.length, 2);
});

test('429 with Retry-After on demand; drop-after-commit commits and cuts the answer', async () => {
  sn.throttleRequests = 1;
  sn.retryAfterSeconds = 7;
  const throttled = await call('/api/now/table/sc_task');
  assert.equal(throttled.status, 429);
  assert.equal(throttled.headers.get('retry-after'), '7');
  assert.equal((await call('/api/now/table/sc_task')).status, 200);

  const task = sn.db.query('sc_task', 'ORDERBYnumber')[2]!;
  sn.dropWriteAnswers = 1;
  const body = JSON.stringify({ work_notes: 'dropped answer', state: '2' });
  await assert.rejects(call(`/api/now/table/sc_task/${task.sys_id}`, { method: 'PATCH', body }));
  assert.equal(sn.db.get('sc_task', task.sys_id!)!.state, '2', 'the write was committed');
  assert.equal(sn.db.journal(task.sys_id!).length, 1);
});

test('a record that does not exist answers 404 in the error shape', async () => {
  const res = await call(`/api/now/table/sys_user/${'0'.repeat(32)}`);
  assert.equal(res.status, 404);
  const body = (await res.json()) as { error: { message: string }; status: string };
  assert.deepEqual([body.error.message, body.status], ['No Record found', 'failure']);
  assert.equal(user.length, 32);
});
