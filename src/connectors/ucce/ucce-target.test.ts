/**
 * The UCCE connector against the Configuration API emulator: joiner (person + agent, skill
 * groups by name), ensure on retry, changeStamp on every PUT with stale recovery, a bad skill
 * group refused before anything is written, mover keeping foreign skill groups, leaver with
 * deferred delete, rehire, and agent team membership (join, move with the changeStamp, leave).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { UcceEmulator } from '../../../test/emulators/ucce/ucce-emulator.ts';
import { CallsignError } from '../../core/errors.ts';
import type { TargetChange } from '../types.ts';
import { UcceTarget } from './ucce-target.ts';

describe('UcceTarget', () => {
  const emu = new UcceEmulator();
  let target: UcceTarget;
  let groups: Record<string, string>;

  before(async () => {
    const url = await emu.start();
    target = new UcceTarget(
      { name: 'ucce1', type: 'ucce', url, username: 'admin', password: 'env:X', concurrency: 2 },
      { password: 'secret', pageSize: 2 },
    );
  });
  after(async () => {
    await target.close();
    await emu.stop();
  });
  beforeEach(() => {
    emu.clear();
    groups = {
      Sales: emu.addSkillGroup('Sales'),
      Support: emu.addSkillGroup('Support'),
      Billing: emu.addSkillGroup('Billing'),
      Chat: emu.addSkillGroup('Chat'),
    };
  });

  const joiner: TargetChange = {
    action: 'create',
    type: 'ucce-agent',
    key: 'jdoe',
    attributes: {
      firstName: 'Jane',
      lastName: 'Doe',
      agentId: '4001',
      skillGroups: 'Sales,Support',
    },
    secret: 'Agent-Pass-1',
  };
  const agentOf = (login: string) =>
    [...emu.agents.values()].find(
      (a) => !a.deleted && emu.persons.get(a.personId)?.userName === login,
    );
  const failure = async (change: TargetChange) => {
    try {
      await target.apply(change);
    } catch (err) {
      assert.ok(err instanceof CallsignError);
      return err;
    }
    assert.fail('apply should have failed');
  };

  it('creates person and agent with skill groups; again is a noop', async () => {
    // Neighbours whose names contain the key: the search must match exactly, across pages.
    for (const u of ['jdoe2', 'ajdoe', 'jdoe3']) {
      await target.apply({ ...joiner, key: u, attributes: { ...joiner.attributes, agentId: '' } });
    }
    const result = await target.apply(joiner);
    assert.equal(result.outcome, 'created');
    const agent = agentOf('jdoe');
    assert.equal(result.externalId, agent?.id);
    assert.equal(agent?.agentId, '4001');
    assert.deepEqual(agent?.skillGroupIds, [groups.Sales, groups.Support]);
    const person = emu.persons.get(agent!.personId);
    assert.equal(person?.password, 'Agent-Pass-1');
    assert.deepEqual(await target.read('ucce-agent', 'jdoe'), {
      userName: 'jdoe',
      firstName: 'Jane',
      lastName: 'Doe',
      agentId: '4001',
      description: '',
      skillGroups: 'Sales,Support',
    });
    const writes = () => emu.requests.filter((r) => r.method !== 'GET').length;
    const before = writes();
    assert.equal((await target.apply({ ...joiner, action: 'update' })).outcome, 'noop');
    assert.equal((await target.apply(joiner)).outcome, 'noop', 'a retried create finds it');
    assert.equal(writes(), before);
  });

  it('carries the current changeStamp and recovers once from a stale one', async () => {
    await target.apply(joiner);
    const agent = agentOf('jdoe')!;
    emu.onNextPut = () => emu.touch('person', agent.personId);
    const rename: TargetChange = {
      action: 'update',
      type: 'ucce-agent',
      key: 'jdoe',
      attributes: { lastName: 'Doe-Smith' },
    };
    assert.equal((await target.apply(rename)).outcome, 'updated');
    assert.equal(emu.persons.get(agent.personId)?.lastName, 'Doe-Smith');
    const puts = emu.requests.filter((r) => r.method === 'PUT');
    assert.deepEqual(
      puts.map((p) => p.status),
      [400, 200],
    );
    assert.match(puts[1]?.body ?? '', /<changeStamp>1<\/changeStamp>/);

    // Stale twice: the operation is handed back to the engine to retry later.
    let bumps = 0;
    const bump = () => {
      emu.touch('agent', agent.id);
      bumps += 1;
      if (bumps < 2) emu.onNextPut = bump;
    };
    emu.onNextPut = bump;
    const busy = await failure({ ...rename, attributes: { description: 'night shift' } });
    assert.equal(busy.code, 'throttled');
    assert.equal(busy.retryable, true);
    assert.equal(emu.agents.get(agent.id)?.description, '');
  });

  it('refuses an unknown skill group by name before writing anything', async () => {
    const bad = { ...joiner, attributes: { ...joiner.attributes, skillGroups: 'Sales,Gardening' } };
    const err = await failure(bad);
    assert.equal(err.code, 'missing_reference');
    assert.match(err.message, /skillGroups 'Gardening' does not exist/);
    assert.equal(err.details.field, 'skillGroups');
    assert.equal(emu.persons.size, 0, 'no person left behind');
    assert.equal(emu.requests.filter((r) => r.method !== 'GET').length, 0);
  });

  it('names the field the server refuses (apiError errorData)', async () => {
    const err = await failure({
      ...joiner,
      attributes: { ...joiner.attributes, agentId: '123456789012' },
    });
    assert.equal(err.code, 'rejected');
    assert.match(err.message, /invalidInput\.outOfRange field 'agentId'/);
    assert.deepEqual(err.details.fields, ['agentId']);
    // The person was made before the agent was refused: the next try reuses it.
    const fixed = await target.apply(joiner);
    assert.equal(fixed.outcome, 'created');
    assert.equal(emu.persons.size, 1);
  });

  it('moves skill groups, keeping ones it did not set', async () => {
    await target.apply(joiner);
    const agent = agentOf('jdoe')!;
    agent.skillGroupIds.push(groups.Chat!); // a supervisor's addition
    const mover: TargetChange = {
      action: 'update',
      type: 'ucce-agent',
      key: 'jdoe',
      attributes: { skillGroups: 'Sales,Billing' },
      before: { skillGroups: 'Sales,Support' },
    };
    assert.equal((await target.apply(mover)).outcome, 'updated');
    assert.deepEqual(
      [...agent.skillGroupIds].sort(),
      [groups.Sales, groups.Chat, groups.Billing].sort(),
    );
  });

  it('deletes on leave (deferred), treats the marked agent as gone, and rehires', async () => {
    await target.apply(joiner);
    const first = agentOf('jdoe')!;
    const leaver: TargetChange = { ...joiner, action: 'delete', attributes: {} };
    assert.equal((await target.apply(leaver)).outcome, 'deleted');
    assert.equal(emu.agents.get(first.id)?.deleted, true, 'still present, marked deleted');
    assert.equal(emu.persons.get(first.personId)?.deleted, true);
    assert.equal(await target.read('ucce-agent', 'jdoe'), null);
    assert.equal((await target.apply(leaver)).outcome, 'noop');

    const rehire = await target.apply(joiner);
    assert.equal(rehire.outcome, 'created');
    assert.notEqual(rehire.externalId, first.id);
    assert.equal(agentOf('jdoe')?.agentId, '4001', 'the agent id is free again');
  });
  it('puts the agent in its team, moves it between teams and takes it out on leave', async () => {
    emu.addAgentTeam('AT_NYC');
    emu.addAgentTeam('AT_SFO');
    const inTeam = { ...joiner, attributes: { ...joiner.attributes, agentTeam: 'AT_NYC' } };
    assert.equal((await target.apply(inTeam)).outcome, 'created');
    assert.deepEqual(emu.teamMembers('AT_NYC'), ['jdoe']);
    assert.equal((await target.apply({ ...inTeam, action: 'update' })).outcome, 'noop');

    // Someone saves the new team just before Callsign: the stale changeStamp is read again.
    const sfo = [...emu.agentTeams.values()].find((t) => t.name === 'AT_SFO')!;
    emu.onNextPut = () => {
      // The first PUT leaves AT_NYC; the second, joining AT_SFO, meets the other save.
      emu.onNextPut = () => void (sfo.changeStamp += 1);
    };
    const moved = await target.apply({
      action: 'update',
      type: 'ucce-agent',
      key: 'jdoe',
      attributes: { agentTeam: 'AT_SFO' },
      before: { agentTeam: 'AT_NYC' },
    });
    assert.equal(moved.outcome, 'updated');
    assert.deepEqual(emu.teamMembers('AT_NYC'), [], 'left the old team first');
    assert.deepEqual(emu.teamMembers('AT_SFO'), ['jdoe']);
    const refused = emu.requests.filter((r) => r.path.startsWith('agentteam/') && r.status === 400);
    assert.equal(refused.length, 1, 'one stale changeStamp, read again and retried');

    const unknown = await failure({
      ...inTeam,
      action: 'update',
      attributes: { agentTeam: 'AT_X' },
    });
    assert.equal(unknown.code, 'missing_reference');
    assert.equal(unknown.details.field, 'agentTeam');

    const teamPuts = emu.count('PUT', 'agentteam/');
    const gone = await target.apply({
      action: 'delete',
      type: 'ucce-agent',
      key: 'jdoe',
      attributes: { ...joiner.attributes, agentTeam: 'AT_SFO' },
    });
    assert.equal(gone.outcome, 'deleted');
    assert.equal(emu.count('PUT', 'agentteam/'), teamPuts + 1, 'left the team before the delete');
    assert.deepEqual(emu.teamMembers('AT_SFO'), []);
    assert.equal(agentOf('jdoe'), undefined);
  });
});
