import { CallsignError } from '../core/errors.ts';
import type { PersonStatus } from '../core/model.ts';
import type { Engine } from './engine.ts';
import { execute, keysOf, type ReconcileOptions, type RunReport } from './reconcile.ts';

/**
 * Lets a braked run go ahead: its held operations become pending and run now, or, with
 * `execute: false`, are left to a long-running executor (the API answers without waiting).
 */
export async function approveRun(
  engine: Engine,
  options: {
    runId: string;
    actor: string;
    onProgress?: ReconcileOptions['onProgress'];
    execute?: boolean;
  },
): Promise<RunReport> {
  const run = await requireBraked(engine, options.runId);
  await applyDeferredStatus(engine, run.summary.deferredStatus);
  const released = await engine.store.releaseHeld(run.id, 'pending');
  await engine.store.updateRun(run.id, { state: 'approved' });
  await engine.store.audit({
    at: engine.clock().toISOString(),
    actor: options.actor,
    runId: run.id,
    action: 'run.approved',
    subject: run.id,
    after: { operations: released },
  });

  const report: RunReport = {
    runId: run.id,
    mode: 'sync',
    state: 'approved',
    sources: [],
    plans: [],
    counts: {},
    credentials: [],
    problems: [],
  };
  if (options.execute === false) return report;
  return execute(engine, {
    runId: run.id,
    report,
    actor: options.actor,
    onProgress: options.onProgress,
  });
}

/** Cancels a braked run's held operations; nothing reaches a target. Returns how many. */
export async function rejectRun(engine: Engine, options: { runId: string; actor: string }) {
  const run = await requireBraked(engine, options.runId);
  const cancelled = await engine.store.releaseHeld(run.id, 'cancelled');
  await engine.store.updateRun(run.id, {
    state: 'rejected',
    finishedAt: engine.clock().toISOString(),
  });
  await engine.store.audit({
    at: engine.clock().toISOString(),
    actor: options.actor,
    runId: run.id,
    action: 'run.rejected',
    subject: run.id,
    after: { operations: cancelled },
  });
  return cancelled;
}

/** The leavers' statuses the braked run observed and kept back until approval. */
async function applyDeferredStatus(engine: Engine, deferred: unknown): Promise<void> {
  if (!Array.isArray(deferred)) return;
  for (const entry of deferred as { id?: unknown; status?: unknown }[]) {
    if (typeof entry?.id !== 'string' || !isStatus(entry.status)) continue;
    const person = await engine.store.getPerson(entry.id);
    if (person === undefined) continue;
    const next = { ...person, status: entry.status };
    await engine.store.savePerson(next, keysOf(next, engine.config.correlation));
  }
}

function isStatus(value: unknown): value is PersonStatus {
  return value === 'active' || value === 'disabled' || value === 'deleted';
}

async function requireBraked(engine: Engine, runId: string) {
  const run = await engine.store.getRun(runId);
  if (!run) throw new CallsignError('not_found', `run ${runId} does not exist`);
  if (run.state !== 'braked') {
    throw new CallsignError('state', `run ${runId} is ${run.state}, not waiting for approval`);
  }
  return run;
}
