/**
 * Notifications through a real SMTP server on loopback (STARTTLS required, AUTH PLAIN/LOGIN):
 * a sync mails each new SIP secret to its owner once and the outbox never holds it; provisioned
 * mails reach the person, the manager found by correlation, the team and a list; a wrong
 * password fails at once and shows in the log; a server that is down is retried until it is
 * back; 4xx is retried and 5xx fails without stopping the other messages.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { NullTarget } from '../connectors/null/null-target.ts';
import type { SourceConnector } from '../connectors/types.ts';
import { loadConfig } from '../core/config.ts';
import type { SourceRecord } from '../core/model.ts';
import { openEngine, type Engine } from '../engine/engine.ts';
import { writeBackHandler } from '../engine/handlers.ts';
import { reconcile } from '../engine/reconcile.ts';
import { secretRef } from '../engine/vault.ts';
import { makeTestCa, type TestCa } from '../lab/test-ca.ts';
import { FakeClock, capturingLogger } from '../webhooks/test-kit.ts';
import { NotifyDispatcher } from './dispatcher.ts';
import { notifierOf, vaultSource } from './notify.ts';
import { previewTemplate } from './preview.ts';
import { smtpSender } from './smtp.ts';
import { notifyConfig } from './test-config.ts';
import { TestSmtpServer } from './test-smtp.ts';

const PASSWORD = 'smtp-pa55-w0rd';
process.env.CALLSIGN_TEST_SMTP_PW = PASSWORD;

describe('mail notifications over SMTP with STARTTLS and AUTH', () => {
  let ca: TestCa;
  let smtp: TestSmtpServer;
  let dir: string;
  let engine: Engine;
  let logText: () => string;
  const clock = new FakeClock('2030-03-01T09:00:00.000Z');

  before(async () => {
    ca = await makeTestCa();
    smtp = await new TestSmtpServer({ ca, user: 'callsign', password: PASSWORD }).start();
    dir = await mkdtemp(join(tmpdir(), 'callsign-notify-'));
    const file = join(dir, 'callsign.yaml');
    await writeFile(file, notifyConfig(smtp.port, ca.caFile));
    const captured = capturingLogger();
    logText = captured.text;
    engine = await openEngine(loadConfig(file), {
      log: captured.log,
      actor: 'test',
      connectors: false,
      clock: clock.now,
    });
    const source = fakeSource([
      staff(1, {}),
      staff(2, { manager: 'E1' }),
      staff(3, { manager: 'E99' }),
    ]);
    engine.sources.set('lab-ldap', source);
    engine.handlers.set('lab-ldap', writeBackHandler({ store: engine.store, source }));
    engine.targets.set('pbx', new NullTarget({ name: 'pbx', concurrency: 8 }));
  });
  after(async () => {
    await engine?.close();
    await smtp?.stop();
    ca?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  test('a sync mails each SIP secret to its owner once; the outbox never holds it', async () => {
    const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
    assert.equal(report.state, 'finished');
    assert.equal(report.credentials.length, 3);

    const rows = JSON.stringify(await dumpOutbox(engine));
    for (const c of report.credentials) {
      assert.equal(c.secret, '');
      assert.equal(c.mail, 'sent');
      const n = c.sentTo!;
      const mails = smtp.received.filter((m) => m.to.includes(n) && /SIP/.test(m.subject));
      assert.equal(mails.length, 1, `one credentials mail to ${n}`);
      const [target, type, key] = c.resource.split('/');
      const secret = await engine.vault.reveal(secretRef({ target, type, key }));
      assert.ok(secret !== undefined && secret.length >= 16);
      assert.equal(count(mails[0].text, secret), 1);
      assert.equal(count(mails[0].raw, secret), 1);
      assert.equal(mails[0].user, 'callsign');
      assert.ok(!rows.includes(secret), 'the outbox holds no secret');
      assert.ok(!logText().includes(secret), 'no log line holds a secret');
      // Handed out once: the vault will not give it again.
      assert.equal(
        await engine.vault.takeUndelivered(secretRef({ target, type, key }), clock.now()),
        undefined,
      );
    }
    assert.ok(!logText().includes(PASSWORD));
  });

  test('provisioned mails reach person, manager, team and list with rendered text', async () => {
    const notifier = notifierOf(engine)!;
    const before = smtp.received.length;
    const added = await notifier.feed.scanRuns();
    assert.ok(added > 0);
    assert.equal(await notifier.feed.scanRuns(), 0, 'a second scan journals nothing');
    const counts = await notifier.dispatcher.drain();
    assert.equal(counts.failed, 0);

    const mails = smtp.received.slice(before);
    const to = (addr: string) => mails.filter((m) => m.to.includes(addr));
    // Person 2's manager is E1, found by correlation: p1 gets their own mail and the manager's.
    assert.equal(to('p1@example.com').length, 2);
    assert.equal(to('p2@example.com').length, 1);
    assert.equal(to('telecom@example.com').length, 3);
    assert.equal(to('phones-list@example.com').length, 3);
    const own = to('p2@example.com')[0];
    assert.equal(own.subject, 'Your phone, Person 2');
    assert.match(own.text, /^Extension 2\d{3}, number \+121255520\d\d\.\s*$/);

    const skipped = (await notifier.outbox.list({ failed: true })).filter(
      (m) => m.event === 'provisioned',
    );
    // Person 1 has no manager; person 3's manager E99 is nobody known: skipped with a note.
    assert.equal(skipped.length, 2);
    assert.ok(skipped.every((m) => m.state === 'skipped' && m.recipient === 'manager'));
    assert.ok(skipped.some((m) => /E99/.test(m.lastError ?? '')));
  });

  test('a wrong SMTP password fails the message at once, visible in the log', async () => {
    const notifier = notifierOf(engine)!;
    const config = engine.config.notifications!;
    const wrong = new NotifyDispatcher({
      outbox: notifier.outbox,
      config,
      send: smtpSender(config.smtp, 'not-the-password'),
      secrets: vaultSource(engine),
      log: engine.log,
      clock: clock.now,
    });
    const ids = await notifier.feed.notify(failedEvent('auth-1'));
    assert.equal((await wrong.drain()).failed, ids.length);
    const record = await notifier.outbox.get(ids[0]);
    assert.equal(record?.state, 'failed');
    assert.equal(record?.attempts, 1);
    assert.equal(record?.lastCode, 535);
    assert.ok(!(record?.lastError ?? '').includes('not-the-password'));
  });

  test('a server that is down is retried with backoff, then delivered', async () => {
    const notifier = notifierOf(engine, { dispatch: { backoff: { baseMs: 1000, maxMs: 1000 } } })!;
    const port = smtp.port;
    await smtp.stop();
    const ids = await notifier.feed.notify(failedEvent('down-1'));
    assert.deepEqual(await notifier.dispatcher.drain(), { sent: 0, retried: 1, failed: 0 });
    const waiting = await notifier.outbox.get(ids[0]);
    assert.equal(waiting?.state, 'pending');
    assert.match(waiting?.lastError ?? '', /ECONNECTION|ECONNREFUSED/);
    assert.equal((await notifier.dispatcher.drain()).sent, 0, 'not due before its backoff');

    smtp = await new TestSmtpServer({ ca, user: 'callsign', password: PASSWORD, port }).start();
    clock.advance(1500);
    assert.equal((await notifier.dispatcher.drain()).sent, 1);
    const sent = await notifier.outbox.get(ids[0]);
    assert.equal(sent?.state, 'sent');
    assert.equal(sent?.attempts, 2);
    assert.equal(smtp.received.at(-1)?.subject, 'Failed: pbx/sip-subscriber/down-1');
  });

  test('4xx is retried, 5xx fails at once, and neither holds back other mail', async () => {
    const notifier = notifierOf(engine, { dispatch: { backoff: { baseMs: 1000, maxMs: 1000 } } })!;
    smtp.refuse.set('busy@example.com', 451);
    smtp.refuse.set('nobody@example.com', 550);
    const to = async (key: string, address: string) => [
      (await notifier.outbox.enqueue(
        {
          key: `test:${key}`,
          event: 'failed',
          template: 'failure',
          recipient: address,
          address,
          vars: failedEvent(key).vars,
        },
        clock.now(),
      ))!,
    ];
    const busy = await to('r-1', 'busy@example.com');
    const nobody = await to('r-2', 'nobody@example.com');
    const fine = await to('r-3', 'fine@example.com');
    const counts = await notifier.dispatcher.drain();
    assert.deepEqual(counts, { sent: 1, retried: 1, failed: 1 });

    assert.equal((await notifier.outbox.get(busy[0]))?.lastCode, 451);
    assert.equal((await notifier.outbox.get(busy[0]))?.state, 'pending');
    assert.equal((await notifier.outbox.get(nobody[0]))?.state, 'failed');
    assert.equal((await notifier.outbox.get(nobody[0]))?.lastCode, 550);
    assert.equal((await notifier.outbox.get(fine[0]))?.state, 'sent');

    smtp.refuse.delete('busy@example.com');
    clock.advance(1500);
    assert.equal((await notifier.dispatcher.drain()).sent, 1);
    assert.equal((await notifier.outbox.get(busy[0]))?.state, 'sent');
  });

  test('preview renders a template with a real person', async () => {
    const shown = await previewTemplate(engine, { template: 'welcome', person: 'E2' });
    assert.equal(shown.subject, 'Your phone, Person 2');
    assert.match(shown.text, /^Extension 2\d{3}, number \+1212555\d{4}\./);
    const creds = await previewTemplate(engine, { template: 'creds', person: 'p1@example.com' });
    assert.match(creds.text, /\*{8}/, 'the secret is masked');
    await assert.rejects(previewTemplate(engine, { template: 'nope', person: 'E2' }), {
      code: 'config',
      message: "--template: 'nope' is not defined; known: welcome, creds, failure",
    });
  });

  test("a credentials preview names the person's own resource with a secret, or says none", async () => {
    const templates = engine.config.notifications!.templates;
    templates.where = {
      subject: 'Your secret',
      text: 'Secret for {{secret.resource}}: {{secret.value}}',
    };
    const people = await engine.store.listPeople();
    const idOf = (n: number) => people.find((p) => p.attributes.employeeId === `E${n}`)!.id;
    const own = async (n: number) => {
      const refs = (await engine.store.listLinks(idOf(n))).map((l) => secretRef(l));
      const kept: string[] = [];
      for (const ref of refs) if ((await engine.store.getSecret(ref)) !== undefined) kept.push(ref);
      return kept;
    };
    const seen = new Set<string>();
    for (const n of [1, 2]) {
      const [ref, ...more] = await own(n);
      assert.ok(ref !== undefined && more.length === 0, `E${n} holds one resource with a secret`);
      const shown = await previewTemplate(engine, {
        template: 'where',
        person: `E${n}`,
        event: 'credentials',
      });
      assert.equal(shown.text, `Secret for ${ref}: ********`);
      assert.deepEqual(shown.notes, []);
      seen.add(shown.text);
    }
    assert.equal(seen.size, 2, 'each person sees their own resource');

    const bare = { id: 'p-bare', attributes: { employeeId: 'E77', mail: 'e77@example.com' } };
    await engine.store.savePerson(
      { ...bare, status: 'active', sourceLinks: [], excluded: false, pinned: false },
      { employeeId: 'E77', mail: 'e77@example.com' },
    );
    const none = await previewTemplate(engine, {
      template: 'where',
      person: 'E77',
      event: 'credentials',
    });
    assert.equal(none.text, 'Secret for (no resource): ********');
    assert.match(none.notes.join('\n'), /person p-bare has no resource with a secret/);
    delete templates.where;
  });
});

function failedEvent(key: string) {
  return {
    event: 'failed' as const,
    key: `test:${key}`,
    vars: {
      event: { type: 'failed', at: '2030-03-01T09:00:00.000Z', runId: 'r', personId: 'p' },
      operation: {
        id: key,
        action: 'create',
        target: 'pbx',
        type: 'sip-subscriber',
        key: `pbx/sip-subscriber/${key}`,
      },
      error: { code: 'rejected', message: 'the target refused it' },
    },
  };
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

async function dumpOutbox(engine: Engine): Promise<unknown[]> {
  const ctx = (engine.store as unknown as { sqlContext(): { db: any } }).sqlContext();
  return ctx.db.selectFrom('notifications').selectAll().execute();
}

function staff(n: number, extra: Record<string, string>): SourceRecord {
  return {
    source: 'lab-ldap',
    externalId: `uuid-${n}`,
    state: 'active',
    attributes: {
      employeeId: `E${n}`,
      displayName: `Person ${n}`,
      mail: `p${n}@example.com`,
      site: 'nyc',
      workerType: 'employee',
      ...extra,
    },
  };
}

function fakeSource(records: SourceRecord[]): SourceConnector {
  return {
    name: 'lab-ldap',
    kind: 'fake',
    capabilities: { delta: false, writeBack: true },
    readAll: async () => ({
      source: 'lab-ldap',
      records: [...records],
      complete: true,
      problems: [],
    }),
    writeBack: async () => undefined,
    close: async () => undefined,
  };
}
