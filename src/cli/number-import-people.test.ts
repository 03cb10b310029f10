/**
 * `numbers import` finds the person of a row by Callsign's own person id, or by any of the
 * configuration's correlation keys in any case (stored keys keep their source's spelling), and
 * a row nobody matches names the keys this configuration really has.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { exampleConfig } from '../core/config.ts';
import { openStore } from '../store/open.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './testing/run-cli.ts';

let dir: string;
let config: string;
let storeUrl: string;

before(async () => {
  process.env.CALLSIGN_LOG_LEVEL = 'silent';
  dir = await mkdtemp(join(tmpdir(), 'callsign-import-people-'));
  config = join(dir, 'callsign.yaml');
  storeUrl = `sqlite:${join(dir, 'callsign.db')}`;
  // A configuration that correlates by worker id and mail (no employeeId).
  const text = exampleConfig()
    .replace('store: sqlite:./callsign.db', `store: ${storeUrl}`)
    .replace('correlation: [employeeId, mail]', 'correlation: [workerId, mail]')
    .replace('      employeeId: employeeNumber\n', '      workerId: employeeNumber\n');
  await writeFile(config, text);
  assert.equal((await runCli(config, 'numbers', 'list', '--pool', 'nyc-ext')).code, ExitCode.Ok);
  const store = await openStore(storeUrl);
  try {
    for (const [id, workerId, mail] of [
      ['p-nine', 'W9', 'Nine@Acme.example'],
      ['p-ten', 'W10', 'ten@acme.example'],
      ['p-eleven', 'W11', 'eleven@acme.example'],
    ] as const) {
      const person = { id, attributes: {}, status: 'active' as const, sourceLinks: [] };
      await store.savePerson({ ...person, excluded: false, pinned: false }, { workerId, mail });
    }
  } finally {
    await store.close();
  }
});
after(() => rm(dir, { recursive: true, force: true }));

test('worker ids in either case, mail in any case and person ids are all found', async () => {
  const csv = join(dir, 'people.csv');
  await writeFile(
    csv,
    [
      'pool,number,state,person,note',
      'nyc-ext,2100,assigned,W9,',
      'nyc-ext,2101,assigned,w10,',
      'nyc-did,+12125550150,assigned,NINE@acme.example,',
      'nyc-ext,2102,assigned,p-eleven,',
    ].join('\n'),
  );
  const r = await runCli(config, 'numbers', 'import', '--csv', csv, '--json');
  assert.equal(r.code, ExitCode.Ok, r.out.join('\n') + r.err.join('\n'));
  const store = await openStore(storeUrl);
  try {
    const holders = (await store.listNumbers())
      .filter((n) => n.state === 'assigned')
      .map((n) => `${n.value}:${n.personId}`)
      .sort();
    assert.deepEqual(holders, [
      '+12125550150:p-nine',
      '2100:p-nine',
      '2101:p-ten',
      '2102:p-eleven',
    ]);
  } finally {
    await store.close();
  }
});

test('nobody found: the message names person id and the configured keys only', async () => {
  const csv = join(dir, 'ghost.csv');
  await writeFile(csv, 'pool,number,state,person,note\nnyc-ext,2200,assigned,W99,\n');
  const r = await runCli(config, 'numbers', 'import', '--csv', csv, '--dry-run', '--json');
  const [problem] = JSON.parse(r.out.join('\n')).problems;
  assert.equal(problem.field, 'person');
  assert.equal(problem.message, "nobody has person id, workerId or mail 'W99'");
  assert.doesNotMatch(problem.message, /employeeId/);
});
