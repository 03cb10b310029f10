/**
 * `numbers release` takes a number into quarantine only when its holder no longer needs it:
 * a number an active person would get back at the next sync, or one their resources still
 * carry, is refused with the way out (move it, or remove the need); their number is untouched.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { exampleConfig } from '../core/config.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './testing/run-cli.ts';

let dir: string;
let config: string;
let storeUrl: string;

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeUrl);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

before(async () => {
  process.env.CALLSIGN_LOG_LEVEL = 'silent';
  dir = await mkdtemp(join(tmpdir(), 'callsign-release-'));
  config = join(dir, 'callsign.yaml');
  storeUrl = `sqlite:${join(dir, 'callsign.db')}`;
  await writeFile(
    config,
    exampleConfig().replace('store: sqlite:./callsign.db', `store: ${storeUrl}`),
  );
  assert.equal((await runCli(config, 'numbers', 'list', '--pool', 'nyc-ext')).code, ExitCode.Ok);
  await withStore(async (store) => {
    for (const [id, status] of [
      ['anna', 'active'],
      ['dora', 'disabled'],
      ['lea', 'disabled'],
    ] as const) {
      const person = { id, attributes: {}, status, sourceLinks: [], excluded: false };
      await store.savePerson({ ...person, pinned: false }, {});
      await store.allocateNumber('nyc-ext', id, new Date(), 'engine');
    }
    // Dora left, but her subscriber, keyed by her number, is not removed yet.
    const dora = (await store.numbersOf('dora'))[0]!;
    await store.saveLink({
      personId: 'dora',
      target: 'kamailio',
      type: 'sip-subscriber',
      key: dora.value,
      externalId: dora.value,
      attributes: {},
    });
  });
});
after(() => rm(dir, { recursive: true, force: true }));

const numberOf = (id: string) => withStore(async (s) => (await s.numbersOf(id))[0]!.value);
const stateOf = (value: string) =>
  withStore(async (s) => (await s.listNumbers('nyc-ext')).find((n) => n.value === value)!);

test("an active person's number is refused, pointing to move", async () => {
  const value = await numberOf('anna');
  const r = await runCli(config, 'numbers', 'release', 'nyc-ext', value, '--reason', 'reclaim');
  assert.equal(r.code, ExitCode.NotFound);
  assert.match(r.err[0]!, /person anna is active and the next sync would give it back/);
  assert.match(r.err[0]!, new RegExp(`callsign numbers move nyc-ext ${value} <person>`));
  assert.equal((await stateOf(value)).state, 'assigned');
});

test('a number a resource still carries is refused, naming the resource', async () => {
  const value = await numberOf('dora');
  const r = await runCli(config, 'numbers', 'release', 'nyc-ext', value, '--reason', 'left');
  assert.equal(r.code, ExitCode.NotFound);
  assert.match(r.err[0]!, new RegExp(`dora still uses it \\(kamailio/sip-subscriber ${value}\\)`));
  assert.equal((await stateOf(value)).state, 'assigned');
});

test('a leaver without resources is released into quarantine', async () => {
  const value = await numberOf('lea');
  const r = await runCli(config, 'numbers', 'release', 'nyc-ext', value, '--reason', 'left');
  assert.equal(r.code, ExitCode.Ok, r.err.join('\n'));
  assert.equal((await stateOf(value)).state, 'quarantined');
});
