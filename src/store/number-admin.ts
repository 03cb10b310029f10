/**
 * An administrator's actions on one number: reserve, unreserve, block, unblock and move. Each is
 * one write transaction that locks the row first (PostgreSQL `FOR UPDATE`; SQLite's write
 * transaction is exclusive already), checks the state it finds, changes it and writes one audit
 * entry. Two actions on one number at once therefore run one after the other, and the second
 * sees what the first did.
 */
import type { Kysely, Selectable } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import { isUniqueViolation, type StoreContext } from './context.ts';
import { changeNumber, readNumber } from './number-change.ts';
import type { Database, NumbersTable } from './schema.ts';
import type { ReserveOptions } from './types.ts';

/** A number and who asks; `reason` is why, for the audit. */
export interface NumberAction {
  pool: string;
  value: string;
  actor: string;
  reason?: string;
}

/** See Store.reserveNumber. */
export async function reserveNumber(
  ctx: StoreContext,
  request: NumberAction & { options: ReserveOptions },
): Promise<void> {
  const { pool, value, actor, options } = request;
  const now = options.now ?? new Date();
  if (options.until !== undefined && options.until.getTime() <= now.getTime()) {
    throw new CallsignError(
      ErrorCode.State,
      `Cannot reserve number '${value}' in pool '${pool}' until ` +
        `${options.until.toISOString()}: that time has passed`,
      { details: { pool, value } },
    );
  }

  await ctx.write(async (db) => {
    if (options.personId !== undefined) await requirePerson(db, options.personId);
    const row = await lockNumber(ctx, db, pool, value);
    if (!isFree(row, now)) throw wrongState(row, 'reserve', now);

    const after = {
      state: 'reserved',
      personId: options.personId ?? null,
      until: options.until?.toISOString() ?? null,
      note: options.note ?? null,
    };
    await changeNumber(db, {
      pool,
      value,
      at: now.toISOString(),
      set: {
        state: 'reserved',
        person_id: after.personId,
        available_at: after.until,
        note: after.note,
      },
      audit: {
        actor,
        personId: options.personId,
        action: 'number.reserved',
        before: before(row),
        after,
      },
    });
  });
}

/** See Store.unreserveNumber. */
export function unreserveNumber(ctx: StoreContext, request: NumberAction): Promise<void> {
  return freeAgain(ctx, request, { from: 'reserved', verb: 'unreserve', action: 'unreserved' });
}

/** See Store.unblockNumber. */
export function unblockNumber(ctx: StoreContext, request: NumberAction): Promise<void> {
  return freeAgain(ctx, request, { from: 'blocked', verb: 'unblock', action: 'unblocked' });
}

/** See Store.blockNumber. */
export async function blockNumber(ctx: StoreContext, request: NumberAction): Promise<void> {
  const { pool, value, actor, reason } = request;
  const now = new Date();
  await ctx.write(async (db) => {
    const row = await lockNumber(ctx, db, pool, value);
    if (row.state === 'assigned' || row.state === 'blocked') throw wrongState(row, 'block', now);
    if (row.pinned_to !== null) throw pinnedError(row, 'block');

    await changeNumber(db, {
      pool,
      value,
      at: now.toISOString(),
      set: { state: 'blocked', person_id: null, available_at: null, note: reason ?? null },
      audit: {
        actor,
        personId: row.person_id ?? undefined,
        action: 'number.blocked',
        before: before(row),
        after: { state: 'blocked', reason: reason ?? null },
      },
    });
  });
}

/** See Store.moveNumber. */
export async function moveNumber(
  ctx: StoreContext,
  request: NumberAction & { toPersonId: string },
): Promise<void> {
  const { pool, value, actor, reason, toPersonId } = request;
  const now = new Date();
  try {
    await ctx.write(async (db) => {
      await requirePerson(db, toPersonId);
      const row = await lockNumber(ctx, db, pool, value);
      if (row.state !== 'assigned') throw wrongState(row, 'move', now);
      if (row.pinned_to !== null) throw pinnedError(row, 'move');
      if (row.person_id === toPersonId) {
        throw new CallsignError(
          ErrorCode.State,
          `Cannot move number '${value}' in pool ` +
            `'${pool}': it is already assigned to person ${toPersonId}`,
          { details: { pool, value, personId: toPersonId } },
        );
      }
      await requireNoNumber(db, pool, toPersonId);

      await changeNumber(db, {
        pool,
        value,
        at: now.toISOString(),
        set: { person_id: toPersonId },
        audit: {
          actor,
          personId: toPersonId,
          action: 'number.moved',
          before: before(row),
          after: { state: 'assigned', personId: toPersonId, reason: reason ?? null },
        },
      });
    });
  } catch (err) {
    // PostgreSQL: another transaction gave the person a number between our check and update.
    if (!isUniqueViolation(err)) throw err;
    throw new CallsignError(
      ErrorCode.State,
      `Cannot move number '${value}' in pool '${pool}' ` +
        `to person ${toPersonId}: they were given a number of that pool meanwhile`,
      { cause: err, details: { pool, value, personId: toPersonId } },
    );
  }
}

