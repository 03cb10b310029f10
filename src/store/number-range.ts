/**
 * Applying a pool definition to the stored pool, keeping every assignment. A range that grows
 * adds numbers; one that shrinks marks the numbers it dropped `in_range = 0`: an assigned,
 * reserved, quarantined, held or blocked one keeps its state and person (reports show it out of
 * range; once freed it is never allocated again), a free one becomes `retired`. Each change of
 * state is audited. Positions follow the definition, so allocation order is its order.
 */
import type { Kysely } from 'kysely';

import { insertAudit } from './records.ts';
import type { Database } from './schema.ts';
import type { PoolChange, PoolDefinition } from './types.ts';

const CHUNK = 500;
const ACTOR = 'config';

/** Writes the pool row and reconciles its numbers with `pool.values`, inside `db`'s transaction. */
export async function applyPoolDefinition(
  db: Kysely<Database>,
  pool: PoolDefinition,
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  const row = {
    kind: pool.kind,
    quarantine_days: pool.quarantineDays,
    updated_at: at,
    policy: pool.policy ?? 'lowest',
    pattern: pool.pattern ?? null,
    mapping: pool.mapping === undefined ? null : JSON.stringify(pool.mapping),
  };
  await db
    .insertInto('pools')
    .values({ name: pool.name, ...row })
    .onConflict((oc) => oc.column('name').doUpdateSet(row))
    .execute();

  const existing = await db
    .selectFrom('numbers')
    .select(['value', 'state', 'position', 'in_range', 'available_at'])
    .where('pool', '=', pool.name)
    .execute();
  const wanted = new Map(pool.values.map((v, i) => [v, i]));
  const have = new Set(existing.map((r) => r.value));

  const fresh = pool.values.filter((v) => !have.has(v));
  for (let i = 0; i < fresh.length; i += CHUNK) {
    const rows = fresh.slice(i, i + CHUNK).map((value) => ({
      pool: pool.name,
      value,
      kind: pool.kind,
      position: wanted.get(value)!,
      state: 'available',
      person_id: null,
      available_at: null,
      note: null,
      updated_at: at,
    }));
    await db
      .insertInto('numbers')
      .values(rows)
      .onConflict((oc) => oc.columns(['pool', 'value']).doNothing())
      .execute();
  }

  for (const r of existing) {
    const position = wanted.get(r.value);
    const inRange = Number(r.in_range) === 1;
    if (position !== undefined) {
      const revive = r.state === 'retired';
      if (inRange && !revive && Number(r.position) === position) continue;
      await db
        .updateTable('numbers')
        .set({ in_range: 1, position, ...(revive ? { state: 'available', updated_at: at } : {}) })
        .where('pool', '=', pool.name)
        .where('value', '=', r.value)
        .execute();
      if (revive) await audit(db, pool.name, r.value, at, 'retired', 'available');
      continue;
    }
    const retire = isFree(r.state, r.available_at, at);
    if (!inRange && !retire) continue;
    await db
      .updateTable('numbers')
      .set({ in_range: 0, ...(retire ? { state: 'retired', updated_at: at } : {}) })
      .where('pool', '=', pool.name)
      .where('value', '=', r.value)
      .execute();
    if (retire) await audit(db, pool.name, r.value, at, r.state, 'retired');
  }
}

/** Free for anyone: available, or a quarantine or reservation whose time has passed. */
function isFree(state: string, availableAt: string | null, at: string): boolean {
  if (state === 'available') return true;
  if (state !== 'quarantined' && state !== 'reserved') return false;
  return availableAt !== null && availableAt <= at;
}

async function audit(
  db: Kysely<Database>,
  pool: string,
  value: string,
  at: string,
  from: string,
  to: string,
): Promise<void> {
  await insertAudit(db, {
    at,
    actor: ACTOR,
    action: to === 'retired' ? 'number.retired' : 'number.restored',
    subject: `number:${pool}:${value}`,
    before: { state: from },
    after: { state: to, reason: to === 'retired' ? 'outside the pool range' : 'back in range' },
  });
}

/**
 * What `applyPoolDefinition` would change, read without writing (for `plan`, which must leave the
 * inventory as it is). Undefined when the stored pool already matches its definition.
 */
export async function previewPoolDefinition(
  db: Kysely<Database>,
  pool: PoolDefinition,
  now: Date,
): Promise<PoolChange | undefined> {
  const at = now.toISOString();
  const stored = await db
    .selectFrom('pools')
    .select(['kind', 'quarantine_days', 'policy', 'pattern', 'mapping'])
    .where('name', '=', pool.name)
    .executeTakeFirst();
  const change: PoolChange = {
    pool: pool.name,
    isNew: stored === undefined,
    added: 0,
    retired: 0,
    restored: 0,
    outOfRange: [],
    settings: false,
  };
  if (stored === undefined) {
    change.added = pool.values.length;
    return change;
  }
  change.settings =
    stored.kind !== pool.kind ||
    Number(stored.quarantine_days) !== pool.quarantineDays ||
    stored.policy !== (pool.policy ?? 'lowest') ||
    (stored.pattern ?? null) !== (pool.pattern ?? null) ||
    (stored.mapping ?? null) !== (pool.mapping === undefined ? null : JSON.stringify(pool.mapping));

  const existing = await db
    .selectFrom('numbers')
    .select(['value', 'state', 'in_range', 'available_at'])
    .where('pool', '=', pool.name)
    .execute();
  const wanted = new Set(pool.values);
  const have = new Set(existing.map((r) => r.value));
  change.added = pool.values.filter((v) => !have.has(v)).length;
  for (const r of existing) {
    if (wanted.has(r.value)) {
      if (r.state === 'retired') change.restored++;
      continue;
    }
    if (isFree(r.state, r.available_at, at)) change.retired++;
    else if (Number(r.in_range) === 1) change.outOfRange.push(r.value);
  }
  const changed =
    change.settings ||
    change.added + change.retired + change.restored + change.outOfRange.length > 0;
  return changed ? change : undefined;
}
