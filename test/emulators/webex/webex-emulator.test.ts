/**
 * The emulator answers as the Webex People API documents: bearer auth, unique email, location
 * and licence references, calling needing a licence and a location, whole-person PUT, 429 with
 * Retry-After, a create that happens but answers 500, and Link rel="next" paging. Requests are
 * plain fetch calls, independent of the connector's client.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { WebexEmulator } from './webex-emulator.ts';

describe('Webex People emulator', () => {
  let emu: WebexEmulator;
  let base: string;

  before(async () => {
    emu = new WebexEmulator();
    base = await emu.start();
  });
  after(() => emu.stop());
  beforeEach(() => {
    emu.org.people.clear();
    emu.requests.length = 0;
    emu.throttle.count = 0;
    emu.failAfterCreate.count = 0;
  });

  async function call(method: string, path: string, body?: unknown, token = 'good-token') {
    const res = await fetch(base + path, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const json = text === '' ? undefined : (JSON.parse(text) as Record<string, any>);
    return { status: res.status, json, headers: res.headers };
  }
  const jane = (over: Record<string, unknown> = {}) => ({
    emails: ['jane@example.com'],
    displayName: 'Jane Doe',
    firstName: 'Jane',
    lastName: 'Doe',
    extension: '1001',
    locationId: 'LOC-NYC',
    licenses: ['LIC-MSG', 'LIC-CALL'],
    ...over,
  });

  it('refuses a missing or wrong bearer token with a Webex error body', async () => {
    const bad = await call('GET', '/v1/people', undefined, 'stale');
    assert.equal(bad.status, 401);
    assert.match(bad.json?.message, /valid access token/);
    assert.match(bad.json?.errors?.[0]?.description, /access token/);
    assert.match(bad.json?.trackingId, /^ROUTER_/);
    const none = await fetch(`${base}/v1/people`);
    assert.equal(none.status, 401);
  });

  it('creates a calling person; calling data shows only with callingData=true', async () => {
    const made = await call('POST', '/v1/people?callingData=true', jane());
    assert.equal(made.status, 200);
    assert.equal(made.json?.extension, '1001');
    assert.equal(made.json?.locationId, 'LOC-NYC');

    const plain = await call('GET', `/v1/people/${made.json?.id}`);
    assert.equal(plain.json?.extension, undefined);
    assert.equal(plain.json?.locationId, undefined);
    const full = await call('GET', `/v1/people/${made.json?.id}?callingData=true`);
    assert.deepEqual(full.json?.phoneNumbers, [{ type: 'work_extension', value: '1001' }]);
  });

  it('keeps email unique, case-insensitively (409)', async () => {
    assert.equal((await call('POST', '/v1/people', jane())).status, 200);
    const again = await call('POST', '/v1/people', jane({ emails: ['JANE@example.com'] }));
    assert.equal(again.status, 409);
    assert.match(again.json?.message, /already exists/);
  });

  it('checks location and licence references and the calling prerequisites', async () => {
    const loc = await call('POST', '/v1/people', jane({ locationId: 'LOC-MARS' }));
    assert.equal(loc.status, 400);
    assert.match(loc.json?.errors?.[0]?.description, /locationId: location LOC-MARS/);

    const lic = await call('POST', '/v1/people', jane({ licenses: ['LIC-NOPE'] }));
    assert.equal(lic.status, 400);
    assert.match(lic.json?.message, /License LIC-NOPE/);

    const unlicensed = await call('POST', '/v1/people', jane({ licenses: ['LIC-MSG'] }));
    assert.equal(unlicensed.status, 400);
    assert.match(unlicensed.json?.message, /Calling license is required/);

    const nowhere = await call('POST', '/v1/people', jane({ locationId: undefined }));
    assert.equal(nowhere.status, 400);
    assert.match(nowhere.json?.message, /locationId is required/);

    const unknown = await call('POST', '/v1/people', jane({ favouriteColour: 'red' }));
    assert.equal(unknown.status, 400);
    assert.match(unknown.json?.message, /favouriteColour/);
    assert.equal(emu.org.people.size, 0);
  });

  it('keeps numbers unique: a work number or an extension in the same location', async () => {
    await call(
      'POST',
      '/v1/people',
      jane({ phoneNumbers: [{ type: 'work', value: '+12125550100' }] }),
    );
    const ext = await call('POST', '/v1/people', jane({ emails: ['bob@example.com'] }));
    assert.equal(ext.status, 409);
    assert.match(ext.json?.message, /Extension 1001/);
    const did = await call(
      'POST',
      '/v1/people',
      jane({
        emails: ['bob@example.com'],
        extension: '1002',
        phoneNumbers: [{ type: 'work', value: '+12125550100' }],
      }),
    );
    assert.equal(did.status, 409);
    const elsewhere = await call(
      'POST',
      '/v1/people',
      jane({ emails: ['bob@example.com'], locationId: 'LOC-LON' }),
    );
    assert.equal(elsewhere.status, 200, 'the same extension in another location is fine');
  });

  it('PUT replaces the whole person; locationId of a calling user cannot change', async () => {
    const made = await call('POST', '/v1/people', jane({ title: 'Engineer' }));
    const id = made.json?.id as string;
    const put = await call('PUT', `/v1/people/${id}`, jane({ displayName: 'Jane D.' }));
    assert.equal(put.status, 200);
    assert.equal(emu.org.people.get(id)?.displayName, 'Jane D.');
    assert.equal(emu.org.people.get(id)?.title, undefined, 'title left out: cleared');

    const moved = await call('PUT', `/v1/people/${id}`, jane({ locationId: 'LOC-LON' }));
    assert.equal(moved.status, 400);
    assert.match(moved.json?.message, /cannot be changed/);
  });

  it('answers 429 with Retry-After on demand, then serves again', async () => {
    emu.throttle = { count: 1, retryAfterSeconds: 7 };
    const first = await call('GET', '/v1/people');
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '7');
    assert.equal((await call('GET', '/v1/people')).status, 200);
  });

  it('can store a created person and still answer 500', async () => {
    emu.failAfterCreate = { count: 1, status: 500 };
    const made = await call('POST', '/v1/people', jane());
    assert.equal(made.status, 500);
    assert.ok(made.json?.message);
    const found = await call('GET', '/v1/people?email=jane%40example.com');
    assert.equal(found.json?.items.length, 1);
  });

  it('pages with Link rel="next" until every person is seen once', async () => {
    for (let i = 0; i < 5; i += 1) {
      await call('POST', '/v1/people', { emails: [`p${i}@example.com`], displayName: `P ${i}` });
    }
    const seen: string[] = [];
    let next: string | undefined = `${base}/v1/people?max=2`;
    let pages = 0;
    while (next !== undefined) {
      const res: Response = await fetch(next, { headers: { Authorization: 'Bearer good-token' } });
      const body = (await res.json()) as { items: { emails: string[] }[] };
      seen.push(...body.items.map((p) => p.emails[0]!));
      next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      pages += 1;
    }
    assert.equal(pages, 3);
    assert.deepEqual(
      seen.sort(),
      ['p0', 'p1', 'p2', 'p3', 'p4'].map((p) => `${p}@example.com`),
    );
  });

  it('deletes a person: 204, then 404', async () => {
    const made = await call('POST', '/v1/people', jane());
    assert.equal((await call('DELETE', `/v1/people/${made.json?.id}`)).status, 204);
    const again = await call('DELETE', `/v1/people/${made.json?.id}`);
    assert.equal(again.status, 404);
    assert.match(again.json?.message, /not found/);
  });
});
