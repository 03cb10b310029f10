/**
 * The change feed on a real OpenLDAP whose session log no longer reaches back to the stored
 * cursor (slapd restarted): syncprov answers with a present phase, and the feed works the
 * deletions out from the people the store links to the source, instead of a full read.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ChangeFeed } from '../src/engine/change-feed.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { generateLabPeople } from '../src/lab/slapd.ts';
import { labUnavailable, startLab, type Lab } from './lab.ts';

const skip = labUnavailable({ kamailio: false });
const people = generateLabPeople(5).map((p) => ({ ...p, employeeType: 'employee' }));
let lab: Lab;

before(async () => {
  if (skip) return;
  lab = await startLab({ people, store: 'sqlite:./callsign.db', kamailio: false });
});
after(async () => {
  await lab?.stop();
});

test(
  'a present phase after a slapd restart is a change read, deletions included',
  { skip },
  async () => {
    const engine = await lab.open();
    try {
      const feed = new ChangeFeed(engine);
      const first = await feed.next();
      assert.equal(first.mode, 'full');
      const report = await reconcile(engine, { mode: 'sync', actor: 'test' });
      assert.equal(report.state, 'finished');
      await first.commit();

      const gone = (await lab.slapd.people.readPerson('p00002', ['entryUUID'])).entryUUID![0]!;
      await lab.slapd.people.deletePerson('p00002');
      await lab.slapd.people.modifyPerson('p00003', { l: 'Lisbon' });
      // The session log is kept in memory: after the restart it no longer reaches the cursor.
      await lab.slapd.restart();

      const next = await feed.next();
      assert.equal(next.mode, 'delta', next.mode === 'full' ? next.reason : '');
      const records = next.mode === 'delta' ? next.changes.flatMap((c) => c.records) : [];
      // The full run wrote numbers back, so those entries count as changed too.
      const deleted = records.filter((r) => r.state === 'deleted').map((r) => r.externalId);
      assert.deepEqual(deleted, [gone]);
      assert.ok(records.some((r) => r.state === 'active' && r.attributes.site === 'Lisbon'));
    } finally {
      await engine.close();
    }
  },
);
