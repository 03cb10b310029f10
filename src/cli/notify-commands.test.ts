/**
 * `callsign notify preview` in-process on the notification test configuration (SQLite in a
 * temporary folder): a credentials preview for someone without a secret says so in a note, and
 * an unknown template is a bad argument (exit 2), like an unknown event.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { notifyConfig } from '../notify/test-config.ts';
import { openStore } from '../store/open.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './testing/run-cli.ts';

let dir: string;
let config: string;

before(async () => {
  process.env.CALLSIGN_LOG_LEVEL = 'silent';
  dir = await mkdtemp(join(tmpdir(), 'callsign-notify-cli-'));
  config = join(dir, 'callsign.yaml');
  const storeUrl = `sqlite:${join(dir, 'callsign.db')}`;
  const text = notifyConfig(2525, join(dir, 'ca.pem')).replace(
    'store: sqlite:./callsign.db',
    `store: ${storeUrl}`,
  );
  await writeFile(config, text);
  const store = await openStore(storeUrl);
  const attributes = { employeeId: 'E77', mail: 'e77@example.com', displayName: 'Bare' };
  await store.savePerson(
    { id: 'p-bare', attributes, status: 'active', sourceLinks: [], excluded: false, pinned: false },
    { employeeId: 'E77', mail: 'e77@example.com' },
  );
  await store.close();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a credentials preview for someone without a secret says so before the text', async () => {
  const shown = await runCli(config, 'notify', 'preview', '--template', 'creds', '--person', 'E77');
  assert.equal(shown.code, ExitCode.Ok, shown.err.join('\n'));
  assert.match(shown.out[0]!, /^Note: person p-bare has no resource with a secret/);
  assert.ok(shown.out.includes('Subject: Your SIP password'));
  assert.ok(
    shown.out.some((l) => l.includes('********')),
    'the secret is a mask',
  );
});

test('an unknown template is a bad argument (exit 2)', async () => {
  const shown = await runCli(config, 'notify', 'preview', '--template', 'nope', '--person', 'E77');
  assert.equal(shown.code, ExitCode.Usage);
  assert.match(shown.err.join('\n'), /--template: 'nope' is not defined; known: welcome, creds/);
});
