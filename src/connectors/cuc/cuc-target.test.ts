/**
 * The Unity Connection connector against the CUPI emulator: joiner with PIN, the retry after a
 * lost answer, updates of only what differs, duplicate extension, leaver, credentials, non-JSON
 * answers, 503 backoff, missing template, and the inventory reads.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';

import { CucEmulator } from '../../../test/emulators/cuc/cuc-emulator.ts';
import type { CucTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import type { TargetChange } from '../types.ts';
import { CucTarget } from './cuc-target.ts';

const PIN = '739152';

describe('CucTarget', () => {
  let emu: CucEmulator;
  let url: string;
  let sleeps: number[];
  let logLines: string[];
  const targets: CucTarget[] = [];

  before(async () => {
    emu = new CucEmulator({
      accounts: [
        { username: 'cupiadmin', password: 'secret' },
        { username: 'helpdesk', password: 'pw', admin: false },
      ],
    });
    url = await emu.start();
  });
  after(async () => {
    for (const t of targets) await t.close();
    await emu.stop();
  });
  beforeEach(() => {
    emu.db.users.clear();
    emu.requests.length = 0;
    sleeps = [];
    logLines = [];
  });

  function target(over: Partial<CucTargetConfig> = {}, password = 'secret'): CucTarget {
    const config: CucTargetConfig = {
      name: 'cuc1',
      type: 'cuc',
      url,
      username: 'cupiadmin',
      password: 'env:CUC_PASSWORD',
      templateAlias: 'voicemailusertemplate',
      concurrency: 2,
      timeoutMs: 5000,
      ...over,
    };
    const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
    const sleep = async (ms: number) => void sleeps.push(ms);
    const t = new CucTarget(config, {
      password,
      log,
      busy: { busyAttempts: 3, busyBaseMs: 10, sleep },
      pageSize: 2,
    });
    targets.push(t);
    return t;
  }

  const mailbox = (over: Partial<TargetChange> = {}): TargetChange => ({
    action: 'create',
    type: 'cuc-mailbox',
    key: 'jdoe',
    attributes: {
      firstName: 'Jane',
      lastName: 'Doe',
      displayName: 'Jane Doe',
      dtmfAccessId: '1001',
      emailAddress: 'jdoe@example.com',
    },
    secret: PIN,
    ...over,
  });
  const codeOf = (err: unknown) => (err instanceof CallsignError ? err.code : String(err));
  const posts = () => emu.count('POST', /^\/vmrest\/users$/);

  it('creates a mailbox from the template with its PIN; again is a noop', async () => {
    const t = target();
    const created = await t.apply(mailbox());
    assert.equal(created.outcome, 'created');

    const user = emu.db.byAlias('jdoe');
    assert.equal(created.externalId, user?.ObjectId);
    assert.equal(user?.template, 'voicemailusertemplate');
    assert.equal(user?.pin, PIN);
    assert.deepEqual(await t.read('cuc-mailbox', 'jdoe'), {
      alias: 'jdoe',
      firstName: 'Jane',
      lastName: 'Doe',
      displayName: 'Jane Doe',
      dtmfAccessId: '1001',
      emailAddress: 'jdoe@example.com',
    });

    assert.equal((await t.apply(mailbox())).outcome, 'noop');
    assert.equal(posts(), 1);
    assert.equal(emu.count('PUT', /^\/vmrest\/users\/[^/]+$/), 0, 'no field written again');
    assert.ok(logLines.some((l) => l.includes('cuc change applied')));
    assert.ok(!logLines.some((l) => l.includes(PIN)), 'the PIN never reaches a log line');
  });

  it('retries after a lost answer without a second mailbox, and sets the PIN', async () => {
    const t = target();
    emu.dropWriteAnswers = 1;
    await assert.rejects(t.apply(mailbox()), (e) => {
      assert.equal(codeOf(e), 'unavailable');
      assert.equal((e as CallsignError).retryable, true);
      assert.ok(!(e as Error).message.includes(PIN));
      return true;
    });
    assert.equal(emu.db.users.size, 1, 'the create committed before the answer was lost');
    assert.equal(emu.db.byAlias('jdoe')?.pin, undefined);

    const retry = await t.apply(mailbox());
    assert.equal(retry.outcome, 'noop');
    assert.equal(emu.db.users.size, 1);
    assert.equal(posts(), 1, 'the retry looked the alias up and did not POST');
    assert.equal(emu.db.byAlias('jdoe')?.pin, PIN);
  });

  it('updates only the fields that differ; a PIN reset alone is an update', async () => {
    const t = target();
    await t.apply(mailbox());
    const attributes = { displayName: 'Jane Q. Doe', firstName: 'Jane', dtmfAccessId: '1001' };
    const updated = await t.apply(mailbox({ action: 'update', attributes, secret: undefined }));
    assert.equal(updated.outcome, 'updated');

    const puts = emu.requests.filter((r) => r.method === 'PUT' && !r.path.includes('credential'));
    assert.deepEqual(
      puts.map((r) => r.body),
      [{ DisplayName: 'Jane Q. Doe' }],
    );
    assert.equal(emu.db.byAlias('jdoe')?.fields.LastName, 'Doe');

    const same = await t.apply(mailbox({ action: 'update', attributes, secret: undefined }));
    assert.equal(same.outcome, 'noop');
    const reset = await t.apply(mailbox({ action: 'update', attributes: {}, secret: '5550123' }));
    assert.equal(reset.outcome, 'updated');
    assert.equal(emu.db.byAlias('jdoe')?.pin, '5550123');
  });

  it('names dtmfAccessId when the extension is taken, and creates nothing', async () => {
    const t = target();
    await t.apply(mailbox());
    const other = mailbox({ key: 'asmith', attributes: { dtmfAccessId: '1001' } });
    await assert.rejects(t.apply(other), (e) => {
      assert.equal(codeOf(e), 'duplicate');
      assert.equal((e as CallsignError).details.field, 'dtmfAccessId');
      assert.equal((e as CallsignError).details.cupiCode, 'DUPLICATE_OBJECT');
      assert.match((e as Error).message, /mailbox asmith: dtmfAccessId is already in use/);
      return true;
    });
    assert.equal(emu.db.byAlias('asmith'), undefined);
    assert.equal(await t.numberInUse('1001'), true);
    assert.equal(await t.numberInUse('1002'), false);
  });

  it('deletes a leaver; a missing mailbox is a noop', async () => {
    const t = target();
    const created = await t.apply(mailbox());
    const leaver = mailbox({ action: 'delete', secret: undefined });
    assert.deepEqual(await t.apply(leaver), { externalId: created.externalId, outcome: 'deleted' });
    assert.equal(emu.db.users.size, 0);
    assert.equal((await t.apply(leaver)).outcome, 'noop');
    assert.equal(await t.read('cuc-mailbox', 'jdoe'), null);
  });

  it('maps bad credentials and a missing role to auth, not retryable', async () => {
    await assert.rejects(target({}, 'wrong').apply(mailbox()), (e) => {
      assert.equal(codeOf(e), 'auth');
      assert.equal((e as CallsignError).retryable, false);
      assert.match((e as Error).message, /refused the CUPI credentials \(HTTP 401\)/);
      return true;
    });
    const helpdesk = target({ username: 'helpdesk' }, 'pw');
    await assert.rejects(helpdesk.read('cuc-mailbox', 'jdoe'), (e) => codeOf(e) === 'auth');
    assert.equal(emu.db.users.size, 0);
  });

  it('maps a non-JSON answer to unavailable and retryable', async () => {
    const t = target();
    emu.notJsonAnswers = 1;
    await assert.rejects(t.apply(mailbox()), (e) => {
      assert.equal(codeOf(e), 'unavailable');
      assert.equal((e as CallsignError).retryable, true);
      assert.match((e as Error).message, /not CUPI JSON \(HTTP 200, text\/html.*\/vmrest/);
      return true;
    });
    assert.equal(emu.db.users.size, 0);
  });

  it('backs off on 503 (Retry-After first) and gives up as throttled', async () => {
    const t = target();
    emu.throttleRequests = 2;
    emu.retryAfterSeconds = undefined;
    assert.equal((await t.apply(mailbox())).outcome, 'created');
    assert.deepEqual(sleeps, [10, 20]);

    emu.throttleRequests = 3;
    emu.retryAfterSeconds = 7;
    sleeps = [];
    await assert.rejects(t.read('cuc-mailbox', 'jdoe'), (e) => {
      assert.equal(codeOf(e), 'throttled');
      assert.equal((e as CallsignError).retryAfterMs, 7000);
      return true;
    });
    assert.deepEqual(sleeps, [7000, 7000]);
    emu.retryAfterSeconds = undefined;
  });

  it('refuses bad input before sending, and a missing template names it', async () => {
    const t = target({ templateAlias: 'salesTemplate' });
    const typo = mailbox({ attributes: { extension: '1001' } });
    await assert.rejects(t.apply(typo), /unknown attribute 'extension'/);
    await assert.rejects(t.apply(mailbox({ secret: 'abc123def' })), (e) => {
      assert.equal((e as CallsignError).details.field, 'pin');
      assert.ok(!(e as Error).message.includes('abc123def'));
      return true;
    });
    assert.equal(emu.requests.length, 0, 'nothing was sent');

    await assert.rejects(t.apply(mailbox()), (e) => {
      assert.equal(codeOf(e), 'missing_reference');
      assert.equal((e as CallsignError).details.field, 'templateAlias');
      assert.match((e as Error).message, /user template 'salesTemplate' does not exist/);
      return true;
    });
    const update = mailbox({ action: 'update', key: 'nobody', secret: undefined });
    await assert.rejects(target().apply(update), (e) => codeOf(e) === 'not_found');
  });

  it('a PIN the policy refuses leaves the created mailbox listed in the error', async () => {
    await assert.rejects(target().apply(mailbox({ secret: '12' })), (e) => {
      assert.equal(codeOf(e), 'rejected');
      assert.equal((e as CallsignError).details.created, emu.db.byAlias('jdoe')?.ObjectId);
      assert.match((e as Error).message, /created without its PIN/);
      return true;
    });
  });

  it('lists every extension across pages', async () => {
    const t = target();
    for (const [alias, ext] of [
      ['a', '2001'],
      ['b', '2002'],
      ['c', '2003'],
    ]) {
      await t.apply(mailbox({ key: alias!, attributes: { dtmfAccessId: ext! } }));
    }
    const seen = [];
    for await (const n of t.listNumbers()) seen.push(n);
    assert.deepEqual(seen, [
      { value: '2001', kind: 'extension', owner: 'a' },
      { value: '2002', kind: 'extension', owner: 'b' },
      { value: '2003', kind: 'extension', owner: 'c' },
    ]);
    assert.equal(emu.count('GET', /^\/vmrest\/users$/) >= 2, true, 'read in pages of 2');
  });

  it('maps a refused connection to unavailable', async () => {
    const t = target({ url: 'http://127.0.0.1:1/vmrest' });
    await assert.rejects(t.read('cuc-mailbox', 'jdoe'), (e) => codeOf(e) === 'unavailable');
  });
});
