/**
 * Webhooks inside `callsign serve`: the `webhooks:` configuration is read and checked, a sync
 * through the API reaches a real receiver as signed operation and run events, and the delivery
 * log and redelivery work through the API and appear in the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { parseConfig } from '../core/config.ts';
import { CallsignError } from '../core/errors.ts';
import { labConfig } from '../lab/lab-config.ts';
import { startServer, type RunningServer } from '../api/server.ts';
import { apiFixture, type Fixture } from '../api/test-fixture.ts';
import type { WebhookEventBody } from './event-types.ts';
import type { DeliveryRecord } from './outbox.ts';
import { verifySignature } from './signature.ts';
import { eventually } from './test-kit.ts';
import { TestReceiver } from './test-receiver.ts';

const SECRET_ENV = 'CALLSIGN_TEST_WEBHOOK_SECRET';
const SECRET = 'whsec-serve-test-0123456789';

describe('webhooks configuration', () => {
  const base = labConfig({
    store: 'sqlite:./callsign.db',
    ldap: { url: 'ldap://127.0.0.1:1', serviceDn: 'cn=svc', peopleDn: 'ou=people' },
    passwordEnv: 'CALLSIGN_TEST_UNUSED',
    kamailio: null,
  });

  it('reads webhooks with defaults and anchors a relative secret file', () => {
    const config = parseConfig(
      `${base}
webhooks:
  - name: crm
    url: https://hooks.example.com/callsign
    secret: file:./hook.secret
    events: [operation.failed, run.braked]
  - name: audit
    url: http://127.0.0.1:9000/in
    secret: env:AUDIT_HOOK_SECRET
    timeoutMs: 2000
    maxAttempts: 3
`,
      '/etc/callsign/callsign.yaml',
    );
    assert.deepEqual(config.webhooks, [
      {
        name: 'crm',
        url: 'https://hooks.example.com/callsign',
        secret: 'file:/etc/callsign/hook.secret',
        events: ['operation.failed', 'run.braked'],
        timeoutMs: 10_000,
        maxAttempts: 8,
      },
      {
        name: 'audit',
        url: 'http://127.0.0.1:9000/in',
        secret: 'env:AUDIT_HOOK_SECRET',
        events: [],
        timeoutMs: 2000,
        maxAttempts: 3,
      },
    ]);
  });

  it('refuses an inline secret without repeating it, a bad URL, an unknown event', () => {
    const text = `${base}
webhooks:
  - name: crm
    url: ftp://example.com/x
    secret: hunter2-inline
    events: [operation.exploded]
  - name: crm
    url: https://example.com/y
    secret: env:X
`;
    assert.throws(
      () => parseConfig(text, 'callsign.yaml'),
      (err: CallsignError) => {
        assert.match(err.message, /webhooks\[0\]\.url: must be an http/);
        assert.match(err.message, /webhooks\[0\]\.secret: inline secrets are not allowed/);
        assert.match(err.message, /'operation\.exploded' is not an event type/);
        assert.match(err.message, /webhooks\[1\]\.name: webhook 'crm' is already defined/);
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      },
    );
  });
});

describe('webhooks in callsign serve', () => {
  let f: Fixture;
  let server: RunningServer;
  const receiver = new TestReceiver();
  before(async () => {
    await receiver.start();
    process.env[SECRET_ENV] = SECRET;
    f = await apiFixture();
    f.engine.config.webhooks = [
      {
        name: 'crm',
        url: receiver.url(),
        secret: `env:${SECRET_ENV}`,
        events: [],
        timeoutMs: 2000,
        maxAttempts: 3,
      },
    ];
    server = await startServer(f.engine, {
      api: { host: '127.0.0.1', port: 0 },
      poll: false,
      finalise: { everyMs: 50, settleMs: 0 },
    });
  });
  after(async () => {
    await server.stop();
    await f.close();
    await receiver.stop();
    delete process.env[SECRET_ENV];
  });

  it('a sync reaches the receiver as signed operation events, then run.finished', async () => {
    const res = await fetch(`${server.url}/api/v1/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.bearer.write}` },
    });
    assert.equal(res.status, 202);
    const { runId } = (await res.json()) as { runId: string };

    await eventually(
      async () => receiver.requests.some((r) => r.headers['callsign-event'] === 'run.finished'),
      10_000,
    );
    const bodies = receiver.requests.map((r) => JSON.parse(r.body) as WebhookEventBody);
    for (const r of receiver.requests) {
      const header = r.headers['callsign-signature'] as string;
      assert.ok(verifySignature({ secret: SECRET, header, body: r.body, now: new Date() }));
    }
    const done = bodies.filter((b) => b.type === 'operation.done');
    assert.ok(done.length > 0);
    assert.ok(done.every((b) => (b.data as { runId: string }).runId === runId));
    const last = bodies.at(-1)!;
    assert.deepEqual([last.type, (last.data as { runId: string }).runId], ['run.finished', runId]);
  });

  it('lists deliveries and redelivers one through the API', async () => {
    const auth = { authorization: `Bearer ${f.bearer.write}` };
    const list = await fetch(`${server.url}/api/v1/webhooks/deliveries?limit=500`, {
      headers: auth,
    });
    assert.equal(list.status, 200);
    const deliveries = (await list.json()) as DeliveryRecord[];
    assert.equal(deliveries.length, receiver.requests.length);
    assert.ok(deliveries.every((d) => d.state === 'delivered' && d.webhook === 'crm'));
    const failedOnly = await fetch(`${server.url}/api/v1/webhooks/deliveries?failed=true`, {
      headers: auth,
    });
    assert.deepEqual(await failedOnly.json(), []);

    const target = deliveries.at(-1)!;
    const sent = receiver.requests.length;
    const again = await fetch(`${server.url}/api/v1/webhooks/deliveries/${target.id}/redeliver`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(again.status, 202);
    assert.equal(((await again.json()) as DeliveryRecord).state, 'pending');
    await eventually(async () => receiver.requests.length > sent);
    const resent = JSON.parse(receiver.requests.at(-1)!.body) as WebhookEventBody;
    assert.equal(resent.id, target.eventId);

    const missing = await fetch(`${server.url}/api/v1/webhooks/deliveries/nope/redeliver`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(missing.status, 404);
    const audit = await f.engine.store.queryAudit({ action: 'webhook.redelivered' });
    assert.equal(audit.length, 1);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    assert.ok(doc.paths['/api/v1/webhooks/deliveries']?.get);
    assert.ok(doc.paths['/api/v1/webhooks/deliveries/{id}/redeliver']?.post);
  });
});
