/**
 * `callsign numbers import` in-process on the example configuration (SQLite store), and the
 * reconciliation report over a NullTarget's numbers.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { NullTarget } from '../connectors/null/null-target.ts';
import type { PlatformNumber } from '../connectors/types.ts';
import { exampleConfig } from '../core/config.ts';
import { reconcileNumbers } from '../core/number-reconcile.ts';
import { openStore } from '../store/open.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './testing/run-cli.ts';

let dir: string;
let config: string;
let storeUrl: string;

before(async () => {
  process.env.CALLSIGN_LOG_LEVEL = 'silent';
  dir = await mkdtemp(join(tmpdir(), 'callsign-import-cli-'));
  config = join(dir, 'callsign.yaml');
  storeUrl = `sqlite:${join(dir, 'callsign.db')}`;
  await writeFile(
    config,
    exampleConfig().replace('store: sqlite:./callsign.db', `store: ${storeUrl}`),
  );
  assert.equal((await cli('numbers', 'list', '--pool', 'nyc-ext')).code, ExitCode.Ok);
  const store = await openStore(storeUrl);
  for (const [id, employeeId, mail] of [
    ['p-ann', 'E1', 'ann@x.org'],
    ['p-bob', 'E2', 'bob@x.org'],
  ]) {
    await store.savePerson(
      {
        id: id!,
        attributes: {},
        status: 'active',
        sourceLinks: [],
        excluded: false,
        pinned: false,
      },
      { employeeId: employeeId!.toLowerCase(), mail: mail! },
    );
  }
  await store.allocateNumber('nyc-ext', 'p-bob', new Date(), 'engine'); // 2001
  await store.close();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('import: bad rows named by line and field, valid ones imported together', async () => {
  const csv = join(dir, 'in.csv');
  await writeFile(
    csv,
    [
      'pool,number,state,person,note',
      'nyc-ext,2100,assigned,E1,desk',
      'nyc-did,(212) 555-0150,reserved,,CEO line',
      'nyc-ext,2001,assigned,ann@x.org,',
      'nyc-ext,4000,blocked,,',
      'lon-ext,2200,blocked,,',
      'nyc-ext,2300,assigned,nobody@x.org,',
      'nyc-did,+12125550160,sold,,',
    ].join('\n'),
  );
  const dry = await cli('numbers', 'import', '--csv', csv, '--dry-run', '--json');
  assert.equal(dry.code, ExitCode.Partial);
  const report = JSON.parse(dry.out.join('\n'));
  assert.equal(report.valid, 2);
  assert.equal(report.imported, 0);
  assert.deepEqual(
    report.problems.map((p: { line: number; field: string }) => `${p.line}:${p.field}`),
    ['4:number', '5:number', '6:pool', '7:person', '8:state'],
  );

  const real = await cli('numbers', 'import', '--csv', csv);
  assert.equal(real.code, ExitCode.Partial);
  assert.match(real.out.join('\n'), /line 4, field number: 2001 is assigned to someone else/);
  const store = await openStore(storeUrl);
  try {
    assert.deepEqual(
      (await store.numbersOf('p-ann')).map((n) => n.value),
      ['2100'],
    );
    const [reserved] = await store.searchNumbers({ pool: 'nyc-did', state: 'reserved' });
    assert.deepEqual([reserved?.value, reserved?.note], ['+12125550150', 'CEO line']);
  } finally {
    await store.close();
  }
});

test('import: a wrong header or non-UTF-8 bytes import nothing', async () => {
  const csv = join(dir, 'bad.csv');
  await writeFile(csv, 'pool,number,status\nnyc-ext,2400,blocked\n');
  const header = await cli('numbers', 'import', '--csv', csv);
  assert.equal(header.code, ExitCode.Usage);
  assert.match(
    header.err.join('\n'),
    /header must name the columns pool, number, state.*lacks state/,
  );

  // The export's own header (more columns, another order) is taken by name.
  const exported = join(dir, 'exported.csv');
  await writeFile(
    exported,
    'pool,kind,number,state,person,person_name,until,note,updated_at\n' +
      'nyc-ext,extension,2401,blocked,,,,,2026-01-01T00:00:00Z\n',
  );
  const roundTrip = await cli('numbers', 'import', '--csv', exported, '--dry-run');
  assert.equal(roundTrip.code, ExitCode.Ok, roundTrip.err.join('\n'));

  await writeFile(
    csv,
    Buffer.concat([
      Buffer.from('pool,number,state,person,note\n'),
      Buffer.from([0x6e, 0x79, 0xe9, 0x2c]),
      Buffer.from('2400,blocked,,caf\xe9\n', 'latin1'),
    ]),
  );
  const encoding = await cli('numbers', 'import', '--csv', csv);
  assert.equal(encoding.code, ExitCode.Usage);
  assert.match(encoding.err.join('\n'), /not UTF-8/);
  const store = await openStore(storeUrl);
  try {
    assert.equal((await store.searchNumbers({ state: 'blocked' })).length, 0);
  } finally {
    await store.close();
  }
});

test('reconcile report: unknown here, missing there, two numbers of one kind', async () => {
  const target = new NullTarget({ name: 'pbx', concurrency: 1 });
  await target.apply({ action: 'create', type: 'sip-subscriber', key: '2002', attributes: {} });
  await target.apply({
    action: 'create',
    type: 'sip-alias',
    key: '+12125550101',
    attributes: { username: '2001' },
  });
  const numbers: PlatformNumber[] = [];
  for await (const n of target.listNumbers()) numbers.push(n);
  const at = '2030-01-01T00:00:00Z';
  const report = reconcileNumbers(
    [
      {
        pool: 'ext',
        kind: 'extension',
        value: '2001',
        state: 'assigned',
        personId: 'a',
        updatedAt: at,
      },
      { pool: 'ext', kind: 'extension', value: '2002', state: 'available', updatedAt: at },
      {
        pool: 'ext2',
        kind: 'extension',
        value: '5001',
        state: 'assigned',
        personId: 'a',
        updatedAt: at,
      },
      {
        pool: 'did',
        kind: 'did',
        value: '+12125550101',
        state: 'assigned',
        personId: 'a',
        updatedAt: at,
      },
    ],
    [{ target: 'pbx', numbers }],
  );
  assert.deepEqual(report.unknownHere, [
    {
      target: 'pbx',
      value: '2002',
      kind: 'extension',
      owner: '2002',
      pool: 'ext',
      state: 'available',
    },
  ]);
  assert.deepEqual(
    report.missingThere.map((m) => m.value),
    ['2001', '5001'],
  );
  assert.deepEqual(report.duplicates, [
    {
      personId: 'a',
      kind: 'extension',
      numbers: [
        { pool: 'ext', value: '2001' },
        { pool: 'ext2', value: '5001' },
      ],
    },
  ]);
});

function cli(...args: string[]) {
  return runCli(config, ...args);
}
