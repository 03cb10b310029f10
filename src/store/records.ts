/**
 * Runs, audit, secrets and small state: the simple tables, one statement per call.
 */
import type { Kysely } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { StoreContext } from './context.ts';
import { jsonOrNull, toAudit, toRun } from './rows.ts';
import type { Database } from './schema.ts';
import type { AuditEntry, AuditQuery, RunRecord } from './types.ts';

/** Appends one audit entry, inside whatever transaction `db` belongs to. */
export async function insertAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db.insertInto('audit').values(auditRow(entry)).execute();
}

/** The row of an audit entry; `id` is assigned by the database. */
export function auditRow(entry: AuditEntry) {
  return {
    at: entry.at,
    actor: entry.actor,
    run_id: entry.runId ?? null,
    person_id: entry.personId ?? null,
    action: entry.action,
    subject: entry.subject,
    before: jsonOrNull(entry.before),
    after: jsonOrNull(entry.after),
  };
}

/** Audit entries in the order they were written: oldest first, or newest first on request. */
export async function queryAudit(ctx: StoreContext, query: AuditQuery): Promise<AuditEntry[]> {
  let q = ctx.db
    .selectFrom('audit')
    .selectAll()
    .orderBy('id', query.newestFirst ? 'desc' : 'asc');
  if (query.personId !== undefined) q = q.where('person_id', '=', query.personId);
  if (query.runId !== undefined) q = q.where('run_id', '=', query.runId);
  if (query.action !== undefined) q = q.where('action', '=', query.action);
  if (query.since !== undefined) q = q.where('at', '>=', query.since);
  if (query.limit !== undefined) q = q.limit(query.limit);
  return (await q.execute()).map(toAudit);
}

export async function createRun(
  ctx: StoreContext,
  run: Omit<RunRecord, 'startedAt'> & { startedAt?: string },
): Promise<RunRecord> {
  const record: RunRecord = { ...run, startedAt: run.startedAt ?? new Date().toISOString() };
  await ctx.db
    .insertInto('runs')
    .values({
      id: record.id,
      kind: record.kind,
      state: record.state,
      actor: record.actor,
      started_at: record.startedAt,
      finished_at: record.finishedAt ?? null,
      summary: JSON.stringify(record.summary),
    })
    .execute();
  return record;
}

export async function updateRun(
  ctx: StoreContext,
  id: string,
  patch: Partial<Pick<RunRecord, 'state' | 'finishedAt' | 'summary'>>,
): Promise<void> {
  const set: { state?: string; finished_at?: string; summary?: string } = {};
  if (patch.state !== undefined) set.state = patch.state;
  if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
  if (patch.summary !== undefined) set.summary = JSON.stringify(patch.summary);
  if (Object.keys(set).length === 0) return;

  const result = await ctx.db.updateTable('runs').set(set).where('id', '=', id).executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    throw new CallsignError(ErrorCode.NotFound, `Run '${id}' does not exist`, {
      details: { runId: id },
    });
  }
}

export async function getRun(ctx: StoreContext, id: string): Promise<RunRecord | undefined> {
  const row = await ctx.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toRun(row);
}

/** Newest first. */
export async function listRuns(ctx: StoreContext, limit = 50): Promise<RunRecord[]> {
  const rows = await ctx.db
    .selectFrom('runs')
    .selectAll()
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toRun);
}

/** Stores a new ciphertext; a replaced secret counts as not delivered yet. */
export async function putSecret(ctx: StoreContext, ref: string, ciphertext: string) {
  const createdAt = new Date().toISOString();
  await ctx.db
    .insertInto('secrets')
    .values({ ref, ciphertext, created_at: createdAt, delivered_at: null })
    .onConflict((oc) =>
      oc.column('ref').doUpdateSet({
        ciphertext,
        created_at: createdAt,
        delivered_at: null,
      }),
    )
    .execute();
}

export async function getSecret(ctx: StoreContext, ref: string) {
  const row = await ctx.db
    .selectFrom('secrets')
    .select(['ciphertext', 'delivered_at'])
    .where('ref', '=', ref)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    ciphertext: row.ciphertext,
    ...(row.delivered_at === null ? {} : { deliveredAt: row.delivered_at }),
  };
}

export async function markSecretDelivered(ctx: StoreContext, ref: string, at: Date) {
  const result = await ctx.db
    .updateTable('secrets')
    .set({ delivered_at: at.toISOString() })
    .where('ref', '=', ref)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    throw new CallsignError(ErrorCode.NotFound, `Secret '${ref}' does not exist`, {
      details: { ref },
    });
  }
}

/**
 * Where a resource's secret is kept: `target/type/key`, the same reference as the engine's
 * `secretRef` (engine/vault.ts), so a completed delete can remove it with the link.
 */
export function secretRefOf(resource: { target: string; type: string; key: string }): string {
  return `${resource.target}/${resource.type}/${resource.key}`;
}

export async function deleteSecret(ctx: StoreContext, ref: string): Promise<void> {
  await ctx.db.deleteFrom('secrets').where('ref', '=', ref).execute();
}

export async function getState(ctx: StoreContext, key: string): Promise<string | undefined> {
  const row = await ctx.db
    .selectFrom('state')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

export async function setState(ctx: StoreContext, key: string, value: string): Promise<void> {
  const updatedAt = new Date().toISOString();
  await ctx.db
    .insertInto('state')
    .values({ key, value, updated_at: updatedAt })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: updatedAt }))
    .execute();
}
