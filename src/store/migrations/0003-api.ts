/**
 * API tokens of `callsign serve`. Only the SHA-256 of a token is kept: the token itself is
 * shown once when it is made. A revoked token stays as a row so the audit and `tokens list`
 * still name it.
 */
import type { Kysely, Migration } from 'kysely';

/** Builds the migration; the same on both dialects (no auto-numbered column). */
export function apiSchema(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('api_tokens')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('api_tokens').ifExists().execute();
    },
  };
}