type Row = Selectable<NumbersTable>;

/** reserved or blocked → available, forgetting person, end and note. */
async function freeAgain(
  ctx: StoreContext,
  request: NumberAction,
  how: { from: 'reserved' | 'blocked'; verb: string; action: string },
): Promise<void> {
  const { pool, value, actor, reason } = request;
  const now = new Date();
  await ctx.write(async (db) => {
    const row = await lockNumber(ctx, db, pool, value);
    if (row.state !== how.from) throw wrongState(row, how.verb, now);
    // A pin's reservation goes with the pin: freeing it alone would let anyone take the number.
    if (row.pinned_to !== null) throw pinnedError(row, how.verb);

    await changeNumber(db, {
      pool,
      value,
      at: now.toISOString(),
      set: { state: 'available', person_id: null, available_at: null, note: null },
      audit: {
        actor,
        personId: row.person_id ?? undefined,
        action: `number.${how.action}`,
        before: before(row),
        after: { state: 'available', reason: reason ?? null },
      },
    });
  });
}

/** The row, locked until commit on PostgreSQL; `not_found` naming pool and value. */
export async function lockNumber(
  ctx: StoreContext,
  db: Kysely<Database>,
  pool: string,
  value: string,
): Promise<Row> {
  return readNumber(db, { pool, value, lock: ctx.dialect === 'postgres' });
}

/** What allocation could give anyone: available, or quarantined or reserved past its time. */
export function isFree(row: Row, now: Date): boolean {
  if (row.state === 'available') return true;
  if (row.state !== 'quarantined' && row.state !== 'reserved') return false;
  return row.available_at !== null && row.available_at <= now.toISOString();
}

export async function requirePerson(db: Kysely<Database>, personId: string): Promise<void> {
  const found = await db
    .selectFrom('people')
    .select('id')
    .where('id', '=', personId)
    .executeTakeFirst();
  if (found === undefined) {
    throw new CallsignError(ErrorCode.NotFound, `Person ${personId} does not exist`, {
      details: { personId },
    });
  }
}

async function requireNoNumber(db: Kysely<Database>, pool: string, personId: string) {
  const held = await db
    .selectFrom('numbers')
    .select('value')
    .where('pool', '=', pool)
    .where('person_id', '=', personId)
    .where('state', '=', 'assigned')
    .executeTakeFirst();
  if (held === undefined) return;
  throw new CallsignError(
    ErrorCode.State,
    `Person ${personId} already holds number ` +
      `'${held.value}' in pool '${pool}'; release it first`,
    { details: { pool, value: held.value, personId } },
  );
}

/** `Cannot block number '2001' in pool 'nyc-ext': it is assigned to person p1`. */
function wrongState(row: Row, verb: string, now: Date): CallsignError {
  const hint = row.state === 'assigned' && verb === 'block' ? '; release or move it first' : '';
  return new CallsignError(
    ErrorCode.State,
    `Cannot ${verb} number '${row.value}' in pool '${row.pool}': it is ${describe(row, now)}` +
      hint,
    { details: { pool: row.pool, value: row.value, state: row.state } },
  );
}

/** `Cannot block number '2001' in pool 'nyc-ext': it is pinned to person p1; unpin it first`. */
function pinnedError(row: Row, verb: string): CallsignError {
  return new CallsignError(
    ErrorCode.State,
    `Cannot ${verb} number '${row.value}' in pool '${row.pool}': it is pinned to person ` +
      `${row.pinned_to}; unpin it first`,
    { details: { pool: row.pool, value: row.value, pinnedTo: row.pinned_to } },
  );
}

/** The row's state in words, with whom and until when. */
function describe(row: Row, now: Date): string {
  const person = row.person_id === null ? '' : ` person ${row.person_id}`;
  const note = row.note === null ? '' : ` (${row.note})`;
  switch (row.state) {
    case 'assigned':
      return `assigned to${person}`;
    case 'reserved': {
      const until = row.available_at === null ? '' : ` until ${row.available_at}`;
      const lapsed = isFree(row, now) ? ' (lapsed)' : '';
      return `reserved${person ? ` for${person}` : ''}${until}${lapsed}${note}`;
    }
    case 'quarantined':
      return `quarantined until ${row.available_at}`;
    default:
      return `${row.state}${note}`;
  }
}

function before(row: Row) {
  return { state: row.state, personId: row.person_id, note: row.note };
}
