/**
 * Unified CM over HTTPS: the AXL emulator serves a certificate from a throwaway test CA. The
 * connector trusts it only through the configured `tlsCa`, refuses a certificate from another
 * CA (or none configured) with an error naming the target, and never falls back to plain HTTP:
 * an https:// URL that meets a plain HTTP server fails without a request being made.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { CucmEmulator } from '../../../test/emulators/cucm/cucm-emulator.ts';
import type { CucmTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import { makeTestCa, type TestCa } from '../../lab/test-ca.ts';
import { CucmTarget } from './cucm-target.ts';

describe('CucmTarget over TLS', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let emu: CucmEmulator;
  let plain: CucmEmulator;
  let url: string;
  let plainUrl: string;
  const targets: CucmTarget[] = [];

  before(async () => {
    [ca, otherCa] = await Promise.all([
      makeTestCa({ name: 'Callsign CUCM Test CA' }),
      makeTestCa({ name: 'Some Other CA' }),
    ]);
    emu = new CucmEmulator();
    url = await emu.start({
      tls: { cert: readFileSync(ca.certFile, 'utf8'), key: readFileSync(ca.keyFile, 'utf8') },
    });
    plain = new CucmEmulator();
    plainUrl = await plain.start();
  });
  after(async () => {
    for (const t of targets) await t.close();
    await Promise.all([emu.stop(), plain.stop()]);
    ca.remove();
    otherCa.remove();
  });

  function target(over: Partial<CucmTargetConfig>): CucmTarget {
    const config: CucmTargetConfig = {
      name: 'cucm-tls',
      type: 'cucm',
      url,
      version: '14.0',
      username: 'axladmin',
      password: 'env:CUCM_PASSWORD',
      concurrency: 2,
      timeoutMs: 5000,
      ...over,
    };
    const t = new CucmTarget(config, { password: 'secret' });
    targets.push(t);
    return t;
  }

  const line = {
    action: 'create' as const,
    type: 'cucm-line',
    key: '6001@Internal_PT',
    attributes: { description: 'over TLS' },
  };

  it('serves HTTPS and is trusted through the configured CA', async () => {
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/axl\/$/);
    const t = target({ tlsCa: ca.caFile });
    assert.equal((await t.apply(line)).outcome, 'created');
    assert.equal(emu.db.lines.size, 1);
  });

  it('refuses a certificate from another CA, naming the target, and sends nothing', async () => {
    const before = emu.requests.length;
    for (const over of [{ tlsCa: otherCa.caFile }, {}]) {
      const err = await target(over)
        .apply({ ...line, key: '6002@Internal_PT' })
        .catch((e: unknown) => e);
      assert.ok(err instanceof CallsignError, String(err));
      assert.equal(err.code, 'auth');
      assert.equal(err.retryable, false);
      assert.match(err.message, /Unified CM 'cucm-tls'/);
      assert.match(err.message, /certificate is not trusted.*set tlsCa/);
    }
    assert.equal(emu.requests.length, before, 'no request reached the server');
  });

  it('never falls back to plain HTTP', async () => {
    const httpsToPlain = plainUrl.replace(/^http:/, 'https:');
    const err = await target({ url: httpsToPlain, tlsCa: ca.caFile })
      .read('cucm-line', '6001@Internal_PT')
      .catch((e: unknown) => e);
    assert.ok(err instanceof CallsignError, String(err));
    assert.match(err.message, /Unified CM 'cucm-tls'.*did not answer in TLS/);
    assert.equal(err.retryable, false);
    assert.equal(plain.requests.length, 0, 'the plain HTTP server saw no AXL request');
  });
});
