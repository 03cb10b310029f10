/** The operation journal: twins of `callsign ops list|retry|skip|cancel`. */
import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { OperationState } from '../store/types.ts';
import { listOf, ref, type RouteDef } from './route.ts';

const STATES = ['held', 'pending', 'running', 'done', 'failed', 'skipped', 'cancelled'] as const;

const ACTIONS = [
  ['retry', 'pending', 'Run a failed operation again'],
  ['skip', 'skipped', "Give up on a failed operation; the person's later operations go on"],
  ['cancel', 'cancelled', 'Cancel a failed or pending operation (it stays in the journal)'],
] as const;

/** The operation routes. */
export const operationRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/operations',
    scope: 'read',
    tag: 'operations',
    summary: 'Operations by state (default: failed), run or person',
    query: {
      state: {
        schema: { type: 'array', items: { type: 'string', enum: STATES } },
        description: 'comma-separated states; default failed',
      },
      run: { schema: { type: 'string' }, description: 'only this run' },
      person: { schema: { type: 'string' }, description: 'only this person' },
    },
    response: { status: 200, description: 'The operations', schema: listOf('Operation') },
    errors: [400],
    handler: async (req, { engine }) => ({
      body: await engine.store.listOperations({
        state: (req.query.state as OperationState[] | undefined) ?? ['failed'],
        runId: req.query.run as string | undefined,
        personId: req.query.person as string | undefined,
      }),
    }),
  },
  {
    method: 'get',
    path: '/operations/{id}',
    scope: 'read',
    tag: 'operations',
    summary: 'One operation, with its last error and result',
    params: { id: 'operation id' },
    response: { status: 200, description: 'The operation', schema: ref('Operation') },
    errors: [404],
    handler: async (req, { engine }) => ({ body: await requireOperation(engine, req.params.id!) }),
  },
  ...ACTIONS.map(([verb, to, summary]): RouteDef => ({
    method: 'post',
    path: `/operations/{id}/${verb}`,
    scope: 'write',
    tag: 'operations',
    summary,
    params: { id: 'operation id' },
    body: { type: 'object', properties: {} },
    response: {
      status: 200,
      description: 'The operation after the change',
      schema: ref('Operation'),
    },
    errors: [404, 409],
    handler: async (req, deps) => {
      const op = await requireOperation(deps.engine, req.params.id!);
      if (op.state !== 'failed' && !(verb === 'cancel' && op.state === 'pending')) {
        throw new CallsignError(
          ErrorCode.State,
          `Operation ${op.id} is ${op.state}, not failed: it cannot be ${
            verb === 'retry' ? 'retried' : verb === 'skip' ? 'skipped' : 'cancelled'
          }`,
          { details: { operationId: op.id, state: op.state } },
        );
      }
      const result = await deps.engine.store.setOperationState(op.id, to, req.actor);
      // A retry of an operation whose resource now belongs to someone else is cancelled instead.
      if (result.reason !== undefined) {
        throw new CallsignError(
          ErrorCode.State,
          `Operation ${op.id} was not retried: cancelled as ${result.reason}`,
          { details: { operationId: op.id, state: result.state } },
        );
      }
      if (to === 'pending') deps.onQueued?.();
      return { body: await deps.engine.store.getOperation(op.id) };
    },
  })),
];

async function requireOperation(engine: { store: import('../store/types.ts').Store }, id: string) {
  const op = await engine.store.getOperation(id);
  if (!op) {
    throw new CallsignError(ErrorCode.NotFound, `Operation ${id} does not exist`, {
      details: { operationId: id },
    });
  }
  return op;
}
