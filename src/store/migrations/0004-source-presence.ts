/**
 * When a person's record was first absent from a complete read of a source: the start of the
 * grace period before they count as leaving (moved out of the synced OUs or the filter).
 */
import type { Kysely, Migration } from 'kysely';

/** Builds the migration; the same on both dialects. */
export function sourcePresenceSchema(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('person_sources').addColumn('missing_since', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('person_sources').dropColumn('missing_since').execute();
    },
  };
}
