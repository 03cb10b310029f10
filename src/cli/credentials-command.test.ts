/**
 * A SIP password generated for a joiner that no report showed (SCIM, HR push, the poll loop
 * under `callsign serve`) is handed out once with `callsign people credentials <person>`: the
 * second call finds nothing, the hand-out is audited without the secret, and a configuration
 * whose secrets no `credentials` mail rule sends is warned about when `serve`/`run` start.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { DROP_HEADER, dropSource, hrCsv } from '../connectors/hr/test-kit.ts';
import { parseConfig } from '../core/config.ts';
import { phoneConfig } from '../core/testing/config-text.ts';
import { secretsReachNobody, warnIfSecretsReachNobody } from '../engine/credentials.ts';
import { Executor } from '../engine/executor.ts';
import { reconcile } from '../engine/reconcile.ts';
import { withConfigEngine } from '../engine/testing/config-engine.ts';
import { secretRef } from '../engine/vault.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './testing/run-cli.ts';

const KEY = "        key: '{{numbers.extension}}'\n";
const CONFIG = phoneConfig({
  sources: dropSource('    workerType: { column: Type, map: { Regular: employee } }\n'),
  when: 'person.workerType == "employee"',
}).replace(KEY, `${KEY}        secret: true\n`);

test('people credentials: a secret no report showed is revealed once, audited, then gone', async () => {
  process.env.CALLSIGN_LOG_LEVEL = 'silent';
  assert.ok(CONFIG.includes('secret: true'));
  await withConfigEngine({ config: CONFIG, prefix: 'callsign-cred-cli-' }, async (f) => {
    const { engine, dir } = f;
    await mkdir(join(dir, 'drop'));
    await writeFile(
      join(dir, 'drop', 'w.csv'),
      hrCsv(['A1,Active,Regular,ann@example.org,Ann,2020-01-01,'], DROP_HEADER),
    );
    // As serve's SCIM and HR push paths do: journal only, and the executor applies it.
    const report = await reconcile(engine, { mode: 'sync', actor: 'poll', execute: false });
    assert.equal(report.credentials.length, 0, 'no report shows the secret');
    const c = engine.config.engine;
    await new Executor({
      store: engine.store,
      targets: engine.targets,
      handlers: engine.handlers,
      maxAttempts: c.maxAttempts,
      backoffBaseMs: c.backoffBaseMs,
      backoffMaxMs: c.backoffMaxMs,
      secrets: engine.vault,
    }).runUntilIdle();
    const [ann] = await engine.store.listPeople();
    const [link] = await engine.store.listLinks(ann!.id);
    const stored = await engine.vault.reveal(secretRef(link!));
    assert.ok(stored !== undefined && stored.length === 20);

    const file = join(dir, 'callsign.yaml');
    const first = await runCli(file, 'people', 'credentials', ann!.id);
    assert.equal(first.code, ExitCode.Ok, first.err.join('\n'));
    assert.match(first.out.join('\n'), /shown this once/);
    assert.ok(first.out.some((l) => l.includes('pbx/sip-subscriber/4000') && l.includes(stored)));

    const again = await runCli(file, 'people', 'credentials', ann!.id);
    assert.equal(again.code, ExitCode.NotFound);
    assert.match(again.err.join('\n'), /no secret waiting to be handed out/);
    assert.ok(!again.out.join('\n').includes(stored));

    const audit = await engine.store.queryAudit({ action: 'credentials.handed-out' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.subject, 'pbx/sip-subscriber/4000');
    assert.equal(audit[0]!.personId, ann!.id);
    assert.ok(!JSON.stringify(audit).includes(stored), 'the audit never holds the secret');

    const nobody = await runCli(file, 'people', 'credentials', 'no-such-person');
    assert.equal(nobody.code, ExitCode.NotFound);
  });
});

test('serve/run start warns when secrets are generated and no credentials rule mails them', () => {
  const config = parseConfig(CONFIG, '/srv/callsign.yaml');
  assert.equal(secretsReachNobody(config), true);
  const lines: string[] = [];
  const logged: string[] = [];
  const log = { warn: (_: unknown, msg: string) => logged.push(msg) };
  warnIfSecretsReachNobody({ config, log } as never, (l) => lines.push(l));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /no `credentials` notification rule.*callsign people credentials/);
  assert.equal(logged.length, 1);

  const plain = parseConfig(CONFIG.replace('        secret: true\n', ''), '/srv/callsign.yaml');
  assert.equal(secretsReachNobody(plain), false, 'no secret, nothing to warn about');
  const mailed = { ...config, notifications: { rules: [{ on: 'credentials' }] } } as never;
  assert.equal(secretsReachNobody(mailed), false, 'a credentials rule mails them');
});
