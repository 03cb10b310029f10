/**
 * An index of the journal by resource: before each call the executor asks whether a newer
 * operation names the same target resource (store/stale.ts), which without it scans every
 * later operation of the target, quadratic over a large run.
 */
import type { Kysely, Migration } from 'kysely';

/** Builds the migration; the index reads the same on both dialects. */
export function operationsByResourceSchema(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('operations_by_resource')
        .on('operations')
        .columns(['target', 'type', 'key', 'seq'])
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('operations_by_resource').execute();
    },
  };
}
