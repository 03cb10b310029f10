/**
 * What a fresh user's trial found in the CLI: output piped into `head` ends quietly; a past
 * `--until` is a usage error (exit 2); `people show/exclude/pin` take a worker id or mail as
 * well as the person id, say which matched and refuse an ambiguous one; `--reason` is audited.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { exampleConfig } from '../core/config.ts';
import { openStore } from '../store/open.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './testing/run-cli.ts';

const bin = fileURLToPath(new URL('../../bin/callsign.mjs', import.meta.url));
let dir: string;
let config: string;
let storeUrl: string;

before(async () => {
  process.env.CALLSIGN_LOG_LEVEL = 'silent';
  dir = await mkdtemp(join(tmpdir(), 'callsign-cli-trial-'));
  config = join(dir, 'callsign.yaml');
  storeUrl = `sqlite:${join(dir, 'callsign.db')}`;
  await writeFile(
    config,
    exampleConfig().replace('store: sqlite:./callsign.db', `store: ${storeUrl}`),
  );
  assert.equal((await runCli(config, 'numbers', 'list', '--pool', 'nyc-ext')).code, ExitCode.Ok);
  const store = await openStore(storeUrl);
  try {
    for (const [id, employeeId, mail] of [
      ['p-ann', 'W9', 'Ann@Acme.example'],
      ['p-bob', 'W10', 'bob@acme.example'],
      // Carol's worker id is Bob's mail by mistake: a name that two people match.
      ['p-carol', 'bob@acme.example', 'carol@acme.example'],
    ] as const) {
      const person = { id, attributes: { employeeId, mail }, status: 'active' as const };
      await store.savePerson(
        { ...person, sourceLinks: [], excluded: false, pinned: false },
        { employeeId, mail },
      );
    }
  } finally {
    await store.close();
  }
});
after(() => rm(dir, { recursive: true, force: true }));

test('numbers list and status piped into a reader that stops early end quietly', async () => {
  for (const args of [['numbers', 'list'], ['status']]) {
    const child = spawn(process.execPath, [bin, ...args, '-c', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CALLSIGN_LOG_LEVEL: 'silent' },
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    // Like `head -1`: read the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.doesNotMatch(stderr, /EPIPE|Unhandled/, args.join(' '));
    assert.equal(code, 0, `${args.join(' ')}: ${stderr}`);
  }
});

test('reserve --until in the past is a usage error (exit 2)', async () => {
  const r = await runCli(config, 'numbers', 'reserve', 'nyc-ext', '2050', '--until', '2020-01-01');
  assert.equal(r.code, ExitCode.Usage);
  assert.match(r.err[0]!, /--until 2020-01-01: that time has passed/);
});

test('people show takes a worker id or mail in any case and says which matched', async () => {
  const byWorker = await runCli(config, 'people', 'show', 'w9');
  assert.equal(byWorker.code, ExitCode.Ok, byWorker.err.join('\n'));
  const shown = JSON.parse(byWorker.out.join('\n'));
  assert.deepEqual([shown.person.id, shown.matchedBy], ['p-ann', 'employeeId']);
  const byMail = JSON.parse(
    (await runCli(config, 'people', 'show', 'ann@acme.example')).out.join('\n'),
  );
  assert.deepEqual([byMail.person.id, byMail.matchedBy], ['p-ann', 'mail']);
  const byId = JSON.parse((await runCli(config, 'people', 'show', 'p-bob')).out.join('\n'));
  assert.deepEqual([byId.person.id, byId.matchedBy], ['p-bob', 'id']);

  const ambiguous = await runCli(config, 'people', 'show', 'bob@acme.example');
  assert.equal(ambiguous.code, ExitCode.Usage);
  assert.match(
    ambiguous.err[0]!,
    /matches 2 people: .*p-bob \(mail\).*p-carol \(employeeId\)|matches 2 people: .*p-carol \(employeeId\).*p-bob \(mail\)/,
  );
  const nobody = await runCli(config, 'people', 'show', 'W404');
  assert.equal(nobody.code, ExitCode.NotFound);
});

test('people exclude and pin take --reason, which the audit keeps', async () => {
  assert.equal((await runCli(config, 'people', 'exclude', 'W10')).code, ExitCode.Usage);
  const r = await runCli(config, 'people', 'exclude', 'W10', '--reason', 'on loan to a partner');
  assert.deepEqual(r.out, ['person p-bob (employeeId W10): excluded']);
  assert.equal(
    (await runCli(config, 'people', 'pin', 'p-ann', '--reason', 'VIP')).code,
    ExitCode.Ok,
  );
  const audit = await runCli(config, 'audit', '--json');
  const entries = JSON.parse(audit.out.join('\n')) as {
    action: string;
    after: { reason?: string };
  }[];
  const reasons = Object.fromEntries(
    entries.filter((e) => e.action.startsWith('person.')).map((e) => [e.action, e.after.reason]),
  );
  assert.deepEqual(reasons, { 'person.excluded': 'on loan to a partner', 'person.pinned': 'VIP' });
});
