/**
 * `callsign plan` is a dry run: an edited pool range is reported, not applied. The stored pool
 * keeps every number and state until `sync` (nor do status, audit or people apply it); a
 * brand-new pool is previewed from its definition.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { DROP_HEADER, dropSource, hrCsv } from '../connectors/hr/test-kit.ts';
import { phoneConfig } from '../core/testing/config-text.ts';
import { openStore } from '../store/open.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './testing/run-cli.ts';

let dir: string;
let config: string;

const write = (lastExtension: string) =>
  writeFile(
    config,
    phoneConfig({
      sources: dropSource(''),
      when: "'true'",
      lastExtension,
    }),
  );

before(async () => {
  process.env.CALLSIGN_LOG_LEVEL = 'silent';
  dir = await mkdtemp(join(tmpdir(), 'callsign-plan-pools-'));
  config = join(dir, 'callsign.yaml');
  await mkdir(join(dir, 'drop'));
  const rows = ['W1,Active,Regular,w1@example.com,Worker 1,2020-01-01,'];
  await writeFile(join(dir, 'drop', 'workers.csv'), hrCsv(rows, DROP_HEADER));
});
after(() => rm(dir, { recursive: true, force: true }));

async function stateCounts(): Promise<Record<string, number>> {
  const store = await openStore(`sqlite:${join(dir, 'callsign.db')}`);
  try {
    const counts: Record<string, number> = {};
    for (const n of await store.listNumbers('ext')) counts[n.state] = (counts[n.state] ?? 0) + 1;
    return counts;
  } finally {
    await store.close();
  }
}

test('plan on a fresh store previews a new pool without creating it', async () => {
  await write('4009');
  const plan = await runCli(config, 'plan');
  assert.equal(plan.code, ExitCode.Ok, plan.err.join('\n'));
  assert.ok(
    plan.out.some((l) => /4000/.test(l)),
    plan.out.join('\n'),
  );
  assert.ok(plan.out.some((l) => /ext: new pool, 10 numbers to add/.test(l)));
  assert.deepEqual(await stateCounts(), {});
});

test('plan after a range edit reports the change and writes nothing', async () => {
  const sync = await runCli(config, 'sync');
  assert.equal(sync.code, ExitCode.Ok, sync.err.join('\n'));
  assert.deepEqual(await stateCounts(), { assigned: 1, available: 9 });

  await writeFile(
    config,
    phoneConfig({ sources: dropSource(''), when: "'true'", lastExtension: '4009' }).replace(
      "start: '4000'",
      "start: '4005'",
    ),
  );
  const plan = await runCli(config, 'plan', '--json');
  assert.equal(plan.code, ExitCode.Ok, plan.err.join('\n'));
  const changes = JSON.parse(plan.out.join('\n')).poolChanges;
  assert.deepEqual(changes, [
    {
      pool: 'ext',
      isNew: false,
      added: 0,
      retired: 4,
      restored: 0,
      outOfRange: ['4000'],
      settings: false,
    },
  ]);
  assert.deepEqual(await stateCounts(), { assigned: 1, available: 9 }, 'plan changed nothing');
  for (const look of [['status'], ['audit'], ['people', 'list']]) {
    assert.equal((await runCli(config, ...look)).code, ExitCode.Ok, look.join(' '));
  }
  assert.deepEqual(await stateCounts(), { assigned: 1, available: 9 }, 'looking changed nothing');

  await runCli(config, 'sync');
  assert.equal((await stateCounts())['retired'], 4, 'sync applies the new range');
  await write('4009');
  await runCli(config, 'sync');
  assert.deepEqual(
    await stateCounts(),
    { assigned: 1, available: 9 },
    'a reverted range restores the numbers it retired',
  );
});
