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
import { changeNumber, readNumber } from './number-change.ts';
import { allocatePair, RetryPair } from './number-mapping.ts';
import { pickFree } from './number-policy.ts';
import { PIN_NOTE } from './number-pins.ts';
import { applyPoolDefinition } from './number-range.ts';
import {
  assignRow,
  exhaustedOrBusy,
  mappedFrom,
  missingPool,
  type Pick,
  pickOwn,
  poolRow,
  type PoolRow,
} from './number-rows.ts';
import { toNumber } from './rows.ts';
import type { Database, NumbersTable } from './schema.ts';
import type { NumberRecord, PoolDefinition } from './types.ts';

const DAY_MS = 86_400_000;
const MAX_ATTEMPTS = 20;

/**
 * Brings the store's pool in line with its definition: new values are added as available, the
 * policy and mapping are saved, and numbers the range no longer holds are marked out of range
 * (never allocated again). Those in use stay as they are; free ones are retired. A retired
 * number the range holds again becomes available. See number-range.ts.
 */
export async function syncPool(ctx: StoreContext, pool: PoolDefinition): Promise<void> {
  await ctx.write((db) => applyPoolDefinition(db, pool, new Date()));
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
      const retry = isUniqueViolation(err) || err instanceof RetryPair;
      if (!retry || attempt >= MAX_ATTEMPTS) throw err;
    }
    if (attempt >= MAX_ATTEMPTS) {
      throw new CallsignError(
        ErrorCode.Unavailable,
        `Cannot allocate a number from pool '${request.pool}': every free number stayed ` +
          'locked by other allocations',
        { details: { pool: request.pool } },
      );
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
): Promise<HeldNumber | undefined> {
  const row = await poolRow(ctx.db, pool);
  if (row === undefined) return undefined;

  const pick = await pickNumber(ctx.db, { pool: row, personId, now, lock: false });
  return pick === undefined ? undefined : { pool, kind: row.kind as NumberKind, value: pick.value };
}

/**
 * Quarantines an assigned or forwarding number until now + the pool's quarantine (a pinned one
 * is reserved for its holder instead); idempotent otherwise.
 */
export async function releaseNumber(
  ctx: StoreContext,
  request: { pool: string; value: string; now: Date; actor: string; reason?: string },
): Promise<void> {
  const { pool, value, now, actor, reason } = request;
  await ctx.write(async (db) => {
    const poolRow = await db
      .selectFrom('pools')
      .select('quarantine_days')
      .where('name', '=', pool)
      .executeTakeFirst();
    if (poolRow === undefined) throw missingPool(pool);
    const row = await readNumber(db, { pool, value, lock: false });
    if (row.state !== 'assigned' && row.state !== 'forwarding') return;

    // A number pinned to its holder goes back to them, reserved; any other waits out quarantine.
    const pinned = row.pinned_to !== null && row.pinned_to === row.person_id;
    const availableAt = pinned
      ? null
      : new Date(now.getTime() + Number(poolRow.quarantine_days) * DAY_MS);
    const state = pinned ? 'reserved' : 'quarantined';
    await changeNumber(db, {
      pool,
      value,
      at: now.toISOString(),
      set: {
        state,
        available_at: availableAt?.toISOString() ?? null,
        released_at: now.toISOString(),
        forward: null,
        ...(pinned ? { note: PIN_NOTE } : {}),
      },
      audit: {
        actor,
        personId: row.person_id ?? undefined,
        action: 'number.released',
        before: { state: row.state },
        after: { state, availableAt, ...(reason === undefined ? {} : { reason }) },
      },
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
    const row = await readNumber(db, { pool, value, lock: false });
    await changeNumber(db, {
      pool,
      value,
      at,
      set: { state: 'held', note: reason },
      audit: {
        actor,
        personId: row.person_id ?? undefined,
        action: 'number.held',
        before: { state: row.state },
        after: { state: 'held', reason },
      },
    });
  });
}

export async function numbersOf(ctx: StoreContext, personId: string): Promise<HeldNumber[]> {
  const rows = await ctx.db
    .selectFrom('numbers')
    .select(['pool', 'kind', 'value', 'emergency'])
    .where('person_id', '=', personId)
    .where('state', '=', 'assigned')
    .orderBy('pool')
    .orderBy('position')
    .execute();
  return rows.map((r) => {
    const held: HeldNumber = { pool: r.pool, kind: r.kind as NumberKind, value: r.value };
    if (r.emergency !== null) held.emergency = JSON.parse(r.emergency);
    return held;
  });
}

export async function listNumbers(ctx: StoreContext, pool?: string): Promise<NumberRecord[]> {
  let q = ctx.db
    .selectFrom('numbers')
    .selectAll()
    .orderBy('pool')
    .orderBy('position')
    .orderBy('value');
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
  const lock = ctx.dialect === 'postgres';
  const row = await poolRow(db, pool);
  if (row === undefined) throw missingPool(pool);
  const kind = row.kind as NumberKind;

  const pair = await pairOf(db, row);
  if (pair !== undefined) {
    return allocatePair(db, { ...pair, want: kind, personId, now, actor, lock });
  }
  const pick = await pickNumber(db, { pool: row, personId, now, lock });
  if (pick === undefined) return exhaustedOrBusy(db, pool, now);
  if (pick.state === 'assigned') return { pool, kind, value: pick.value };
  if (!(await assignRow(db, { pool, pick, personId, now, actor }))) return undefined;
  return { pool, kind, value: pick.value };
}

/** The DID and extension pools when `row` is one half of a mapped pair. */
async function pairOf(db: Kysely<Database>, row: PoolRow) {
  if (row.mapping !== undefined) {
    const did = await poolRow(db, row.mapping.didPool);
    if (did === undefined) throw missingPool(row.mapping.didPool);
    return { did, ext: { ...row, mapping: row.mapping } };
  }
  if (row.kind !== 'did') return undefined;
  const mapped = await mappedFrom(db, row.name);
  if (mapped === undefined) return undefined;
  const ext = await poolRow(db, mapped.extPool);
  return ext === undefined ? undefined : { did: row, ext: { ...ext, mapping: mapped.mapping } };
}

/**
 * The person's number, else a live reservation for them, else their own quarantined one (a
 * rehire), else the free one the pool's policy picks.
 */
async function pickNumber(
  db: Kysely<Database>,
  request: { pool: PoolRow; personId: string; now: Date; lock: boolean },
): Promise<Pick | undefined> {
  const { pool, personId, now, lock } = request;
  const own = await pickOwn(db, { pool: pool.name, personId, now, lock });
  if (own !== undefined) return own;
  return pickFree(db, {
    pool: pool.name,
    policy: pool.policy,
    pattern: pool.pattern,
    now,
    lock,
  });
}
