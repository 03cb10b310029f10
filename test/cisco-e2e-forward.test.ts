/**
 * Leaver forwarding on Unified CM through the engine (issue 4 on Cisco): a direct-line worker
 * whose DID pool has `leaverForward: { days: 14, to: manager }` leaves; their phone and end user
 * go, but their directory number stays (same pattern and partition) with Call Forward All to
 * their manager's extension, placed with the forward calling search space. When the manager
 * leaves too, the forward re-points at the announcement. After day 14 on the engine's clock the
 * DN is removed and only then is the DID quarantined. Someone rehired during their forward gets
 * the forward removed and their own line, phone and user back. Runs on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createTestDatabase, testDialects } from '../src/store/testing/databases.ts';
import { startCiscoLab, type CiscoLab, type Worker } from './cisco/cisco-lab.ts';
import {
  assertClean,
  axlWrites,
  cucmForwards,
  cucmState,
  numberStates,
  personId,
} from './cisco/cisco-state.ts';

const DAY = 86_400_000;
const POOLS = ['nyc-did', 'nyc-did-ext'];
const ANNOUNCEMENT = '+12125550199';

const { names, skipped } = await testDialects();
for (const dialect of names) {
  test(`direct-line leaver: DN forwarded to the manager, then gone (${dialect})`, async () => {
    const database = await createTestDatabase(dialect);
    // Injected clock, in the future (the store journals at wall-clock time).
    const clock = { now: new Date('2031-03-03T09:00:00Z') };
    const lab = await startCiscoLab({ store: database.url, clock: () => clock.now });
    try {
      await forwardLifecycle(lab, clock);
    } finally {
      await lab.stop();
      await database.dispose();
    }
  });
}
if (skipped) test('direct-line leaver on PostgreSQL', { skip: skipped }, () => undefined);

const worker = (id: string, userid: string, first: string, manager?: string): Worker => ({
  id,
  status: 'Active',
  userid,
  first,
  last: 'Silva',
  site: 'nyc',
  role: 'direct',
  ...(manager === undefined ? {} : { manager }),
});
const boss = worker('W300', 'bea', 'Bea');
const ana = worker('W301', 'ana', 'Ana', 'bea');
const carl = worker('W302', 'carl', 'Carl', 'bea');
const gone = (w: Worker): Worker => ({ ...w, status: 'Terminated' });

async function forwardLifecycle(lab: CiscoLab, clock: { now: Date }): Promise<void> {
  await lab.drop([boss, ana, carl]);
  assertClean(await lab.sync(), 'joiners');
  const anaId = await personId(lab, ana.id);
  const states = await numberStates(lab, POOLS);
  // The DID and the extension the pool mapping pairs with it, in allocation order.
  assert.deepEqual(states['+12125552100'], {
    state: 'assigned',
    personId: await personId(lab, boss.id),
  });
  assert.deepEqual(states['+12125552101'], { state: 'assigned', personId: anaId });
  assert.deepEqual(states['2101'], { state: 'assigned', personId: anaId });
  assert.deepEqual(cucmState(lab).lines, [
    '2100@Internal_PT',
    '2101@Internal_PT',
    '2102@Internal_PT',
  ]);

  // Ana leaves a day later: phone and user go, her DN stays, forwarded to Bea's extension.
  clock.now = new Date(clock.now.getTime() + DAY);
  await lab.drop([boss, gone(ana), carl]);
  const mark = lab.cucm.requests.length;
  let report = await lab.sync();
  assertClean(report, 'leaver');
  const plan = report.plans.find((p) => p.personId === anaId)!;
  assert.equal(plan.lifecycle, 'leaver');
  assert.deepEqual(
    plan.operations.filter((op) => op.target === 'cucm').map((op) => `${op.action} ${op.type}`),
    ['delete cucm-phone', 'delete cucm-user', 'create did-forward', 'delete cucm-line'],
  );
  assert.deepEqual(axlWrites(lab, mark), ['removePhone', 'removeUser', 'updateLine']);
  const during = cucmState(lab);
  assert.deepEqual(during.lines, ['2100@Internal_PT', '2101@Internal_PT', '2102@Internal_PT']);
  assert.equal(during.users.ana, undefined, 'no end user');
  assert.equal(during.phones.CSFANA, undefined, 'no phone');
  assert.ok(
    Object.values(during.phones).every(
      (p) => !p.lines.some((l) => l.endsWith(':2101@Internal_PT')),
    ),
    'the DN is on no device',
  );
  assert.deepEqual(cucmForwards(lab), {
    '2101@Internal_PT': { destination: '2100', css: 'Forward_CSS' },
  });
  let numbers = await numberStates(lab, POOLS);
  assert.equal(numbers['+12125552101']?.state, 'forwarding');
  assert.equal(numbers['2101']?.state, 'quarantined', 'the extension goes; its DID stays');
  const [forwarding] = await lab.engine.store.searchNumbers({ prefix: '+12125552101' });
  const until = new Date(clock.now.getTime() + 14 * DAY).toISOString();
  assert.deepEqual(forwarding?.forward, {
    to: '+12125552100',
    extension: '2100',
    via: 'manager',
    until,
  });

  // Day 10: nothing to do.
  clock.now = new Date(clock.now.getTime() + 9 * DAY);
  report = await lab.sync();
  assert.deepEqual(
    report.plans.flatMap((p) => p.operations),
    [],
    'the forward is kept',
  );

  // Carl leaves on day 10 and is rehired two days later: forward removed, his line back.
  await lab.drop([boss, gone(ana), gone(carl)]);
  assertClean(await lab.sync(), 'carl leaves');
  assert.deepEqual(cucmForwards(lab)['2102@Internal_PT'], {
    destination: '2100',
    css: 'Forward_CSS',
  });
  clock.now = new Date(clock.now.getTime() + 2 * DAY);
  await lab.drop([boss, gone(ana), carl]);
  const rehireMark = lab.cucm.requests.length;
  report = await lab.sync();
  assertClean(report, 'carl rehired');
  const carlId = await personId(lab, carl.id);
  const back = report.plans.find((p) => p.personId === carlId)!;
  assert.equal(back.lifecycle, 'rehire');
  assert.equal(`${back.operations[0]?.action} ${back.operations[0]?.type}`, 'delete did-forward');
  assert.deepEqual(axlWrites(lab, rehireMark).slice(0, 4), [
    'updateLine',
    'removeLine',
    'addLine',
    'addUser',
  ]);
  const rehired = cucmState(lab);
  assert.deepEqual(rehired.phones.CSFCARL?.lines, ['1:2102@Internal_PT']);
  assert.equal(rehired.users.carl?.primary, '2102@Internal_PT');
  assert.equal(cucmForwards(lab)['2102@Internal_PT'], undefined, 'his line rings him again');
  numbers = await numberStates(lab, POOLS);
  assert.deepEqual(numbers['+12125552102'], { state: 'assigned', personId: carlId });

  // Bea leaves on day 13: Ana's forward re-points at the announcement, Bea's own too.
  clock.now = new Date(clock.now.getTime() + DAY);
  await lab.drop([gone(boss), gone(ana), carl]);
  assertClean(await lab.sync(), 'manager leaves');
  assert.deepEqual(cucmForwards(lab), {
    '2100@Internal_PT': { destination: ANNOUNCEMENT, css: 'Forward_CSS' },
    '2101@Internal_PT': { destination: ANNOUNCEMENT, css: 'Forward_CSS' },
  });

  // Past Ana's 14 days: her forward is removed first, then her DID rests in quarantine.
  clock.now = new Date(Date.parse(until) + 60_000);
  const endMark = lab.cucm.requests.length;
  report = await lab.sync();
  assertClean(report, 'forward ended');
  const end = report.plans.find((p) => p.personId === anaId)!;
  assert.deepEqual(
    end.operations.map((op) => `${op.action} ${op.target}/${op.type}`),
    ['delete cucm/did-forward', 'delete inventory/number'],
  );
  assert.deepEqual(axlWrites(lab, endMark), ['updateLine', 'removeLine']);
  assert.deepEqual(cucmState(lab).lines, ['2100@Internal_PT', '2102@Internal_PT'], 'no orphan');
  numbers = await numberStates(lab, POOLS);
  assert.equal(numbers['+12125552101']?.state, 'quarantined');
  assert.equal(numbers['+12125552100']?.state, 'forwarding', "Bea's forward goes on");
}
