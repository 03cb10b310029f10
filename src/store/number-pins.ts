/**
 * Pins, emergency data and leaver forwards on single numbers. Like number-admin.ts, each action
 * is one write transaction that locks the row, checks the state it finds, changes it and writes
 * one audit entry.
 *
 * A pin keeps a number for one person: a free number is reserved for them without end (so no
 * policy ever gives it to someone else), allocation gives it to them first (their reservation),
 * and a release sends it back to that reservation instead of quarantine.
 */
import type { Kysely, Selectable } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { EmergencyInfo, NumberForward } from '../core/model.ts';
import type { StoreContext } from './context.ts';
import { isFree, lockNumber, requirePerson } from './number-admin.ts';
import { changeNumber } from './number-change.ts';
import type { Database, NumbersTable } from './schema.ts';

/** The note a reservation made by a pin carries. */
export const PIN_NOTE = 'pinned';

type Row = Selectable<NumbersTable>;

/** See Store.pinNumber. */
export async function pinNumber(
  ctx: StoreContext,
  request: { pool: string; value: string; personId: string; actor: string },
): Promise<void> {
  const { pool, value, personId, actor } = request;
  const now = new Date();
  await ctx.write(async (db) => {
    await requirePerson(db, personId);
    const row = await lockNumber(ctx, db, pool, value);
    const refusal = await pinRefusal(db, row, personId, now);
    if (refusal !== undefined) {
      throw new CallsignError(
        ErrorCode.State,
        `Cannot pin number '${value}' in pool '${pool}' to ${await nameOf(db, personId)}: ` +
          refusal,
        { details: { pool, value, personId, holder: row.person_id } },
      );
    }

    const held = row.state === 'assigned' || row.state === 'forwarding';
    const set = held
      ? { pinned_to: personId }
      : { pinned_to: personId, state: 'reserved', person_id: personId, available_at: null };
    await changeNumber(db, {
      pool,
      value,
      at: now.toISOString(),
      set: { ...set, ...(held ? {} : { note: PIN_NOTE }) },
      audit: {
        actor,
        personId,
        action: 'number.pinned',
        before: { state: row.state, personId: row.person_id, pinnedTo: row.pinned_to },
        after: { state: held ? row.state : 'reserved', personId, pinnedTo: personId },
      },
    });
  });
}

/** See Store.unpinNumber. */
export async function unpinNumber(
  ctx: StoreContext,
  request: { pool: string; value: string; reason: string; actor: string },
): Promise<void> {
  const { pool, value, reason, actor } = request;
  const now = new Date();
  await ctx.write(async (db) => {
    const row = await lockNumber(ctx, db, pool, value);
    if (row.pinned_to === null) {
      throw new CallsignError(
        ErrorCode.State,
        `Cannot unpin number '${value}' in pool '${pool}': it is not pinned`,
        { details: { pool, value } },
      );
    }

    // Only the pin's own reservation goes; an assignment or forward stays as it is.
    const pinOnly = row.state === 'reserved' && row.note === PIN_NOTE;
    const freed = { state: 'available', person_id: null, available_at: null, note: null };
    await changeNumber(db, {
      pool,
      value,
      at: now.toISOString(),
      set: { pinned_to: null, ...(pinOnly ? freed : {}) },
      audit: {
        actor,
        personId: row.pinned_to,
        action: 'number.unpinned',
        before: { state: row.state, pinnedTo: row.pinned_to },
        after: { state: pinOnly ? 'available' : row.state, reason },
      },
    });
  });
}

/** See Store.setNumberEmergency. */
export async function setNumberEmergency(
  ctx: StoreContext,
  request: { pool: string; value: string; emergency: EmergencyInfo | null; actor: string },
): Promise<void> {
  const { pool, value, emergency, actor } = request;
  const now = new Date();
  await ctx.write(async (db) => {
    const row = await lockNumber(ctx, db, pool, value);
    const text = emergency === null ? null : JSON.stringify(emergency);
    await changeNumber(db, {
      pool,
      value,
      at: now.toISOString(),
      set: { emergency: text },
      audit: {
        actor,
        personId: row.person_id ?? undefined,
        action: 'number.emergency',
        before: { emergency: row.emergency === null ? null : JSON.parse(row.emergency) },
        after: { emergency },
      },
    });
  });
}

/** See Store.forwardNumber. */
export async function forwardNumber(
  ctx: StoreContext,
  request: { pool: string; value: string; forward: NumberForward; now: Date; actor: string },
): Promise<void> {
  const { pool, value, forward, now, actor } = request;
  await ctx.write(async (db) => {
    const row = await lockNumber(ctx, db, pool, value);
    if (row.state !== 'assigned' && row.state !== 'forwarding') {
      throw new CallsignError(
        ErrorCode.State,
        `Cannot forward number '${value}' in pool '${pool}': it is ${row.state}, not assigned`,
        { details: { pool, value, state: row.state } },
      );
    }
    const text = JSON.stringify(forward);
    if (row.state === 'forwarding' && row.forward === text) return;

    await changeNumber(db, {
      pool,
      value,
      at: now.toISOString(),
      set: { state: 'forwarding', forward: text, available_at: forward.until },
      audit: {
        actor,
        personId: row.person_id ?? undefined,
        action: row.state === 'forwarding' ? 'number.forward-changed' : 'number.forwarding',
        before: {
          state: row.state,
          forward: row.forward === null ? null : JSON.parse(row.forward),
        },
        after: { state: 'forwarding', forward },
      },
    });
  });
}

/** Why the number cannot be pinned to the person, or undefined when it can. */
async function pinRefusal(db: Kysely<Database>, row: Row, personId: string, now: Date) {
  const holder = row.person_id;
  if (row.pinned_to !== null && row.pinned_to !== personId) {
    return `it is pinned to ${await nameOf(db, row.pinned_to)}; unpin it first`;
  }
  if (holder !== null && holder !== personId) {
    if (row.state === 'assigned' || row.state === 'forwarding') {
      return (
        `it is ${row.state === 'assigned' ? 'assigned' : 'forwarding'} to ` +
        `${await nameOf(db, holder)}`
      );
    }
    if (row.state === 'reserved' && !isFree(row, now)) {
      return `it is reserved for ${await nameOf(db, holder)}`;
    }
  }
  const own = holder === personId && ['assigned', 'forwarding', 'reserved', 'quarantined'];
  if (own && own.includes(row.state)) return undefined;
  if (!isFree(row, now)) {
    const until = row.available_at === null ? '' : ` until ${row.available_at}`;
    return `it is ${row.state}${until}`;
  }

  const other = await db
    .selectFrom('numbers')
    .select('value')
    .where('pool', '=', row.pool)
    .where('person_id', '=', personId)
    .where('state', '=', 'assigned')
    .executeTakeFirst();
  if (other === undefined) return undefined;
  return `they already hold '${other.value}' in that pool; release it first`;
}

/** `Ada Lovelace (person p1)`, or `person p1` for someone without a display name. */
async function nameOf(db: Kysely<Database>, personId: string): Promise<string> {
  const row = await db
    .selectFrom('people')
    .select('attributes')
    .where('id', '=', personId)
    .executeTakeFirst();
  const attributes =
    row === undefined ? {} : (JSON.parse(row.attributes) as Record<string, unknown>);
  const name = attributes.displayName;
  return typeof name === 'string' && name !== ''
    ? `${name} (person ${personId})`
    : `person ${personId}`;
}
