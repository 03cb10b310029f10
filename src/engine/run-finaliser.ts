/**
 * Runs journaled without waiting (API and SCIM syncs, approvals through the API) are left
 * `running` or `approved` by reconcile; the background executor runs their operations but
 * does not know about runs. This closes them: finished when every operation ended, failed when
 * one failed.
 */
import type { Engine } from './engine.ts';

/**
 * A run younger than this is left alone: reconcile creates the run before it journals its
 * operations, so a run with nothing open may simply not be journaled yet.
 */
const SETTLE_MS = 10_000;

/** Marks settled runs finished or failed; returns how many it closed. */
export async function finaliseRuns(engine: Engine, settleMs = SETTLE_MS): Promise<number> {
  const { store, clock } = engine;
  const now = clock();
  let closed = 0;

  for (const run of await store.listRuns(200)) {
    if (run.state !== 'running' && run.state !== 'approved') continue;
    if (now.getTime() - Date.parse(run.startedAt) < settleMs) continue;
    if ((await store.countOpen(run.id)) > 0) continue;

    const failed = await store.listOperations({ runId: run.id, state: ['failed'] });
    const state = failed.length > 0 ? 'failed' : 'finished';
    await store.updateRun(run.id, {
      state,
      finishedAt: now.toISOString(),
      summary: { ...run.summary, failedOperations: failed.length },
    });
    closed += 1;
  }
  return closed;
}
