/**
 * The number inventory: pools, allocation, quarantine and holds. Allocation is one write
 * transaction; on PostgreSQL the candidate rows are taken with `FOR UPDATE SKIP LOCKED`, and a
 * partial unique index (one assigned number per person and pool) catches the last race: the
 * same person allocated by two processes at once, which is retried and then finds its number.
 * A reservation for the person is theirs first; a lapsed reservation is free for anyone.
 * Operator actions on single numbers live in number-admin.ts, reads in number-queries.ts.
 */
import { setTimeout as delay } from 'node:timers/promises';

import type { Kysely, Selectable } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { HeldNumber, NumberKind } from '../core/model.ts';
import { isUniqueViolation, type StoreContext } from './context.ts';
import { insertAudit } from './records.ts';
import { toNumber } from './rows.ts';
import type { Database, NumbersTable } from './schema.ts';
import type { NumberRecord, PoolDefinition } from './types.ts';

const DAY_MS = 86_400_000;
const INSERT_CHUNK = 500;
const MAX_ATTEMPTS = 20;

/** Adds the pool's missing values as available; existing rows are never touched. */
export async function syncPool(ctx: StoreContext, pool: PoolDefinition): Promise<void> {
  const at = new Date().toISOString();
  await ctx.write(async (db) => {
    const row = { kind: pool.kind, quarantine_days: pool.quarantineDays, updated_at: at };
    await db.insertInto('pools').values({ name: pool.name, ...row })
      .onConflict((oc) => oc.column('name').doUpdateSet(row)).execute();

    for (let i = 0; i < pool.values.length; i += INSERT_CHUNK) {
      const rows = pool.values.slice(i, i + INSERT_CHUNK).map((value, j) => ({
        pool: pool.name, value, kind: pool.kind, position: i + j, state: 'available',
        person_id: null, available_at: null, note: null, updated_at: at,
      }));
      await db.insertInto('numbers').values(rows)
        .onConflict((oc) => oc.columns(['pool', 'value']).doNothing()).execute();
    }
  });
}

