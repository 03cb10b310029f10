/**
 * The Unified CM connector's later resources against the AXL emulator: primary and IPCC
 * extensions on users, call forwards on lines and their clearing when a number is released,
 * single number reach (remote destinations), and applyPhone after a phone's lines change.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { CucmEmulator } from '../../../test/emulators/cucm/cucm-emulator.ts';
import { CallsignError } from '../../core/errors.ts';
import type { TargetChange } from '../types.ts';
import { CucmTarget } from './cucm-target.ts';
import { cucmConfig, resetCucm } from './testing/cucm-kit.ts';

describe('CucmTarget extensions, forwards, remote destinations, apply', () => {
  let emu: CucmEmulator;
  let t: CucmTarget;

  before(async () => {
    emu = new CucmEmulator();
    const url = await emu.start();
    t = new CucmTarget(cucmConfig(url, { timeoutMs: 5000 }), {
      password: 'secret',
      busy: { busyAttempts: 2, busyBaseMs: 1, sleep: async () => {} },
    });
  });
  after(async () => {
    await t.close();
    await emu.stop();
  });
  beforeEach(() => {
    resetCucm(emu);
    emu.db.remoteDestinations.clear();
    emu.db.applied.clear();
    emu.db.strictExtensions = false;
  });

  const user = (userid: string, over: Record<string, string> = {}): TargetChange => ({
    action: 'create',
    type: 'cucm-user',
    key: userid,
    attributes: { firstName: 'Ann', lastName: userid, ...over },
  });
  const line = (key: string, over: Record<string, string> = {}): TargetChange => ({
    action: 'create',
    type: 'cucm-line',
    key,
    attributes: { description: 'desk', ...over },
  });
  const phone = (key: string, owner: string, over: Record<string, string> = {}) =>
    ({
      action: 'create',
      type: 'cucm-phone',
      key,
      attributes: {
        product: 'Cisco 8861',
        devicePoolName: 'Default',
        ownerUserName: owner,
        ...over,
      },
    }) satisfies TargetChange;
  const del = (change: TargetChange): TargetChange => ({ ...change, action: 'delete' });
  const update = (change: TargetChange, attributes: Record<string, string>): TargetChange => ({
    ...change,
    action: 'update',
    attributes,
  });
  const codeOf = (err: unknown) => (err instanceof CallsignError ? err.code : String(err));

  async function joiner(userid: string, dn: string, device: string): Promise<void> {
    await t.apply(user(userid));
    await t.apply(line(dn));
    await t.apply(phone(device, userid, { line1: dn }));
  }

  it('sets primary and IPCC extensions through updateUser and reads them back', async () => {
    await joiner('agent1', '4001@Internal_PT', 'SEP0000000A0001');
    const set = update(user('agent1'), {
      primaryExtension: '4001@Internal_PT',
      ipccExtension: '4001@Internal_PT',
    });
    assert.equal((await t.apply(set)).outcome, 'updated');
    const read = await t.read('cucm-user', 'agent1');
    assert.equal(read?.primaryExtension, '4001@Internal_PT');
    assert.equal(read?.ipccExtension, '4001@Internal_PT');
    assert.deepEqual(emu.db.users.get('agent1')?.ipccExtension, {
      pattern: '4001',
      partition: 'Internal_PT',
    });
    const writes = emu.count('updateUser');
    assert.equal((await t.apply(set)).outcome, 'noop');
    assert.equal(emu.count('updateUser'), writes, 'nothing written when unchanged');

    assert.equal((await t.apply(update(user('agent1'), { ipccExtension: '' }))).outcome, 'updated');
    assert.equal((await t.read('cucm-user', 'agent1'))?.ipccExtension, '');
    assert.equal((await t.read('cucm-user', 'agent1'))?.primaryExtension, '4001@Internal_PT');
  });

  it('a new user gets its extension after addUser; a missing line is named', async () => {
    await t.apply(line('4002@Internal_PT'));
    const created = await t.apply(user('u2', { primaryExtension: '4002@Internal_PT' }));
    assert.equal(created.outcome, 'created');
    assert.equal((await t.read('cucm-user', 'u2'))?.primaryExtension, '4002@Internal_PT');

    const err = await t
      .apply(update(user('u2'), { primaryExtension: '4999@Internal_PT' }))
      .catch((e: unknown) => e);
    assert.equal(codeOf(err), 'missing_reference');
    assert.match((err as Error).message, /line '4999@Internal_PT' does not exist/);
    assert.equal((await t.read('cucm-user', 'u2'))?.primaryExtension, '4002@Internal_PT');
  });

  it("the strict emulator refuses an extension on none of the user's devices", async () => {
    emu.db.strictExtensions = true;
    await joiner('u3', '4003@Internal_PT', 'SEP0000000A0003');
    await t.apply(line('4004@Internal_PT'));
    const other = update(user('u3'), { primaryExtension: '4004@Internal_PT' });
    await assert.rejects(t.apply(other), (e) => codeOf(e) === 'missing_reference');
    const own = update(user('u3'), { primaryExtension: '4003@Internal_PT' });
    assert.equal((await t.apply(own)).outcome, 'updated');
  });

  it('manages forwards with updateLine, changing only the one that differs', async () => {
    await t.apply(line('5001@Internal_PT', { callForwardAll: '+14085550199' }));
    const read = await t.read('cucm-line', '5001@Internal_PT');
    assert.equal(read?.callForwardAll, '+14085550199');
    assert.equal(read?.callForwardBusy, '');
    const busy = update(line('5001@Internal_PT'), {
      callForwardAll: '+14085550199',
      callForwardBusy: '8000',
    });
    assert.equal((await t.apply(busy)).outcome, 'updated');
    assert.deepEqual(emu.db.lines.get('5001\u0000Internal_PT')?.forwards, {
      callForwardAll: '+14085550199',
      callForwardBusy: '8000',
    });
    assert.equal((await t.apply(busy)).outcome, 'noop');
  });

  it('a released number keeps no forward for the next holder', async () => {
    await joiner('leaver', '5002@Internal_PT', 'SEP0000000B0001');
    const dn = line('5002@Internal_PT', { callForwardAll: '+14085550111' });
    await t.apply(update(dn, { callForwardAll: '+14085550111', callForwardNoAnswer: '8000' }));
    // A second phone (someone else's shared appearance) keeps the line in use.
    await t.apply(user('other'));
    const shared = { line1: '5002@Internal_PT', sharedLines: 'true' };
    await t.apply(phone('SEP0000000B0002', 'other', shared));

    await t.apply(del(phone('SEP0000000B0001', 'leaver')));
    await assert.rejects(t.apply(del(dn)), (e) => codeOf(e) === 'state');
    const stays = await t.read('cucm-line', '5002@Internal_PT');
    assert.equal(stays?.callForwardAll, '', 'forward cleared although the line stays');
    assert.equal(stays?.callForwardNoAnswer, '');

    // The number goes to someone else: ensure finds the line and the forward is gone.
    await t.apply(line('5002@Internal_PT', { description: 'newcomer' }));
    const reused = await t.read('cucm-line', '5002@Internal_PT');
    assert.equal(reused?.description, 'newcomer');
    assert.equal(reused?.callForwardAll, '');

    // Once the line is free it goes, and a re-created one starts with no forward.
    await t.apply(del(phone('SEP0000000B0002', 'other')));
    assert.equal((await t.apply(del(dn))).outcome, 'deleted');
    await t.apply(line('5002@Internal_PT', { description: 'third' }));
    assert.equal((await t.read('cucm-line', '5002@Internal_PT'))?.callForwardAll, '');
  });

  it('applies a phone once after its lines change and never when nothing changed', async () => {
    await joiner('u5', '6001@Internal_PT', 'SEP0000000C0001');
    assert.equal(emu.db.applied.get('SEP0000000C0001') ?? 0, 0, 'a new phone needs no apply');
    const same = phone('SEP0000000C0001', 'u5', { line1: '6001@Internal_PT' });
    assert.equal((await t.apply(same)).outcome, 'noop');
    assert.equal(emu.db.applied.get('SEP0000000C0001') ?? 0, 0);

    await t.apply(line('6002@Internal_PT'));
    const more = phone('SEP0000000C0001', 'u5', {
      line1: '6001@Internal_PT',
      line2: '6002@Internal_PT',
    });
    assert.equal((await t.apply(more)).outcome, 'updated');
    assert.equal(emu.db.applied.get('SEP0000000C0001'), 1);
    assert.equal((await t.apply(more)).outcome, 'noop');
    assert.equal(emu.db.applied.get('SEP0000000C0001'), 1);
  });

  it('ensures a remote destination: add, noop, update, remove; unique destination', async () => {
    await t.apply(user('u6'));
    await t.apply(phone('CSFU6', 'u6', { product: 'Cisco Unified Client Services Framework' }));
    const rd: TargetChange = {
      action: 'create',
      type: 'cucm-remote-destination',
      key: '+14085550123',
      attributes: { ownerUserId: 'u6', dualModeDeviceName: 'CSFU6', enableMobileConnect: 'true' },
    };
    assert.equal((await t.apply(rd)).outcome, 'created');
    assert.equal((await t.apply(rd)).outcome, 'noop');
    assert.equal(emu.count('addRemoteDestination'), 1);
    const read = await t.read('cucm-remote-destination', '+14085550123');
    assert.equal(read?.ownerUserId, 'u6');
    assert.equal(read?.dualModeDeviceName, 'CSFU6');

    const off = { ...rd, attributes: { ...rd.attributes, enableMobileConnect: 'false' } };
    assert.equal((await t.apply(off)).outcome, 'updated');
    const stored = emu.db.remoteDestinations.get('+14085550123');
    assert.equal(stored?.fields.enableMobileConnect, 'false');

    await t.apply(user('u7'));
    const theirs = { ...rd, attributes: { ...rd.attributes, ownerUserId: 'u7' } };
    await assert.rejects(t.apply(theirs), (e) => codeOf(e) === 'duplicate');
    assert.equal(emu.db.remoteDestinations.get('+14085550123')?.fields.ownerUserId, 'u6');

    assert.equal((await t.apply(del(rd))).outcome, 'deleted');
    assert.equal((await t.apply(del(rd))).outcome, 'noop');
    assert.equal(await t.read('cucm-remote-destination', '+14085550123'), null);
  });

  it('a remote destination retried after a lost answer is created once', async () => {
    await t.apply(user('u8'));
    const rd: TargetChange = {
      action: 'create',
      type: 'cucm-remote-destination',
      key: '0049301234567',
      attributes: { ownerUserId: 'u8', dualModeDeviceName: 'BOTU8' },
    };
    const missing = await t.apply(rd).catch((e: unknown) => e);
    assert.equal(codeOf(missing), 'missing_reference');
    await t.apply(phone('BOTU8', 'u8', { product: 'Cisco Dual Mode for Android' }));
    emu.dropWriteAnswers = 1;
    await assert.rejects(t.apply(rd), (e) => codeOf(e) === 'unavailable');
    assert.equal((await t.apply(rd)).outcome, 'noop');
    assert.equal(emu.db.remoteDestinations.size, 1);
    const noAnchor = { ...rd, key: '0049301234568', attributes: { ownerUserId: 'u8' } };
    await assert.rejects(t.apply(noAnchor), (e) => codeOf(e) === 'rejected');
  });
});
