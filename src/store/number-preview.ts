/**
 * A dry run's allocation (`plan`): what each person would be given, changing nothing. Two people
 * are never shown the same number, and the cost stays linear in the people planned: each pool
 * keeps a window of free rows read in policy order, in growing batches, and the numbers already
 * shown in a set. A person's own number (assigned, forwarding, reserved for them, quarantined
 * after they left) comes from one read of the pool's owned rows, made when first needed.
 * Nothing is written, so the windows and that read stay true for the whole dry run.
 */
import type { Kysely } from 'kysely';

import { compilePattern } from '../core/number-pattern.ts';
import type { HeldNumber, NumberKind } from '../core/model.ts';
import { type FreeRow, freeBatch, randomBatch } from './number-policy.ts';
import { ownChoice, OWN_STATES, poolRow, type PoolRow } from './number-rows.ts';
import type { Database } from './schema.ts';
import type { NumberPreview, PoolDefinition } from './types.ts';

const FIRST_BATCH = 64;
const MAX_BATCH = 8192;

interface OwnRow {
  value: string;
  state: string;
  available_at: string | null;
  emergency: string | null;
}

/** Where a pool's window reads from: pattern matches first, random draws, or policy order. */
type Stage = 'pattern' | 'random' | 'ordered';

class PoolWindow implements Peeker {
  readonly #promised = new Set<string>();
  /** The last person shown a number, and that number: their needs are planned together. */
  #last: { personId: string; held: HeldNumber } | undefined;
  #owners: Map<string, OwnRow[]> | undefined;
  #rows: FreeRow[] = [];
  #next = 0;
  #after: FreeRow | undefined;
  #batch = FIRST_BATCH;
  #stage: Stage;
  readonly #matches: ((value: string) => boolean) | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly pool: PoolRow,
    private readonly now: () => Date,
  ) {
    const pattern = pool.policy === 'pattern' ? pool.pattern : null;
    this.#matches = pattern ? compilePattern(pattern) : undefined;
    this.#stage = this.#matches ? 'pattern' : pool.policy === 'random' ? 'random' : 'ordered';
  }

  async peek(personId: string): Promise<HeldNumber | undefined> {
    // A second need of the same pool gets the same number, as allocation returns the held one.
    if (this.#last?.personId === personId) return this.#last.held;
    const own = ownChoice((await this.#ownersOf()).get(personId) ?? [], this.now().toISOString());
    // Their own number is theirs unless it lapsed and was already shown to someone else, in
    // which case allocation, in this order, would have given it away too.
    const row = own !== undefined && !this.#promised.has(own.value) ? own : await this.#free();
    if (row === undefined) return undefined;
    this.#promised.add(row.value);
    const held: HeldNumber = {
      pool: this.pool.name,
      kind: this.pool.kind as NumberKind,
      value: row.value,
    };
    if (row.emergency !== null) held.emergency = JSON.parse(row.emergency);
    this.#last = { personId, held };
    return held;
  }

  /** The next free row of the window that nobody was shown yet. */
  async #free(): Promise<FreeRow | undefined> {
    for (;;) {
      while (this.#next < this.#rows.length) {
        const row = this.#rows[this.#next++]!;
        if (this.#promised.has(row.value)) continue;
        if (this.#stage === 'pattern' && !this.#matches!(row.value)) continue;
        return row;
      }
      if (!(await this.#refill())) return undefined;
    }
  }

  /** Reads the next batch; false when the pool has nothing more to offer. */
  async #refill(): Promise<boolean> {
    const limit = this.#batch;
    this.#batch = Math.min(this.#batch * 2, MAX_BATCH);
    this.#next = 0;
    if (this.#stage === 'random') {
      this.#rows = await randomBatch(this.db, { pool: this.pool.name, now: this.now(), limit });
      if (this.#rows.length === 0) return false;
      // A draw of only numbers already shown: the pool is nearly spent, so the rest is read in
      // order, which is sure to find every free number left.
      if (this.#rows.every((r) => this.#promised.has(r.value))) this.#restart('ordered');
      return true;
    }
    this.#rows = await freeBatch(this.db, {
      pool: this.pool.name,
      now: this.now(),
      lru: this.pool.policy === 'least-recently-used',
      after: this.#after,
      limit,
    });
    this.#after = this.#rows.at(-1) ?? this.#after;
    if (this.#rows.length > 0) return true;
    // No free number matches the pattern: the lowest free one is given, as allocation does.
    if (this.#stage !== 'pattern') return false;
    this.#restart('ordered');
    return true;
  }

  #restart(stage: Stage): void {
    this.#stage = stage;
    this.#rows = [];
    this.#after = undefined;
    this.#batch = FIRST_BATCH;
  }

  async #ownersOf(): Promise<Map<string, OwnRow[]>> {
    if (this.#owners !== undefined) return this.#owners;
    const rows = await this.db
      .selectFrom('numbers')
      .select(['person_id', 'value', 'state', 'available_at', 'emergency'])
      .where('pool', '=', this.pool.name)
      .where('person_id', 'is not', null)
      .where('state', 'in', OWN_STATES)
      .orderBy('updated_at', 'desc')
      .execute();
    const owners = new Map<string, OwnRow[]>();
    for (const { person_id, ...row } of rows) {
      const list = owners.get(person_id!);
      if (list) list.push(row);
      else owners.set(person_id!, [row]);
    }
    this.#owners = owners;
    return owners;
  }
}

/**
 * See Store.previewNumbers. `unsynced` are definitions not applied to the store (a dry run
 * writes no pool): a pool the store does not have yet is previewed from its definition alone,
 * where every number is free and nobody holds one.
 */
export function previewNumbers(
  db: Kysely<Database>,
  now: () => Date,
  unsynced: readonly PoolDefinition[] = [],
): NumberPreview {
  const pools = new Map<string, Promise<Peeker | undefined>>();
  const open = async (pool: string): Promise<Peeker | undefined> => {
    const row = await poolRow(db, pool);
    if (row) return new PoolWindow(db, row, now);
    const def = unsynced.find((d) => d.name === pool);
    return def && new DefinitionWindow(def);
  };
  return {
    async peek(pool, personId) {
      let window = pools.get(pool);
      if (window === undefined) {
        window = open(pool);
        pools.set(pool, window);
      }
      return (await window)?.peek(personId);
    },
  };
}

interface Peeker {
  peek(personId: string): Promise<HeldNumber | undefined>;
}

/** A new pool's numbers in definition order (pattern matches first), none shown twice. */
class DefinitionWindow implements Peeker {
  readonly #order: string[];
  readonly #given = new Map<string, string>();
  #next = 0;

  constructor(private readonly def: PoolDefinition) {
    const matches = def.policy === 'pattern' && def.pattern ? compilePattern(def.pattern) : null;
    this.#order = matches
      ? [...def.values.filter(matches), ...def.values.filter((v) => !matches(v))]
      : def.values;
  }

  async peek(personId: string): Promise<HeldNumber | undefined> {
    let value = this.#given.get(personId);
    if (value === undefined) {
      value = this.#order[this.#next++];
      if (value === undefined) return undefined;
      this.#given.set(personId, value);
    }
    return { pool: this.def.name, kind: this.def.kind, value };
  }
}
