/**
 * The operation journal and queue (see notes/engine-queue.md). An operation is claimable when
 * it is pending, its notBefore has come, nothing earlier in its person's journal is still open
 * (pending, running, failed, held) and its target has a free slot. Claims lease the row and
 * bump its fence; completion presents the fence and changes nothing when it is stale.
 */
import { randomUUID } from 'node:crypto';

import { sql, type Kysely } from 'kysely';

import type { PlannedOperation } from '../core/model.ts';
import { isUniqueViolation, type StoreContext } from './context.ts';
import { deleteLinkIn, saveLinkIn } from './people.ts';
import { auditRow, secretRefOf } from './records.ts';
import { jsonOrNull, toOperation } from './rows.ts';
import type { Database } from './schema.ts';
import type { ClaimOptions, CompletionLink, CompletionOutcome, OperationRecord } from './types.ts';

/** Rows per INSERT: 22 columns × 400 stays under SQLite's and PostgreSQL's parameter limits. */
const INSERT_CHUNK = 400;

/** Journals operations in one transaction, in array order; returns their ids. */
export async function journal(
  ctx: StoreContext,
  runId: string,
  ops: PlannedOperation[],
  state: 'pending' | 'held',
): Promise<string[]> {
  const at = new Date().toISOString();
  const rows = ops.map((op) => ({
    id: randomUUID(),
    run_id: runId,
    person_id: op.personId,
    action: op.action,
    target: op.target,
    type: op.type,
    key: op.key,
    attributes: JSON.stringify(op.attributes),
    before: jsonOrNull(op.before),
    secret: op.secret === true ? 1 : 0,
    after: JSON.stringify(op.after),
    reason: op.reason,
    state,
    attempts: 0,
    not_before: at,
    lease_owner: null,
    lease_until: null,
    fence: 0,
    last_error: null,
    result: null,
    created_at: at,
    updated_at: at,
  }));
  if (rows.length === 0) return [];

  await ctx.write(async (db) => {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await db
        .insertInto('operations')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .execute();
    }
  });
  return rows.map((r) => r.id);
}

/** See Store.claim. */
export async function claim(ctx: StoreContext, options: ClaimOptions): Promise<OperationRecord[]> {
  const targets = Object.entries(options.slots).filter(([, free]) => free > 0);
  if (targets.length === 0 || options.limit <= 0) return [];

  const now = options.now.toISOString();
  const leaseUntil = new Date(options.now.getTime() + options.leaseMs).toISOString();
  try {
    return await ctx.write(async (db) => {
      const chosen: { id: string; seq: number }[] = [];
      for (const [target, free] of targets) {
        const limit = Math.min(free, options.limit);
        const rows = await candidates(ctx, db, { target, now, limit });
        for (const row of rows) chosen.push({ id: row.id, seq: Number(row.seq) });
      }
      if (chosen.length === 0) return [];

      const ids = chosen
        .sort((a, b) => a.seq - b.seq)
        .slice(0, options.limit)
        .map((c) => c.id);
      const rows = await db
        .updateTable('operations')
        .set((eb) => ({
          state: 'running',
          lease_owner: options.owner,
          lease_until: leaseUntil,
          fence: eb('fence', '+', 1),
          attempts: eb('attempts', '+', 1),
          updated_at: now,
        }))
        .where('id', 'in', ids)
        .where(sql<boolean>`state = 'pending'`)
        .returningAll()
        .execute();
      return rows.map(toOperation).sort((a, b) => a.seq - b.seq);
    });
  } catch (err) {
    // Another process put one of these people in flight between our read and our write; the
    // unique index refused it and the next claim will see the new state.
    if (isUniqueViolation(err)) return [];
    throw err;
  }
}

/**
 * Extends the lease while it is still held with that fence and not yet expired, inside the
 * caller's transaction (the store batches renewals with completions).
 */
