/**
 * `callsign numbers pin|unpin|emergency` in-process on the example configuration (SQLite in a
 * temporary folder): a pin is refused for a number someone else holds, naming both people; an
 * emergency override is checked against the pool's region and shows in list and export.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { exampleConfig } from '../core/config.ts';
import { parseCsv } from '../core/csv.ts';
import { openStore } from '../store/open.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './testing/run-cli.ts';

let dir: string;
let config: string;

before(async () => {
  process.env.CALLSIGN_LOG_LEVEL = 'silent';
  dir = await mkdtemp(join(tmpdir(), 'callsign-pin-cli-'));
  config = join(dir, 'callsign.yaml');
  const storeUrl = `sqlite:${join(dir, 'callsign.db')}`;
  const site = "    range: { start: '+12125550100', end: '+12125550199' }\n";
  await writeFile(
    config,
    exampleConfig()
      .replace('store: sqlite:./callsign.db', `store: ${storeUrl}`)
      .replace(site, site + "    emergency: { location: '1 Main St', callback: '+12125550199' }\n"),
  );
  assert.equal((await cli('numbers', 'list', '--pool', 'nyc-did')).code, ExitCode.Ok);
  const store = await openStore(storeUrl);
  for (const [id, name] of [
    ['alice', 'Alice'],
    ['bob', 'Bob'],
  ]) {
    const person = { id, attributes: { displayName: name }, status: 'active' as const };
    await store.savePerson({ ...person, sourceLinks: [], excluded: false, pinned: false }, {});
  }
  await store.allocateNumber('nyc-did', 'alice', new Date(), 'engine');
  await store.close();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('pin a free number to a person; a number someone else holds is refused', async () => {
  const pinned = await cli('numbers', 'pin', 'nyc-did', '(212) 555-0160', 'bob');
  assert.equal(pinned.code, ExitCode.Ok, pinned.err.join('\n'));
  assert.deepEqual(pinned.out, ['number +12125550160 in pool nyc-did: pinned to bob']);
  const list = await cli('numbers', 'list', '--prefix', '+12125550160');
  assert.match(list.out[0]!, /reserved {2}bob .*pinned to bob/);

  const taken = await cli('numbers', 'pin', 'nyc-did', '+12125550100', 'bob');
  assert.equal(taken.code, ExitCode.NotFound);
  assert.match(
    taken.err.join('\n'),
    /to Bob \(person bob\): it is assigned to Alice \(person alice\)/,
  );

  const unpinned = await cli('numbers', 'unpin', 'nyc-did', '+12125550160', '--reason', 'moved');
  assert.equal(unpinned.code, ExitCode.Ok, unpinned.err.join('\n'));
  const after = await cli('numbers', 'list', '--prefix', '+12125550160');
  assert.match(after.out[0]!, /available/);
});

test("a number's own emergency data replaces its site's; checked against the region", async () => {
  const site = await cli('numbers', 'list', '--prefix', '+12125550100');
  assert.match(site.out[0]!, /emergency \(site\): 1 Main St, callback \+12125550199/);

  const set = await cli(
    'numbers',
    'emergency',
    'nyc-did',
    '+12125550100',
    '--location',
    'Floor 3, room 12',
    '--callback',
    '212 555 0100',
  );
  assert.equal(set.code, ExitCode.Ok, set.err.join('\n'));
  const own = await cli('numbers', 'list', '--prefix', '+12125550100');
  assert.match(own.out[0]!, /emergency: Floor 3, room 12, callback \+12125550100/);

  const foreign = await cli(
    'numbers',
    'emergency',
    'nyc-did',
    '+12125550100',
    '--callback',
    '+44 20 7946 0000',
  );
  assert.equal(foreign.code, ExitCode.Usage);
  assert.match(foreign.err.join('\n'), /--callback: .* is a number of region GB, not US/);

  const out = join(dir, 'export.csv');
  assert.equal((await cli('numbers', 'export', '--out', out, '--pool', 'nyc-did')).code, 0);
  const rows = parseCsv(await readFile(out, 'utf8'));
  const at = (name: string) => rows[0]!.indexOf(name);
  const first = rows.find((r) => r[2] === "'+12125550100")!;
  const second = rows.find((r) => r[2] === "'+12125550101")!;
  assert.equal(first[at('emergency_location')], 'Floor 3, room 12');
  assert.equal(first[at('emergency_callback')], "'+12125550100");
  assert.equal(second[at('emergency_location')], '1 Main St', "the site's data otherwise");

  const cleared = await cli('numbers', 'emergency', 'nyc-did', '+12125550100', '--clear');
  assert.equal(cleared.code, ExitCode.Ok);
  const back = await cli('numbers', 'list', '--prefix', '+12125550100');
  assert.match(back.out[0]!, /emergency \(site\)/);
});

function cli(...args: string[]) {
  return runCli(config, ...args);
}

test('pin, reserve --for, move and list --person take a worker id or mail, as people show does', async () => {
  const store = await openStore(`sqlite:${join(dir, 'callsign.db')}`);
  for (const [id, employeeId, mail] of [
    ['p-carol', 'E7', 'carol@example.org'],
    ['p-dan', 'E8', 'shared@example.org'],
    ['p-eve', 'E9', 'shared@example.org'],
  ] as const) {
    const person = { id, attributes: { employeeId, mail }, status: 'active' as const };
    await store.savePerson(
      { ...person, sourceLinks: [], excluded: false, pinned: false },
      { employeeId, mail },
    );
  }
  await store.close();

  const pinned = await cli('numbers', 'pin', 'nyc-did', '+12125550170', 'E7');
  assert.equal(pinned.code, ExitCode.Ok, pinned.err.join('\n'));
  assert.deepEqual(pinned.out, ['number +12125550170 in pool nyc-did: pinned to p-carol']);
  const byMail = await cli('numbers', 'list', '--person', 'CAROL@example.org');
  assert.match(byMail.out.join('\n'), /\+12125550170 {2}reserved {2}p-carol/);

  const reserved = await cli('numbers', 'reserve', 'nyc-did', '+12125550171', '--for', 'E8');
  assert.equal(reserved.code, ExitCode.Ok, reserved.err.join('\n'));
  assert.match(reserved.out[0]!, /reserved for p-dan/);

  const ambiguous = await cli('numbers', 'pin', 'nyc-did', '+12125550172', 'shared@example.org');
  assert.notEqual(ambiguous.code, ExitCode.Ok);
  assert.match(
    ambiguous.err.join('\n'),
    /matches 2 people: .*p-dan.*p-eve|matches 2 people: .*p-eve.*p-dan/,
  );
  const unknown = await cli('numbers', 'pin', 'nyc-did', '+12125550172', 'E404');
  assert.equal(unknown.code, ExitCode.NotFound);
  assert.match(unknown.err.join('\n'), /No person has the id or a .*'E404'/);

  const moved = await cli('numbers', 'move', 'nyc-did', '+12125550100', 'E9', '--reason', 'desk');
  assert.equal(moved.code, ExitCode.Ok, moved.err.join('\n'));
  assert.deepEqual(moved.out, ['number +12125550100 in pool nyc-did: moved to p-eve']);
});
