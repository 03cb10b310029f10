/**
 * `callsign numbers …` in-process, on the example configuration with its store in a temporary
 * SQLite file. No source or target is reached: these commands open the store only.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { exampleConfig } from '../core/config.ts';
import { parseCsv, restoreCell } from '../core/csv.ts';
import { openStore } from '../store/open.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './testing/run-cli.ts';

let dir: string;
let config: string;
let storeUrl: string;

before(async () => {
  process.env.CALLSIGN_LOG_LEVEL = 'silent';
  dir = await mkdtemp(join(tmpdir(), 'callsign-numbers-cli-'));
  config = join(dir, 'callsign.yaml');
  storeUrl = `sqlite:${join(dir, 'callsign.db')}`;
  await writeFile(
    config,
    exampleConfig().replace('store: sqlite:./callsign.db', `store: ${storeUrl}`),
  );

  // The first command creates the store and syncs the configured pools into it.
  assert.equal((await cli('numbers', 'list', '--pool', 'nyc-ext')).code, ExitCode.Ok);
  const store = await openStore(storeUrl);
  for (const [id, name] of [
    ['alice', 'Alice'],
    ['bob', '=HYPERLINK("http://x")'],
  ]) {
    await store.savePerson(
      {
        id,
        attributes: { displayName: name },
        status: 'active',
        sourceLinks: [],
        excluded: false,
        pinned: false,
      },
      {},
    );
  }
  await store.allocateNumber('nyc-ext', 'alice', new Date(), 'engine');
  await store.allocateNumber('nyc-did', 'alice', new Date(), 'engine');
  await store.close();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('list and search print the inventory; --json is parseable', async () => {
  const list = await cli('numbers', 'list', '--pool', 'nyc-ext', '--state', 'assigned');
  assert.deepEqual(list.out, ['nyc-ext  2001  assigned  alice']);

  const found = await cli('numbers', 'search', '--person', 'alice', '--json');
  const values = JSON.parse(found.out.join('\n')).map((n: { value: string }) => n.value);
  assert.deepEqual(values, ['+12125550100', '2001']);
  assert.equal((await cli('numbers', 'search', '--state', 'taken')).code, ExitCode.Usage);
});

test('reserve takes a number as people write it and stores it canonically', async () => {
  const r = await cli(
    'numbers',
    'reserve',
    'nyc-did',
    '(212) 555-0150',
    '--for',
    'bob',
    '--days',
    '7',
    '--note',
    'new VP',
  );
  assert.equal(r.code, ExitCode.Ok, r.err.join('\n'));
  assert.match(r.out[0]!, /^number \+12125550150 in pool nyc-did: reserved for bob until 20/);

  const again = await cli('numbers', 'reserve', 'nyc-did', '+12125550150');
  assert.equal(again.code, ExitCode.NotFound);
  assert.match(
    again.err[0]!,
    /Cannot reserve number '\+12125550150' in pool 'nyc-did': it is reserved for person bob/,
  );
  const bad = await cli('numbers', 'reserve', 'nyc-did', '555-01');
  assert.equal(bad.code, ExitCode.Usage);
  const ghost = await cli('numbers', 'reserve', 'nyc-ext', '2005', '--for', 'ghost');
  assert.deepEqual(
    [ghost.code, ghost.err],
    [ExitCode.NotFound, ["callsign: No person has the id or a employeeId, mail, workerId 'ghost'"]],
  );

  assert.equal(
    (await cli('numbers', 'unreserve', 'nyc-did', '+12125550150', '--reason', 'offer withdrawn'))
      .code,
    ExitCode.Ok,
  );
});

test('block refuses an assigned number naming the person; unknown pool and number', async () => {
  const r = await cli('numbers', 'block', 'nyc-ext', '2001', '--reason', 'vanity');
  assert.equal(r.code, ExitCode.NotFound);
  assert.deepEqual(r.err, [
    "callsign: Cannot block number '2001' in pool 'nyc-ext': it is " +
      'assigned to person alice; release or move it first',
  ]);

  assert.deepEqual((await cli('numbers', 'block', 'nyc-ext', '2911', '--reason', 'x')).out, [
    'number 2911 in pool nyc-ext: blocked',
  ]);
  const missing = await cli('numbers', 'unblock', 'nyc-ext', '99999', '--reason', 'x');
  assert.deepEqual(
    [missing.code, missing.err],
    [ExitCode.NotFound, ["callsign: Number '99999' is not in pool 'nyc-ext'"]],
  );
  const pool = await cli('numbers', 'block', 'lon-ext', '1', '--reason', 'x');
  assert.equal(pool.code, ExitCode.NotFound);
  assert.match(pool.err[0]!, /Pool 'lon-ext' is not configured \(pools: nyc-ext, nyc-did/);
  assert.equal((await cli('numbers', 'block', 'nyc-ext', '2912')).code, ExitCode.Usage);
});

test('move, then release into quarantine; release of a free number is refused', async () => {
  const moved = await cli('numbers', 'move', 'nyc-ext', '2001', 'bob', '--reason', 'desk swap');
  assert.deepEqual(moved.out, ['number 2001 in pool nyc-ext: moved to bob']);
  const active = await cli('numbers', 'release', 'nyc-ext', '2001', '--reason', 'left');
  assert.equal(active.code, ExitCode.NotFound);
  assert.match(active.err[0]!, /person bob is active and the next sync would give it back/);
  await setStatus('bob', 'disabled');
  const released = await cli('numbers', 'release', 'nyc-ext', '2001', '--reason', 'left');
  assert.match(released.out[0]!, /released from bob, quarantined until 20\d\d-/);

  const free = await cli('numbers', 'release', 'nyc-ext', '2002', '--reason', 'x');
  assert.deepEqual(
    [free.code, free.err],
    [
      ExitCode.NotFound,
      [
        'callsign: Cannot release ' +
          "number '2002' in pool 'nyc-ext': it is available, not assigned",
      ],
    ],
  );
  const audit = await cli('audit', '--action', 'number.moved', '--json');
  assert.equal(JSON.parse(audit.out.join('\n'))[0].after.reason, 'desk swap');
});

test('report shows utilisation, a forecast and the low-stock flag', async () => {
  const r = await cli('numbers', 'report', '--window', '7', '--low-stock', '99.5', '--json');
  const reports = JSON.parse(r.out.join('\n')) as {
    pool: string;
    lowStock: boolean;
    allocationsInWindow: number;
    forecast: string;
    free: number;
    daysLeft: number;
  }[];
  const did = reports.find((p) => p.pool === 'nyc-did')!;
  assert.equal(did.allocationsInWindow, 1);
  // One allocation in a 7-day window: the free numbers last seven days each.
  const free = await cli('numbers', 'list', '--pool', 'nyc-did', '--state', 'available', '--json');
  assert.equal(did.free, JSON.parse(free.out.join('\n')).length);
  assert.ok(did.free > 90, `most of the 100 DIDs are free (${did.free})`);
  assert.equal(did.daysLeft, Math.floor(did.free / (1 / 7)));
  const days = `runs out in about ${did.daysLeft} days`;
  assert.match(did.forecast, new RegExp(`^${days} .* at 0\\.14 allocations a day$`));
  assert.equal(did.lowStock, true);

  const text = await cli('numbers', 'report');
  assert.ok(text.out.some((l) => /^sfo-ext \(extension\): 999 free of 999 usable/.test(l)));
  assert.ok(text.out.includes('  forecast: no allocations in the window (last 30 days)'));
});

test('export writes CSV whose DIDs and names cannot run as formulas', async () => {
  const out = join(dir, 'numbers.csv');
  const r = await cli('numbers', 'export', '--out', out, '--pool', 'nyc-did');
  assert.deepEqual(r.out, [`wrote 100 numbers to ${out}`]);

  const rows = parseCsv(await readFile(out, 'utf8'));
  assert.deepEqual(rows[0], [
    'pool',
    'kind',
    'number',
    'state',
    'person',
    'person_name',
    'until',
    'note',
    'updated_at',
    'forward_to',
    'pinned_to',
    'emergency_location',
    'emergency_elin',
    'emergency_callback',
  ]);
  assert.equal(rows[1]![2], "'+12125550100");
  assert.equal(rows[1]![5], 'Alice');
  assert.equal(restoreCell(rows[1]![2]!), '+12125550100');
  const bobs = await cli('numbers', 'export', '--out', out, '--state', 'quarantined');
  assert.equal(bobs.code, ExitCode.Ok);
  const [, row] = parseCsv(await readFile(out, 'utf8'));
  assert.deepEqual([row![4], row![5]], ['bob', `'=HYPERLINK("http://x")`]);
});

/** Sets a stored person's status, as a sync would after their source said so. */
async function setStatus(id: string, status: 'active' | 'disabled') {
  const store = await openStore(storeUrl);
  try {
    const person = await store.getPerson(id);
    await store.savePerson({ ...person!, status }, {});
  } finally {
    await store.close();
  }
}

/** Runs the CLI in-process with `-c config`, collecting what it prints. */
function cli(...args: string[]) {
  return runCli(config, ...args);
}
