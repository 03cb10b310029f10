import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { isLoopback, startServer, type RunningServer } from './server.ts';
import { apiFixture, type Fixture } from './test-fixture.ts';

describe('callsign serve (library)', () => {
  let f: Fixture;
  let server: RunningServer;
  before(async () => {
    f = await apiFixture();
    server = await startServer(f.engine, {
      api: { host: '127.0.0.1', port: 0 },
      poll: false,
      finalise: { everyMs: 50, settleMs: 0 },
    });
  });
  after(async () => {
    await server.stop();
    await f.close();
  });

  it('runs a journaled sync in the background and closes its run', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/api/v1/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.bearer.write}` },
    });
    assert.equal(res.status, 202);
    const { runId } = await res.json();

    let state = 'running';
    for (let i = 0; i < 100 && state === 'running'; i++) {
      await sleep(50);
      state = (await f.engine.store.getRun(runId))?.state ?? 'missing';
    }
    assert.equal(state, 'finished');
    assert.equal(await f.engine.store.countOpen(runId), 0);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^callsign_operations_total\{target="pbx",outcome="done"\} [1-9]\d*$/m);
    assert.match(metrics, /^callsign_source_last_read_age_seconds\{source="lab-ldap"\} /m);
  });

  it('tells loopback addresses from others', () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('10.0.0.1') && !isLoopback('::'));
  });
});
