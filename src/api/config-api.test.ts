import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CallsignError } from '../core/errors.ts';
import { exampleConfig, parseConfig } from '../core/config.ts';

const withApi = (lines: string[]) => `${exampleConfig()}\n${lines.join('\n')}\n`;

describe('api: configuration section', () => {
  it('defaults to loopback:8080, 1 MiB bodies, 600 requests a minute, no TLS', () => {
    const config = parseConfig(exampleConfig(), '/etc/callsign/callsign.yaml');
    assert.deepEqual(config.api, {
      host: '127.0.0.1',
      port: 8080,
      maxBodyBytes: 1048576,
      rateLimitPerMinute: 600,
    });
  });

  it('reads listen, TLS paths relative to the file, and limits', () => {
    const config = parseConfig(
      withApi([
        'api:',
        "  listen: '[::1]:8443'",
        '  tls: { cert: tls/cert.pem, key: /abs/key.pem }',
        '  maxBodyBytes: 2048',
        '  rateLimitPerMinute: 60',
      ]),
      '/etc/callsign/callsign.yaml',
    );
    assert.deepEqual(config.api, {
      host: '::1',
      port: 8443,
      maxBodyBytes: 2048,
      rateLimitPerMinute: 60,
      tls: { cert: '/etc/callsign/tls/cert.pem', key: '/abs/key.pem' },
    });
  });

  it('names the field of a bad value', () => {
    const text = withApi(['api:', '  listen: here', '  rateLimitPerMinute: 0']);
    const line = text.split('\n').indexOf('api:') + 1;
    const bad = () => parseConfig(text, '/x.yaml');
    assert.throws(bad, (err: CallsignError) => {
      assert.ok(err.message.includes(`x.yaml:${line + 1}: api.listen: 'here' is not HOST:PORT`));
      const limit = `x.yaml:${line + 2}: api.rateLimitPerMinute: 0 is outside 1..∞`;
      assert.ok(err.message.includes(limit), err.message);
      return true;
    });
  });
});