/** See Store.allocateNumber. Throws `exhausted` when nothing in the pool can be given. */
export async function allocateNumber(
  ctx: StoreContext,
  request: { pool: string; personId: string; now: Date; actor: string },
): Promise<HeldNumber> {
  for (let attempt = 1; ; attempt++) {
    try {
      const held = await ctx.write((db) => allocateOnce(ctx, db, request));
      if (held !== undefined) return held;
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
    if (attempt >= MAX_ATTEMPTS) {
      throw new CallsignError(ErrorCode.Unavailable,
        `Cannot allocate a number from pool '${request.pool}': every free number stayed ` +
        'locked by other allocations', { details: { pool: request.pool } });
    }
    // Another process holds the free rows right now; they are free again once it commits.
    await delay(attempt * 5);
  }
}

/** What allocation would give now, changing nothing; undefined when it would fail. */
export async function peekNumber(
  ctx: StoreContext,
  pool: string,
  personId: string,
  now: Date,
  skip: readonly string[] = [],
): Promise<HeldNumber | undefined> {
  const kind = await poolKind(ctx.db, pool);
  if (kind === undefined) return undefined;

  const pick = await pickNumber(ctx.db, { pool, personId, now, lock: false, skip });
  return pick === undefined ? undefined : { pool, kind, value: pick.value };
}

/** Quarantines an assigned number until now + the pool's quarantine; idempotent otherwise. */
export async function releaseNumber(
  ctx: StoreContext,
  request: { pool: string; value: string; now: Date; actor: string; reason?: string },
): Promise<void> {
  const { pool, value, now, actor, reason } = request;
  await ctx.write(async (db) => {
    const poolRow = await db.selectFrom('pools').select('quarantine_days')
      .where('name', '=', pool).executeTakeFirst();
    if (poolRow === undefined) throw missingPool(pool);
    const row = await findNumber(db, pool, value);
    if (row.state !== 'assigned') return;

    const availableAt = new Date(now.getTime() + Number(poolRow.quarantine_days) * DAY_MS);
    await db.updateTable('numbers')
      .set({ state: 'quarantined', available_at: availableAt.toISOString(),
        updated_at: now.toISOString() })
      .where('pool', '=', pool).where('value', '=', value).execute();
    await insertAudit(db, {
      at: now.toISOString(), actor, personId: row.person_id ?? undefined,
      action: 'number.released', subject: `number:${pool}:${value}`,
      before: { state: row.state },
      after: { state: 'quarantined', availableAt, ...(reason === undefined ? {} : { reason }) },
    });
  });
}

/** Holds a number for review (a conflict found on a platform). */
export async function holdNumber(
  ctx: StoreContext,
  request: { pool: string; value: string; reason: string; actor: string },
): Promise<void> {
  const { pool, value, reason, actor } = request;
  const at = new Date().toISOString();
  await ctx.write(async (db) => {
    const row = await findNumber(db, pool, value);
    await db.updateTable('numbers').set({ state: 'held', note: reason, updated_at: at })
      .where('pool', '=', pool).where('value', '=', value).execute();
    await insertAudit(db, {
      at, actor, personId: row.person_id ?? undefined, action: 'number.held',
      subject: `number:${pool}:${value}`, before: { state: row.state },
      after: { state: 'held', reason },
    });
  });
}

export async function numbersOf(ctx: StoreContext, personId: string): Promise<HeldNumber[]> {
  const rows = await ctx.db.selectFrom('numbers').select(['pool', 'kind', 'value'])
    .where('person_id', '=', personId).where('state', '=', 'assigned')
    .orderBy('pool').orderBy('position').execute();
  return rows.map((r) => ({ pool: r.pool, kind: r.kind as NumberKind, value: r.value }));
}

export async function listNumbers(ctx: StoreContext, pool?: string): Promise<NumberRecord[]> {
  let q = ctx.db.selectFrom('numbers').selectAll()
    .orderBy('pool').orderBy('position').orderBy('value');
  if (pool !== undefined) q = q.where('pool', '=', pool);
  return (await q.execute()).map(toNumberRecord);
}

/** The record of a row, with its note (reservation note, block or hold reason) when set. */
export function toNumberRecord(row: Selectable<NumbersTable>): NumberRecord {
  const record = toNumber(row);
  if (row.note !== null) record.note = row.note;
  return record;
}

/** One attempt; undefined when every free number was locked by someone else. */
async function allocateOnce(
  ctx: StoreContext,
  db: Kysely<Database>,
  request: { pool: string; personId: string; now: Date; actor: string },
): Promise<HeldNumber | undefined> {
  const { pool, personId, now, actor } = request;
  const kind = await poolKind(db, pool);
  if (kind === undefined) throw missingPool(pool);

  const pick = await pickNumber(db, { pool, personId, now, lock: ctx.dialect === 'postgres' });
  if (pick === undefined) return exhaustedOrBusy(db, pool, now);
  if (pick.state === 'assigned') return { pool, kind, value: pick.value };

  const at = now.toISOString();
  // The state re-check makes the write safe even if the row was not locked by the read.
  const taken = await db.updateTable('numbers')
    .set({ state: 'assigned', person_id: personId, available_at: null, note: null,
      updated_at: at })
    .where('pool', '=', pool).where('value', '=', pick.value).where('state', '=', pick.state)
    .executeTakeFirst();
  if (taken.numUpdatedRows === 0n) return undefined;
  await insertAudit(db, {
    at, actor, personId, action: 'number.assigned', subject: `number:${pool}:${pick.value}`,
    before: { state: pick.state }, after: { state: 'assigned', personId },
  });
  return { pool, kind, value: pick.value };
}

interface Pick {
  value: string;
  state: string;
}

/**
 * The person's number, else a live reservation for them, else their own quarantined one (a
 * rehire), else the lowest free one: available, or quarantined or reserved past its time.
 */
async function pickNumber(
  db: Kysely<Database>,
  request: { pool: string; personId: string; now: Date; lock: boolean; skip?: readonly string[] },
): Promise<Pick | undefined> {
  const { pool, personId, lock } = request;
  const skip = [...(request.skip ?? [])];
  const now = request.now.toISOString();
  const own = await db.selectFrom('numbers').select(['value', 'state', 'available_at'])
    .where('pool', '=', pool).where('person_id', '=', personId)
    .where('state', 'in', ['assigned', 'reserved', 'quarantined'])
    .orderBy('updated_at', 'desc')
    .$if(lock, (q) => q.forUpdate().skipLocked())
    .execute();
  const live = own.filter((r) => r.state !== 'reserved' || !lapsed(r.available_at, now));
  for (const state of OWN_ORDER) {
    const mine = live.find((r) => r.state === state);
    if (mine !== undefined) return { value: mine.value, state: mine.state };
  }

  // One index range read per state beats one OR that would scan every number of the pool.
  const candidates: (Pick & { position: number | string })[] = [];
  for (const state of FREE_STATES) {
    const row = await db.selectFrom('numbers').select(['value', 'state', 'position'])
      .where('pool', '=', pool).where('state', '=', state)
      .$if(state !== 'available', (q) => q.where('available_at', '<=', now))
      .$if(skip.length > 0, (q) => q.where('value', 'not in', skip))
      .orderBy('position').orderBy('value').limit(1)
      .$if(lock, (q) => q.forUpdate().skipLocked())
      .executeTakeFirst();
    if (row !== undefined) candidates.push(row);
  }
  candidates.sort((a, b) => Number(a.position) - Number(b.position) ||
    (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return candidates[0];
}

/** Which of a person's own rows allocation gives back, in order. */
const OWN_ORDER = ['assigned', 'reserved', 'quarantined'] as const;
/** Rows anyone may be given; the last two only once their `available_at` has passed. */
const FREE_STATES = ['available', 'quarantined', 'reserved'] as const;

/** A reservation without an end never lapses; one with an end lapses at that instant. */
function lapsed(availableAt: string | null, now: string): boolean {
  return availableAt !== null && availableAt <= now;
}

async function exhaustedOrBusy(db: Kysely<Database>, pool: string, now: Date) {
  const counts = await db.selectFrom('numbers')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('total'),
      eb.fn.count<number | string>('value').filterWhere((w) => w.or([
        w('state', '=', 'available'),
        w.and([w('state', 'in', ['quarantined', 'reserved']),
          w('available_at', '<=', now.toISOString())]),
      ])).as('free'),
    ])
    .where('pool', '=', pool).executeTakeFirstOrThrow();
  if (Number(counts.free) > 0) return undefined;

  const total = Number(counts.total);
  throw new CallsignError(ErrorCode.Exhausted,
    `Cannot allocate a number from pool '${pool}': all ${total} numbers are assigned, ` +
    'quarantined, held or blocked', { details: { pool, size: total } });
}

async function poolKind(db: Kysely<Database>, pool: string): Promise<NumberKind | undefined> {
  const row = await db.selectFrom('pools').select('kind').where('name', '=', pool)
    .executeTakeFirst();
  return row?.kind as NumberKind | undefined;
}

async function findNumber(db: Kysely<Database>, pool: string, value: string) {
  const row = await db.selectFrom('numbers').selectAll()
    .where('pool', '=', pool).where('value', '=', value).executeTakeFirst();
  if (row === undefined) {
    throw new CallsignError(ErrorCode.NotFound, `Number '${value}' is not in pool '${pool}'`, {
      details: { pool, value },
    });
  }
  return row;
}

function missingPool(pool: string): CallsignError {
  return new CallsignError(ErrorCode.MissingReference,
    `Pool '${pool}' is not defined in the store; sync the pool before allocating from it`,
    { details: { pool } });
}
