/**
 * `auth: { oauth }` of a `type: successfactors` source: the client, company and user are read,
 * the private key only as a reference (anchored to the config's folder), the token URL defaults
 * to the OData host's `/oauth/token`; an inline key, missing fields and oauth mixed with a
 * password are refused naming the line and the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { secretRefOf } from './config-hr-api.ts';
import { parseConfig } from './config.ts';
import { phoneConfig, refusalMessage } from './testing/config-text.ts';

const base = (source: string) =>
  phoneConfig({ sources: source, when: 'person.workerType == "employee" && !person.onLeave' });
const SF = `  - name: sf
    type: successfactors
    url: https://api4.successfactors.com/odata/v2
    auth:
      oauth:
        clientId: Q2FsbHNpZ24
        companyId: ACME
        userId: sfapi
        privateKey: file:keys/sf.pem`;

test('oauth auth is read with the key as a reference and a default token URL', () => {
  const config = parseConfig(base(SF), '/srv/callsign.yaml');
  const sf = config.sources[0];
  assert.ok(sf?.type === 'successfactors' && 'oauth' in sf.auth);
  assert.deepEqual(sf.auth.oauth, {
    clientId: 'Q2FsbHNpZ24',
    companyId: 'ACME',
    userId: 'sfapi',
    privateKey: 'file:/srv/keys/sf.pem',
    tokenUrl: 'https://api4.successfactors.com/oauth/token',
  });
  assert.equal(secretRefOf(sf.auth), 'file:/srv/keys/sf.pem');

  const own = SF + '\n        tokenUrl: https://api4.successfactors.com/oauth/token2';
  const other = parseConfig(base(own), '/srv/callsign.yaml').sources[0];
  assert.ok(other?.type === 'successfactors' && 'oauth' in other.auth);
  assert.equal(other.auth.oauth.tokenUrl, 'https://api4.successfactors.com/oauth/token2');
});

test('an inline key, a missing user and oauth with a password are refused by line', () => {
  const sf = SF.replace('file:keys/sf.pem', '"-----BEGIN PRIVATE KEY-----MIIE"')
    .replace('        userId: sfapi\n', '')
    .replace('    auth:\n', '    auth:\n      password: env:SF_PASSWORD\n');
  const text = refusalMessage(base(sf));
  assert.match(text, /callsign\.yaml:\d+: sources\[0\]\.auth\.oauth: give oauth alone/);
  assert.match(text, /sources\[0\]\.auth\.oauth\.userId: is required/);
  assert.match(text, /sources\[0\]\.auth\.oauth\.privateKey: inline secrets are not allowed/);
  assert.doesNotMatch(text, /MIIE/);
});
