/** The `type: cuc` target as `parseConfig` reads it: url, template default, secret reference. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exampleConfig, parseConfig } from '../../core/config.ts';
import type { CucTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';

const ANCHOR = 'targets:\n';

function withCuc(lines: string[]): string {
  const text = exampleConfig();
  assert.ok(text.includes(ANCHOR), 'example has a targets list');
  const entry = lines
    .map((l) => `    ${l}`)
    .join('\n')
    .replace(/^ {4}/, '  - ');
  return text.replace(ANCHOR, `${ANCHOR}${entry}\n`);
}

const BASE = [
  'name: cuc1',
  'type: cuc',
  'url: https://cuc.example.com/vmrest',
  'username: cupiadmin',
  'password: env:CUC_PASSWORD',
  'concurrency: 2',
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

function cuc(text: string): CucTargetConfig {
  const config = parseConfig(text, '/srv/c.yaml');
  return config.targets.find((t) => t.name === 'cuc1') as CucTargetConfig;
}

test('a cuc target with the default template and its pace', () => {
  const target = cuc(withCuc(BASE));
  assert.equal(target.type, 'cuc');
  assert.equal(target.templateAlias, 'voicemailusertemplate');
  assert.equal(target.url, 'https://cuc.example.com/vmrest');
  assert.equal(target.concurrency, 2);
  assert.equal(target.ratePerSecond, 5);
  assert.equal(target.timeoutMs, 30000);
});

test('a named template and a relative CA path', () => {
  const target = cuc(withCuc([...BASE, 'templateAlias: salesTemplate', 'tlsCa: ca/cuc.pem']));
  assert.equal(target.templateAlias, 'salesTemplate');
  assert.equal(target.tlsCa, '/srv/ca/cuc.pem');
});

test('a url that is not the CUPI base is refused', () => {
  const lines = BASE.map((l) => (l.startsWith('url') ? 'url: https://cuc.example.com/' : l));
  assert.match(problems(withCuc(lines)), /must be https:\/\/host\/vmrest/);
});

test('an inline password is refused without being repeated', () => {
  const lines = BASE.map((l) => (l.startsWith('password') ? 'password: hunter2' : l));
  const found = problems(withCuc(lines));
  assert.match(found, /inline secrets are not allowed/);
  assert.doesNotMatch(found, /hunter2/);
});
