/** The `type: uccx` and `type: ucce` targets as `parseConfig` reads them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exampleConfig, parseConfig } from '../../core/config.ts';
import { CallsignError } from '../../core/errors.ts';

const ANCHOR = 'targets:\n';

function withTarget(lines: string[]): string {
  const text = exampleConfig();
  assert.ok(text.includes(ANCHOR), 'example has a targets list');
  const entry = lines.map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`)).join('\n');
  return text.replace(ANCHOR, `${ANCHOR}${entry}\n`);
}

function problems(text: string): string {
  try {
    parseConfig(text, '/srv/c.yaml');
    return '';
  } catch (err) {
    assert.ok(err instanceof CallsignError, 'config errors are CallsignErrors');
    return JSON.stringify(err.details) + err.message;
  }
}

for (const [type, url] of [
  ['uccx', 'https://uccx.example.com/adminapi'],
  ['ucce', 'https://aw.example.com/unifiedconfig/config'],
] as const) {
  const base = [`name: ${type}1`, `type: ${type}`, `url: ${url}`, 'username: admin'];

  test(`a ${type} target with a secret reference and pace`, () => {
    const lines = [...base, 'password: env:CC_PASSWORD', 'concurrency: 3', 'ratePerSecond: 5'];
    const config = parseConfig(withTarget(lines), '/srv/c.yaml');
    const target = config.targets.find((t) => t.name === `${type}1`);
    assert.equal(target?.type, type);
    assert.ok(target !== undefined && 'url' in target);
    assert.equal(target.url, url);
    assert.equal(target.concurrency, 3);
    assert.equal(target.ratePerSecond, 5);
  });

  test(`a ${type} target refuses an inline password, unknown keys and a bare host`, () => {
    const inline = problems(withTarget([...base, 'password: hunter2']));
    assert.match(inline, /inline secrets are not allowed/);
    assert.doesNotMatch(inline, /hunter2/);
    const extra = problems(withTarget([...base, 'password: env:X', 'version: 12.5']));
    assert.match(extra, /version/);
    const bare = base.map((l) => (l.startsWith('url') ? 'url: https://host' : l));
    assert.match(problems(withTarget([...bare, 'password: env:X'])), /url/);
  });
}
