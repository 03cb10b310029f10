/**
 * The API twins of `numbers pin|unpin|emergency`: a pin of a number someone else holds answers
 * 409 naming both people, the emergency data is checked (400 naming the field) and comes back
 * on the number, and the OpenAPI description lists the routes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { syncedApiFixture, type Fixture } from './test-fixture.ts';

describe('API number pins and emergency data', () => {
  let f: Fixture;
  before(async () => {
    f = await syncedApiFixture();
  });
  after(() => f.close());

  it('pins a free number; refuses one assigned to someone else, naming both', async () => {
    const [first, second] = await f.engine.store.listPeople();
    const held = (await f.engine.store.numbersOf(first!.id)).find((n) => n.kind === 'did')!;

    const ok = await f.call('POST', '/api/v1/numbers/sfo-did/+14155553900/pin', {
      token: f.bearer.write,
      body: { personId: second!.id },
    });
    assert.equal(ok.status, 200);
    const body = await ok.json();
    assert.deepEqual([body.state, body.pinnedTo], ['reserved', second!.id]);

    const taken = await f.call('POST', `/api/v1/numbers/nyc-did/${held.value}/pin`, {
      token: f.bearer.write,
      body: { personId: second!.id },
    });
    assert.equal(taken.status, 409);
    const error = JSON.stringify(await taken.json());
    assert.ok(
      error.includes(`person ${second!.id}`) && error.includes(`person ${first!.id}`),
      error,
    );

    const read = await f.call('POST', '/api/v1/numbers/sfo-did/+14155553900/unpin', {
      token: f.bearer.read,
      body: { reason: 'x' },
    });
    assert.equal(read.status, 403, 'a read token cannot unpin');
    const unpin = await f.call('POST', '/api/v1/numbers/sfo-did/+14155553900/unpin', {
      token: f.bearer.write,
      body: { reason: 'desk moved' },
    });
    assert.equal((await unpin.json()).state, 'available');
  });

  it('sets, checks and clears emergency data', async () => {
    const path = '/api/v1/numbers/nyc-did/+12125552901/emergency';
    const set = await f.call('POST', path, {
      token: f.bearer.write,
      body: { location: 'Floor 3', elin: '(212) 555-2999' },
    });
    assert.equal(set.status, 200);
    assert.deepEqual((await set.json()).emergency, { location: 'Floor 3', elin: '+12125552999' });

    const bad = await f.call('POST', path, {
      token: f.bearer.write,
      body: { callback: '+33 1 23 45 67 89' },
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /callback: .*region FR, not US/);

    const clear = await f.call('POST', path, { token: f.bearer.write, body: { clear: true } });
    assert.equal((await clear.json()).emergency, undefined);
    const audit = await f.engine.store.queryAudit({ action: 'number.emergency' });
    assert.equal(audit.length, 2);
  });

  it('lists the routes in the OpenAPI description', async () => {
    const doc = await (await f.call('GET', '/api/v1/openapi.json')).json();
    for (const verb of ['pin', 'unpin', 'emergency']) {
      assert.ok(doc.paths[`/api/v1/numbers/{pool}/{value}/${verb}`], verb);
    }
  });
});
