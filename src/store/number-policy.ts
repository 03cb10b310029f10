/**
 * How allocation picks a free number of a pool, by the pool's policy. Free means in range and
 * available, or quarantined or reserved past its `available_at`. Policies:
 * - `lowest`: first in allocation order (the pool definition's order).
 * - `least-recently-used`: never released first (in order), then the longest released.
 * - `random`: any free number, uniformly.
 * - `pattern`: the first free number matching the pool's pattern; when none is free that
 *   matches, the lowest free one, so a pattern steers allocation and never exhausts a pool
 *   that still has numbers (a pool that must only hand out matching numbers excludes the rest).
 * With `lock` (PostgreSQL) the picked row is taken `FOR UPDATE SKIP LOCKED`.
 */
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';

import { compilePattern } from '../core/number-pattern.ts';
import type { Database } from './schema.ts';
import type { AllocationPolicy } from './types.ts';

/** What pickFree needs to know; `skip` holds values already rejected in this allocation. */
export interface FreeQuery {
  pool: string;
  policy: AllocationPolicy;
  pattern?: string | null;
  now: Date;
  lock: boolean;
  skip?: readonly string[];
}

/** A free row allocation may take. */
export interface FreePick {
  value: string;
  state: string;
}

/** The free number the pool's policy picks, or undefined when none is free (or unlocked). */
export async function pickFree(db: Kysely<Database>, q: FreeQuery): Promise<FreePick | undefined> {
  switch (q.policy) {
    case 'random':
      return pickRandom(db, q);
    case 'pattern':
      return (await pickPattern(db, q)) ?? pickOrdered(db, q, false);
    case 'least-recently-used':
      return pickOrdered(db, q, true);
    default:
      return pickOrdered(db, q, false);
  }
}

/** States anyone may be given; the last two only once their `available_at` has passed. */
const FREE_STATES = ['available', 'quarantined', 'reserved'] as const;
const PATTERN_PAGE = 1000;

/**
 * One index range read per state (cheaper than one OR over the whole pool), then the best of
 * the three candidates.
 */
async function pickOrdered(db: Kysely<Database>, q: FreeQuery, lru: boolean) {
  const now = q.now.toISOString();
  const skip = [...(q.skip ?? [])];
  const candidates: (FreePick & { position: number | string; released: string })[] = [];
  for (const state of FREE_STATES) {
    const row = await db
      .selectFrom('numbers')
      .select(['value', 'state', 'position', sql<string>`coalesce(released_at, '')`.as('released')])
      .where('pool', '=', q.pool)
      .where('state', '=', state)
      .where('in_range', '=', 1)
      .$if(state !== 'available', (b) => b.where('available_at', '<=', now))
      .$if(skip.length > 0, (b) => b.where('value', 'not in', skip))
      .$if(lru, (b) => b.orderBy(sql`coalesce(released_at, '')`))
      .orderBy('position')
      .orderBy('value')
      .limit(1)
      .$if(q.lock, (b) => b.forUpdate().skipLocked())
      .executeTakeFirst();
    if (row !== undefined) candidates.push(row);
  }
  candidates.sort(
    (a, b) =>
      (lru ? compare(a.released, b.released) : 0) ||
      Number(a.position) - Number(b.position) ||
      compare(a.value, b.value),
  );
  const best = candidates[0];
  return best === undefined ? undefined : { value: best.value, state: best.state };
}

async function pickRandom(db: Kysely<Database>, q: FreeQuery): Promise<FreePick | undefined> {
  const skip = [...(q.skip ?? [])];
  return db
    .selectFrom('numbers')
    .select(['value', 'state'])
    .where('pool', '=', q.pool)
    .where('in_range', '=', 1)
    .where((w) => freeWhere(w, q.now))
    .$if(skip.length > 0, (b) => b.where('value', 'not in', skip))
    .orderBy(sql`random()`)
    .limit(1)
    .$if(q.lock, (b) => b.forUpdate().skipLocked())
    .executeTakeFirst();
}

