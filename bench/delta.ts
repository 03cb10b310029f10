/**
 * A delta of 100 directory changes, from the change feed to operations journaled: a real slapd
 * with 2,400 people, the SQLite store, a do-nothing target. After the first full sync, 100
 * people change site (movers) and the run loop's path is timed: read the changes since the
 * cursor, then reconcile them (plan and journal, not run). Target: under 2 s. Run directly, it
 * measures both OpenLDAP mechanisms: modifyTimestamp and RFC 4533 Content Sync.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';

import { NullTarget } from '../src/connectors/null/null-target.ts';
import { loadConfig } from '../src/core/config.ts';
import { ChangeFeed } from '../src/engine/change-feed.ts';
import { openEngine } from '../src/engine/engine.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { labConfig } from '../src/lab/lab-config.ts';
import { generateLabPeople, startSlapd } from '../src/lab/slapd.ts';

// The lab pools hold 1,000 numbers per site: 2,400 people leave room for 100 movers.
const PEOPLE = 2_400;
const CHANGES = 100;

/** The source's `delta` setting; `auto` picks what the server offers (Content Sync on slapd). */
export type BenchMechanism = 'auto' | 'timestamp' | 'content-sync';

export async function benchDelta(delta: BenchMechanism = 'auto'): Promise<{
  people: number;
  changes: number;
  readMs: number;
  planMs: number;
  totalMs: number;
  mechanism: string;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'callsign-bench-delta-'));
  const password = randomBytes(9).toString('hex');
  process.env.CALLSIGN_BENCH_DELTA_LDAP = password;
  const people = generateLabPeople(PEOPLE).map((p) => ({ ...p, employeeType: 'employee' }));
  const slapd = await startSlapd({ people, servicePassword: password });
  const configPath = join(dir, 'callsign.yaml');
  writeFileSync(
    configPath,
    labConfig({
      store: 'sqlite:./callsign.db',
      ldap: { url: slapd.url, serviceDn: slapd.serviceDn, peopleDn: slapd.peopleDn },
      passwordEnv: 'CALLSIGN_BENCH_DELTA_LDAP',
      kamailio: null,
    }).replace(/^(\s+)idAttribute: entryUUID$/m, `$&\n$1delta: ${delta}`),
  );
  const engine = await openEngine(loadConfig(configPath), {
    log: pino({ level: 'silent' }),
    actor: 'bench',
  });
  engine.targets.set('pbx', new NullTarget({ name: 'pbx', concurrency: 8 }));
  try {
    const feed = new ChangeFeed(engine);
    const first = await feed.next();
    await reconcile(engine, { mode: 'sync', actor: 'bench' });
    await first.commit();
    // OpenLDAP has no server clock in its root DSE: the timestamp reader's first delta after
    // a bulk load returns the whole second of the load once. Take it before measuring.
    const warm = await feed.next();
    if (warm.mode === 'delta') {
      await reconcile(engine, { mode: 'sync', actor: 'bench', changes: warm.changes });
    }
    await warm.commit();

    // Move 100 people from one site to another: each becomes a mover with new numbers.
    const movers = people.filter((p) => p.l === 'nyc').slice(0, CHANGES);
    await new Promise((r) => setTimeout(r, 1100));
    for (const p of movers) await slapd.people.modifyPerson(p.uid, { l: 'lon' });

    const started = performance.now();
    const next = await feed.next();
    const read = performance.now();
    if (next.mode !== 'delta') throw new Error(`expected a delta read, got a full read`);
    const changes = next.changes.reduce((n, c) => n + c.records.length, 0);
    const report = await reconcile(engine, {
      mode: 'sync',
      actor: 'bench',
      changes: next.changes,
      execute: false,
    });
    const done = performance.now();
    const planned = report.plans.filter((p) => p.operations.length > 0).length;
    if (changes < CHANGES || planned < CHANGES || changes > CHANGES * 2) {
      throw new Error(`read ${changes} changes, planned ${planned} people`);
    }
    const mechanism = (await engine.store.getState('cursor:lab-ldap'))?.split(':')[0] ?? '?';
    if (delta !== 'auto' && mechanism !== delta) {
      throw new Error(`asked for delta: ${delta}, the source read with ${mechanism}`);
    }
    return {
      people: PEOPLE,
      changes,
      readMs: Math.round(read - started),
      planMs: Math.round(done - read),
      totalMs: Math.round(done - started),
      mechanism,
    };
  } finally {
    await engine.close();
    await slapd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const delta of ['timestamp', 'content-sync'] as const) {
    console.log(JSON.stringify({ bench: 'delta', delta, ...(await benchDelta(delta)) }));
  }
}
