/** Pool allocation settings in the config: policy, pattern, extensionFrom and their faults. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exampleConfig, parseConfig } from './config.ts';
import { refusal } from './testing/config-text.ts';
import { compilePattern, deriveExtension } from './number-pattern.ts';
import { poolDefinition } from './pools.ts';

const EXT = "    range: { start: '2000', end: '2999' }\n";

test('policy, pattern and a DID mapping reach the pool definition', () => {
  const text = exampleConfig().replace(
    EXT,
    EXT +
      "    policy: pattern\n    pattern: '2X00'\n" +
      '    extensionFrom: { didPool: nyc-did, offset: 1900 }\n    department: sales\n',
  );
  const pool = parseConfig(text, 'c.yaml').pools.find((p) => p.name === 'nyc-ext')!;
  const def = poolDefinition(pool);
  assert.deepEqual(
    [def.policy, def.pattern, def.mapping, pool.department],
    ['pattern', '2X00', { didPool: 'nyc-did', width: 4, offset: 1900 }, 'sales'],
  );
  assert.equal(deriveExtension('+12125550150', def.mapping!), '2050');
  assert.equal(deriveExtension('+12125559150', def.mapping!), undefined);
});

test('a bad policy, pattern or mapping is named by field', () => {
  const text = exampleConfig().replace(
    EXT,
    EXT +
      "    policy: newest\n    pattern: 'ab'\n" +
      '    extensionFrom: { didPool: sfo-ext, lastDigits: 3 }\n',
  );
  const msg = refusal(text).message;
  assert.match(msg, /pools\.nyc-ext\.policy: must be one of lowest, least-recently-used/);
  assert.match(msg, /pools\.nyc-ext\.pattern: /);
  assert.match(msg, /lastDigits: is 3, but the extensions of nyc-ext have 4 digits/);
  assert.match(msg, /didPool: sfo-ext is an extension pool, not a did pool/);
});

test('masks match the last digits; regexes the whole value', () => {
  assert.equal(compilePattern('2X00')('2300'), true);
  assert.equal(compilePattern('2X00')('2310'), false);
  assert.equal(compilePattern('^\\+1212555[0-9]000$')('+12125559000'), true);
  assert.throws(() => compilePattern('2-00'), /neither a regex/);
});
