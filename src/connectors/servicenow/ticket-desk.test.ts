/**
 * ServiceNow catalog tasks through the engine, against the Table API emulator: a New phone task
 * goes from open to work in progress to closed complete with the extension in its note; a task
 * whose requested item lacks the site is closed incomplete with a problem naming the task and
 * the field; a close whose answer is lost after commit is resent without a second note (T1);
 * after a restart the cursor resumes, and a Remove phone task de-provisions the person.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ServiceNowEmulator } from '../../../test/emulators/servicenow/servicenow-emulator.ts';
import { phoneConfig } from '../../core/testing/config-text.ts';
import type { Engine } from '../../engine/engine.ts';
import { withConfigEngine } from '../../engine/testing/config-engine.ts';
import { ServiceNowSource } from './servicenow-source.ts';
import { TicketDesk } from './ticket-desk.ts';

const deskConfig = (url: string, group: string) =>
  phoneConfig({
    sources: `  - name: desk
    type: servicenow
    url: ${url}
    auth: { user: callsign, password: env:CALLSIGN_TEST_SN_PASSWORD }
    assignmentGroup: ${group}
    pageSize: 2
    itemMap: { 'New phone': joiner, 'Remove phone': leaver, 'Agent': agent }
    fields: { person: requested_for, site: variables.site }`,
    when: 'person.request == "joiner" || person.request == "agent"',
    attributes: "{ displayName: '{{person.displayName}}', site: '{{person.site}}' }",
    maxDeprovisionCount: 5,
    quarantineDays: 30,
  });

test('tasks from new to closed, a missing field, a lost answer, a restart', async () => {
  process.env.CALLSIGN_TEST_SN_PASSWORD = 'secret';
  const sn = new ServiceNowEmulator();
  const url = await sn.start();
  const group = sn.db.insert('sys_user_group', { name: 'Telecom Provisioning' }).sys_id!;
  const person = (name: string, email: string) =>
    sn.db.insert('sys_user', { name, email, employee_number: `E-${name.length}` }).sys_id!;
  const kim = person('Kim Lee', 'kim@example.org');
  const lee = person('Lee Park', 'lee@example.org');
  const ana = person('Ana Diaz', 'ana@example.org');
  const newPhone = sn.db.insert('sc_cat_item', { name: 'New phone' }).sys_id!;
  const removal = sn.db.insert('sc_cat_item', { name: 'Remove phone' }).sys_id!;
  const deskOf = (engine: Engine) => {
    const source = engine.sources.get('desk');
    assert.ok(source instanceof ServiceNowSource);
    return new TicketDesk(engine, source);
  };
  const task = (sysId: string) => sn.db.get('sc_task', sysId)!;
  const notes = (sysId: string) => sn.db.journal(sysId).map((j) => j.value!);
  const options = { config: deskConfig(url, group), prefix: 'callsign-sn-' };
  try {
    await withConfigEngine(options, async ({ engine, pbx, restart }) => {
      let desk = deskOf(engine);
      const good = sn.addRequest({
        item: newPhone,
        requestedFor: kim,
        group,
        variables: { site: 'NYC' },
      });
      const bad = sn.addRequest({ item: newPhone, requestedFor: lee, group });

      let report = await desk.poll();
      assert.equal(report.read, 2);
      assert.equal(pbx.resources.get('sip-subscriber/4000')?.site, 'NYC');
      const picked = sn.requests.find(
        (r) => r.method === 'PATCH' && r.path.endsWith(good.task.sys_id!),
      );
      assert.deepEqual(picked?.body, { state: '2' }, 'picked up as work in progress first');
      assert.equal(task(good.task.sys_id!).state, '3');
      assert.equal(notes(good.task.sys_id!).length, 1);
      assert.match(notes(good.task.sys_id!)[0]!, /extension 4000/);

      const missing = report.problems.find((p) => p.record === bad.task.number);
      assert.equal(missing?.field, 'variables.site');
      assert.equal(task(bad.task.sys_id!).state, '4');
      assert.match(notes(bad.task.sys_id!)[0]!, new RegExp(`${bad.task.number}.*variables\\.site`));
      assert.equal(pbx.resources.size, 1, 'nothing was made for the task that lacks its site');

      // T1: the close is committed, its answer lost; the next poll resends it without a note.
      const lost = sn.addRequest({
        item: newPhone,
        requestedFor: ana,
        group,
        variables: { site: 'SF' },
      });
      sn.dropWrite = (_table, body) => typeof body.work_notes === 'string';
      report = await desk.poll();
      assert.deepEqual(report.open, [lost.task.number]);
      assert.equal(task(lost.task.sys_id!).state, '3', 'the instance committed the close');
      sn.dropWrite = undefined;
      report = await desk.poll();
      assert.deepEqual(report.closed, [{ number: lost.task.number, state: '3' }]);
      assert.equal(notes(lost.task.sys_id!).length, 1, 'the note is in the journal once');
      assert.match(notes(lost.task.sys_id!)[0]!, /extension 4001/);

      // Restart: a new engine on the same store reads only what changed since the cursor.
      desk = deskOf(await restart());
      report = await desk.poll();
      assert.equal(report.read, 0);
      assert.equal(report.run, undefined);
      const leave = sn.addRequest({ item: removal, requestedFor: kim, group });
      report = await desk.poll();
      assert.equal(report.read, 1);
      assert.equal(report.run?.counts.leaver, 1);
      assert.ok(!pbx.resources.has('sip-subscriber/4000'), 'Kim is de-provisioned');
      assert.equal(task(leave.task.sys_id!).state, '3');
      assert.match(notes(leave.task.sys_id!)[0]!, /numbers released: 4000/);
      assert.equal(notes(good.task.sys_id!).length, 1, 'earlier tasks got no new note');
    });
  } finally {
    await sn.stop();
  }
});
