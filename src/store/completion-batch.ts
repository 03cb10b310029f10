/**
 * Group commit for the queue's small, frequent writes: completions and lease renewals. A commit
 * is the dearest part of them (on SQLite the WAL write and its checkpoints, on PostgreSQL the
 * WAL flush), so writes that arrive while one transaction is being written wait and go together
 * in the next one. Each keeps its own checks (fence, lease) and its own answer; a caller alone
 * still gets its own commit.
 */
import type { Kysely } from 'kysely';

import type { StoreContext } from './context.ts';
import type { Database } from './schema.ts';

/** Most writes in one transaction. */
const MAX_BATCH = 200;

/** One write of a batch: runs inside the shared transaction, answers its own caller. */
export type BatchedWrite<T> = (db: Kysely<Database>) => Promise<T>;

interface Pending {
  write: BatchedWrite<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Queues writes and runs them in shared transactions. */
export class WriteBatch {
  readonly #ctx: StoreContext;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** Resolves with the write's answer once its transaction has committed. */
  run<T>(write: BatchedWrite<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      // Waiting one microtask gathers the writes of callers that finish in the same tick.
      this.#flushing ??= Promise.resolve().then(() => this.#flush());
    });
  }

  /** Waits until every queued write is done (before closing the store). */
  async drain(): Promise<void> {
    await this.#flushing;
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      try {
        const results = await this.#ctx.write(async (db) => {
          const answers: unknown[] = [];
          for (const item of batch) answers.push(await item.write(db));
          return answers;
        });
        batch.forEach((item, i) => item.resolve(results[i]));
      } catch (err) {
        if (batch.length === 1) batch[0]!.reject(err);
        // The whole transaction rolled back: each write again alone, so one bad write (or a
        // deadlock victim) does not fail the others.
        else await this.#one(batch);
      }
    }
    this.#flushing = undefined;
  }

  async #one(batch: Pending[]): Promise<void> {
    for (const item of batch) {
      try {
        item.resolve(await this.#ctx.write(item.write));
      } catch (err) {
        item.reject(err);
      }
    }
  }
}
