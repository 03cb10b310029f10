/**
 * Webex over HTTPS: the People API emulator serves a certificate from a throwaway test CA. The
 * connector trusts it through the configured `tlsCa`, refuses a certificate it cannot verify
 * with an error naming the target, and never falls back to plain HTTP.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { WebexEmulator } from '../../../test/emulators/webex/webex-emulator.ts';
import { exampleConfig, parseConfig } from '../../core/config.ts';
import type { WebexTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import { makeTestCa, type TestCa } from '../../lab/test-ca.ts';
import { WebexTarget } from './webex-target.ts';

describe('WebexTarget over TLS', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let emu: WebexEmulator;
  let plain: WebexEmulator;
  let url: string;
  let plainUrl: string;

  before(async () => {
    [ca, otherCa] = await Promise.all([
      makeTestCa({ name: 'Callsign Webex Test CA' }),
      makeTestCa({ name: 'Some Other CA' }),
    ]);
    emu = new WebexEmulator();
    url = await emu.start({
      tls: { cert: readFileSync(ca.certFile, 'utf8'), key: readFileSync(ca.keyFile, 'utf8') },
    });
    plain = new WebexEmulator();
    plainUrl = await plain.start();
  });
  after(async () => {
    await Promise.all([emu.stop(), plain.stop()]);
    ca.remove();
    otherCa.remove();
  });

  function target(over: Partial<WebexTargetConfig>): WebexTarget {
    const config: WebexTargetConfig = {
      name: 'webex-tls',
      type: 'webex',
      url,
      token: 'env:WEBEX_TOKEN',
      locationId: 'LOC-NYC',
      licenses: ['LIC-CALL'],
      timeoutMs: 5000,
      concurrency: 2,
      ...over,
    };
    return new WebexTarget(config, { token: 'good-token' });
  }

  const jane = {
    action: 'create' as const,
    type: 'webex-person',
    key: 'jane@example.com',
    attributes: { firstName: 'Jane', lastName: 'Doe', extension: '1001' },
  };

  it('serves HTTPS and is trusted through the configured CA', async () => {
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const made = await target({ tlsCa: ca.caFile }).apply(jane);
    assert.equal(made.outcome, 'created');
    assert.equal(emu.org.people.size, 1);
  });

  it('refuses a certificate from another CA, naming the target, and sends nothing', async () => {
    const before = emu.requests.length;
    for (const over of [{ tlsCa: otherCa.caFile }, {}]) {
      const err = await target(over)
        .read('webex-person', 'jane@example.com')
        .catch((e: unknown) => e);
      assert.ok(err instanceof CallsignError, String(err));
      assert.equal(err.code, 'auth');
      assert.equal(err.retryable, false);
      assert.match(err.message, /Webex 'webex-tls'/);
      assert.match(err.message, /certificate is not trusted.*set tlsCa/);
    }
    assert.equal(emu.requests.length, before, 'no request reached the server');
  });

  it('the configuration takes tlsCa relative to its own folder', () => {
    const text = exampleConfig().replace(
      'targets:\n',
      'targets:\n  - name: webex9\n    type: webex\n    token: env:WEBEX_TOKEN\n' +
        '    locationId: LOC\n    licenses: [LIC]\n    concurrency: 2\n    tlsCa: pki/proxy.pem\n',
    );
    const config = parseConfig(text, '/srv/callsign/c.yaml');
    const webex = config.targets.find((t) => t.name === 'webex9') as WebexTargetConfig;
    assert.equal(webex.tlsCa, '/srv/callsign/pki/proxy.pem');
  });

  it('never falls back to plain HTTP', async () => {
    const err = await target({ url: plainUrl.replace(/^http:/, 'https:'), tlsCa: ca.caFile })
      .read('webex-person', 'jane@example.com')
      .catch((e: unknown) => e);
    assert.ok(err instanceof CallsignError, String(err));
    assert.match(err.message, /Webex 'webex-tls'.*did not answer in TLS/);
    assert.equal(plain.requests.length, 0, 'the plain HTTP server saw no request');
  });
});
