import assert from 'node:assert/strict';

import { Validator } from '@seriousme/openapi-schema-validator';
import { after, before, describe, it } from 'node:test';

import { API_ROUTES, createApp } from './app.ts';
import { apiFixture, type Fixture } from './test-fixture.ts';

describe('API security and errors', () => {
  let f: Fixture;
  before(async () => {
    f = await apiFixture();
  });
  after(() => f.close());

  it('answers 401 with a challenge without a token or with a wrong one', async () => {
    const none = await f.call('GET', '/api/v1/people');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm="callsign"/);
    assert.equal((await none.json()).error.code, 'unauthorized');

    const wrong = await f.call('GET', '/api/v1/people', { token: `cs_${'x'.repeat(43)}` });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /invalid_token/);
  });

  it('answers 403 when the scope is too small, and admin includes write and read', async () => {
    const people = await f.call('GET', '/api/v1/people', { token: f.bearer.read });
    assert.equal(people.status, 200);
    const res = await f.call('POST', '/api/v1/sync', { token: f.bearer.read });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, 'forbidden');
    const tokens = await f.call('GET', '/api/v1/tokens', { token: f.bearer.write });
    assert.equal(tokens.status, 403);
    const asAdmin = await f.call('GET', '/api/v1/audit', { token: f.bearer.admin });
    assert.equal(asAdmin.status, 200);
  });

  it('refuses a revoked token at once', async () => {
    const made = await f.tokens.create({ name: 'short-lived', scope: 'read', actor: 'test' });
    assert.equal((await f.call('GET', '/api/v1/runs', { token: made.token })).status, 200);
    await f.tokens.revoke('short-lived', 'test');
    assert.equal((await f.call('GET', '/api/v1/runs', { token: made.token })).status, 401);
    const listed = (await f.tokens.list()).find((t) => t.name === 'short-lived');
    assert.ok(listed?.revokedAt, 'a revoked token stays listed, with its revocation time');
    assert.ok(listed?.lastUsedAt, 'its last use was recorded');
  });

  it('answers 413 for a body larger than maxBodyBytes, before the handler runs', async () => {
    const big = JSON.stringify({ reason: 'x'.repeat(5000) });
    const res = await f.call('POST', '/api/v1/numbers/nyc-ext/2999/block', {
      token: f.bearer.write,
      body: big,
    });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, 'payload_too_large');
    const number = (await f.engine.store.searchNumbers({ pool: 'nyc-ext', prefix: '2999' }))[0];
    assert.equal(number?.state, 'available');
  });

  it('rate-limits per token with 429 and Retry-After; other tokens go on', async () => {
    let now = new Date('2025-01-01T00:00:00Z');
    const app = createApp({
      deps: { engine: f.engine, tokens: f.tokens },
      api: { maxBodyBytes: 4096, rateLimitPerMinute: 2 },
      openMetrics: true,
      clock: () => now,
    });
    const get = (token: string) =>
      app.request('/api/v1/runs', { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get(f.bearer.read)).status, 200);
    assert.equal((await get(f.bearer.read)).status, 200);
    const limited = await get(f.bearer.read);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '30');
    assert.equal((await get(f.bearer.write)).status, 200);
    now = new Date(now.getTime() + 30_000);
    assert.equal((await get(f.bearer.read)).status, 200);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await f.call('GET', '/api/v1/nothing-here', { token: f.bearer.read });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, 'not_found');
  });

  it('never puts a stack trace or an internal message in a 500', async () => {
    const store = Object.create(f.engine.store) as typeof f.engine.store;
    store.listRuns = async () => {
      throw new Error('SQLITE_CORRUPT at /var/lib/secret-path/callsign.db');
    };
    const app = createApp({
      deps: { engine: { ...f.engine, store }, tokens: f.tokens },
      api: { maxBodyBytes: 4096, rateLimitPerMinute: 100 },
      openMetrics: true,
    });
    const res = await app.request('/api/v1/runs', {
      headers: { authorization: `Bearer ${f.bearer.read}` },
    });
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.equal(JSON.parse(text).error.code, 'internal');
    assert.doesNotMatch(text, /secret-path|SQLITE|at .*\.ts|stack/i);
  });

  it('documents every registered route in the OpenAPI document', async () => {
    const res = await f.call('GET', '/api/v1/openapi.json');
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.equal(doc.openapi, '3.1.0');
    const registered = f.app.routes.filter((r) => r.method !== 'ALL');
    assert.ok(registered.length >= API_ROUTES.length);
    for (const route of registered) {
      const path = route.path.replace(/:(\w+)/g, '{$1}');
      const documented = doc.paths[path]?.[route.method.toLowerCase()];
      assert.ok(documented, `${route.method} ${path} is not in the OpenAPI document`);
    }
    for (const [path, methods] of Object.entries(doc.paths as Record<string, object>)) {
      for (const op of Object.values(methods) as { responses: object; operationId: string }[]) {
        assert.ok(Object.keys(op.responses).length > 0, `${path} has no responses`);
      }
    }
    const ids = Object.values(
      doc.paths as Record<string, Record<string, { operationId: string }>>,
    ).flatMap((m) => Object.values(m).map((op) => op.operationId));
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');

    // Validated against the OpenAPI 3.1 JSON Schema, with every $ref resolved.
    const validator = new Validator();
    const result = await validator.validate(doc);
    assert.ok(result.valid, `OpenAPI document invalid: ${JSON.stringify(result.errors)}`);
    assert.equal(validator.version, '3.1');
  });

  it('serves health without a token and metrics in the Prometheus format', async () => {
    const health = await f.call('GET', '/health');
    assert.equal(health.status, 200);
    const body = await health.json();
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.queueDepth, 'number');

    const metrics = await f.call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    assert.match(text, /^# TYPE callsign_queue_depth gauge$/m);
    assert.match(text, /^callsign_pool_free_numbers\{pool="nyc-ext",kind="extension"\} 1000$/m);

    const closed = createApp({
      deps: { engine: f.engine, tokens: f.tokens },
      api: { maxBodyBytes: 4096, rateLimitPerMinute: 100 },
      openMetrics: false,
    });
    assert.equal((await closed.request('/metrics')).status, 401);
  });

  it('mounts SCIM behind the same tokens: read for GET, write otherwise', async () => {
    const seen: { path: string; actor?: string; query: string }[] = [];
    const app = createApp({
      deps: { engine: f.engine, tokens: f.tokens },
      api: { maxBodyBytes: 4096, rateLimitPerMinute: 100 },
      openMetrics: true,
      scim: async (req) => {
        seen.push({ path: req.path, actor: req.actor, query: req.query.toString() });
        return {
          status: 200,
          headers: { 'content-type': 'application/scim+json' },
          body: { totalResults: 0 },
        };
      },
    });
    const scim = (method: string, token?: string) =>
      app.request('/scim/v2/Users?count=5', {
        method,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const anonymous = await scim('GET');
    assert.equal(anonymous.status, 401);
    const error = await anonymous.json();
    assert.deepEqual(error.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(error.status, '401');
    assert.equal((await scim('POST', f.bearer.read)).status, 403);
    const ok = await scim('GET', f.bearer.read);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { totalResults: 0 });
    assert.deepEqual(seen, [{ path: '/Users', actor: 'scim:reader', query: 'count=5' }]);
  });
});
