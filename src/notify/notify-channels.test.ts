/**
 * Notification channels besides mail, and mail refused: a rule that names a webhook delivers
 * the rendered message as a signed `notify.<event>` POST to a loopback receiver (through the
 * webhook outbox); a pool-low announcement whose SMTP server refuses at RCPT (4xx) and at DATA
 * (5xx) records each message's fate with the server's reason, retries the temporary refusal
 * until the outbox's attempts run out, and still sends the other recipient's mail.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { loadConfig, parseConfig } from '../core/config.ts';
import { openEngine, type Engine } from '../engine/engine.ts';
import { makeTestCa, type TestCa } from '../lab/test-ca.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import { webhookOutboxOf } from '../webhooks/outbox.ts';
import { verifySignature } from '../webhooks/signature.ts';
import { FakeClock, capturingLogger } from '../webhooks/test-kit.ts';
import { TestReceiver } from '../webhooks/test-receiver.ts';
import { resolveWebhooks } from '../webhooks/webhooks.ts';
import { notifierOf, type Notifier } from './notify.ts';
import { notifyConfig } from './test-config.ts';
import { TestSmtpServer } from './test-smtp.ts';

const PASSWORD = 'smtp-pa55-w0rd-2';
const HOOK_SECRET = 'whsec-ops-channel-s3cr3t';
process.env.CALLSIGN_TEST_SMTP_PW = PASSWORD;
process.env.CALLSIGN_TEST_OPS_HOOK = HOOK_SECRET;

const POOL_TEMPLATE = `    poollow:
      subject: 'Pool {{pool.name}} is low'
      text: '{{pool.free}} of {{pool.total}} free (below {{pool.below}}).'`;

describe('notification channels: webhooks, and SMTP refusals', () => {
  let ca: TestCa;
  let smtp: TestSmtpServer;
  let receiver: TestReceiver;
  let dir: string;
  let engine: Engine;
  let notifier: Notifier;
  const clock = new FakeClock('2031-05-01T09:00:00.000Z');

  before(async () => {
    ca = await makeTestCa();
    smtp = await new TestSmtpServer({ ca, user: 'callsign', password: PASSWORD }).start();
    receiver = await new TestReceiver().start();
    dir = await mkdtemp(join(tmpdir(), 'callsign-notify-channels-'));
    const file = join(dir, 'callsign.yaml');
    const base = notifyConfig(smtp.port, ca.caFile).replace(
      '  templates:\n',
      `  templates:\n${POOL_TEMPLATE}\n`,
    );
    const config = `${base.replace(
      '  rules:\n',
      `  maxAttempts: 3
  rules:
    - { on: pool-low, below: 100000, template: poollow, webhooks: [ops],
        to: [team, pools@example.com, noc@example.com] }
`,
    )}
webhooks:
  - name: ops
    url: ${receiver.url('/ops')}
    secret: env:CALLSIGN_TEST_OPS_HOOK
    events: [run.finished]
    timeoutMs: 2000
`;
    await writeFile(file, config);
    engine = await openEngine(loadConfig(file), {
      log: capturingLogger().log,
      actor: 'test',
      connectors: false,
      clock: clock.now,
    });
    notifier = notifierOf(engine, {
      dispatch: { backoff: { baseMs: 1000, maxMs: 60_000 }, random: () => 0 },
    })!;
  });
  after(async () => {
    await engine?.close();
    await smtp?.stop();
    await receiver?.stop();
    ca?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  test('a rule naming a webhook delivers the rendered message, signed, to the receiver', async () => {
    // Runs first: the pool-low announcement of this test also feeds the SMTP test below.
    smtp.refuse.set('telecom@example.com', 451);
    smtp.refuseData.set('pools@example.com', 554);
    const added = await notifier.feed.checkPools();
    assert.ok(added > 0);
    assert.equal(await notifier.feed.checkPools(), 0, 'once per pool and day');

    const outbox = webhookOutboxOf(engine.store);
    const pending = await outbox.list({ webhook: 'ops' });
    assert.ok(pending.length > 0);
    assert.ok(pending.every((d) => d.type === 'notify.pool-low' && d.state === 'pending'));

    const webhooks = resolveWebhooks(engine.config.webhooks ?? [], dir);
    const dispatcher = new WebhookDispatcher({
      outbox,
      webhooks,
      log: capturingLogger().log,
      clock: clock.now,
    });
    await dispatcher.drain();
    const posts = receiver.requests.filter((r) => r.path === '/ops');
    assert.equal(posts.length, pending.length);
    for (const post of posts) {
      assert.equal(post.headers['callsign-event'], 'notify.pool-low');
      const signed = verifySignature({
        secret: HOOK_SECRET,
        header: post.headers['callsign-signature'] as string | undefined,
        body: post.body,
        now: clock.now(),
      });
      assert.equal(signed, true, 'signed with the webhook secret');
      const body = JSON.parse(post.body) as { data: Record<string, string> };
      assert.equal(body.data.event, 'pool-low');
      assert.match(body.data.subject ?? '', /^Pool \S+ is low$/);
      assert.match(body.data.text ?? '', /^\d+ of \d+ free \(below 100000\)\.$/);
    }
    const delivered = await outbox.list({ webhook: 'ops' });
    assert.ok(delivered.every((d) => d.state === 'delivered'));
  });

  test('pool-low mail refused at RCPT and DATA: reasons recorded, retried, the rest sent', async () => {
    const first = await notifier.dispatcher.drain();
    const pools = (await engine.store.poolUsage(clock.now())).length;
    assert.equal(first.sent, pools, 'noc@example.com gets one mail per pool');
    assert.equal(first.failed, pools, 'DATA 554 fails at once');
    assert.equal(first.retried, pools, 'RCPT 451 is retried');
    assert.equal(smtp.received.filter((m) => m.to.includes('noc@example.com')).length, pools);

    const byRecipient = async (recipient: string) =>
      (await notifier.outbox.list({ limit: 500 })).filter(
        (m) => m.event === 'pool-low' && m.recipient === recipient,
      );
    for (const m of await byRecipient('pools@example.com')) {
      assert.equal(m.state, 'failed');
      assert.equal(m.lastCode, 554);
      assert.match(m.lastError ?? '', /Message rejected by policy/);
    }
    for (const m of await byRecipient('team')) {
      assert.equal(m.state, 'pending');
      assert.equal(m.attempts, 1);
      assert.equal(m.lastCode, 451);
      assert.match(m.lastError ?? '', /Mailbox busy/);
      assert.ok(m.nextAttemptAt > clock.now().toISOString(), 'waits for its backoff');
    }
    // Not due yet: nothing is sent again before the backoff.
    assert.deepEqual(await notifier.dispatcher.drain(), { sent: 0, retried: 0, failed: 0 });

    clock.advance(1_500);
    assert.equal((await notifier.dispatcher.drain()).retried, pools, 'second attempt');
    clock.advance(5_000);
    // maxAttempts 3: the third refusal fails the message for good.
    assert.equal((await notifier.dispatcher.drain()).failed, pools);
    for (const m of await byRecipient('team')) {
      assert.equal(m.state, 'failed');
      assert.equal(m.attempts, 3);
      assert.match(m.lastError ?? '', /Mailbox busy/);
    }
  });
});

test('a rule naming an unknown webhook, or credentials by webhook, is refused', () => {
  const text = notifyConfig(2525, '/tmp/ca.pem').replace(
    '  rules:\n',
    `  rules:
    - { on: failed, template: failure, webhooks: [nowhere] }
    - { on: credentials, to: [person], template: creds, webhooks: [ops] }
`,
  );
  const withHook = `${text}
webhooks:
  - { name: ops, url: 'http://127.0.0.1:9/ops', secret: env:CALLSIGN_TEST_OPS_HOOK }
`;
  let message = '';
  try {
    parseConfig(withHook, '/srv/callsign.yaml');
  } catch (err) {
    message = err instanceof Error ? err.message : String(err);
  }
  assert.match(message, /webhooks: webhook 'nowhere' is not in webhooks:/);
  assert.match(message, /webhooks: credentials go to the person by mail only/);
  // A rule with webhooks and no mail recipient is valid.
  assert.doesNotMatch(message, /to: is required/);
});
