/**
 * Group commit for completions. A commit is the dearest part of finishing an operation (on
 * SQLite the WAL write and its checkpoints, on PostgreSQL the WAL flush), so completions that
 * arrive while one transaction is being written wait and go together in the next one. Each
 * keeps its own fence check and its own answer; a caller alone still gets its own commit.
 */
import type { StoreContext } from './context.ts';
import { completeOne, type Outcome } from './queue.ts';

/** Most completions written in one transaction. */
const MAX_BATCH = 200;

interface Pending {
  claimed: { id: string; fence: number };
  outcome: Outcome;
  resolve: (done: boolean) => void;
  reject: (err: unknown) => void;
}

/** Queues completions and writes them in shared transactions. */
export class CompletionBatch {
  readonly #ctx: StoreContext;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** Resolves true when completed, false when the fence was stale. */
  complete(claimed: { id: string; fence: number }, outcome: Outcome): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ claimed, outcome, resolve, reject });
      // Waiting one microtask gathers the completions of callers that finish in the same tick.
      this.#flushing ??= Promise.resolve().then(() => this.#flush());
    });
  }

  /** Waits until every queued completion is written (before closing the store). */
  async drain(): Promise<void> {
    await this.#flushing;
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      try {
        const results = await this.#ctx.write(async (db) => {
          const answers: boolean[] = [];
          for (const item of batch) answers.push(await completeOne(db, item.claimed, item.outcome));
          return answers;
        });
        batch.forEach((item, i) => item.resolve(results[i]!));
      } catch (err) {
        for (const item of batch) item.reject(err);
      }
    }
    this.#flushing = undefined;
  }
}
