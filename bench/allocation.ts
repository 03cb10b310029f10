/**
 * Allocation under contention: 10,000 allocations by 8 concurrent allocators against one pool
 * of 12,000 extensions, on SQLite (8 allocators in one process, as one engine process runs
 * them) and on PostgreSQL (8 operating system processes, one allocation in flight each). Every
 * allocation is for a different person, so every one must get a different number: duplicates
 * are counted and fail the benchmark.
 *
 * Run alone: node --import tsx bench/allocation.ts
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { poolDefinition } from '../src/core/pools.ts';
import { openStore } from '../src/store/open.ts';
import { createTempPostgres, createTempSqlite } from '../src/store/testing/databases.ts';

const ALLOCATIONS = 10_000;
const ALLOCATORS = 8;
const POOL = poolDefinition({
  name: 'bench',
  kind: 'extension',
  quarantineDays: 30,
  exclude: [],
  range: { start: '100000', end: '111999' },
});
const NOW = '2030-01-01T00:00:00.000Z';

/** One store's figure; `duplicates` is 0 or the benchmark throws. */
export interface AllocationFigure {
  allocationsPerSecond: number;
  duplicates: number;
}

/** Runs both halves; PostgreSQL is undefined (with the reason) when it cannot be reached. */
export async function benchAllocation(): Promise<{
  sqlite: AllocationFigure;
  postgres?: AllocationFigure;
  postgresSkipped?: string;
}> {
  const sqlite = await benchSqlite();
  try {
    return { sqlite, postgres: await benchPostgres() };
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    return { sqlite, postgresSkipped: (err as Error).message };
  }
}

async function benchSqlite(): Promise<AllocationFigure> {
  const db = await createTempSqlite();
  const store = await openStore(db.url);
  try {
    await store.syncPool(POOL);
    const values: string[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: ALLOCATORS }, async () => {
        while (next < ALLOCATIONS) {
          const held = await store.allocateNumber('bench', `p${next++}`, new Date(NOW), 'bench');
          values.push(held.value);
        }
      }),
    );
    return figure(values, performance.now() - started);
  } finally {
    await store.close();
    await db.dispose();
  }
}

async function benchPostgres(): Promise<AllocationFigure> {
  const db = await createTempPostgres();
  try {
    const store = await openStore(db.url);
    await store.syncPool(POOL);
    await store.close();
    const script = fileURLToPath(
      new URL('../src/store/testing/allocate-worker.ts', import.meta.url),
    );
    const each = ALLOCATIONS / ALLOCATORS;
    const children = Array.from({ length: ALLOCATORS }, (_, w) =>
      spawn(
        process.execPath,
        ['--import', 'tsx', script, db.url, 'bench', `w${w}`, String(each), NOW, '1'],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      ),
    );
    const outputs = children.map(() => '');
    const ready = children.map(
      (child, i) =>
        new Promise<void>((resolve) => {
          child.stdout.on('data', (chunk: Buffer) => {
            outputs[i] += chunk.toString();
            if (outputs[i]!.startsWith('ready\n')) resolve();
          });
        }),
    );
    const exits = children.map(
      (child) =>
        new Promise<number | null>((resolve) => {
          child.on('exit', resolve);
        }),
    );
    await Promise.all(ready);
    const started = performance.now();
    for (const child of children) child.stdin.write('go\n');
    const codes = await Promise.all(exits);
    const ms = performance.now() - started;
    if (codes.some((c) => c !== 0)) throw new Error(`allocation workers exited ${codes}`);
    const values = outputs.flatMap((out) =>
      out
        .split('\n')
        .slice(1)
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { value: string }).value),
    );
    return figure(values, ms);
  } finally {
    await db.dispose();
  }
}

/** Allocations per second; throws on a duplicate or a missing allocation. */
function figure(values: string[], ms: number): AllocationFigure {
  const duplicates = values.length - new Set(values).size;
  if (duplicates !== 0 || values.length !== ALLOCATIONS) {
    throw new Error(`allocation benchmark: ${values.length} allocations, ${duplicates} duplicates`);
  }
  return { allocationsPerSecond: Math.round(ALLOCATIONS / (ms / 1000)), duplicates };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchAllocation();
  const line = (name: string, f: AllocationFigure) =>
    process.stdout.write(
      `allocation ${name}: ${f.allocationsPerSecond} allocations/s, ${f.duplicates} duplicates ` +
        `(${ALLOCATIONS} by ${ALLOCATORS} allocators)\n`,
    );
  line('SQLite', r.sqlite);
  if (r.postgres !== undefined) line('PostgreSQL (8 processes)', r.postgres);
  else process.stdout.write(`allocation PostgreSQL skipped: ${r.postgresSkipped}\n`);
}
