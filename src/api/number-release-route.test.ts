/**
 * POST /numbers/{pool}/{value}/release answers as `numbers release` does: 409 while the holder
 * is active (the next sync would give it back) or a resource still carries it; nothing changes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { syncedApiFixture, type Fixture } from './test-fixture.ts';

let f: Fixture;
before(async () => {
  f = await syncedApiFixture();
});
after(() => f.close());

test('releasing an active person’s number is refused with 409 and changes nothing', async () => {
  const [held] = await f.engine.store.searchNumbers({ pool: 'nyc-ext', state: 'assigned' });
  assert.ok(held, 'the sync assigned an extension');
  const res = await f.call('POST', `/api/v1/numbers/nyc-ext/${held.value}/release`, {
    token: f.bearer.write,
    body: { reason: 'reclaim' },
  });
  assert.equal(res.status, 409);
  const body = (await res.json()) as { error: { message: string } };
  assert.match(body.error.message, /still uses it|next sync would give it back/);
  const [after] = await f.engine.store.searchNumbers({ pool: 'nyc-ext', value: held.value });
  assert.equal(after?.state, 'assigned');
});
