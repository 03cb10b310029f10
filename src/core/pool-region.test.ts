/**
 * A DID pool's range and exclusions must be numbers of the pool's region (full numbering
 * metadata, so +1 regions are told apart): a London range under `region: US` is refused at
 * load, naming the file, line and field, as an emergency ELIN of another region is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exampleConfig, parseConfig } from './config.ts';
import { regionFault } from './phone.ts';
import { refusal } from './testing/config-text.ts';

const NYC = "range: { start: '+12125550100', end: '+12125550199' }";

test('a range of another country is refused with file, line and field', () => {
  const text = exampleConfig().replace(
    NYC,
    "range: { start: '+442079460000', end: '+442079460099' }",
  );
  const line = text.split('\n').findIndex((l) => l.includes('+442079460000')) + 1;
  const msg = refusal(text, '/srv/callsign.yaml').message;
  assert.match(
    msg,
    new RegExp(
      `/srv/callsign\\.yaml:${line}: pools\\.nyc-did\\.range\\.start: \\+442079460000 is a number of region GB, not the pool's region US`,
    ),
  );
  assert.match(msg, /pools\.nyc-did\.range\.end: \+442079460099 is a number of region GB/);
});

test('a Canadian number under region US and a foreign exclusion are refused', () => {
  const canada = exampleConfig().replace(
    NYC,
    "range: { start: '+14165550100', end: '+14165550199' }",
  );
  assert.match(refusal(canada).message, /range\.start: \+14165550100 is a number of region CA/);

  const excluded = exampleConfig().replace(NYC, `${NYC}\n    exclude: ['+442079460000']`);
  assert.match(refusal(excluded).message, /pools\.nyc-did\.exclude: \+442079460000 is a number/);
});

test('numbers of the region load; no region means no region check', () => {
  assert.ok(parseConfig(exampleConfig(), 'c.yaml').pools.length > 0);
  assert.equal(regionFault('+12125550100', 'US'), undefined);
  assert.equal(regionFault('+442079460000', undefined), undefined);
  assert.match(regionFault('+442079460000', 'us') ?? '', /region GB/);
});
