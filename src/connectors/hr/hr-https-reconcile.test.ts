/**
 * A Workday RaaS report read over HTTPS through the engine (the connector made from the
 * configuration, password from an env: reference, CA from tlsCa): the workers are provisioned;
 * then a report cut mid-body and an HTTP 500 leave the source unread, and nobody missing from
 * the half-read report is de-provisioned.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  startRaasEmulator,
  type ReportRow,
} from '../../../test/emulators/workday-raas/raas-emulator.ts';
import { phoneConfig } from '../../core/testing/config-text.ts';
import { reconcile } from '../../engine/reconcile.ts';
import { withConfigEngine } from '../../engine/testing/config-engine.ts';
import { makeTestCa } from '../../lab/test-ca.ts';
import { HrHttpsSource } from './hr-https-source.ts';

const raasConfig = (url: string, ca: string) =>
  phoneConfig({
    sources: `  - name: workday
    type: hr-https
    feed: workday-raas
    url: ${url}
    format: json
    username: isu_callsign
    password: env:CALLSIGN_TEST_RAAS_PASSWORD
    tlsCa: ${ca}
    timeoutMs: 2000
    missingGraceSeconds: 0
    columns: { workerId: Worker ID, mail: Email, displayName: Name }
    status: { column: Status, active: [Active], leave: [Leave], terminated: [Terminated] }`,
    when: 'person.hrStatus == "Active"',
    maxDeprovisionCount: 50,
    quarantineDays: 30,
  });

test('a RaaS report provisions; a cut or failed report de-provisions nobody', async () => {
  process.env.CALLSIGN_TEST_RAAS_PASSWORD = 'raas-pw';
  const ca = await makeTestCa();
  const rows: ReportRow[] = Array.from({ length: 30 }, (_, i) => ({
    'Worker ID': `W${i}`,
    Email: `w${i}@example.com`,
    Name: `Worker ${i}`,
    Status: 'Active',
  }));
  const raas = await startRaasEmulator({
    ca,
    tenant: 'acme',
    owner: 'isu_callsign',
    report: 'Callsign_Workers',
    username: 'isu_callsign',
    password: 'raas-pw',
    columns: ['Worker ID', 'Email', 'Name', 'Status'],
    rows: () => rows,
  });
  const config = raasConfig(raas.url, ca.caFile);
  const options = { config, prefix: 'callsign-raas-e2e-', concurrency: 4 };
  try {
    await withConfigEngine(options, async ({ engine, pbx }) => {
      const run = () => reconcile(engine, { mode: 'sync', actor: 'test' });
      assert.ok(engine.sources.get('workday') instanceof HrHttpsSource);
      let report = await run();
      assert.equal(report.sources[0]!.complete, true);
      assert.equal(pbx.resources.size, 30);

      raas.cutNext(600);
      report = await run();
      assert.equal(report.sources[0]!.error?.code, 'incomplete');
      assert.match(report.sources[0]!.error?.message ?? '', /stopped early/);
      assert.equal(report.counts.leaver ?? 0, 0);
      assert.equal(pbx.resources.size, 30, 'nobody de-provisioned on a cut report');

      raas.failNext(500);
      report = await run();
      assert.equal(report.sources[0]!.error?.code, 'unavailable');
      assert.equal(pbx.resources.size, 30, 'nobody de-provisioned on an HTTP error');

      // A whole report without W0 is a real leaver (at once: this source has no grace).
      const w0 = rows.shift()!;
      report = await run();
      assert.equal(report.counts.leaver, 1);
      assert.equal(pbx.resources.size, 29);
      assert.equal(w0['Worker ID'], 'W0');
    });
  } finally {
    await raas.close();
    ca.remove();
  }
});
