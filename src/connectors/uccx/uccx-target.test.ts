/**
 * The UCCX connector against the Admin API emulator: it waits (retryably) until UCCX has synced
 * the CUCM user, then sets team, resource group and skills by name with one full-object PUT,
 * keeps skills it never set, takes back what it set on a mover and a leaver, and names the field
 * of a bad value.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { UccxEmulator } from '../../../test/emulators/uccx/uccx-emulator.ts';
import { CallsignError } from '../../core/errors.ts';
import type { TargetChange } from '../types.ts';
import { UccxTarget } from './uccx-target.ts';

describe('UccxTarget', () => {
  let now = Date.parse('2025-03-01T09:00:00Z');
  const clock = () => new Date(now);
  const emu = new UccxEmulator({ clock });
  let target: UccxTarget;
  let ids: Record<string, string>;

  before(async () => {
    const url = await emu.start();
    target = new UccxTarget(
      { name: 'uccx1', type: 'uccx', url, username: 'admin', password: 'env:X', concurrency: 2 },
      { password: 'secret', clock, catalogTtlMs: 60_000 },
    );
  });
  after(async () => {
    await target.close();
    await emu.stop();
  });
  beforeEach(() => {
    emu.clear();
    now += 3_600_000; // past the catalog's cache, so each test sees its own skills
    ids = {
      Sales: emu.add('skill', 'Sales'),
      Support: emu.add('skill', 'Support'),
      Chat: emu.add('skill', 'Chat'),
      Billing: emu.add('skill', 'Billing'),
      team: emu.add('team', 'Tier1'),
      group: emu.add('resourceGroup', 'Voice'),
    };
  });

  const joiner: TargetChange = {
    action: 'create',
    type: 'uccx-agent',
    key: 'jdoe',
    attributes: { team: 'Tier1', resourceGroup: 'Voice', skills: 'Sales:5, Support:7' },
  };
  const failure = async (change: TargetChange) => {
    try {
      await target.apply(change);
    } catch (err) {
      assert.ok(err instanceof CallsignError);
      return err;
    }
    assert.fail('apply should have failed');
  };

  it('waits, retryably, until UCCX has synced the user, then sets team, group and skills', async () => {
    emu.syncUser({ userID: 'jdoe', extension: '6001' }, 120_000);
    const waiting = await failure(joiner);
    assert.equal(waiting.code, 'waiting');
    assert.equal(waiting.retryable, true);
    assert.equal(waiting.retryAfterMs, undefined, 'one agent must not pause the whole target');
    assert.equal(emu.count('PUT'), 0);

    now += 120_000;
    assert.deepEqual(await target.apply(joiner), { externalId: 'jdoe', outcome: 'updated' });
    const stored = emu.resources.get('jdoe');
    assert.equal(stored?.teamId, ids.team);
    assert.equal(stored?.resourceGroupId, ids.group);
    assert.deepEqual(
      [...(stored?.skills ?? [])].sort(),
      [
        [ids.Sales!, 5],
        [ids.Support!, 7],
      ].sort(),
    );
    assert.deepEqual(await target.read('uccx-agent', 'jdoe'), {
      userID: 'jdoe',
      extension: '6001',
      team: 'Tier1',
      resourceGroup: 'Voice',
      skills: 'Sales:5,Support:7',
    });

    assert.equal((await target.apply(joiner)).outcome, 'noop');
    assert.equal(emu.count('PUT'), 1, 'the second apply wrote nothing');
  });

  it('keeps skills it does not manage, and takes back only its own on a mover', async () => {
    emu.syncUser({ userID: 'jdoe', extension: '6001' });
    await target.apply({ ...joiner, attributes: { team: 'Tier1' } });
    emu.resources.get('jdoe')!.skills.set(ids.Chat!, 3); // a supervisor's own choice
    await target.apply(joiner);
    const mover: TargetChange = {
      action: 'update',
      type: 'uccx-agent',
      key: 'jdoe',
      attributes: { skills: 'Sales:8,Billing:4' },
      before: { skills: 'Sales:5,Support:7' },
    };
    assert.equal((await target.apply(mover)).outcome, 'updated');
    const skills = emu.resources.get('jdoe')!.skills;
    assert.deepEqual(
      [...skills].sort(),
      [
        [ids.Chat!, 3],
        [ids.Sales!, 8],
        [ids.Billing!, 4],
      ].sort(),
    );
    assert.equal(emu.resources.get('jdoe')?.teamId, ids.team, 'team untouched by a skills change');
  });

  it('on a leaver removes its skills, team and group, and keeps the rest', async () => {
    emu.syncUser({ userID: 'jdoe', extension: '6001' });
    await target.apply(joiner);
    emu.resources.get('jdoe')!.skills.set(ids.Chat!, 3);
    const leaver: TargetChange = { ...joiner, action: 'delete' };
    assert.equal((await target.apply(leaver)).outcome, 'deleted');
    const stored = emu.resources.get('jdoe');
    assert.deepEqual([...(stored?.skills ?? [])], [[ids.Chat!, 3]]);
    assert.equal(stored?.teamId, '1', 'back in the Default team');
    assert.equal(stored?.resourceGroupId, undefined);
    assert.equal((await target.apply(leaver)).outcome, 'noop');

    emu.unsyncUser('jdoe'); // CUCM removed the IPCC extension
    assert.equal(await target.read('uccx-agent', 'jdoe'), null);
    assert.equal((await target.apply(leaver)).outcome, 'noop');
  });

  it('names the field and the names that do not exist, and refuses a bad level', async () => {
    emu.syncUser({ userID: 'jdoe', extension: '6001' });
    const missing = await failure({ ...joiner, attributes: { skills: 'Sales:5,Gardening:3' } });
    assert.equal(missing.code, 'missing_reference');
    assert.equal(missing.retryable, false);
    assert.match(missing.message, /skills 'Gardening' does not exist/);
    assert.equal(missing.details.field, 'skills');

    const noTeam = await failure({ ...joiner, attributes: { team: 'Nowhere' } });
    assert.match(noTeam.message, /team 'Nowhere' does not exist/);

    const level = await failure({ ...joiner, attributes: { skills: 'Sales:11' } });
    assert.equal(level.code, 'rejected');
    assert.match(level.message, /skills item 'Sales:11'/);
    const unknown = await failure({ ...joiner, attributes: { colour: 'blue' } });
    assert.match(unknown.message, /unknown attribute 'colour'/);
    assert.equal(emu.count('PUT'), 0);
  });

  it('finds a skill added after the list was cached', async () => {
    emu.syncUser({ userID: 'jdoe', extension: '6001' });
    await target.apply(joiner);
    const fresh = emu.add('skill', 'Spanish');
    await target.apply({ ...joiner, attributes: { skills: 'Spanish:6' } });
    assert.equal(emu.resources.get('jdoe')?.skills.get(fresh), 6);
  });

  it('maps a throttled answer and a wrong password', async () => {
    emu.syncUser({ userID: 'jdoe', extension: '6001' });
    emu.throttleNext = 1;
    const busy = await failure(joiner);
    assert.equal(busy.code, 'throttled');
    assert.equal(busy.retryAfterMs, 1000);
    const url = emu.base;
    const wrong = new UccxTarget(
      { name: 'uccx2', type: 'uccx', url, username: 'admin', password: 'env:X', concurrency: 1 },
      { password: 'nope' },
    );
    await assert.rejects(wrong.read('uccx-agent', 'jdoe'), (err: CallsignError) => {
      assert.equal(err.code, 'auth');
      assert.doesNotMatch(err.message, /nope/);
      return true;
    });
    await wrong.close();
  });
});
