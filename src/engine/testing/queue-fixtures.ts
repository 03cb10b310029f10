/**
 * Small builders the executor tests share: journaled runs of simple `create` operations, a
 * fake clock whose sleep moves it, and a PostgreSQL URL tuned for tests.
 */
import type { PlannedOperation } from '../../core/model.ts';
import type { Store } from '../../store/types.ts';

/**
 * The crash tests kill engine workers, never the database server, so the WAL flush at each
 * commit protects nothing they check; skipping it per session keeps a disk's fsync time out
 * of every queue step. SQLite URLs are returned as they are.
 */
export function withoutCommitFlush(url: string): string {
  if (!/^postgres(ql)?:\/\//i.test(url)) return url;
  const parsed = new URL(url);
  parsed.searchParams.set('options', '-c synchronous_commit=off');
  return parsed.toString();
}

export interface OpSpec {
  person: string;
  target: string;
  /** Position among the person's operations; ends up in attributes.n. */
  n: number;
  key?: string;
  secret?: boolean;
}

/** Journals `create` operations in the given order under a new run; returns the run id. */
export async function journalRun(
  store: Store,
  specs: OpSpec[],
  options: { runId?: string; actor?: string } = {},
): Promise<string> {
  const id = options.runId ?? `run-${Math.random().toString(36).slice(2, 10)}`;
  const actor = options.actor ?? 'cli:test';
  await store.createRun({ id, kind: 'sync', state: 'running', actor, summary: {} });
  await store.journal(id, specs.map(toPlanned), 'pending');
  return id;
}

/** `people` people with `each` operations apiece, interleaved person by person. */
export function grid(people: number, each: number, target: string): OpSpec[] {
  const specs: OpSpec[] = [];
  for (let n = 0; n < each; n++) {
    for (let p = 0; p < people; p++) specs.push({ person: `p${p}`, target, n });
  }
  return specs;
}

/** A clock that only moves when the executor sleeps (or the test says so). */
export class FakeClock {
  #t: number;

  constructor(start = Date.parse('2030-01-01T00:00:00Z')) {
    this.#t = start;
  }

  readonly now = (): Date => new Date(this.#t);

  advance(ms: number): void {
    this.#t += ms;
  }

  /**
   * Executor `sleep`. A wake (the abort) within a few real milliseconds means the executor had
   * work after all, as a real timer would have been cut short: the clock stays. Otherwise the
   * whole wait passes at once.
   */
  readonly sleep = async (ms: number, signal: AbortSignal): Promise<void> => {
    if (signal.aborted) return;
    const woken = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 25);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve(true);
        },
        { once: true },
      );
    });
    if (!woken) this.#t += ms;
  };
}

function toPlanned(spec: OpSpec): PlannedOperation {
  return {
    personId: spec.person,
    action: 'create',
    target: spec.target,
    type: 'thing',
    key: spec.key ?? `${spec.person}-${spec.n}`,
    attributes: { personId: spec.person, n: String(spec.n) },
    secret: spec.secret,
    after: [],
    reason: 'test',
  };
}
