/** The `type: cucm` target as `parseConfig` reads it: version, secret reference, url. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exampleConfig, parseConfig } from '../../core/config.ts';
import type { CucmTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';

const ANCHOR = 'targets:\n';

function withCucm(lines: string[]): string {
  const text = exampleConfig();
  assert.ok(text.includes(ANCHOR), 'example has a targets list');
  const entry = lines
    .map((l) => `    ${l}`)
    .join('\n')
    .replace(/^ {4}/, '  - ');
  return text.replace(ANCHOR, `${ANCHOR}${entry}\n`);
}

const BASE = [
  'name: cucm1',
  'type: cucm',
  'url: https://cucm.example.com:8443/axl/',
  'username: axladmin',
  'password: env:CUCM_PASSWORD',
  'concurrency: 2',
  'ratePerSecond: 10',
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

test('a cucm target with version 14.0 and pace', () => {
  const config = parseConfig(withCucm([...BASE, 'version: 14.0']), '/srv/c.yaml');
  const target = config.targets.find((t) => t.name === 'cucm1') as CucmTargetConfig;
  assert.equal(target.type, 'cucm');
  assert.equal(target.version, '14.0');
  assert.equal(target.concurrency, 2);
  assert.equal(target.ratePerSecond, 10);
  assert.equal(target.url, 'https://cucm.example.com:8443/axl/');
});

test('version 13.0 does not exist', () => {
  assert.match(problems(withCucm([...BASE, 'version: 13.0'])), /version.*11\.0.*not 13\.0/);
});

test('an inline password is refused without being repeated', () => {
  const lines = BASE.map((l) => (l.startsWith('password') ? 'password: hunter2' : l));
  const found = problems(withCucm(lines));
  assert.match(found, /inline secrets are not allowed/);
  assert.doesNotMatch(found, /hunter2/);
});

test('a forward calling search space is read when named, absent otherwise', () => {
  const named = parseConfig(
    withCucm([...BASE, 'forwardCallingSearchSpace: Forward_CSS']),
    '/srv/c.yaml',
  );
  const target = named.targets.find((t) => t.name === 'cucm1') as CucmTargetConfig;
  assert.equal(target.forwardCallingSearchSpace, 'Forward_CSS');
  const plain = parseConfig(withCucm(BASE), '/srv/c.yaml');
  const none = plain.targets.find((t) => t.name === 'cucm1') as CucmTargetConfig;
  assert.equal(none.forwardCallingSearchSpace, undefined);
});
