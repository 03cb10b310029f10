/**
 * KamailioTarget against a real Kamailio (src/lab/kamailio.ts) proven with real SIP clients
 * (SIPp): what the connector writes must let an extension register and a DID ring it, and what
 * it deletes must stop both.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { type LabKamailio, startKamailio } from '../../lab/kamailio.ts';
import { call, register } from '../../lab/sipp.ts';
import { checkSystemDeps } from '../../lab/system-deps.ts';
import { KamailioRpc } from './kamailio-rpc.ts';
import { KamailioTarget } from './kamailio-target.ts';

const NEEDED = new Set(['kamailio', 'kamailio-sqlite-modules', 'sip-tester']);
const missing = checkSystemDeps().missing.filter((m) => NEEDED.has(m.pkg));
const inCi = process.env.CI === 'true';
const skip =
  missing.length > 0 && !inCi
    ? `Kamailio/SIPp not installed (${missing.map((m) => m.pkg).join(', ')}): ` +
      'run scripts/install-system-deps.sh'
    : false;

test('Kamailio and SIPp are installed when CI=true', { skip: !inCi }, () => {
  assert.deepEqual(missing, [], 'CI must run the real-Kamailio tests');
});

describe('KamailioTarget on a real Kamailio', { skip }, () => {
  let lab: LabKamailio;
  let target: KamailioTarget;
  let rpc: KamailioRpc;
  const logged: string[] = [];

  before(async () => {
    lab = await startKamailio({});
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        done();
      },
    });
    target = new KamailioTarget(configFor(lab), { log: pino({ level: 'debug' }, sink) });
    rpc = new KamailioRpc({ url: lab.rpcUrl });
  });

  after(async () => {
    await target?.close();
    await lab?.stop();
  });

  const sip = (user: string, password: string) => ({
    sipPort: lab.sipPort,
    domain: lab.domain,
    user,
    password,
  });
  const subscriber = (key: string, secret: string, displayName = 'Ada Lovelace') => ({
    action: 'create' as const,
    type: 'sip-subscriber',
    key,
    attributes: { username: key, displayName },
    secret,
  });

  test('a created subscriber registers; a wrong password gets 401', async () => {
    const created = await target.apply(subscriber('2001', 'pw2001secret'));
    assert.deepEqual(created, { externalId: `2001@${lab.domain}`, outcome: 'created' });
    assert.deepEqual(await target.read('sip-subscriber', '2001'), {
      username: '2001',
      domain: lab.domain,
      displayName: 'Ada Lovelace',
    });

    assert.deepEqual(await register(sip('2001', 'pw2001secret')), { ok: true, status: 200 });
    assert.deepEqual(await register(sip('2001', 'wrong-password')), { ok: false, status: 401 });
    assert.deepEqual(await register(sip('2999', 'pw2001secret')), { ok: false, status: 401 });
  });

  test('create is idempotent; create over other values is a duplicate', async () => {
    const first = await target.apply(subscriber('2002', 'pw2002secret'));
    const again = await target.apply(subscriber('2002', 'pw2002secret'));
    assert.equal(first.outcome, 'created');
    assert.equal(again.outcome, 'noop');

    await assert.rejects(target.apply(subscriber('2002', 'another-secret')), (err) =>
      hasCode(err, ErrorCode.Duplicate, false),
    );
    const noSecret = { ...subscriber('2003', 'x'), secret: undefined };
    await assert.rejects(target.apply(noSecret), (err) => hasCode(err, ErrorCode.Rejected, false));
  });

  test('an alias makes a call to the DID ring the registered extension', async () => {
    await target.apply(subscriber('2010', 'pw2010callee'));
    await target.apply(subscriber('2011', 'pw2011caller'));
    const alias = {
      action: 'create' as const,
      type: 'sip-alias',
      key: '+12125550110',
      attributes: { username: '2010' },
    };
    assert.equal((await target.apply(alias)).outcome, 'created');
    assert.equal((await target.apply(alias)).outcome, 'noop');
    assert.deepEqual(aliasRows(lab), [
      ['+12125550110', lab.domain, '2010', `${lab.domain}:${lab.sipPort}`],
    ]);

    const callee = { user: '2010', password: 'pw2010callee' };
    const viaDid = await call({
      ...base(lab),
      fromUser: '2011',
      fromPassword: 'pw2011caller',
      to: '+12125550110',
      callee,
    });
    assert.equal(viaDid.ok, true, JSON.stringify(viaDid));
    assert.match(viaDid.reached ?? '', /^sip:2010@127\.0\.0\.1:\d+/);

    const direct = await call({
      ...base(lab),
      fromUser: '2011',
      fromPassword: 'pw2011caller',
      to: '2010',
      callee,
    });
    assert.equal(direct.ok, true, JSON.stringify(direct));
    const outside = await call({ ...base(lab), fromUser: 'visitor', to: '+12125550110', callee });
    assert.equal(outside.ok, true, JSON.stringify(outside));
    const unknown = await call({ ...base(lab), fromUser: 'visitor', to: '+12125550119', callee });
    assert.deepEqual([unknown.ok, unknown.status], [false, 404]);
    // From our own domain without credentials: challenged, so the call does not connect.
    const forged = await call({
      ...base(lab),
      fromUser: '2011',
      fromPassword: 'not-the-password',
      to: '2010',
      callee,
    });
    assert.deepEqual([forged.ok, forged.status], [false, 407]);
  });

  test('update sets only the given attributes', async () => {
    await target.apply(subscriber('2020', 'pw2020secret', 'Grace Hopper'));
    const rename = {
      action: 'update' as const,
      type: 'sip-subscriber',
      key: '2020',
      attributes: { displayName: 'Grace B. Hopper' },
    };
    assert.equal((await target.apply(rename)).outcome, 'updated');
    assert.equal((await target.apply(rename)).outcome, 'noop');
    assert.equal((await target.read('sip-subscriber', '2020'))?.displayName, 'Grace B. Hopper');
    assert.equal((await register(sip('2020', 'pw2020secret'))).ok, true, 'password kept');

    const rotate = { ...rename, attributes: {}, secret: 'pw2020rotated' };
    assert.equal((await target.apply(rotate)).outcome, 'updated');
    assert.equal((await register(sip('2020', 'pw2020rotated'))).ok, true);
    assert.equal((await register(sip('2020', 'pw2020secret'))).status, 401);

    const absent = { ...rename, key: '2029' };
    await assert.rejects(target.apply(absent), (err) => hasCode(err, ErrorCode.NotFound, false));
  });

  test('numberInUse sees subscribers and aliases, with or without the +', async () => {
    await target.apply(subscriber('2030', 'pw2030secret'));
    const alias = { action: 'create' as const, type: 'sip-alias', key: '+12125550130' };
    await target.apply({ ...alias, attributes: { username: '2030' } });
    const db = new Database(lab.dbPath);
    db.prepare(
      'INSERT INTO dbaliases (alias_username, alias_domain, username, domain) ' +
        'VALUES (?, ?, ?, ?)',
    ).run('12125550131', lab.domain, '2030', lab.domain);
    db.close();

    assert.equal(await target.numberInUse('2030'), true);
    assert.equal(await target.numberInUse('+12125550130'), true);
    assert.equal(await target.numberInUse('+12125550131'), true, 'hand-written alias');
    assert.equal(await target.numberInUse('2039'), false);
    assert.equal(await target.numberInUse('+12125550139'), false);
  });

  test('delete drops rows and live registrations; a second delete is a noop', async () => {
    await target.apply(subscriber('2040', 'pw2040secret'));
    const alias = { type: 'sip-alias', key: '+12125550140', attributes: { username: '2040' } };
    await target.apply({ ...alias, action: 'create' });
    assert.equal((await register(sip('2040', 'pw2040secret'))).ok, true);
    assert.notEqual(await rpc.lookup(`2040@${lab.domain}`), null);

    const drop = { action: 'delete' as const, type: 'sip-subscriber', key: '2040', attributes: {} };
    assert.equal((await target.apply(drop)).outcome, 'deleted');
    assert.equal((await target.apply({ ...alias, action: 'delete' })).outcome, 'deleted');
    assert.equal(await rpc.lookup(`2040@${lab.domain}`), null);
    assert.deepEqual(await register(sip('2040', 'pw2040secret')), { ok: false, status: 401 });
    assert.equal(await target.read('sip-alias', '+12125550140'), null);

    assert.equal((await target.apply(drop)).outcome, 'noop');
    assert.equal((await target.apply({ ...alias, action: 'delete' })).outcome, 'noop');
  });

  test('an RPC failure after the row is gone is retryable and the retry drops', async () => {
    let failNext = true;
    const flaky: typeof fetch = async (input, init) => {
      if (failNext) {
        failNext = false;
        throw new TypeError('fetch failed: connection reset');
      }
      return fetch(input, init);
    };
    const flakyTarget = new KamailioTarget(configFor(lab), { fetch: flaky });
    await flakyTarget.apply(subscriber('2050', 'pw2050secret'));
    assert.equal((await register(sip('2050', 'pw2050secret'))).ok, true);

    const drop = { action: 'delete' as const, type: 'sip-subscriber', key: '2050', attributes: {} };
    await assert.rejects(flakyTarget.apply(drop), (err) =>
      hasCode(err, ErrorCode.Unavailable, true),
    );
    assert.equal(await flakyTarget.read('sip-subscriber', '2050'), null, 'row already gone');
    assert.notEqual(await rpc.lookup(`2050@${lab.domain}`), null, 'still registered');

    assert.equal((await flakyTarget.apply(drop)).outcome, 'deleted');
    assert.equal(await rpc.lookup(`2050@${lab.domain}`), null);
    await flakyTarget.close();
  });

  test('a locked database is a retryable throttle, not a hang', async () => {
    const holder = new Database(lab.dbPath);
    holder.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(target.apply(subscriber('2060', 'pw2060secret')), (err) =>
        hasCode(err, ErrorCode.Throttled, true),
      );
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    assert.equal((await target.apply(subscriber('2060', 'pw2060secret'))).outcome, 'created');
  });

  test('bad keys and unknown types are refused; secrets never reach the log', async () => {
    const badDid = { action: 'create' as const, type: 'sip-alias', key: '2125550100' };
    await assert.rejects(target.apply({ ...badDid, attributes: { username: '2001' } }), (err) =>
      hasCode(err, ErrorCode.BadRecord, false),
    );
    await assert.rejects(target.read('voicemail', '2001'), (err) =>
      hasCode(err, ErrorCode.Rejected, false),
    );

    const text = logged.join('');
    assert.match(text, /kamailio change applied/);
    for (const secret of ['pw2001secret', 'pw2010callee', 'pw2020rotated', 'another-secret']) {
      assert.equal(text.includes(secret), false, 'a secret was logged');
    }
  });
});

function configFor(lab: LabKamailio) {
  return {
    name: 'lab-pbx',
    type: 'kamailio' as const,
    database: lab.dbPath,
    domain: lab.domain,
    rpcUrl: lab.rpcUrl,
    sipPort: lab.sipPort,
    concurrency: 2,
  };
}

function base(lab: LabKamailio) {
  return { sipPort: lab.sipPort, domain: lab.domain };
}

function aliasRows(lab: LabKamailio): string[][] {
  const db = new Database(lab.dbPath, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT alias_username, alias_domain, username, domain FROM dbaliases')
      .raw()
      .all() as string[][];
    return rows;
  } finally {
    db.close();
  }
}

function hasCode(err: unknown, code: ErrorCode, retryable: boolean): boolean {
  assert.ok(err instanceof CallsignError, `expected CallsignError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.equal(err.retryable, retryable);
  return true;
}
