/**
 * Tables of the SCIM service: users and groups as their JSON documents, with the columns that
 * are looked up or must be unique beside them, and group membership as rows so a user's groups
 * are found without reading every group. `user_name_key` is the lower-cased userName: RFC 7643
 * makes userName case-insensitive, and a unique index on the folded value enforces that the same
 * way on SQLite and PostgreSQL (field case S5).
 */
import type { Kysely, Migration } from 'kysely';

/** Builds the migration; both dialects use the same statements. */
export function scimSchema(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('scim_users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('user_name_key', 'text', (c) => c.notNull().unique())
        .addColumn('external_id', 'text')
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('scim_groups')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text')
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('scim_members')
        .addColumn('group_id', 'text', (c) => c.notNull())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('member_type', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('scim_members_pk', ['group_id', 'member_id'])
        .execute();
      await db.schema
        .createIndex('scim_members_by_member')
        .on('scim_members')
        .column('member_id')
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const table of ['scim_members', 'scim_groups', 'scim_users']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
