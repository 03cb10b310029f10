/**
 * End-to-end executor throughput: journal 20,000 operations for 2,000 people on a temporary
 * SQLite store and run them against a NullTarget until the queue is empty. Counts everything
 * the engine does per operation: claim, lease re-check, call, fenced completion, audit, link.
 *
 * Run alone: node --import tsx bench/executor.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NullTarget } from '../src/connectors/null/null-target.ts';
import type { PlannedOperation } from '../src/core/model.ts';
import { Executor } from '../src/engine/executor.ts';
import { openStore } from '../src/store/open.ts';

const OPERATIONS = 20_000;
const PEOPLE = 2_000;

/** Journals and runs OPERATIONS operations; returns operations per second, journal included. */
export async function benchExecutor(): Promise<{ opsPerSecond: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'callsign-bench-'));
  const store = await openStore(`sqlite:${join(dir, 'bench.db')}`);

  try {
    const target = new NullTarget({ name: 'null', concurrency: 64 });
    const executor = new Executor({
      store,
      targets: new Map([['null', target]]),
      maxAttempts: 3,
      backoffBaseMs: 100,
      backoffMaxMs: 1000,
      secrets: undefined,
    });
    const run = { id: 'bench', kind: 'sync' as const, state: 'running' as const, actor: 'bench' };
    await store.createRun({ ...run, summary: {} });

    const started = performance.now();
    await store.journal('bench', operations(), 'pending');
    const stats = await executor.runUntilIdle({ runId: 'bench' });
    const seconds = (performance.now() - started) / 1000;

    if (stats.done !== OPERATIONS || target.effects.length !== OPERATIONS) {
      throw new Error(`Benchmark ran ${stats.done} of ${OPERATIONS} operations`);
    }
    return { opsPerSecond: Math.round(OPERATIONS / seconds) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function operations(): PlannedOperation[] {
  return Array.from({ length: OPERATIONS }, (_, i) => ({
    personId: `p${i % PEOPLE}`,
    action: 'create' as const,
    target: 'null',
    type: 'sip-subscriber',
    key: `k${i}`,
    attributes: { extension: String(100_000 + i), displayName: `Person ${i % PEOPLE}` },
    after: [],
    reason: 'bench',
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { opsPerSecond } = await benchExecutor();
  process.stdout.write(`executor: ${opsPerSecond} ops/s (${OPERATIONS} operations, SQLite)\n`);
}
