/**
 * One directory change to its operations queued, with polling: a real slapd, the SQLite store,
 * a do-nothing target, `callsign run` polling every INTERVAL seconds in this process. Each
 * sample adds a new hire to the directory and measures until an operation for them is in the
 * journal. Expected: within the poll interval plus the time one poll takes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';

import { NullTarget } from '../src/connectors/null/null-target.ts';
import { loadConfig } from '../src/core/config.ts';
import { runForever } from '../src/engine/daemon.ts';
import { openEngine } from '../src/engine/engine.ts';
import { reconcile } from '../src/engine/reconcile.ts';
import { labConfig } from '../src/lab/lab-config.ts';
import { generateLabPeople, startSlapd } from '../src/lab/slapd.ts';

const PEOPLE = 1_000;
const INTERVAL_SECONDS = 2;
const SAMPLES = 5;

export async function benchLatency(): Promise<{
  people: number;
  pollIntervalMs: number;
  samplesMs: number[];
  maxMs: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'callsign-bench-latency-'));
  const password = randomBytes(9).toString('hex');
  process.env.CALLSIGN_BENCH_LDAP = password;
  const people = generateLabPeople(PEOPLE).map((p) => ({ ...p, employeeType: 'employee' }));
  const slapd = await startSlapd({ people, servicePassword: password });
  const configPath = join(dir, 'callsign.yaml');
  writeFileSync(
    configPath,
    labConfig({
      store: 'sqlite:./callsign.db',
      ldap: { url: slapd.url, serviceDn: slapd.serviceDn, peopleDn: slapd.peopleDn },
      passwordEnv: 'CALLSIGN_BENCH_LDAP',
      kamailio: null,
      pollIntervalSeconds: INTERVAL_SECONDS,
    }),
  );
  const engine = await openEngine(loadConfig(configPath), {
    log: pino({ level: 'silent' }),
    actor: 'bench',
  });
  engine.targets.set('pbx', new NullTarget({ name: 'pbx', concurrency: 8 }));
  const stop = new AbortController();

  try {
    // The first sync provisions everyone; the measured polls then see one change each.
    await reconcile(engine, { mode: 'sync', actor: 'bench' });
    const loop = runForever(engine, {
      intervalMs: INTERVAL_SECONDS * 1000,
      actor: 'poll',
      onReport: () => undefined,
      signal: stop.signal,
    });

    const samplesMs: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const hire = generateLabPeople(1, { first: PEOPLE + 1 + i })[0]!;
      const started = performance.now();
      await slapd.people.addPerson({ ...hire, employeeType: 'employee' });
      await waitFor(async () => {
        const found = await engine.store.findPeopleByKey('employeeId', hire.employeeNumber);
        if (found.length === 0) return false;
        return (await engine.store.listOperations({ personId: found[0]!.id })).length > 0;
      }, 30_000);
      samplesMs.push(Math.round(performance.now() - started));
      // Let the next sample start at a random point of the poll cycle.
      await new Promise((r) => setTimeout(r, 700 + Math.random() * 1000));
    }
    stop.abort();
    await loop;
    return {
      people: PEOPLE,
      pollIntervalMs: INTERVAL_SECONDS * 1000,
      samplesMs,
      maxMs: Math.max(...samplesMs),
    };
  } finally {
    stop.abort();
    await engine.close();
    await slapd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify({ bench: 'latency', ...(await benchLatency()) }));
}
