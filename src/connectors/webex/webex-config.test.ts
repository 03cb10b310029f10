/** The `type: webex` target as `parseConfig` reads it: url default, token reference, licences. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exampleConfig, parseConfig } from '../../core/config.ts';
import type { WebexTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';

const ANCHOR = 'targets:\n';

function withWebex(lines: string[]): string {
  const text = exampleConfig();
  assert.ok(text.includes(ANCHOR), 'example has a targets list');
  const entry = lines
    .map((l) => `    ${l}`)
    .join('\n')
    .replace(/^ {4}/, '  - ');
  return text.replace(ANCHOR, `${ANCHOR}${entry}\n`);
}

const BASE = [
  'name: webex1',
  'type: webex',
  'token: env:WEBEX_TOKEN',
  'locationId: Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9OLzE',
  'licenses: [Y2lzY29zcGFyazovL3VzL0xJQ0VOU0UvMQ]',
  'concurrency: 4',
  'ratePerSecond: 5',
];

function problems(text: string): string {
  try {
    parseConfig(text, '/srv/c.yaml');
    return '';
  } catch (err) {
    assert.ok(err instanceof CallsignError, 'config errors are CallsignErrors');
    return JSON.stringify(err.details) + err.message;
  }
}

test('a webex target: default url, token reference, location, licences, pace', () => {
  const config = parseConfig(withWebex(BASE), '/srv/c.yaml');
  const target = config.targets.find((t) => t.name === 'webex1') as WebexTargetConfig;
  assert.equal(target.type, 'webex');
  assert.equal(target.url, 'https://webexapis.com');
  assert.equal(target.token, 'env:WEBEX_TOKEN');
  assert.equal(target.locationId, 'Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9OLzE');
  assert.deepEqual(target.licenses, ['Y2lzY29zcGFyazovL3VzL0xJQ0VOU0UvMQ']);
  assert.equal(target.ratePerSecond, 5);
  assert.equal(target.orgId, undefined);
});

test('an inline token is refused without being repeated', () => {
  const lines = BASE.map((l) => (l.startsWith('token') ? 'token: NmQ2ZjY0sekrit' : l));
  const found = problems(withWebex(lines));
  assert.match(found, /inline secrets are not allowed/);
  assert.doesNotMatch(found, /NmQ2ZjY0sekrit/);
});

test('locationId and licences are required; a url with a path is refused', () => {
  const bare = BASE.filter((l) => !/^(locationId|licenses)/.test(l));
  const found = problems(withWebex([...bare, 'url: https://webexapis.com/v1/people']));
  assert.match(found, /locationId/);
  assert.match(found, /licen/);
  assert.match(found, /url/);
});
