/**
 * Reading the journal and the operator's actions on it: approve or reject a braked run's held
 * operations, retry, skip or cancel a failed one.
 */
import { sql } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { StoreContext } from './context.ts';
import { deleteLinkIn } from './people.ts';
import { insertAudit } from './records.ts';
import { staleReasonIn } from './stale.ts';
import { toOperation } from './rows.ts';
import type { OperationRecord, OperationState } from './types.ts';

/** Which operator action may start from which state. */
const ALLOWED_FROM: Record<'pending' | 'skipped' | 'cancelled', readonly string[]> = {
  pending: ['failed'],
  skipped: ['failed', 'pending', 'held'],
  cancelled: ['failed', 'pending', 'held'],
};

export async function getOperation(
  ctx: StoreContext,
  id: string,
): Promise<OperationRecord | undefined> {
  const row = await ctx.db
    .selectFrom('operations')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toOperation(row);
}

/** Operations in journal order. */
export async function listOperations(
  ctx: StoreContext,
  filter: { runId?: string; personId?: string; state?: OperationState[] },
): Promise<OperationRecord[]> {
  let q = ctx.db.selectFrom('operations').selectAll().orderBy('seq');
  if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId);
  if (filter.personId !== undefined) q = q.where('person_id', '=', filter.personId);
  if (filter.state !== undefined) {
    if (filter.state.length === 0) return [];
    q = q.where('state', 'in', filter.state);
  }
  return (await q.execute()).map(toOperation);
}

/** held → pending (approve) or held → cancelled (reject) for a run. */
export async function releaseHeld(
  ctx: StoreContext,
  runId: string,
  to: 'pending' | 'cancelled',
): Promise<number> {
  const result = await ctx.db
    .updateTable('operations')
    .set({ state: to, updated_at: new Date().toISOString() })
    .where('run_id', '=', runId)
    .where(sql<boolean>`state = 'held'`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Retry (→ pending), skip or cancel an operation, audited. A retry of a stale operation (see
 * stale.ts) cancels it instead, drops its person's link to the resource that is no longer
 * theirs, and returns the reason.
 */
export async function setOperationState(
  ctx: StoreContext,
  request: { id: string; state: 'pending' | 'skipped' | 'cancelled'; actor: string },
): Promise<{ state: OperationState; reason?: string }> {
  const { id, actor } = request;
  return ctx.write(async (db) => {
    const row = await db
      .selectFrom('operations')
      .select(['state', 'run_id', 'person_id', 'target', 'type', 'key', 'seq', 'action'])
      .select('created_at')
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) {
      throw new CallsignError(ErrorCode.NotFound, `Operation '${id}' does not exist`, {
        details: { operationId: id },
      });
    }
    const wanted = request.state;
    if (!ALLOWED_FROM[wanted].includes(row.state)) {
      throw new CallsignError(
        ErrorCode.State,
        `Operation '${id}' is ${row.state}; it cannot be set to ${wanted} ` +
          `(allowed from: ${ALLOWED_FROM[wanted].join(', ')})`,
        { details: { operationId: id, state: row.state, wanted } },
      );
    }

    const at = new Date().toISOString();
    const subject = { target: row.target, type: row.type, key: row.key };
    const reason =
      request.state !== 'pending'
        ? undefined
        : await staleReasonIn(db, {
            ...subject,
            id,
            seq: Number(row.seq),
            personId: row.person_id,
            action: row.action,
            createdAt: row.created_at,
          });
    const state = reason === undefined ? request.state : 'cancelled';
    const error = reason === undefined ? {} : { last_error: staleError(reason) };
    await db
      .updateTable('operations')
      .set({ state, lease_owner: null, lease_until: null, updated_at: at, ...error })
      .where('id', '=', id)
      .execute();
    if (reason !== undefined) await deleteLinkIn(db, { personId: row.person_id, ...subject });
    await insertAudit(db, {
      at,
      actor,
      runId: row.run_id,
      personId: row.person_id,
      action:
        reason !== undefined
          ? 'operation.stale'
          : state === 'pending'
            ? 'operation.retried'
            : `operation.${state}`,
      subject: `${row.target}/${row.type}/${row.key}`,
      before: { operationId: id, state: row.state },
      after: { operationId: id, state, ...(reason === undefined ? {} : { reason }) },
    });
    return reason === undefined ? { state } : { state, reason };
  });
}

function staleError(reason: string): string {
  return JSON.stringify({ code: ErrorCode.State, message: reason, retryable: false });
}

/** Operations not yet finished: pending, running or held. */
export async function countOpen(ctx: StoreContext, runId?: string): Promise<number> {
  let q = ctx.db
    .selectFrom('operations')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('state', 'in', ['pending', 'running', 'held']);
  if (runId !== undefined) q = q.where('run_id', '=', runId);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}
