/**
 * A knowledge worker through the engine on the Cisco emulators, driven by an HR export: the
 * joiner gets a line from the site's pool, an end user, a Jabber softphone in the site's device
 * pool and a voicemail box with a generated numeric PIN; a move to another site swaps the number
 * and the device pool and leaves no old line behind; the leaver loses everything, phone before
 * user before line, and the number rests in quarantine; a rehire inside the quarantine gets the
 * same number back. Runs on SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isTrivialPin } from '../src/engine/vault.ts';
import { createTestDatabase, testDialects } from '../src/store/testing/databases.ts';
import { startCiscoLab, type CiscoLab, type Worker } from './cisco/cisco-lab.ts';
import {
  assertClean,
  axlWrites,
  cucmState,
  mailboxes,
  numberStates,
  personId,
} from './cisco/cisco-state.ts';
import { assertMovedToSfo, SITE_POOLS, softphoneUser, syncClean } from './cisco/cisco-steps.ts';

const { names, skipped } = await testDialects();
for (const dialect of names) {
  test(`knowledge worker: joiner, mover, leaver, rehire (${dialect})`, async () => {
    const database = await createTestDatabase(dialect);
    const lab = await startCiscoLab({ store: database.url });
    try {
      await lifecycle(lab);
    } finally {
      await lab.stop();
      await database.dispose();
    }
  });
}
if (skipped) test('knowledge worker on PostgreSQL', { skip: skipped }, () => undefined);

const ana: Worker = {
  id: 'W100',
  status: 'Active',
  userid: 'ana',
  first: 'Ana',
  last: 'Silva',
  site: 'nyc',
  role: 'knowledge',
};

async function lifecycle(lab: CiscoLab): Promise<void> {
  // Joiner in New York.
  let report = await syncClean(lab, [ana], 'joiner');
  const id = await personId(lab, 'W100');
  assert.deepEqual(await numberStates(lab, SITE_POOLS), {
    '2000': { state: 'assigned', personId: id },
  });
  assert.deepEqual(cucmState(lab), softphoneUser('ana', '2000', 'DP_NYC'));
  const boxes = mailboxes(lab);
  assert.deepEqual(Object.keys(boxes), ['ana']);
  assert.equal(boxes.ana!.extension, '2000');
  const pin = boxes.ana!.pin ?? '';
  assert.match(pin, /^\d{6}$/, 'the voicemail PIN is six digits');
  assert.equal(isTrivialPin(pin), false);
  const shown = report.credentials.find((c) => c.resource === 'cuc/cuc-mailbox/ana');
  assert.equal(shown?.secret, pin, 'the PIN set on Unity Connection is the one handed out');

  report = await lab.sync();
  const again = report.plans.flatMap((p) => p.operations);
  assert.equal(again.length, 0, `a second sync changes nothing: ${JSON.stringify(again)}`);

  // Mover to San Francisco: new number, new device pool, the old line gone.
  report = await syncClean(lab, [{ ...ana, site: 'sfo' }], 'mover');
  assert.equal(report.plans.find((p) => p.personId === id)?.lifecycle, 'mover');
  await assertMovedToSfo(lab, id);
  assert.deepEqual(cucmState(lab), softphoneUser('ana', '3000', 'DP_SFO'));
  assert.deepEqual(mailboxes(lab), { ana: { extension: '3000', pin } }, 'the PIN is kept');

  // Leaver: phone, then user, then line; the mailbox goes; the number is quarantined.
  await lab.drop([{ ...ana, site: 'sfo', status: 'Terminated' }]);
  const mark = lab.cucm.requests.length;
  report = await lab.sync();
  assertClean(report, 'leaver');
  assert.equal(report.plans.find((p) => p.personId === id)?.lifecycle, 'leaver');
  assert.deepEqual(cucmState(lab), { lines: [], users: {}, phones: {} });
  assert.deepEqual(mailboxes(lab), {});
  const removals = axlWrites(lab, mark).filter((op) => op.startsWith('remove'));
  assert.deepEqual(removals, ['removePhone', 'removeUser', 'removeLine']);
  const left = await numberStates(lab, SITE_POOLS);
  assert.equal(left['3000']?.state, 'quarantined');
  assert.equal(left['2000']?.state, 'quarantined');

  // Rehire inside the quarantine: the same number comes back.
  report = await syncClean(lab, [{ ...ana, site: 'sfo' }], 'rehire');
  assert.equal(report.plans.find((p) => p.personId === id)?.lifecycle, 'rehire');
  assert.deepEqual((await numberStates(lab, SITE_POOLS))['3000'], {
    state: 'assigned',
    personId: id,
  });
  assert.deepEqual(cucmState(lab), softphoneUser('ana', '3000', 'DP_SFO'));
  const rehired = mailboxes(lab).ana;
  assert.equal(rehired?.extension, '3000');
  assert.match(rehired?.pin ?? '', /^\d{6}$/);
}
