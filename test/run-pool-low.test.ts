/**
 * `callsign run` (the CLI process, not the library) checks pool stock after its runs: hiring ten
 * people from an eleven-number pool sends one signed `pool.low` webhook while it keeps running.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { DROP_HEADER, dropSource, hrCsv } from '../src/connectors/hr/test-kit.ts';
import { phoneConfig } from '../src/core/testing/config-text.ts';

const bin = fileURLToPath(new URL('../bin/callsign.mjs', import.meta.url));

test('callsign run sends pool.low once the hires empty the pool', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'callsign-run-pool-'));
  const received: { type: string; data: { pool?: string } }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.headers['callsign-signature']) received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  try {
    await mkdir(join(dir, 'drop'));
    const rows = Array.from({ length: 10 }, (_, i) => {
      return `W${i},Active,Regular,w${i}@example.com,Worker ${i},2020-01-01,`;
    });
    await writeFile(join(dir, 'drop', 'workers.csv'), hrCsv(rows, DROP_HEADER));
    await writeFile(join(dir, 'callsign.yaml'), config(`http://127.0.0.1:${port}/hook`));

    const child = spawn(process.execPath, [bin, 'run', '-c', join(dir, 'callsign.yaml')], {
      env: { ...process.env, HOOK_SECRET: 'a-test-signing-secret', CALLSIGN_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    try {
      const deadline = Date.now() + 30_000;
      while (!received.some((e) => e.type === 'pool.low')) {
        assert.ok(child.exitCode === null, `callsign run exited: ${stderr}`);
        assert.ok(Date.now() < deadline, `no pool.low webhook in 30 s: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const low = received.filter((e) => e.type === 'pool.low');
    assert.equal(low.length, 1);
    assert.equal(low[0]!.data.pool, 'ext');
  } finally {
    receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
});

function config(hook: string): string {
  return phoneConfig({
    sources: dropSource('    workerType: { column: Type, map: { Regular: employee } }'),
    when: 'person.workerType == "employee"',
    attributes: "{ displayName: '{{person.displayName}}' }",
    lastExtension: '4010',
    more: `engine: { pollIntervalSeconds: 1 }
webhooks:
  - { name: ops, url: '${hook}', secret: env:HOOK_SECRET, events: [pool.low] }
`,
  });
}
