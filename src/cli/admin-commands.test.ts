/**
 * Commands that look at what a sync stored must not create a store: a mistyped `store:` path
 * would otherwise show an empty history as if nothing had ever run.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { exampleConfig } from '../core/config.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './testing/run-cli.ts';

let dir: string;
let config: string;
let dbPath: string;

before(async () => {
  process.env.CALLSIGN_LOG_LEVEL = 'silent';
  dir = await mkdtemp(join(tmpdir(), 'callsign-admin-cli-'));
  config = join(dir, 'callsign.yaml');
  dbPath = join(dir, 'callsgin.db');
  const yaml = exampleConfig().replace('store: sqlite:./callsign.db', `store: sqlite:${dbPath}`);
  assert.notEqual(yaml, exampleConfig(), 'the example names its store as expected');
  await writeFile(config, yaml);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

for (const args of [
  ['status'],
  ['audit'],
  ['people', 'list'],
  ['ops', 'list'],
  ['reject', 'run-1'],
  ['webhooks', 'deliveries'],
]) {
  test(`${args.join(' ')} on a store that does not exist: exit 7, nothing created`, async () => {
    const r = await runCli(config, ...args);
    assert.equal(r.code, ExitCode.NotFound, r.err.join('\n'));
    assert.match(r.err.join('\n'), /No store at .*callsgin\.db/);
    assert.equal(existsSync(dbPath), false);
  });
}

test('once a command that may create the store has run, status reads it', async () => {
  assert.equal((await runCli(config, 'numbers', 'list', '--pool', 'nyc-ext')).code, ExitCode.Ok);
  assert.equal(existsSync(dbPath), true);
  const r = await runCli(config, 'status');
  assert.equal(r.code, ExitCode.Ok, r.err.join('\n'));
});
