/**
 * Allocation policy and DID↔extension mapping per pool, and range changes that keep
 * assignments: `pools.policy`/`pattern`/`mapping` (JSON) drive allocation; `numbers.in_range`
 * is 0 for a number the pool's current range no longer holds (never given to anyone again, kept
 * while someone holds it); `numbers.released_at` orders least-recently-used allocation.
 */
import type { Kysely, Migration } from 'kysely';

/** Builds the migration; plain column additions read the same on both dialects. */
export function numberPolicySchema(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable('pools')
        .addColumn('policy', 'text', (c) => c.notNull().defaultTo('lowest'))
        .execute();
      await db.schema.alterTable('pools').addColumn('pattern', 'text').execute();
      await db.schema.alterTable('pools').addColumn('mapping', 'text').execute();
      await db.schema
        .alterTable('numbers')
        .addColumn('in_range', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable('numbers').addColumn('released_at', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const column of ['policy', 'pattern', 'mapping']) {
        await db.schema.alterTable('pools').dropColumn(column).execute();
      }
      for (const column of ['in_range', 'released_at']) {
        await db.schema.alterTable('numbers').dropColumn(column).execute();
      }
    },
  };
}
