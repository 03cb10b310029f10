import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Executor } from '../engine/executor.ts';
import { finaliseRuns } from '../engine/run-finaliser.ts';
import { apiFixture, type Fixture } from './test-fixture.ts';

describe('API routes', () => {
  let f: Fixture;
  let runId: string;
  let personId: string;
  before(async () => {
    f = await apiFixture();
  });
  after(() => f.close());

  const runQueue = () =>
    new Executor({
      store: f.engine.store,
      targets: f.engine.targets,
      handlers: f.engine.handlers,
      maxAttempts: 2,
      backoffBaseMs: 1,
      backoffMaxMs: 2,
      secrets: f.engine.vault,
    }).runUntilIdle();

  it('plans without touching the store', async () => {
    const res = await f.call('POST', '/api/v1/plans', { token: f.bearer.read });
    assert.equal(res.status, 200);
    const plan = await res.json();
    assert.equal(plan.mode, 'plan');
    assert.equal(plan.complete, true);
    assert.equal(plan.plans.length, 2);
    assert.deepEqual(await f.engine.store.listPeople(), []);
    const bad = await f.call('POST', '/api/v1/plans', { token: f.bearer.read, body: { x: 1 } });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.details.field, 'body.x');
  });

  it('says at the top when a source was cut short', async () => {
    const whole = f.engine.sources.get('lab-ldap')!;
    f.engine.sources.set('lab-ldap', {
      ...whole,
      readAll: async () => ({ ...(await whole.readAll()), complete: false }),
    });
    try {
      const res = await f.call('POST', '/api/v1/plans', { token: f.bearer.read });
      assert.equal(res.status, 200);
      const plan = await res.json();
      assert.equal(plan.complete, false);
      assert.equal(plan.sources[0].complete, false);
    } finally {
      f.engine.sources.set('lab-ldap', whole);
    }
  });

  it('journals a sync without running it; the finaliser closes the run', async () => {
    const res = await f.call('POST', '/api/v1/sync', { token: f.bearer.write });
    assert.equal(res.status, 202);
    const body = await res.json();
    runId = body.runId;
    assert.equal(body.state, 'running');
    assert.ok((await f.engine.store.countOpen(runId)) > 0, 'operations wait in the queue');

    await runQueue();
    assert.equal(await finaliseRuns(f.engine, 0), 1);
    const run = await (
      await f.call('GET', `/api/v1/runs/${runId}`, { token: f.bearer.read })
    ).json();
    assert.equal(run.run.state, 'finished');
    assert.ok(run.operations.done > 0);

    const quiet = await f.call('POST', '/api/v1/sync', { token: f.bearer.write });
    assert.equal(quiet.status, 200);
    assert.equal((await quiet.json()).runId, null);
  });

  it('lists runs and refuses a bad limit or an unknown run', async () => {
    const runs = await (
      await f.call('GET', '/api/v1/runs?limit=5', { token: f.bearer.read })
    ).json();
    assert.ok(runs.some((r: { id: string }) => r.id === runId));
    const bad = await f.call('GET', '/api/v1/runs?limit=abc', { token: f.bearer.read });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.details.field, 'limit');
    const missing = await f.call('GET', '/api/v1/runs/nope', { token: f.bearer.read });
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, 'not_found');
  });

  it('shows people with links and numbers, and changes their flags', async () => {
    const people = await (
      await f.call('GET', '/api/v1/people?status=active', { token: f.bearer.read })
    ).json();
    assert.equal(people.length, 2);
    personId = people[0].id;
    const one = await (
      await f.call('GET', `/api/v1/people/${personId}`, { token: f.bearer.read })
    ).json();
    assert.ok(one.links.length > 0);
    assert.equal(one.numbers.length, 2);

    const pin = `/api/v1/people/${personId}/pin`;
    const pinned = await f.call('POST', pin, { token: f.bearer.write });
    assert.equal((await pinned.json()).pinned, true);
    await f.call('POST', `/api/v1/people/${personId}/unpin`, { token: f.bearer.write });
    assert.equal((await f.engine.store.getPerson(personId))?.pinned, false);
    const audit = await (
      await f.call('GET', `/api/v1/audit?person=${personId}&limit=50`, { token: f.bearer.read })
    ).json();
    assert.ok(audit.some((e: { actor: string }) => e.actor === 'api:writer'));

    assert.equal(
      (await f.call('POST', '/api/v1/people/nobody/exclude', { token: f.bearer.write })).status,
      404,
    );
    assert.equal(
      (await f.call('GET', '/api/v1/people?status=gone', { token: f.bearer.read })).status,
      400,
    );
  });

  it('lists operations and refuses to retry one that did not fail', async () => {
    const done = await (
      await f.call('GET', `/api/v1/operations?state=done&run=${runId}`, { token: f.bearer.read })
    ).json();
    assert.ok(done.length > 0);
    const op = await f.call('GET', `/api/v1/operations/${done[0].id}`, { token: f.bearer.read });
    assert.equal((await op.json()).state, 'done');
    const retry = await f.call('POST', `/api/v1/operations/${done[0].id}/retry`, {
      token: f.bearer.write,
    });
    assert.equal(retry.status, 409);
    assert.equal(
      (await f.call('POST', '/api/v1/operations/nope/skip', { token: f.bearer.write })).status,
      404,
    );
    const bad = await f.call('GET', '/api/v1/operations?state=done,weird', {
      token: f.bearer.read,
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.details.field, 'state[1]');
  });

  it('approves and rejects braked runs', async () => {
    const ops = [
      {
        personId,
        action: 'update' as const,
        target: 'pbx',
        type: 'sip-subscriber',
        key: 'k',
        attributes: {},
        after: [],
        reason: 'test',
      },
    ];
    for (const id of ['braked-1', 'braked-2']) {
      const run = { id, kind: 'sync' as const, state: 'braked' as const, actor: 't', summary: {} };
      await f.engine.store.createRun(run);
      await f.engine.store.journal(id, ops, 'held');
    }
    // A write token (what an identity manager's SCIM client holds) cannot approve the
    // removals it caused, nor reject them.
    for (const verb of ['approve', 'reject']) {
      const refused = await f.call('POST', `/api/v1/runs/braked-1/${verb}`, {
        token: f.bearer.write,
      });
      assert.equal(refused.status, 403, `${verb} with a write token`);
    }
    assert.equal((await f.engine.store.getRun('braked-1'))?.state, 'braked');
    const approved = await f.call('POST', '/api/v1/runs/braked-1/approve', {
      token: f.bearer.admin,
    });
    assert.equal(approved.status, 202);
    assert.equal((await approved.json()).state, 'approved');
    assert.equal((await f.engine.store.listOperations({ runId: 'braked-1' }))[0]?.state, 'pending');
    const again = await f.call('POST', '/api/v1/runs/braked-1/approve', { token: f.bearer.admin });
    assert.equal(again.status, 409);

    const reject = '/api/v1/runs/braked-2/reject';
    const rejected = await f.call('POST', reject, { token: f.bearer.admin });
    assert.equal((await rejected.json()).cancelled, 1);
    await runQueue();
  });

  it('lists and changes numbers, naming the wrong field', async () => {
    const assigned = await (
      await f.call('GET', '/api/v1/numbers?pool=nyc-ext&state=assigned', { token: f.bearer.read })
    ).json();
    assert.equal(assigned.length, 2);
    const pools = await (await f.call('GET', '/api/v1/pools', { token: f.bearer.read })).json();
    assert.equal(pools.find((p: { pool: string }) => p.pool === 'nyc-ext').counts.assigned, 2);

    const reserved = await f.call('POST', '/api/v1/numbers/nyc-ext/2500/reserve', {
      token: f.bearer.write,
      body: { note: 'for the lobby', until: '2099-01-01T00:00:00Z' },
    });
    assert.equal(reserved.status, 200);
    assert.equal((await reserved.json()).state, 'reserved');
    const bad = await f.call('POST', '/api/v1/numbers/nyc-ext/2501/reserve', {
      token: f.bearer.write,
      body: { until: 'soon' },
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.details.field, 'body.until');
    const missing = await f.call('POST', '/api/v1/numbers/nyc-ext/2502/block', {
      token: f.bearer.write,
      body: {},
    });
    assert.equal((await missing.json()).error.details.field, 'body.reason');
    const unknown = await f.call('POST', '/api/v1/numbers/nyc-ext/99999/block', {
      token: f.bearer.write,
      body: { reason: 'x' },
    });
    assert.equal(unknown.status, 404);
    const json = await f.call('POST', '/api/v1/numbers/nyc-ext/2503/block', {
      token: f.bearer.write,
      body: '{not json',
    });
    assert.equal(json.status, 400);
  });

  it('makes, lists and revokes tokens through the API', async () => {
    const made = await f.call('POST', '/api/v1/tokens', {
      token: f.bearer.admin,
      body: { name: 'ci', scope: 'read' },
    });
    assert.equal(made.status, 201);
    const { token } = await made.json();
    assert.match(token, /^cs_[A-Za-z0-9_-]{43}$/);
    assert.equal((await f.call('GET', '/api/v1/status', { token })).status, 200);
    const dup = await f.call('POST', '/api/v1/tokens', {
      token: f.bearer.admin,
      body: { name: 'ci', scope: 'read' },
    });
    assert.equal(dup.status, 409);
    const badScope = await f.call('POST', '/api/v1/tokens', {
      token: f.bearer.admin,
      body: { name: 'x', scope: 'root' },
    });
    assert.equal((await badScope.json()).error.details.field, 'body.scope');

    const list = await (await f.call('GET', '/api/v1/tokens', { token: f.bearer.admin })).json();
    assert.ok(list.every((t: Record<string, unknown>) => !('token' in t) && !('hash' in t)));
    assert.equal(
      (await f.call('POST', '/api/v1/tokens/ci/revoke', { token: f.bearer.admin })).status,
      200,
    );
    assert.equal((await f.call('GET', '/api/v1/status', { token })).status, 401);
    assert.equal(
      (await f.call('POST', '/api/v1/tokens/ci/revoke', { token: f.bearer.admin })).status,
      409,
    );
  });
});
