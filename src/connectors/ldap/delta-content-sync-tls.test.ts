import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import { generateLabPeople, startSlapd, type SlapdLab } from '../../lab/slapd.ts';
import { makeTestCa, type TestCa } from '../../lab/test-ca.ts';
import { readContentSync } from './delta-content-sync.ts';
import { requestedAttributes } from './entry-mapper.ts';
import { labSourceConfig, slapdSkip } from './testing/slapd-kit.ts';

const skip = slapdSkip();

describe('Content Sync over ldaps:// and StartTLS', { skip }, () => {
  let ca: TestCa;
  let stranger: TestCa;
  let lab: SlapdLab;
  const idle = new Client({ url: 'ldap://127.0.0.1:1' });

  /** Establishes a cookie, adds a person, and returns what the next read saw. */
  async function roundTrip(overrides: Partial<LdapSourceConfig>, first: number) {
    const config = labSourceConfig(lab, overrides);
    const context = {
      client: idle,
      config,
      attributes: requestedAttributes(config),
      password: lab.servicePassword,
    };
    const start = await readContentSync(context, undefined);
    await lab.people.addPerson(generateLabPeople(1, { first })[0]!);
    return readContentSync(context, start.cursor);
  }

  before(async () => {
    [ca, stranger] = await Promise.all([makeTestCa(), makeTestCa({ name: 'Someone Else CA' })]);
    const tls = { certFile: ca.certFile, keyFile: ca.keyFile };
    lab = await startSlapd({ people: generateLabPeople(3), tls });
  });
  after(async () => {
    await lab?.stop();
    ca?.remove();
    stranger?.remove();
  });

  it('reads changes over ldaps:// (IP and host name) and after StartTLS', async () => {
    const cases: [Partial<LdapSourceConfig>, number][] = [
      [{ url: lab.ldapsUrl!, tlsCa: ca.caFile }, 20],
      [{ url: lab.ldapsUrl!.replace('127.0.0.1', 'localhost'), tlsCa: ca.caFile }, 21],
      [{ startTls: true, tlsCa: ca.caFile }, 22],
    ];
    for (const [overrides, first] of cases) {
      const page = await roundTrip(overrides, first);
      assert.equal(page.complete, true);
      assert.deepEqual(
        page.entries.map((e) => String(e.uid)),
        [`p000${first}`],
        JSON.stringify(overrides),
      );
    }
  });

  it('refuses a certificate the CA does not vouch for (no plain-text fallback)', async () => {
    for (const overrides of [
      { url: lab.ldapsUrl!, tlsCa: stranger.caFile },
      { startTls: true, tlsCa: stranger.caFile },
      { url: lab.ldapsUrl! },
    ]) {
      const err = await roundTrip(overrides, 30).then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CallsignError, String(err));
      assert.equal(err.code, 'auth', err.message);
      assert.match(err.message, /TLS certificate of ldap/);
    }
  });

  it('says so when the CA file cannot be read', async () => {
    const err = await roundTrip({ startTls: true, tlsCa: `${ca.dir}/missing.pem` }, 31).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.equal((err as CallsignError).code, 'config');
  });
});
