/** `leaverForward` and `emergency` of a pool in the config: read, normalised, faults named. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exampleConfig, parseConfig } from './config.ts';
import { refusal } from './testing/config-text.ts';
import { checkEmergency } from './pool-leaver-config.ts';

const DID = "    range: { start: '+12125550100', end: '+12125550199' }\n";
const EXT = "    range: { start: '2000', end: '2999' }\n";

test('a DID pool forwards leavers and carries its site emergency data, as E.164', () => {
  const text = exampleConfig().replace(
    DID,
    DID +
      "    leaverForward: { days: 21, to: manager, announcement: '(212) 555-0199' }\n" +
      "    emergency: { location: '1 Main St, Floor 3', elin: '+12125550150', callback: '212 555 0100' }\n",
  );
  const pool = parseConfig(text, 'c.yaml').pools.find((p) => p.name === 'nyc-did')!;
  assert.deepEqual(pool.leaverForward, {
    days: 21,
    to: 'manager',
    announcement: '+12125550199',
    managerAttribute: 'manager',
  });
  assert.deepEqual(pool.emergency, {
    location: '1 Main St, Floor 3',
    elin: '+12125550150',
    callback: '+12125550100',
  });
});

test('faults are named by pool and field', () => {
  const text = exampleConfig()
    .replace(
      DID,
      DID +
        '    leaverForward: { days: 0, to: voicemail }\n' +
        "    emergency: { callback: '+442079460000', elin: 'abc' }\n",
    )
    .replace(EXT, EXT + '    leaverForward: { to: announcement }\n');
  const msg = refusal(text).message;
  assert.match(msg, /pools\.nyc-did\.leaverForward\.days: 0 is outside 1\.\.365/);
  assert.match(msg, /pools\.nyc-did\.leaverForward\.to: must be manager or announcement/);
  assert.match(
    msg,
    /pools\.nyc-did\.emergency\.callback: '\+442079460000' is a number of region GB, not US/,
  );
  assert.match(msg, /pools\.nyc-did\.emergency\.elin: 'abc' is not a phone number/);
  assert.match(msg, /pools\.nyc-ext\.leaverForward: only a did pool forwards its numbers/);
});

test('emergency data from the command line: at least one field, numbers of the region', () => {
  assert.deepEqual(checkEmergency({ callback: '2125550100' }, 'US'), {
    emergency: { callback: '+12125550100' },
  });
  assert.deepEqual(checkEmergency({}, 'US'), {
    problems: [{ field: 'location', message: 'give a location, an elin or a callback' }],
  });
  const bad = checkEmergency({ callback: '+12125550100;ext=12' }, 'US');
  assert.ok('problems' in bad && /must not carry an extension/.test(bad.problems[0]!.message));
});
