/**
 * Crash and resume, per notes/engine-queue.md: worker processes run the queue against a
 * file-backed target and are killed with SIGKILL at random moments, with injected timeouts and
 * resets after commit; in the end every operation is done exactly once, in each person's order,
 * and no lease is left behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { openStore } from '../store/open.ts';
import { parseEffects } from './testing/file-target.ts';
import { createTestDatabase, testDialects, type StoreName } from '../store/testing/databases.ts';
import { grid, journalRun, withoutCommitFlush } from './testing/queue-fixtures.ts';

const PEOPLE = 100;
const EACH = 20;
const KILLS = 10;
/** Fewer when two workers share the queue: each round restarts one of them. */
const SHARED_KILLS = 6;
const WORKER = 'src/engine/testing/crash-worker.ts';

const dialects = await testDialects();
if (dialects.skipped !== undefined) process.stderr.write(`${dialects.skipped}\n`);

for (const dialect of dialects.names) {
  describe(`crash and resume on ${dialect}`, { timeout: 90_000 }, () => {
    test(`${KILLS} kill -9s of one worker lose, repeat and reorder nothing`, async () => {
      await crashScenario(dialect, { workers: 1, kills: KILLS, latencyMs: 3 });
    });

    if (dialect === 'postgres') {
      test(`two workers sharing the queue survive ${SHARED_KILLS} kill -9s`, async () => {
        // The survivor works on while its peer restarts (~0.6 s): a slower target keeps it
        // from finishing everything in that time however fast the store is.
        await crashScenario(dialect, { workers: 2, kills: SHARED_KILLS, latencyMs: 10 });
      });
    }
  });
}

async function crashScenario(
  dialect: StoreName,
  plan: { workers: number; kills: number; latencyMs: number },
): Promise<void> {
  const db = await createTestDatabase(dialect);
  const url = withoutCommitFlush(db.url);
  const dir = mkdtempSync(join(tmpdir(), 'callsign-crash-'));
  const effectsFile = join(dir, 'effects.log');
  writeFileSync(effectsFile, '');
  const store = await openStore(url);

  try {
    const runId = await journalRun(store, grid(PEOPLE, EACH, 'file'));
    const live: Worker[] = [];
    const start = () => startWorker(url, effectsFile, plan.latencyMs);
    for (let i = 0; i < plan.workers; i++) live.push(await start());

    let killed = 0;
    for (let round = 0; round < plan.kills; round++) {
      // A random moment, but before the work's progress passes this round's share of the first
      // third: however fast the queue runs, the kills land mid-work and work is left at the end.
      const cap = Math.ceil((PEOPLE * EACH * (round + 1)) / (3 * plan.kills));
      await killMoment(effectsFile, cap, 20 + Math.floor(Math.random() * 180));
      const index = Math.floor(Math.random() * live.length);
      const victim = live[index]!;
      if (victim.process.exitCode === null) victim.process.kill('SIGKILL');
      if ((await victim.exited) === 'SIGKILL') killed += 1;
      live[index] = await start();
    }
    const before = parseEffects(readFileSync(effectsFile, 'utf8')).length;
    const endings = await Promise.all(live.map((w) => w.exited));

    assert.ok(killed >= plan.kills - 1, `${killed} workers died mid-work`);
    assert.ok(before < PEOPLE * EACH, 'the final workers had work left');
    assert.deepEqual(
      endings,
      live.map(() => 0),
    );
    await assertIntact(store, runId, readFileSync(effectsFile, 'utf8'));
  } finally {
    await store.close();
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves after `ms`, or earlier once the effects file holds `cap` effects. */
async function killMoment(effectsFile: string, cap: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (countLines(readFileSync(effectsFile, 'utf8')) >= cap) return;
    await delay(5);
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
}

async function assertIntact(
  store: Awaited<ReturnType<typeof openStore>>,
  runId: string,
  effectsText: string,
): Promise<void> {
  const ops = await store.listOperations({ runId });
  const effects = parseEffects(effectsText);

  assert.equal(ops.length, PEOPLE * EACH);
  assert.deepEqual(
    ops.filter((o) => o.state !== 'done').map((o) => o.key),
    [],
    'none lost',
  );
  assert.equal(ops.filter((o) => o.leaseUntil !== undefined).length, 0, 'no lease left');
  assert.equal(effects.length, PEOPLE * EACH, 'one effect per operation');
  assert.equal(new Set(effects.map((e) => e.key)).size, effects.length, 'no duplicate');

  const last = new Map<string, number>();
  for (const effect of effects) {
    assert.equal(effect.n, (last.get(effect.personId) ?? -1) + 1, `${effect.key} in order`);
    last.set(effect.personId, effect.n);
  }
  // The faults happened: retries after a lost answer found their effect and did nothing.
  assert.ok(
    ops.some((o) => o.result?.outcome === 'noop'),
    'some retries were noops',
  );
  assert.ok(new Set(effects.map((e) => e.pid)).size > 2, 'several workers made effects');
}

interface Worker {
  process: ChildProcess;
  /** Exit code, or the signal that ended it. */
  exited: Promise<number | string>;
}

/** Starts a worker and resolves once it reports `ready` (its store is open). */
async function startWorker(url: string, effectsFile: string, latencyMs: number): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, url, effectsFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      CRASH_LATENCY_MS: String(latencyMs),
      CRASH_LEASE_MS: '1500',
      CRASH_CONCURRENCY: '8',
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) process.stderr.write(`worker failed:\n${stderr}\n`);
      resolve(signal ?? code ?? -1);
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.on('exit', () => reject(new Error(`worker exited before ready: ${stderr}`)));
  });
  return { process: child, exited };
}