export async function renewOne(
  db: Kysely<Database>,
  request: { id: string; fence: number; leaseMs: number; now: Date },
): Promise<boolean> {
  const { id, fence, leaseMs, now } = request;
  const result = await db
    .updateTable('operations')
    .set({ lease_until: new Date(now.getTime() + leaseMs).toISOString() })
    .where('id', '=', id)
    .where('fence', '=', fence)
    .where(sql<boolean>`state = 'running'`)
    .where('lease_until', '>', now.toISOString())
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Fenced completion of one claimed operation, inside the caller's transaction: one conditional
 * UPDATE … RETURNING, its one audit entry and, when done, the link change. False, and nothing
 * written, when the fence is stale.
 */
export async function completeOne(
  db: Kysely<Database>,
  claimed: { id: string; fence: number },
  outcome: CompletionOutcome,
): Promise<boolean> {
  const at = new Date().toISOString();
  const set =
    outcome.state === 'done'
      ? { state: 'done', result: JSON.stringify(outcome.result) }
      : outcome.state === 'failed' || outcome.state === 'cancelled'
        ? { state: outcome.state, last_error: JSON.stringify(outcome.error) }
        : {
            state: 'pending',
            last_error: JSON.stringify(outcome.error),
            not_before: outcome.notBefore.toISOString(),
            lease_owner: null,
          };

  const row = await db
    .updateTable('operations')
    .set({ ...set, lease_until: null, updated_at: at })
    .where('id', '=', claimed.id)
    .where('fence', '=', claimed.fence)
    .where(sql<boolean>`state = 'running'`)
    .returning(['run_id', 'person_id', 'target', 'type', 'key', 'action', 'before'])
    .executeTakeFirst();
  if (row === undefined) return false;

  const action =
    outcome.state === 'pending'
      ? 'operation.retry'
      : outcome.state === 'cancelled'
        ? 'operation.stale'
        : `operation.${outcome.state}`;
  const ids = { at, runId: row.run_id, personId: row.person_id, action };
  if (outcome.audit !== undefined) {
    await db
      .insertInto('audit')
      .values(auditRow({ ...ids, ...outcome.audit }))
      .execute();
  } else {
    const detail = outcome.state === 'done' ? { result: outcome.result } : { error: outcome.error };
    await db
      .insertInto('audit')
      .values({
        ...auditRow({
          ...ids,
          actor: 'engine',
          subject: `${row.target}/${row.type}/${row.key}`,
          after: { operationId: claimed.id, action: row.action, ...detail },
        }),
        before: row.before,
      })
      .execute();
  }
  const linked = outcome.state === 'done' || outcome.state === 'cancelled';
  if (linked && outcome.link !== undefined) await keepLink(db, outcome.link);
  return true;
}

/** Returns operations whose lease has run out to pending; returns how many. */
export async function reapLeases(ctx: StoreContext, now: Date): Promise<number> {
  const result = await ctx.db
    .updateTable('operations')
    .set({ state: 'pending', lease_owner: null, lease_until: null, updated_at: now.toISOString() })
    .where(sql<boolean>`state = 'running'`)
    .where('lease_until', '<=', now.toISOString())
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The head-of-person pending operations of one target, oldest first, locked on PostgreSQL. */
function candidates(
  ctx: StoreContext,
  db: Kysely<Database>,
  request: { target: string; now: string; limit: number },
) {
  return db
    .selectFrom('operations as o')
    .select(['o.id', 'o.seq'])
    .where('o.target', '=', request.target)
    .where(sql<boolean>`o.state = 'pending'`)
    .where('o.not_before', '<=', request.now)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('operations as p')
            .select('p.seq')
            .whereRef('p.person_id', '=', 'o.person_id')
            .whereRef('p.seq', '<', 'o.seq')
            .where(sql<boolean>`p.state in ('pending', 'running', 'failed', 'held')`),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('operations as r')
            .select('r.seq')
            .whereRef('r.person_id', '=', 'o.person_id')
            .where(sql<boolean>`r.state = 'running'`),
        ),
      ),
    )
    .orderBy('o.seq')
    .limit(request.limit)
    .$if(ctx.dialect === 'postgres', (q) => q.forUpdate('o').skipLocked())
    .execute();
}

/** A done completion's link change; a deleted resource's secret goes with its link. */
async function keepLink(db: Kysely<Database>, link: CompletionLink): Promise<void> {
  if ('save' in link) {
    await saveLinkIn(db, link.save);
    return;
  }
  await deleteLinkIn(db, link.delete);
  await db.deleteFrom('secrets').where('ref', '=', secretRefOf(link.delete)).execute();
}