/** Pages through free numbers in order, testing the pattern, and takes the first match. */
async function pickPattern(db: Kysely<Database>, q: FreeQuery): Promise<FreePick | undefined> {
  if (q.pattern === undefined || q.pattern === null) return undefined;
  const matches = compilePattern(q.pattern);
  const skip = new Set(q.skip ?? []);
  for (let offset = 0; ; offset += PATTERN_PAGE) {
    const page = await db
      .selectFrom('numbers')
      .select(['value', 'state'])
      .where('pool', '=', q.pool)
      .where('in_range', '=', 1)
      .where((w) => freeWhere(w, q.now))
      .orderBy('position')
      .orderBy('value')
      .limit(PATTERN_PAGE)
      .offset(offset)
      .execute();
    for (const row of page) {
      if (skip.has(row.value) || !matches(row.value)) continue;
      if (!q.lock) return row;
      // Lock only the match; a row another allocator holds is skipped, not waited for.
      const locked = await db
        .selectFrom('numbers')
        .select(['value', 'state'])
        .where('pool', '=', q.pool)
        .where('value', '=', row.value)
        .where('state', '=', row.state)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (locked !== undefined) return locked;
    }
    if (page.length < PATTERN_PAGE) return undefined;
  }
}

/** A free row in a dry run's window, with what orders it and the number's own emergency data. */
export interface FreeRow extends FreePick {
  position: number;
  released: string;
  emergency: string | null;
}

/**
 * The next `limit` free rows after `after` in allocation order (`lowest`, or with `lru` the
 * least-recently-used order): one keyset range read per state over the pool's order index, so
 * paging through a whole pool costs one pass, whatever was already read.
 */
export async function freeBatch(
  db: Kysely<Database>,
  q: { pool: string; now: Date; lru: boolean; after?: FreeRow; limit: number },
): Promise<FreeRow[]> {
  const now = q.now.toISOString();
  const rows: FreeRow[] = [];
  for (const state of FREE_STATES) {
    const got = await freeSelect(db, q.pool)
      .where('state', '=', state)
      .$if(state !== 'available', (b) => b.where('available_at', '<=', now))
      .$if(q.after !== undefined, (b) => b.where((w) => afterKey(w, q.after!, q.lru)))
      .$if(q.lru, (b) => b.orderBy(sql`coalesce(released_at, '')`))
      .orderBy('position')
      .orderBy('value')
      .limit(q.limit)
      .execute();
    for (const row of got) rows.push({ ...row, position: Number(row.position) });
  }
  rows.sort((a, b) => orderOf(a, b, q.lru));
  return rows.slice(0, q.limit);
}

/** `limit` free rows drawn uniformly at random (fewer when fewer are free). */
export async function randomBatch(
  db: Kysely<Database>,
  q: { pool: string; now: Date; limit: number },
): Promise<FreeRow[]> {
  const rows = await freeSelect(db, q.pool)
    .where((w) => freeWhere(w, q.now))
    .orderBy(sql`random()`)
    .limit(q.limit)
    .execute();
  return rows.map((row) => ({ ...row, position: Number(row.position) }));
}

function freeSelect(db: Kysely<Database>, pool: string) {
  return db
    .selectFrom('numbers')
    .select([
      'value',
      'state',
      'position',
      'emergency',
      sql<string>`coalesce(released_at, '')`.as('released'),
    ])
    .where('pool', '=', pool)
    .where('in_range', '=', 1);
}

/** Rows strictly after `k` in allocation order; written out so both dialects use the index. */
function afterKey(w: ExpressionBuilder<Database, 'numbers'>, k: FreeRow, lru: boolean) {
  const byPosition = w.or([
    w('position', '>', k.position),
    w.and([w('position', '=', k.position), w('value', '>', k.value)]),
  ]);
  if (!lru) return byPosition;
  const released = sql<string>`coalesce(released_at, '')`;
  return w.or([w(released, '>', k.released), w.and([w(released, '=', k.released), byPosition])]);
}

function orderOf(a: FreeRow, b: FreeRow, lru: boolean): number {
  return (
    (lru ? compare(a.released, b.released) : 0) ||
    a.position - b.position ||
    compare(a.value, b.value)
  );
}

function freeWhere(w: ExpressionBuilder<Database, 'numbers'>, now: Date) {
  return w.or([
    w('state', '=', 'available'),
    w.and([
      w('state', 'in', ['quarantined', 'reserved']),
      w('available_at', '<=', now.toISOString()),
    ]),
  ]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
