/**
 * The Unified CM connector against the AXL emulator: joiner and leaver, ensure semantics on
 * retries, 503 backoff, fault mapping, versions, the associated-devices merge, and the desk
 * phone that waits for its MAC address.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { CucmEmulator } from '../../../test/emulators/cucm/cucm-emulator.ts';
import type { CucmTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import type { TargetChange } from '../types.ts';
import { CucmTarget } from './cucm-target.ts';
import { cucmConfig, resetCucm } from './testing/cucm-kit.ts';

describe('CucmTarget', () => {
  let emu: CucmEmulator;
  let url: string;
  let sleeps: number[];
  const targets: CucmTarget[] = [];

  before(async () => {
    emu = new CucmEmulator();
    url = await emu.start();
  });
  after(async () => {
    for (const t of targets) await t.close();
    await emu.stop();
  });
  beforeEach(() => {
    resetCucm(emu);
    sleeps = [];
  });

  function target(over: Partial<CucmTargetConfig> = {}, password = 'secret'): CucmTarget {
    const config = cucmConfig(url, { timeoutMs: 5000, ...over });
    const sleep = async (ms: number) => void sleeps.push(ms);
    const t = new CucmTarget(config, {
      password,
      busy: { busyAttempts: 3, busyBaseMs: 10, sleep },
      pageSize: 2,
    });
    targets.push(t);
    return t;
  }

  const user: TargetChange = {
    action: 'create',
    type: 'cucm-user',
    key: 'jdoe',
    attributes: {
      firstName: 'Jane',
      lastName: 'Doe & Co <x>',
      mailid: 'jdoe@example.com',
      telephoneNumber: '+14085550100',
    },
  };
  const line: TargetChange = {
    action: 'create',
    type: 'cucm-line',
    key: '1001@Internal_PT',
    attributes: { description: 'Jane Doe', alertingName: 'Jane Doe' },
  };
  const phone = (key: string, over: Record<string, string> = {}): TargetChange => ({
    action: 'create',
    type: 'cucm-phone',
    key,
    attributes: {
      product: 'Cisco 8861',
      devicePoolName: 'Default',
      ownerUserName: 'jdoe',
      line1: '1001@Internal_PT',
      ...over,
    },
  });
  const del = (change: TargetChange): TargetChange => ({ ...change, action: 'delete' });
  const codeOf = (err: unknown) => (err instanceof CallsignError ? err.code : String(err));

  it('on-boards a joiner: user, line, phone with line and owner; again a noop', async () => {
    const t = target();
    assert.equal((await t.apply(user)).outcome, 'created');
    assert.equal((await t.apply(line)).outcome, 'created');
    assert.equal((await t.apply(phone('SEP001122AABBCC'))).outcome, 'created');

    const stored = emu.db.phones.get('SEP001122AABBCC');
    assert.deepEqual(stored?.lines, [{ index: '1', pattern: '1001', partition: 'Internal_PT' }]);
    assert.equal(stored?.fields.ownerUserName, 'jdoe');
    assert.deepEqual(emu.db.users.get('jdoe')?.associatedDevices, ['SEP001122AABBCC']);
    assert.equal(emu.db.users.get('jdoe')?.fields.lastName, 'Doe & Co <x>');
    assert.deepEqual(await t.read('cucm-line', '1001@Internal_PT'), {
      pattern: '1001',
      routePartitionName: 'Internal_PT',
      description: 'Jane Doe',
      alertingName: 'Jane Doe',
      asciiAlertingName: '',
      callForwardAll: '',
      callForwardBusy: '',
      callForwardNoAnswer: '',
    });

    for (const change of [user, line, phone('SEP001122AABBCC')]) {
      assert.equal((await t.apply(change)).outcome, 'noop');
    }
    const writes = emu.requests.filter((r) => /^(add|update|remove)/.test(r.operation));
    assert.equal(writes.length, 4, 'addUser, addLine, addPhone, updateUser only');
  });

  it('updates only the fields that differ', async () => {
    const t = target();
    await t.apply(line);
    const before = emu.count('updateLine');
    const changed = { ...line, action: 'update' as const, attributes: { description: 'New' } };
    assert.equal((await t.apply(changed)).outcome, 'updated');
    assert.equal(emu.count('updateLine'), before + 1);
    assert.equal(emu.db.lines.get('1001\u0000Internal_PT')?.fields.alertingName, 'Jane Doe');
    assert.equal(emu.db.lines.get('1001\u0000Internal_PT')?.fields.description, 'New');
  });

  it('off-boards a leaver: phone, then line, then user; again is a noop', async () => {
    const t = target();
    for (const c of [
      user,
      line,
      phone('CSFJDOE', { product: 'Cisco Unified Client Services ' + 'Framework' }),
    ])
      await t.apply(c);
    const csf = phone('CSFJDOE');

    await assert.rejects(t.apply(del(line)), (e) => codeOf(e) === 'state');
    assert.equal((await t.apply(del(csf))).outcome, 'deleted');
    assert.deepEqual(emu.db.users.get('jdoe')?.associatedDevices, []);
    assert.equal((await t.apply(del(line))).outcome, 'deleted');
    assert.equal((await t.apply(del(user))).outcome, 'deleted');
    assert.equal(emu.db.phones.size + emu.db.lines.size + emu.db.users.size, 0);
    for (const c of [csf, line, user]) assert.equal((await t.apply(del(c))).outcome, 'noop');
  });

  it('an LDAP-synced leaver keeps the user and loses only our devices', async () => {
    const t = target();
    await t.apply(user);
    for (const name of ['SEPAAAAAAAAAAAA', 'BOTJDOE']) {
      emu.db.phones.set(name, { uuid: `{${name}}`, fields: { name }, lines: [] });
    }
    emu.db.users.get('jdoe')!.associatedDevices = ['SEPAAAAAAAAAAAA', 'BOTJDOE'];
    const ldapUser = { ...user, attributes: { userSource: 'ldap', associatedDevices: 'BOTJDOE' } };
    assert.equal((await t.apply(del(ldapUser))).outcome, 'updated');
    assert.deepEqual(emu.db.users.get('jdoe')?.associatedDevices, ['SEPAAAAAAAAAAAA']);
  });

  it('a retry after a dropped answer creates nothing twice', async () => {
    const t = target();
    await t.apply(user);
    for (const change of [line, phone('SEP001122AABBCC')]) {
      emu.dropWriteAnswers = 1;
      await assert.rejects(
        t.apply(change),
        (e) => codeOf(e) === 'unavailable' && (e as CallsignError).retryable,
      );
      const retry = await t.apply(change);
      assert.ok(['noop', 'updated'].includes(retry.outcome), retry.outcome);
    }
    assert.equal(emu.count('addLine'), 1);
    assert.equal(emu.count('addPhone'), 1);
    assert.equal(emu.db.lines.size, 1);
    assert.deepEqual(emu.db.users.get('jdoe')?.associatedDevices, ['SEP001122AABBCC']);
  });

  it('backs off on 503 and succeeds; past the limit it is throttled', async () => {
    const t = target();
    emu.throttleWrites = 2;
    assert.equal((await t.apply(line)).outcome, 'created');
    assert.deepEqual(sleeps, [10, 20]);
    assert.equal(emu.count('addLine'), 3);

    emu.throttleWrites = 5;
    const err = await t.apply(user).catch((e: unknown) => e);
    assert.equal(codeOf(err), 'throttled');
    assert.equal((err as CallsignError).retryable, true);
    assert.ok(((err as CallsignError).retryAfterMs ?? 0) > 0, 'retryAfterMs is set');
    emu.throttleWrites = 0;
  });

  it('names the missing device pool', async () => {
    const t = target();
    await t.apply(user);
    await t.apply(line);
    const err = await t
      .apply(phone('SEP001122AABBCC', { devicePoolName: 'DP_Nowhere' }))
      .catch((e: unknown) => e);
    assert.equal(codeOf(err), 'missing_reference');
    assert.match((err as Error).message, /devicePoolName 'DP_Nowhere' does not exist/);
    assert.match((err as Error).message, /SEP001122AABBCC/);
  });

  it('maps bad credentials and a missing role to auth', async () => {
    const bad = target({}, 'wrong');
    await assert.rejects(bad.read('cucm-user', 'x'), (e) => codeOf(e) === 'auth');
    const probe = new CucmEmulator({ accounts: [{ username: 'u', password: 'p', axl: false }] });
    const probeUrl = await probe.start();
    try {
      const noRole = target({ url: probeUrl, username: 'u' }, 'p');
      await assert.rejects(
        noRole.read('cucm-user', 'x'),
        (e) => codeOf(e) === 'auth' && /AXL API Access role/.test((e as Error).message),
      );
    } finally {
      await probe.stop();
    }
  });

  it('reports an answer that is not XML as unavailable, clearly', async () => {
    const t = target();
    emu.notXmlAnswers = 1;
    const err = await t.apply(line).catch((e: unknown) => e);
    assert.equal(codeOf(err), 'unavailable');
    assert.match((err as Error).message, /not an AXL response.*text\/html/);
  });

  it('follows the configured version in SOAPAction and namespace', async () => {
    for (const version of ['11.0', '14.0']) {
      emu.requests.length = 0;
      const t = target({ version });
      await t.apply({ ...line, key: `2${version.slice(0, 2)}@Internal_PT` });
      assert.ok(emu.requests.length > 0, 'requests were sent');
      assert.deepEqual(new Set(emu.requests.map((r) => r.version)), new Set([version]));
      // getLine answers "not found" (500 with axlcode 5007); addLine succeeds.
      assert.deepEqual(
        emu.requests.map((r) => r.status),
        [500, 200],
      );
    }
  });

  it('merges associated devices and keeps one added by someone else', async () => {
    const t = target();
    await t
      .apply({ ...user, attributes: { ...user.attributes, associatedDevices: 'BOTJDOE' } })
      .catch((e: unknown) => assert.equal(codeOf(e), 'missing_reference'));
    emu.db.phones.set('BOTJDOE', { uuid: '{X}', fields: { name: 'BOTJDOE' }, lines: [] });
    await t.apply(user);
    emu.db.users.get('jdoe')!.associatedDevices = ['BOTJDOE'];
    await t.apply(line);
    await t.apply(phone('SEP001122AABBCC'));
    assert.deepEqual(emu.db.users.get('jdoe')?.associatedDevices, ['BOTJDOE', 'SEP001122AABBCC']);
    const read = await t.read('cucm-user', 'jdoe');
    assert.equal(read?.associatedDevices, 'BOTJDOE,SEP001122AABBCC');
  });

  it('lets a desk phone without a MAC wait while line and softphone go ahead', async () => {
    const t = target();
    await t.apply(user);
    const err = await t.apply(phone('SEP')).catch((e: unknown) => e);
    assert.equal(codeOf(err), 'waiting');
    assert.equal((err as CallsignError).retryable, false);
    assert.equal((err as CallsignError).details.waitingFor, 'macAddress');
    assert.equal((await t.apply(line)).outcome, 'created');
    const csf = phone('CSFJDOE', { product: 'Cisco Unified Client Services Framework' });
    assert.equal((await t.apply(csf)).outcome, 'created');
    assert.equal(emu.count('addPhone'), 1);
    assert.equal((await t.apply(del(phone('SEP')))).outcome, 'noop');
  });

  it('answers numberInUse and lists numbers page by page; reuses the session', async () => {
    const t = target();
    for (const key of ['3001@Internal_PT', '3002', '3003@Internal_PT', '\\+14085550100']) {
      await t.apply({ ...line, key });
    }
    assert.equal(await t.numberInUse('3002'), true);
    assert.equal(await t.numberInUse('+14085550100'), true);
    assert.equal(await t.numberInUse('3999'), false);
    const seen = [];
    for await (const n of t.listNumbers()) seen.push(`${n.kind}:${n.value}`);
    assert.deepEqual(seen.sort(), [
      'did:+14085550100',
      'extension:3001',
      'extension:3002',
      'extension:3003',
    ]);
    assert.ok(emu.count('listLine') >= 3 + 2, 'pages of 2');
    assert.equal(t.axl.basicAuthRequests, 1);
    assert.ok(emu.requests.filter((r) => r.auth === 'cookie').length > 5, 'cookie reused');
  });

  it('refuses an attribute it does not know, naming it', async () => {
    const t = target();
    const err = await t.apply({ ...line, attributes: { colour: 'red' } }).catch((e) => e);
    assert.equal(codeOf(err), 'rejected');
    assert.match((err as Error).message, /'colour'/);
  });
});
