/**
 * The emulator answers as CUPI documents: Basic auth and roles, JSON only when asked for,
 * templates, unique alias and extension, errors in CUPI's shape, paging with `@total`, and the
 * faults tests steer (503, latency, commit-then-drop, non-JSON). Requests here are hand-written
 * with fetch, independent of the connector's client.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { CucEmulator } from './cuc-emulator.ts';

const basic = (user: string, pw: string) =>
  `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const AUTH = basic('cupiadmin', 'secret');

describe('Unity Connection CUPI emulator', () => {
  let emu: CucEmulator;
  let base: string;

  before(async () => {
    emu = new CucEmulator({
      accounts: [
        { username: 'cupiadmin', password: 'secret' },
        { username: 'helpdesk', password: 'pw', admin: false },
      ],
    });
    base = await emu.start();
  });
  after(() => emu.stop());
  beforeEach(() => {
    emu.db.users.clear();
    emu.requests.length = 0;
    emu.latencyMs = 0;
  });

  async function call(method: string, path: string, opts: CallOptions = {}) {
    const headers: Record<string, string> = { Authorization: opts.auth ?? AUTH };
    if (opts.accept !== null) headers.Accept = opts.accept ?? 'application/json';
    if (opts.body !== undefined) headers['Content-Type'] = opts.type ?? 'application/json';
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const res = await fetch(`${base}${path}`, { method, headers, ...(body ? { body } : {}) });
    const text = await res.text();
    const json = res.headers.get('content-type') === 'application/json' ? JSON.parse(text) : null;
    return { status: res.status, text, json, headers: res.headers };
  }
  const create = (body: Record<string, unknown>, template = 'voicemailusertemplate') =>
    call('POST', `/users?templateAlias=${template}`, { body });
  const idOf = (location: string | null) => String(location).split('/').pop()!;

  it('creates from a template: 201 with Location, then GET answers the fields', async () => {
    const created = await create({ Alias: 'jdoe', DtmfAccessId: '1001', FirstName: 'Jane' });
    assert.equal(created.status, 201);
    const location = created.headers.get('location');
    assert.match(String(location), /^http:\/\/127\.0\.0\.1:\d+\/vmrest\/users\/[0-9a-f-]{36}$/);

    const got = await call('GET', `/users/${idOf(location)}`);
    assert.equal(got.status, 200);
    assert.equal(got.json.Alias, 'jdoe');
    assert.equal(got.json.DtmfAccessId, '1001');
    assert.equal(got.json.FirstName, 'Jane');
    assert.equal(emu.db.users.get(idOf(location))?.template, 'voicemailusertemplate');
  });

  it('answers a missing template, missing alias and unknown field with a CUPI error', async () => {
    const noTemplate = await create({ Alias: 'jdoe' }, 'nosuchtemplate');
    assert.equal(noTemplate.status, 400);
    assert.equal(noTemplate.json.errors.code, 'INVALID_PARAMETER');
    assert.match(noTemplate.json.errors.message, /Template nosuchtemplate not found/);

    assert.equal((await create({ DtmfAccessId: '1001' })).json.errors.code, 'MISSING_PARAMETER');
    const unknown = await create({ Alias: 'jdoe', Pin: '1234' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.errors.message, /Unknown or read-only field Pin/);
    assert.equal(emu.db.users.size, 0);
  });

  it('keeps alias (without case) and DtmfAccessId unique, on create and on update', async () => {
    await create({ Alias: 'jdoe', DtmfAccessId: '1001' });
    const alias = await create({ Alias: 'JDoe', DtmfAccessId: '1002' });
    assert.equal(alias.status, 400);
    assert.equal(alias.json.errors.code, 'DUPLICATE_OBJECT');
    assert.match(alias.json.errors.message, /^Alias JDoe/);

    const ext = await create({ Alias: 'asmith', DtmfAccessId: '1001' });
    assert.equal(ext.json.errors.code, 'DUPLICATE_OBJECT');
    assert.match(ext.json.errors.message, /^DtmfAccessId 1001 is already in use/);

    const other = await create({ Alias: 'asmith', DtmfAccessId: '1003' });
    const put = await call('PUT', `/users/${idOf(other.headers.get('location'))}`, {
      body: { DtmfAccessId: '1001' },
    });
    assert.equal(put.status, 400);
    assert.equal(put.json.errors.code, 'DUPLICATE_OBJECT');
    assert.equal(emu.db.byAlias('asmith')?.fields.DtmfAccessId, '1003');
  });

  it('checks credentials, role, Accept and Content-Type', async () => {
    assert.equal((await call('GET', '/users', { auth: basic('cupiadmin', 'wrong') })).status, 401);
    const helpdesk = await call('GET', '/users', { auth: basic('helpdesk', 'pw') });
    assert.equal(helpdesk.status, 403);
    assert.match(String(helpdesk.headers.get('content-type')), /text\/html/);

    const xml = await call('GET', '/users', { accept: null });
    assert.equal(xml.status, 200);
    assert.match(xml.text, /^<\?xml/);
    const form = await call('POST', '/users?templateAlias=voicemailusertemplate', {
      body: { Alias: 'jdoe' },
      type: 'application/x-www-form-urlencoded',
    });
    assert.equal(form.status, 415);
    assert.equal(emu.db.users.size, 0);
  });

  it('queries and pages: one match is an object, several an array, none only @total', async () => {
    for (const [alias, ext] of [
      ['c', '3'],
      ['a', '1'],
      ['b', '2'],
    ]) {
      await create({ Alias: alias!, DtmfAccessId: `10${ext}` });
    }
    const one = await call('GET', '/users?query=(alias%20is%20A)');
    assert.equal(one.json['@total'], '1');
    assert.equal(Array.isArray(one.json.User), false);
    assert.equal(one.json.User.Alias, 'a');
    assert.equal(one.json.User.EmailAddress, undefined, 'lists answer summary fields only');

    const byExt = await call('GET', '/users?query=(dtmfaccessid%20is%20102)');
    assert.equal(byExt.json.User.Alias, 'b');
    assert.deepEqual((await call('GET', '/users?query=(alias%20is%20zz)')).json, { '@total': '0' });

    const page2 = await call('GET', '/users?rowsPerPage=2&pageNumber=2');
    assert.equal(page2.json['@total'], '3');
    assert.equal(page2.json.User.Alias, 'c');
    const page1 = await call('GET', '/users?rowsPerPage=2&pageNumber=1');
    assert.deepEqual(
      page1.json.User.map((u: { Alias: string }) => u.Alias),
      ['a', 'b'],
    );
    assert.equal((await call('GET', '/users?query=(nosuch%20is%201)')).status, 400);
  });

  it('sets a PIN of digits that meets the policy; refuses others', async () => {
    const id = idOf((await create({ Alias: 'jdoe' })).headers.get('location'));
    const pin = (value: string) =>
      call('PUT', `/users/${id}/credential/pin`, { body: { Credentials: value } });
    assert.equal((await pin('12ab56')).status, 400);
    const short = await pin('123');
    assert.equal(short.status, 400);
    assert.match(short.json.errors.message, /at least 6 digits/);
    assert.equal(emu.db.users.get(id)?.pin, undefined);
    for (const trivial of ['777777', '345678', '210987']) {
      assert.equal((await pin(trivial)).status, 400, `${trivial} is trivial`);
    }
    assert.equal((await pin('482913')).status, 204);
    assert.equal(emu.db.users.get(id)?.pin, '482913');
  });

  it('deletes, then answers 404 NOT_FOUND', async () => {
    const id = idOf((await create({ Alias: 'jdoe' })).headers.get('location'));
    assert.equal((await call('DELETE', `/users/${id}`)).status, 204);
    const again = await call('DELETE', `/users/${id}`);
    assert.equal(again.status, 404);
    assert.equal(again.json.errors.code, 'NOT_FOUND');
  });

  it('throttles, delays, drops after commit and answers HTML on demand', async () => {
    emu.throttleRequests = 1;
    emu.retryAfterSeconds = 2;
    const busy = await create({ Alias: 'jdoe' });
    assert.equal(busy.status, 503);
    assert.equal(busy.headers.get('retry-after'), '2');
    assert.equal(emu.db.users.size, 0, 'a throttled request does not run');

    emu.latencyMs = 120;
    const started = Date.now();
    assert.equal((await call('GET', '/users')).status, 200);
    assert.ok(Date.now() - started >= 110, 'the answer waited for the latency');
    emu.latencyMs = 0;

    emu.dropWriteAnswers = 1;
    await assert.rejects(create({ Alias: 'jdoe', DtmfAccessId: '1001' }));
    assert.equal(emu.db.byAlias('jdoe')?.fields.DtmfAccessId, '1001', 'committed before drop');

    emu.notJsonAnswers = 1;
    const html = await call('GET', '/users');
    assert.equal(html.status, 200);
    assert.match(String(html.headers.get('content-type')), /text\/html/);
  });
});

interface CallOptions {
  auth?: string;
  /** null: no Accept header. */
  accept?: string | null;
  body?: Record<string, unknown>;
  type?: string;
}
