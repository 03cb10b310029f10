/**
 * Measures the store's queue end to end against a do-nothing target: journal N operations in
 * one call, then claim in batches and complete each one (the completion writes the audit
 * entry), until the queue is empty. Prints operations per second for each dialect, with the
 * completions of a batch awaited one by one (`serial`) and all at once (`concurrent`, as an
 * executor with free slots does, which lets them share commits).
 *
 * Usage: node --import tsx src/store/testing/queue-bench.ts [OPERATIONS] [PEOPLE]
 */
import type { PlannedOperation } from '../../core/model.ts';
import type { OperationRecord } from '../types.ts';
import { testDialects, withStore, type StoreName } from './databases.ts';

const total = Number(process.argv[2] ?? 10_000);
const people = Number(process.argv[3] ?? 1_000);
const BATCH = 100;

const { names, skipped } = await testDialects();
if (skipped !== undefined) process.stderr.write(`${skipped}\n`);

for (const name of names) {
  for (const mode of ['serial', 'concurrent'] as const) await bench(name, mode);
}

async function bench(name: StoreName, mode: 'serial' | 'concurrent'): Promise<void> {
  await withStore(name, async (store) => {
    const ops: PlannedOperation[] = Array.from({ length: total }, (_, i) => ({
      personId: `p${i % people}`,
      action: 'create',
      target: 'null',
      type: 'line',
      key: `k${i}`,
      attributes: { extension: String(1000 + i) },
      after: [],
      reason: 'bench',
    }));

    const started = performance.now();
    await store.journal('bench', ops, 'pending');
    const journaled = performance.now();

    let completed = 0;
    const now = new Date(Date.now() + 1_000);
    for (;;) {
      const batch = await store.claim({
        owner: 'bench',
        slots: { null: BATCH },
        leaseMs: 60_000,
        now,
        limit: BATCH,
      });
      if (batch.length === 0) break;
      const finish = (op: OperationRecord) =>
        store.complete(op.id, op.fence, {
          state: 'done',
          result: { externalId: op.key, outcome: 'created' },
        });
      if (mode === 'concurrent') {
        completed += (await Promise.all(batch.map(finish))).filter(Boolean).length;
      } else {
        for (const op of batch) if (await finish(op)) completed++;
      }
    }
    const finished = performance.now();

    const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
    process.stdout.write(
      `${JSON.stringify({
        dialect: name,
        mode,
        operations: total,
        people,
        completed,
        journalMs: Math.round(journaled - started),
        claimCompleteMs: Math.round(finished - journaled),
        endToEndOpsPerSecond: rate(completed, finished - started),
        open: await store.countOpen(),
      })}\n`,
    );
  });
}
