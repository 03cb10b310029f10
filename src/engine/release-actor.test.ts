/**
 * A number released by a run is audited as whoever caused the run (an API token, SCIM, the poll
 * loop under `callsign serve`), not as the process that opened the engine.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { dropSource, DROP_HEADER, hrCsv } from '../connectors/hr/test-kit.ts';
import { phoneConfig } from '../core/testing/config-text.ts';
import { reconcile } from './reconcile.ts';
import { withConfigEngine } from './testing/config-engine.ts';

const CONFIG = phoneConfig({
  sources: dropSource('    workerType: { column: Type, map: { Regular: employee } }\n'),
  when: 'person.workerType == "employee"',
  maxDeprovisionCount: 5,
});

test('a leaver run caused by an API token audits the number release as that token', async () => {
  let now = new Date('2031-06-01T09:00:00Z');
  const options = { config: CONFIG, prefix: 'callsign-release-actor-', clock: () => now };
  await withConfigEngine(options, async ({ dir, engine }) => {
    await mkdir(join(dir, 'drop'));
    const drop = (rows: string[]) =>
      writeFile(join(dir, 'drop', 'workers.csv'), hrCsv(rows, DROP_HEADER));
    await drop(['A1,Active,Regular,ann@example.org,Ann,2030-01-01,']);
    await reconcile(engine, { mode: 'sync', actor: 'poll' });

    await drop(['A1,Terminated,Regular,ann@example.org,Ann,2030-01-01,2031-06-01']);
    now = new Date('2031-06-02T00:00:00Z');
    const report = await reconcile(engine, { mode: 'sync', actor: 'api:hr-bot' });
    assert.equal(report.counts.leaver, 1);
    const released = await engine.store.queryAudit({ action: 'number.released' });
    assert.equal(released.length, 1);
    assert.equal(released[0]!.actor, 'api:hr-bot', 'not the engine opener (test)');
  });
});
