import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import { generateLabPeople, startSlapd, type SlapdLab } from '../../lab/slapd.ts';
import { makeTestCa, type TestCa } from '../../lab/test-ca.ts';
import { LdapSource } from './ldap-source.ts';
import { labSourceConfig, slapdSkip } from './testing/slapd-kit.ts';

const skip = slapdSkip();

describe('LDAPS and StartTLS with a CA the test makes', { skip }, () => {
  let ca: TestCa;
  let stranger: TestCa;
  let lab: SlapdLab;

  const source = (overrides: Partial<LdapSourceConfig>) =>
    new LdapSource(labSourceConfig(lab, { delta: 'timestamp', ...overrides }), {
      password: lab.servicePassword,
    });

  async function refusal(work: Promise<unknown>): Promise<CallsignError> {
    const err = await work.then(
      () => assert.fail('expected the read to be refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CallsignError, `expected a CallsignError, got ${String(err)}`);
    return err;
  }

  before(async () => {
    [ca, stranger] = await Promise.all([makeTestCa(), makeTestCa({ name: 'Someone Else CA' })]);
    const tls = { certFile: ca.certFile, keyFile: ca.keyFile };
    lab = await startSlapd({ people: generateLabPeople(7), tls });
  });
  after(async () => {
    await lab?.stop();
    ca?.remove();
    stranger?.remove();
  });

  it('reads people over ldaps:// trusting the test CA', async () => {
    assert.match(lab.ldapsUrl ?? '', /^ldaps:\/\/127\.0\.0\.1:\d+\/$/);
    const snapshot = await source({ url: lab.ldapsUrl!, tlsCa: ca.caFile }).readAll();
    assert.equal(snapshot.complete, true);
    assert.equal(snapshot.records.length, 7);
  });

  it('reads people over ldaps://localhost (the certificate names both)', async () => {
    const url = lab.ldapsUrl!.replace('127.0.0.1', 'localhost');
    const batch = await source({ url, tlsCa: ca.caFile }).readChanges(undefined);
    assert.equal(batch.complete, true);
  });

  it('reads people after StartTLS on ldap://', async () => {
    const snapshot = await source({ startTls: true, tlsCa: ca.caFile }).readAll();
    assert.equal(snapshot.complete, true);
    assert.equal(snapshot.records.length, 7);
  });

  it('refuses a server whose certificate another CA signed, naming the certificate', async () => {
    for (const overrides of [
      { url: lab.ldapsUrl!, tlsCa: stranger.caFile },
      { startTls: true, tlsCa: stranger.caFile },
      { url: lab.ldapsUrl! },
    ]) {
      // A fallback to plain text would have read the people instead of failing.
      const err = await refusal(source(overrides).readAll());
      assert.equal(err.code, 'auth', err.message);
      assert.equal(err.retryable, false);
      assert.match(err.message, /TLS certificate of ldap/);
      assert.match(err.message, /tlsCa/);
    }
  });

  it('says so when the CA file cannot be read', async () => {
    const err = await refusal(source({ startTls: true, tlsCa: `${ca.dir}/missing.pem` }).readAll());
    assert.equal(err.code, 'config');
    assert.match(err.message, /missing\.pem/);
  });
});
