/**
 * ServiceNow's outbound REST notice, through the API against the Table API emulator: a POST
 * naming a task makes Callsign read the task by sys_id and work it at once (no poll); the body
 * is not trusted (a task of another group named in it is not worked); two notices of one task
 * work it once, and the next poll does not plan it again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ServiceNowEmulator } from '../../../test/emulators/servicenow/servicenow-emulator.ts';
import { createApp } from '../../api/app.ts';
import { TokenStore } from '../../api/token-store.ts';
import { phoneConfig } from '../../core/testing/config-text.ts';
import { storeUrl } from '../../engine/engine.ts';
import { withConfigEngine } from '../../engine/testing/config-engine.ts';
import { ServiceNowSource } from './servicenow-source.ts';
import { TicketDesk } from './ticket-desk.ts';

const hintConfig = (url: string, group: string) =>
  phoneConfig({
    sources: `  - name: desk
    type: servicenow
    url: ${url}
    auth: { user: callsign, password: env:CALLSIGN_TEST_SN_PASSWORD }
    assignmentGroup: ${group}
    itemMap: { 'New phone': joiner }
    fields: { person: requested_for, site: variables.site }`,
    when: 'person.request == "joiner"',
    quarantineDays: 30,
  });

test('a notice works the task now, once, and only if the instance says it is ours', async () => {
  process.env.CALLSIGN_TEST_SN_PASSWORD = 'secret';
  const sn = new ServiceNowEmulator();
  const url = await sn.start();
  const group = sn.db.insert('sys_user_group', { name: 'Telecom Provisioning' }).sys_id!;
  const other = sn.db.insert('sys_user_group', { name: 'Facilities' }).sys_id!;
  const kim = sn.db.insert('sys_user', { name: 'Kim Lee', email: 'kim@example.org' }).sys_id!;
  const ana = sn.db.insert('sys_user', { name: 'Ana Diaz', email: 'ana@example.org' }).sys_id!;
  const item = sn.db.insert('sc_cat_item', { name: 'New phone' }).sys_id!;
  const options = { config: hintConfig(url, group), prefix: 'callsign-sn-hint-' };
  try {
    await withConfigEngine(options, async ({ dir, engine, pbx }) => {
      const tokens = TokenStore.open(storeUrl(engine.config.store, dir));
      try {
        const token = (await tokens.create({ name: 'servicenow', scope: 'write', actor: 'test' }))
          .token;
        const reader = (await tokens.create({ name: 'viewer', scope: 'read', actor: 'test' }))
          .token;
        const app = createApp({
          deps: { engine, tokens },
          api: { maxBodyBytes: 65_536, rateLimitPerMinute: 10_000 },
          openMetrics: false,
        });
        const notice = (body: unknown, bearer = token) =>
          app.request('/api/v1/servicenow/desk/tasks', {
            method: 'POST',
            headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });

        const mine = sn.addRequest({ item, requestedFor: kim, group, variables: { site: 'NYC' } });
        const theirs = sn.addRequest({
          item,
          requestedFor: ana,
          group: other,
          variables: { site: 'SF' },
        });
        const id = mine.task.sys_id!;

        // The body says "our group" for the other group's task: the instance says otherwise.
        let res = await notice({ sys_id: theirs.task.sys_id, assignment_group: group });
        assert.equal(res.status, 200);
        assert.match(
          ((await res.json()) as { skipped: string }).skipped,
          /not assigned to the group/,
        );
        assert.equal(pbx.resources.size, 0);

        // Two notices of one task at once: worked once.
        const [a, b] = await Promise.all([notice({ sys_id: id }), notice({ sys_id: id })]);
        const answers = [(await a.json()) as { runId?: string; skipped?: string }, await b.json()];
        assert.equal(answers.filter((x) => x.runId !== undefined).length, 1, 'one run');
        assert.equal(sn.db.get('sc_task', id)!.state, '3', 'closed complete without a poll');
        assert.equal(sn.db.journal(id).length, 1, 'one note');
        const picks = sn.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(id));
        assert.equal(picks.filter((r) => r.body?.state === '2').length, 1, 'picked up once');
        assert.ok(
          sn.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/sc_task/${id}`)),
          'the task was read back by sys_id',
        );
        assert.equal(pbx.resources.size, 1);

        // The poll sees the task (our updates moved it) and does not plan it again.
        const source = engine.sources.get('desk');
        assert.ok(source instanceof ServiceNowSource);
        const report = await new TicketDesk(engine, source).poll();
        assert.equal(report.run, undefined);
        assert.equal(pbx.resources.size, 1);

        res = await notice({ sys_id: id });
        assert.match(((await res.json()) as { skipped: string }).skipped, /not active/);
        assert.equal((await notice({ sys_id: 'not-a-sys-id' })).status, 400);
        assert.equal((await notice({ sys_id: id }, reader)).status, 403);
      } finally {
        await tokens.close();
      }
    });
  } finally {
    await sn.stop();
  }
});
