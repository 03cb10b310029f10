/**
 * A UCCX agent through the engine: everything a knowledge worker gets, the IPCC extension on the
 * CUCM user, then the UCCX resource's team, resource group and skills once UCCX has synced the
 * user from Unified CM (the operation waits, retried, until the resource appears). A move to
 * another site follows with the new number and the site's team; the leaver's UCCX settings are
 * taken back before the CUCM user goes, and UCCX drops the resource at its next sync; a rehire
 * inside the quarantine gets the same number back and is an agent again.
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
  until,
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

const ben: Worker = {
  id: 'W200',
  status: 'Active',
  userid: 'ben',
  first: 'Ben',
  last: 'Okafor',
  site: 'nyc',
  role: 'uccx',
};

/** The UCCX resource as names: extension, team, resource group, skills with levels. */
function agent(userID: string) {
  const r = lab().uccx.resources.get(userID);
  if (r === undefined) return undefined;
  const skills = [...r.skills].map(([id, level]) => `${lab().uccx.skills.get(id)}:${level}`);
  return {
    extension: r.extension,
    team: lab().uccx.teams.get(r.teamId),
    resourceGroup:
      r.resourceGroupId === undefined ? '' : lab().uccx.resourceGroups.get(r.resourceGroupId),
    skills: skills.sort(),
  };
}

test('UCCX agent: joiner waits for the UCCX sync, mover, leaver, rehire', async () => {
  // Joiner: the agent settings wait until UCCX has synced the new CUCM user.
  let report = await syncClean(lab(), [ben], 'joiner');
  const id = await personId(lab(), 'W200');
  assert.deepEqual(await numberStates(lab(), SITE_POOLS), {
    '2000': { state: 'assigned', personId: id },
  });
  assert.deepEqual(cucmState(lab()), softphoneUser('ben', '2000', 'DP_NYC', { ipcc: true }));
  assert.equal(mailboxes(lab()).ben?.extension, '2000');
  assert.ok((report.execution?.retried ?? 0) >= 1, 'the agent operation waited for the sync');
  const early = lab().uccx.requests.filter((r) => r.path === 'resource/ben' && r.status === 404);
  assert.ok(early.length >= 1, 'UCCX was asked before its sync and answered 404');
  assert.deepEqual(agent('ben'), {
    extension: '2000',
    team: 'Team_NYC',
    resourceGroup: 'RG_Agents',
    skills: ['Sales:7', 'Support:4'],
  });

  // Mover: new number (UCCX follows the IPCC extension), new device pool, the site's team.
  report = await syncClean(lab(), [{ ...ben, site: 'sfo' }], 'mover');
  await assertMovedToSfo(lab(), id);
  assert.deepEqual(cucmState(lab()), softphoneUser('ben', '3000', 'DP_SFO', { ipcc: true }));
  assert.deepEqual(Object.keys(mailboxes(lab())), ['ben']);
  assert.equal(mailboxes(lab()).ben?.extension, '3000');
  assert.deepEqual([...lab().uccx.resources.keys()], ['ben'], 'one resource, no leftover');
  assert.deepEqual(agent('ben'), {
    extension: '3000',
    team: 'Team_SFO',
    resourceGroup: 'RG_Agents',
    skills: ['Sales:7', 'Support:4'],
  });

  // Leaver: UCCX settings taken back before the CUCM user goes; then UCCX drops the resource.
  await lab().drop([{ ...ben, site: 'sfo', status: 'Terminated' }]);
  const mark = lab().timeline.length;
  report = await lab().sync();
  assertClean(report, 'leaver');
  const writes = writesSince(lab(), mark);
  const at = (w: string) => {
    const i = writes.indexOf(w);
    assert.ok(i >= 0, `${w} in ${JSON.stringify(writes)}`);
    return i;
  };
  assert.ok(at('uccx PUT resource/ben') < at('cucm removeUser'), 'agent before user');
  assert.ok(at('cucm removePhone') < at('cucm removeLine'), 'phone before line');
  assert.ok(at('cucm removeUser') < at('cucm removeLine'), 'user before line');
  assert.deepEqual(cucmState(lab()), { lines: [], users: {}, phones: {} });
  assert.deepEqual(mailboxes(lab()), {});
  assert.equal((await numberStates(lab(), SITE_POOLS))['3000']?.state, 'quarantined');
  await until(() => {
    lab().uccx.syncNow();
    return !lab().uccx.resources.has('ben');
  }, 'UCCX to drop the resource');

  // Rehire inside the quarantine: same number, an agent again once UCCX syncs.
  report = await syncClean(lab(), [{ ...ben, site: 'sfo' }], 'rehire');
  assert.deepEqual((await numberStates(lab(), SITE_POOLS))['3000'], {
    state: 'assigned',
    personId: id,
  });
  assert.deepEqual(cucmState(lab()), softphoneUser('ben', '3000', 'DP_SFO', { ipcc: true }));
  assert.deepEqual(agent('ben'), {
    extension: '3000',
    team: 'Team_SFO',
    resourceGroup: 'RG_Agents',
    skills: ['Sales:7', 'Support:4'],
  });
});
