/**
 * Steps the Cisco lifecycle tests share: one lab for a test file, a sync that must come back
 * clean, the CUCM state a softphone user should leave, and the number swap of a site move.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import type { RunReport } from '../../src/engine/reconcile.ts';
import { startCiscoLab, type CiscoLab, type Worker } from './cisco-lab.ts';
import { assertClean, numberStates, type CucmState } from './cisco-state.ts';

/** The extension pools of the two lab sites. */
export const SITE_POOLS = ['nyc-ext', 'sfo-ext'];

/** Starts one lab before the file's tests and stops it after; the getter gives it to them. */
export function labForFile(): () => CiscoLab {
  let lab: CiscoLab | undefined;
  before(async () => {
    lab = await startCiscoLab();
  });
  after(async () => {
    await lab?.stop();
  });
  return () => {
    assert.ok(lab, 'the Cisco lab has started');
    return lab;
  };
}

/** Drops the HR export with these workers, syncs, and checks nothing failed at this step. */
export async function syncClean(
  lab: CiscoLab,
  workers: Worker[],
  step: string,
): Promise<RunReport> {
  await lab.drop(workers);
  const report = await lab.sync();
  assertClean(report, step);
  return report;
}

/** What CUCM holds for one user with a Jabber softphone on this number in this device pool. */
export function softphoneUser(
  userid: string,
  number: string,
  pool: string,
  o: { ipcc?: boolean } = {},
): CucmState {
  const line = `${number}@Internal_PT`;
  const device = `CSF${userid.toUpperCase()}`;
  return {
    lines: [line],
    users: { [userid]: { primary: line, ipcc: o.ipcc ? line : '', devices: [device] } },
    phones: { [device]: { devicePool: pool, owner: userid, lines: [`1:${line}`] } },
  };
}

/** After a move from New York to San Francisco: 3000 is the person's, 2000 rests. */
export async function assertMovedToSfo(lab: CiscoLab, personId: string): Promise<void> {
  const moved = await numberStates(lab, SITE_POOLS);
  assert.deepEqual(moved['3000'], { state: 'assigned', personId });
  assert.equal(moved['2000']?.state, 'quarantined', 'the old number rests in quarantine');
}
