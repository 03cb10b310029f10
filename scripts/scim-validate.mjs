#!/usr/bin/env node
/**
 * Runs a SCIM validation collection (Microsoft's `PostmanCollection.json` from
 * AzureAD/SCIMReferenceCode; it is not part of this repository) with newman against a real
 * `callsign serve --no-poll` on 127.0.0.1: a throwaway directory with a `type: scim` source, a
 * null target and a SQLite store, one write token made with `callsign tokens create`.
 *
 *   node scripts/scim-validate.mjs /path/to/PostmanCollection.json [--verbose]
 *
 * The collection's "Get Token" folder asks the reference implementation's own test-token
 * endpoint (not SCIM); it is skipped and the token is handed in as the `token` variable.
 * Exit code 0 when every assertion that ran passed, 1 otherwise.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import newman from 'newman';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'callsign.mjs');
const SKIPPED_FOLDERS = ['Get Token'];

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const verbose = args.includes('--verbose');
if (file === undefined) {
  process.stderr.write('usage: node scripts/scim-validate.mjs <collection.json> [--verbose]\n');
  process.exit(2);
}

const collection = JSON.parse(await readFile(resolve(file), 'utf8'));
const dir = await mkdtemp(join(tmpdir(), 'callsign-scim-validate-'));
let server;
try {
  const config = join(dir, 'callsign.yaml');
  await writeFile(config, configText());
  const token = await makeToken(config);
  const port = await freePort();
  server = await serve(config, port);

  const run = await runNewman({
    collection,
    folder: collection.item.map((i) => i.name).filter((n) => !SKIPPED_FOLDERS.includes(n)),
    envVar: [
      { key: 'Protocol', value: 'http' },
      { key: 'Server', value: '127.0.0.1' },
      { key: 'Port', value: `:${port}` },
      { key: 'Api', value: 'scim/v2' },
      { key: 'token', value: token },
    ],
    reporters: verbose ? ['cli'] : [],
  });
  const failed = report(run);
  process.exitCode = failed > 0 ? 1 : 0;
} finally {
  if (server) await stop(server);
  await rm(dir, { recursive: true, force: true });
}

/** Prints every assertion's outcome and the totals; returns the number of failures. */
function report(summary) {
  const lines = [];
  let passed = 0;
  let failed = 0;
  for (const execution of summary.run.executions) {
    const req = `${execution.item.name} (${execution.request.method} ` +
      `${execution.response?.code ?? 'no response'})`;
    if (execution.requestError) {
      lines.push(`  ERROR ${req}: ${execution.requestError.message}`);
    }
    for (const a of execution.assertions ?? []) {
      if (a.error) {
        failed++;
        lines.push(`  FAIL  ${req}: ${a.assertion}: ${a.error.message}`);
      } else {
        passed++;
        if (verbose) lines.push(`  pass  ${req}: ${a.assertion}`);
      }
    }
  }
  const stats = summary.run.stats;
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`requests: ${stats.requests.total} (${stats.requests.failed} failed to ` +
    `send); assertions: ${passed} passed, ${failed} failed; skipped folders: ` +
    `${SKIPPED_FOLDERS.join(', ')}\n`);
  return failed + stats.requests.failed;
}

function runNewman(options) {
  return new Promise((resolveRun, reject) => {
    newman.run(options, (err, summary) => (err ? reject(err) : resolveRun(summary)));
  });
}

async function makeToken(config) {
  const { stdout } = await promisify(execFile)(process.execPath, [
    CLI, 'tokens', 'create', '--name', 'scim-validate', '--scope', 'write', '--json',
    '--config', config,
  ], { cwd: ROOT });
  return JSON.parse(stdout).token;
}

/** A port the kernel just handed out on loopback (a tiny race, fine for a manual check). */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/** Starts the server and waits until /health answers. */
async function serve(config, port) {
  const child = spawn(process.execPath, [
    CLI, 'serve', '--no-poll', '--listen', `127.0.0.1:${port}`, '--config', config,
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`callsign serve exited:\n${output}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return child;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  throw new Error(`callsign serve did not answer on 127.0.0.1:${port} within 30 s:\n${output}`);
}

function stop(child) {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null) return resolveStop();
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

// The example configuration's shape with a SCIM source instead of LDAP and a null target
// instead of Kamailio; the rule matches any SCIM user that is not a contractor.
function configText() {
  return `store: sqlite:./callsign.db
secretKey: file:./secret.key
correlation: [employeeId, userName]
sources:
  - name: scim
    type: scim
    attributes:
      userName: userName
      displayName: displayName
      givenName: name.givenName
      sn: name.familyName
      mail: emails[type eq "work"].value
      title: title
      workerType: userType
      employeeId: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber
      department: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department
targets:
  - name: pbx
    type: "null"
pools:
  main-ext:
    kind: extension
    range: { start: '2000', end: '2999' }
    quarantineDays: 30
profiles:
  sip-user:
    resources:
      - target: pbx
        type: sip-subscriber
        key: '{{numbers.extension}}'
        secret: true
        attributes:
          displayName: '{{person.displayName | default:""}}'
          email: { value: '{{person.mail | lower | default:""}}', mode: create }
rules:
  - name: staff
    when: person.userName != "" && person.workerType != "contractor"
    profile: sip-user
    numbers: { extension: main-ext }
safety:
  maxDeprovisionShare: 1
  maxDeprovisionCount: 1000
`;
}
