/** Plans, syncs and runs: twins of `callsign plan`, `sync`, `approve` and `reject`. */
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { approveRun, rejectRun } from '../engine/approval.ts';
import { reconcile, summaryOf } from '../engine/reconcile.ts';
import type { OperationState } from '../store/types.ts';
import { listOf, ref, type ApiDeps, type RouteDef } from './route.ts';

const EMPTY_BODY = { type: 'object', properties: {} } as const;

/** False when a source could not be read whole: no one was taken for a leaver from it. */
function allRead(report: { sources: { complete: boolean }[] }): boolean {
  return report.sources.every((s) => s.complete);
}

/** The run routes. */
export const runRoutes: RouteDef[] = [
  {
    method: 'post',
    path: '/plans',
    scope: 'read',
    tag: 'runs',
    summary: 'Dry run: read the sources and show what would change, per person; touch nothing',
    body: EMPTY_BODY,
    response: { status: 200, description: 'The plan', schema: ref('RunReport') },
    errors: [400, 502, 503],
    handler: async (req, deps) => {
      const report = await exclusive(deps, () =>
        reconcile(deps.engine, { mode: 'plan', actor: req.actor }),
      );
      return { body: { complete: allRead(report), ...report } };
    },
  },
  {
    method: 'post',
    path: '/sync',
    scope: 'write',
    tag: 'runs',
    summary: 'One reconciliation, journaled: returns once the operations are queued, not run',
    body: EMPTY_BODY,
    response: { status: 202, description: 'The run and its summary', schema: ref('SyncResult') },
    errors: [400, 409, 502, 503],
    handler: async (req, deps) => {
      const report = await exclusive(deps, () =>
        reconcile(deps.engine, { mode: 'sync', actor: req.actor, execute: false }),
      );
      deps.onQueued?.();
      // A quiet reconciliation records no run: there is nothing to follow.
      const recorded = report.state !== 'finished';
      return {
        status: recorded ? 202 : 200,
        body: {
          runId: recorded ? report.runId : null,
          state: report.state,
          complete: allRead(report),
          summary: summaryOf(report),
          problems: report.problems,
        },
      };
    },
  },
  {
    method: 'get',
    path: '/runs',
    scope: 'read',
    tag: 'runs',
    summary: 'Recent runs, newest first',
    query: {
      limit: { schema: { type: 'integer', minimum: 1, maximum: 1000 }, description: 'default 50' },
    },
    response: { status: 200, description: 'The runs', schema: listOf('Run') },
    errors: [400],
    handler: async (req, { engine }) => ({
      body: await engine.store.listRuns((req.query.limit as number | undefined) ?? 50),
    }),
  },
  {
    method: 'get',
    path: '/runs/{id}',
    scope: 'read',
    tag: 'runs',
    summary: 'A run and its operations counted by state',
    params: { id: 'run id' },
    response: { status: 200, description: 'The run', schema: ref('RunDetail') },
    errors: [404],
    handler: async (req, { engine }) => {
      const run = await engine.store.getRun(req.params.id!);
      if (!run) throw notFound(req.params.id!);
      const operations: Partial<Record<OperationState, number>> = {};
      for (const op of await engine.store.listOperations({ runId: run.id })) {
        operations[op.state] = (operations[op.state] ?? 0) + 1;
      }
      return { body: { run, operations } };
    },
  },
  {
    method: 'post',
    path: '/runs/{id}/approve',
    // admin, not write: a SCIM or sync client holds write and must not approve the removals
    // its own changes caused.
    scope: 'admin',
    tag: 'runs',
    summary: 'Let a run held by the safety brake go ahead; its operations are queued',
    params: { id: 'run id' },
    body: EMPTY_BODY,
    response: { status: 202, description: 'The run, approved', schema: ref('Run') },
    errors: [404, 409],
    handler: async (req, deps) => {
      await approveRun(deps.engine, { runId: req.params.id!, actor: req.actor, execute: false });
      deps.onQueued?.();
      return { status: 202, body: await deps.engine.store.getRun(req.params.id!) };
    },
  },
  {
    method: 'post',
    path: '/runs/{id}/reject',
    // admin, not write: a SCIM or sync client holds write and must not approve the removals
    // its own changes caused.
    scope: 'admin',
    tag: 'runs',
    summary: 'Cancel the operations of a run held by the safety brake',
    params: { id: 'run id' },
    body: EMPTY_BODY,
    response: {
      status: 200,
      description: 'How many operations were cancelled',
      schema: ref('RejectResult'),
    },
    errors: [404, 409],
    handler: async (req, { engine }) => {
      const cancelled = await rejectRun(engine, { runId: req.params.id!, actor: req.actor });
      return { body: { runId: req.params.id!, state: 'rejected', cancelled } };
    },
  },
];

function exclusive<T>(deps: ApiDeps, fn: () => Promise<T>): Promise<T> {
  return deps.exclusive ? deps.exclusive(fn) : fn();
}

function notFound(id: string) {
  return new CallsignError(ErrorCode.NotFound, `Run ${id} does not exist`, {
    details: { runId: id },
  });
}
