/**
 * The system-package check, in Node and in the install script, against fake search paths (the
 * packages stay installed; the "missing" side is shown by looking somewhere else).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { checkSystemDeps, ensureSystemDeps, INSTALL_SCRIPT } from './system-deps.ts';

const run = promisify(execFile);
let fakeBin: string;
let emptyDir: string;

before(async () => {
  fakeBin = await mkdtemp(join(tmpdir(), 'callsign-fakebin-'));
  emptyDir = await mkdtemp(join(tmpdir(), 'callsign-empty-'));
  for (const name of ['kamailio', 'sipp']) {
    await writeFile(join(fakeBin, name), '#!/bin/sh\nexit 0\n');
    await chmod(join(fakeBin, name), 0o755);
  }
});

after(async () => {
  await rm(fakeBin, { recursive: true, force: true });
  await rm(emptyDir, { recursive: true, force: true });
});

test('an empty search path misses every package', () => {
  const { missing } = checkSystemDeps({ path: emptyDir, moduleDirs: [emptyDir] });
  assert.deepEqual(
    missing.map((m) => m.pkg),
    [
      ...['slapd', 'ldap-utils', 'kamailio', 'kamailio-sqlite-modules', 'sip-tester'],
      ...['samba-ad-dc', 'samba-common-bin', 'winbind'],
    ],
  );
  assert.deepEqual(
    missing.find((m) => m.pkg === 'ldap-utils'),
    {
      pkg: 'ldap-utils',
      binary: 'ldapsearch',
    },
  );
});

test('programs found on the path are not missing', () => {
  const { missing } = checkSystemDeps({ path: fakeBin, moduleDirs: [emptyDir] });
  assert.deepEqual(
    missing.map((m) => m.pkg),
    [
      ...['slapd', 'ldap-utils', 'kamailio-sqlite-modules'],
      ...['samba-ad-dc', 'samba-common-bin', 'winbind'],
    ],
  );
});

test('without install, ensureSystemDeps names what is missing', async () => {
  const log = pino({ level: 'silent' });
  const options = { path: fakeBin, moduleDirs: [emptyDir], install: false, log };
  await assert.rejects(ensureSystemDeps(options), (err) => {
    assert.ok(err instanceof CallsignError);
    assert.equal(err.code, ErrorCode.Config);
    assert.match(err.message, /slapd, ldap-utils, kamailio-sqlite-modules/);
    return true;
  });
});

test('the script in --check mode reports the same packages and exits 1', async () => {
  const env = {
    ...process.env,
    CALLSIGN_DEPS_PATH: fakeBin,
    CALLSIGN_DEPS_MODULE_DIRS: emptyDir,
  };
  const failed = await run('bash', [INSTALL_SCRIPT, '--check'], { env }).then(
    () => assert.fail('the script exited 0 with packages missing'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /Missing Debian packages: slapd ldap-utils kamailio-sqlite-modules/);
});

test('on this machine the script and the check agree', async () => {
  const missing = checkSystemDeps().missing;
  const code = await run('bash', [INSTALL_SCRIPT, '--check']).then(
    () => 0,
    (err: { code: number }) => err.code,
  );
  assert.equal(code, missing.length === 0 ? 0 : 1);
  if (missing.length === 0) {
    // Nothing missing: resolves without running the installer.
    await ensureSystemDeps({ install: true, log: pino({ level: 'silent' }) });
  }
});
