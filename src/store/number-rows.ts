/**
 * Row-level steps shared by single and paired allocation: a person's own number of a pool, and
 * the guarded write that assigns a row (only if it is still in the state it was read in).
 */
import type { Kysely } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import { insertAudit } from './records.ts';
import type { Database } from './schema.ts';
import type { AllocationPolicy, PoolMapping } from './types.ts';

/** A row allocation may give: its value and the state it was read in. */
export interface Pick {
  value: string;
  state: string;
}

/** What the store keeps about a pool besides its numbers. */
export interface PoolRow {
  name: string;
  kind: string;
  policy: AllocationPolicy;
  pattern: string | null;
  mapping: PoolMapping | undefined;
}

/** The pool's row, or undefined when it was never synced. */
export async function poolRow(db: Kysely<Database>, pool: string): Promise<PoolRow | undefined> {
  const row = await db
    .selectFrom('pools')
    .select(['name', 'kind', 'policy', 'pattern', 'mapping'])
    .where('name', '=', pool)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    name: row.name,
    kind: row.kind,
    policy: row.policy as AllocationPolicy,
    pattern: row.pattern,
    mapping: row.mapping === null ? undefined : (JSON.parse(row.mapping) as PoolMapping),
  };
}

/** The extension pool whose numbers follow `didPool`, if one does. */
export async function mappedFrom(db: Kysely<Database>, didPool: string) {
  const rows = await db
    .selectFrom('pools')
    .select(['name', 'mapping'])
    .where('mapping', 'is not', null)
    .execute();
  for (const row of rows) {
    const mapping = JSON.parse(row.mapping!) as PoolMapping;
    if (mapping.didPool === didPool) return { extPool: row.name, mapping };
  }
  return undefined;
}

/**
 * The person's number, else their number still forwarding (a rehire during a leaver forward),
 * else a live reservation for them (a pin is one), else their own quarantined one.
 */
export async function pickOwn(
  db: Kysely<Database>,
  q: { pool: string; personId: string; now: Date; lock: boolean },
): Promise<Pick | undefined> {
  const now = q.now.toISOString();
  const own = await db
    .selectFrom('numbers')
    .select(['value', 'state', 'available_at'])
    .where('pool', '=', q.pool)
    .where('person_id', '=', q.personId)
    .where('state', 'in', OWN_STATES)
    .orderBy('updated_at', 'desc')
    .$if(q.lock, (b) => b.forUpdate().skipLocked())
    .execute();
  const mine = ownChoice(own, now);
  return mine === undefined ? undefined : { value: mine.value, state: mine.state };
}

/**
 * Which of a person's rows of one pool (most recently updated first) allocation gives back to
 * them, by the order pickOwn names. A reservation without an end never lapses; one with an end
 * lapses at that instant.
 */
export function ownChoice<R extends Pick & { available_at: string | null }>(
  rows: readonly R[],
  now: string,
): R | undefined {
  const live = rows.filter(
    (r) => r.state !== 'reserved' || r.available_at === null || r.available_at > now,
  );
  for (const state of OWN_STATES) {
    const mine = live.find((r) => r.state === state);
    if (mine !== undefined) return mine;
  }
  return undefined;
}

/** A person's own states, in the order allocation prefers them. */
export const OWN_STATES = ['assigned', 'forwarding', 'reserved', 'quarantined'] as const;

/** Assigns the row if it is still in `pick.state`; false when someone changed it first. */
export async function assignRow(
  db: Kysely<Database>,
  a: { pool: string; pick: Pick; personId: string; now: Date; actor: string; via?: string },
): Promise<boolean> {
  const at = a.now.toISOString();
  const taken = await db
    .updateTable('numbers')
    .set({
      state: 'assigned',
      person_id: a.personId,
      available_at: null,
      note: null,
      forward: null,
      updated_at: at,
    })
    .where('pool', '=', a.pool)
    .where('value', '=', a.pick.value)
    .where('state', '=', a.pick.state)
    .executeTakeFirst();
  if (taken.numUpdatedRows === 0n) return false;
  await insertAudit(db, {
    at,
    actor: a.actor,
    personId: a.personId,
    action: 'number.assigned',
    subject: `number:${a.pool}:${a.pick.value}`,
    before: { state: a.pick.state },
    after: { state: 'assigned', personId: a.personId, ...(a.via ? { via: a.via } : {}) },
  });
  return true;
}

/** Undefined when free numbers exist but were locked; else throws `exhausted`. */
export async function exhaustedOrBusy(db: Kysely<Database>, pool: string, now: Date) {
  const counts = await db
    .selectFrom('numbers')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('total'),
      eb.fn
        .count<number | string>('value')
        .filterWhere((w) =>
          w.or([
            w('state', '=', 'available'),
            w.and([
              w('state', 'in', ['quarantined', 'reserved']),
              w('available_at', '<=', now.toISOString()),
            ]),
          ]),
        )
        .as('free'),
    ])
    .where('pool', '=', pool)
    .where('in_range', '=', 1)
    .executeTakeFirstOrThrow();
  if (Number(counts.free) > 0) return undefined;

  const total = Number(counts.total);
  throw new CallsignError(
    ErrorCode.Exhausted,
    `Cannot allocate a number from pool '${pool}': all ${total} numbers are assigned, ` +
      'quarantined, held or blocked',
    { details: { pool, size: total } },
  );
}

/** `missing_reference` naming the pool. */
export function missingPool(pool: string): CallsignError {
  return new CallsignError(
    ErrorCode.MissingReference,
    `Pool '${pool}' is not defined in the store; sync the pool before allocating from it`,
    { details: { pool } },
  );
}
