import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { redact, resolveSecret } from './secrets.ts';

test('env and file references resolve; relative files against baseDir', () => {
  process.env.CALLSIGN_TEST_SECRET = 'from-env';
  assert.equal(resolveSecret('env:CALLSIGN_TEST_SECRET'), 'from-env');
  const dir = mkdtempSync(join(tmpdir(), 'callsign-secret-'));
  writeFileSync(join(dir, 'pw'), 'from-file\n');
  assert.equal(resolveSecret('file:pw', dir), 'from-file');
  assert.equal(resolveSecret(`file:${join(dir, 'pw')}`), 'from-file');
});

test('errors name the reference, never a value', () => {
  delete process.env.CALLSIGN_TEST_MISSING;
  assert.throws(
    () => resolveSecret('env:CALLSIGN_TEST_MISSING'),
    /Secret env:CALLSIGN_TEST_MISSING: environment variable CALLSIGN_TEST_MISSING is not set/,
  );
  assert.throws(
    () => resolveSecret('file:/nonexistent/key'),
    /cannot read \/nonexistent\/key \(ENOENT\)/,
  );
  assert.throws(
    () => resolveSecret('hunter2'),
    (err: Error) => !err.message.includes('hunter2'),
  );
});

test('redact hides secret-looking fields but keeps references', () => {
  const out = redact({
    bindDn: 'cn=a',
    password: 'p',
    nested: [{ secret: 's', ha1: 'h' }],
    ref: { password: 'env:LDAP_PW' },
    apiToken: 't',
  });
  assert.deepEqual(out, {
    bindDn: 'cn=a',
    password: '[redacted]',
    nested: [{ secret: '[redacted]', ha1: '[redacted]' }],
    ref: { password: 'env:LDAP_PW' },
    apiToken: '[redacted]',
  });
});
