/**
 * Reads over the number inventory for operators and reports: filtered searches and per-pool
 * counts. Nothing here takes a lock or writes.
 */
import { sql } from 'kysely';

import type { NumberKind } from '../core/model.ts';
import type { StoreContext } from './context.ts';
import { toNumberRecord } from './numbers.ts';
import type { NumberQuery, NumberRecord, NumberState, PoolUsage } from './types.ts';

/** Every state a number can be in, in the order reports show them. */
export const NUMBER_STATES = [
  'available',
  'reserved',
  'assigned',
  'quarantined',
  'forwarding',
  'held',
  'blocked',
  'retired',
] as const satisfies readonly NumberState[];

/** See Store.searchNumbers. */
export async function searchNumbers(
  ctx: StoreContext,
  query: NumberQuery,
): Promise<NumberRecord[]> {
  let q = ctx.db
    .selectFrom('numbers')
    .selectAll()
    .orderBy('pool')
    .orderBy('position')
    .orderBy('value');
  if (query.pool !== undefined) q = q.where('pool', '=', query.pool);
  if (query.state !== undefined) q = q.where('state', '=', query.state);
  if (query.personId !== undefined) q = q.where('person_id', '=', query.personId);
  if (query.value !== undefined) q = q.where('value', '=', query.value);
  if (query.prefix !== undefined && query.prefix !== '') {
    // substr rather than LIKE: no wildcard in the operator's text can widen the match, and it
    // compares case-sensitively on both dialects.
    const prefix = query.prefix;
    q = q.where(sql<string>`substr(value, 1, ${prefix.length})`, '=', prefix);
  }
  return (await q.execute()).map(toNumberRecord);
}

/** See Store.poolUsage. Pools without numbers are listed with zero counts. */
export async function poolUsage(ctx: StoreContext, now: Date): Promise<PoolUsage[]> {
  const at = now.toISOString();
  const pools = await ctx.db.selectFrom('pools').select(['name', 'kind']).orderBy('name').execute();
  const rows = await ctx.db
    .selectFrom('numbers')
    .select((eb) => [
      'pool',
      'state',
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.count<number | string>('value').filterWhere('available_at', '<=', at).as('lapsed'),
    ])
    .where('in_range', '=', 1)
    .groupBy(['pool', 'state'])
    .execute();
  // Out of range: counted by state like the rest, never free, and listed by value.
  const outside = await ctx.db
    .selectFrom('numbers')
    .select(['pool', 'value', 'state'])
    .where('in_range', '=', 0)
    .orderBy('pool')
    .orderBy('value')
    .execute();

  const usage = new Map<string, PoolUsage>();
  for (const p of pools) {
    const counts = Object.fromEntries(NUMBER_STATES.map((s) => [s, 0])) as PoolUsage['counts'];
    usage.set(p.name, { pool: p.name, kind: p.kind as NumberKind, total: 0, counts, free: 0 });
  }
  for (const row of rows) {
    const entry = usage.get(row.pool);
    if (entry === undefined) continue;
    const n = Number(row.n);
    entry.counts[row.state as NumberState] = n;
    entry.total += n;
    if (row.state === 'available') entry.free += n;
    // Quarantines and reservations whose time has passed are free for anyone.
    if (row.state === 'quarantined' || row.state === 'reserved') entry.free += Number(row.lapsed);
  }
  for (const row of outside) {
    const entry = usage.get(row.pool);
    if (entry === undefined) continue;
    entry.counts[row.state as NumberState] += 1;
    entry.total += 1;
    if (row.state !== 'retired') (entry.outOfRange ??= []).push(row.value);
  }
  return [...usage.values()];
}
