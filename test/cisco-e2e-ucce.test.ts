/**
 * A UCCE agent through the engine: everything a knowledge worker gets, plus the UCCE person and
 * agent with skill groups and the site's agent team (membership written on the team, with its
 * changeStamp). A move to another site swaps the number, the device pool and the agent team; the
 * leaver's agent leaves its team and is deleted before the CUCM user goes; a rehire inside the
 * quarantine gets the same number back and a new agent in the team.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type Worker } from './cisco/cisco-lab.ts';
import {
  assertClean,
  cucmState,
  mailboxes,
  numberStates,
  personId,
  writesSince,
} from './cisco/cisco-state.ts';
import {
  assertMovedToSfo,
  labForFile,
  SITE_POOLS,
  softphoneUser,
  syncClean,
} from './cisco/cisco-steps.ts';

const lab = labForFile();

const cara: Worker = {
  id: 'W300',
  status: 'Active',
  userid: 'cara',
  first: 'Cara',
  last: 'Lindqvist',
  site: 'nyc',
  role: 'ucce',
};

/** Cara's live UCCE agent: skill groups and password, by name; undefined when none. */
function ucceAgent() {
  const ucce = lab().ucce;
  const live = [...ucce.agents.values()].filter((a) => !a.deleted);
  const agent = live.find((a) => ucce.persons.get(a.personId)?.userName === 'cara');
  if (agent === undefined) return undefined;
  const person = ucce.persons.get(agent.personId)!;
  return {
    name: `${person.firstName} ${person.lastName}`,
    password: person.password,
    skillGroups: agent.skillGroupIds.map((g) => ucce.skillGroups.get(g)?.name).sort(),
  };
}

/** Agents and persons not marked deleted. */
function live() {
  const count = (items: Iterable<{ deleted: boolean }>) =>
    [...items].filter((i) => !i.deleted).length;
  return { agents: count(lab().ucce.agents.values()), persons: count(lab().ucce.persons.values()) };
}

function teams() {
  return { AT_NYC: lab().ucce.teamMembers('AT_NYC'), AT_SFO: lab().ucce.teamMembers('AT_SFO') };
}

test('UCCE agent: joiner, mover, leaver, rehire with skill groups and agent team', async () => {
  // Joiner in New York.
  let report = await syncClean(lab(), [cara], 'joiner');
  const id = await personId(lab(), 'W300');
  assert.deepEqual(await numberStates(lab(), SITE_POOLS), {
    '2000': { state: 'assigned', personId: id },
  });
  assert.deepEqual(cucmState(lab()), softphoneUser('cara', '2000', 'DP_NYC'));
  assert.equal(mailboxes(lab()).cara?.extension, '2000');
  const password = report.credentials.find((c) => c.resource === 'ucce/ucce-agent/cara')?.secret;
  assert.equal(password?.length, 20, 'the agent password is generated and shown once');
  assert.deepEqual(ucceAgent(), {
    name: 'Cara Lindqvist',
    password,
    skillGroups: ['SG_Sales', 'SG_Support'],
  });
  assert.deepEqual(teams(), { AT_NYC: ['cara'], AT_SFO: [] });

  // Mover: new number and device pool; the agent moves to the San Francisco team.
  await lab().drop([{ ...cara, site: 'sfo' }]);
  const moving = lab().timeline.length;
  report = await lab().sync();
  assertClean(report, 'mover');
  await assertMovedToSfo(lab(), id);
  assert.deepEqual(cucmState(lab()), softphoneUser('cara', '3000', 'DP_SFO'));
  assert.equal(mailboxes(lab()).cara?.extension, '3000');
  assert.deepEqual(teams(), { AT_NYC: [], AT_SFO: ['cara'] });
  assert.equal(ucceAgent()?.password, password, 'a move keeps the agent');
  assert.deepEqual(live(), { agents: 1, persons: 1 }, 'no second agent or person');
  assert.deepEqual(Object.keys(mailboxes(lab())), ['cara']);
  const teamPuts = writesSince(lab(), moving).filter((w) => w.startsWith('ucce PUT agentteam/'));
  assert.equal(teamPuts.length, 2, 'left one team, joined the other');

  // Leaver: out of the team and deleted before the CUCM user goes.
  await lab().drop([{ ...cara, site: 'sfo', status: 'Terminated' }]);
  const mark = lab().timeline.length;
  report = await lab().sync();
  assertClean(report, 'leaver');
  const writes = writesSince(lab(), mark);
  const at = (prefix: string) => {
    const i = writes.findIndex((w) => w.startsWith(prefix));
    assert.ok(i >= 0, `${prefix} in ${JSON.stringify(writes)}`);
    return i;
  };
  assert.ok(at('ucce PUT agentteam/') < at('ucce DELETE agent/'), 'team left before the delete');
  assert.ok(at('ucce DELETE agent/') < at('ucce DELETE person/'));
  assert.ok(at('ucce DELETE person/') < at('cucm removeUser'), 'agent before user');
  assert.ok(at('cucm removePhone') < at('cucm removeLine'), 'phone before line');
  assert.equal(ucceAgent(), undefined);
  assert.deepEqual(live(), { agents: 0, persons: 0 }, 'agent and person both deleted');
  assert.deepEqual(teams(), { AT_NYC: [], AT_SFO: [] });
  assert.deepEqual(cucmState(lab()), { lines: [], users: {}, phones: {} });
  assert.deepEqual(mailboxes(lab()), {});
  assert.equal((await numberStates(lab(), SITE_POOLS))['3000']?.state, 'quarantined');

  // Rehire inside the quarantine: the same number, a new agent in the team.
  report = await syncClean(lab(), [{ ...cara, site: 'sfo' }], 'rehire');
  assert.deepEqual((await numberStates(lab(), SITE_POOLS))['3000'], {
    state: 'assigned',
    personId: id,
  });
  assert.deepEqual(cucmState(lab()), softphoneUser('cara', '3000', 'DP_SFO'));
  assert.deepEqual(ucceAgent()?.skillGroups, ['SG_Sales', 'SG_Support']);
  assert.deepEqual(teams(), { AT_NYC: [], AT_SFO: ['cara'] });
});
