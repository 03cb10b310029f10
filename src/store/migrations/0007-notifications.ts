/**
 * The mail outbox: one row per message (one recipient), written before any SMTP connection, so
 * a crash between an event and its mail loses nothing. `key` is unique: an event seen twice (a
 * run scanned again after a restart) journals its message once. `vars` holds only the values
 * the template reads; a credentials message holds `secret_ref`, the vault reference, never the
 * secret: the sender takes it from the vault at send time, once.
 */
import type { Kysely, Migration } from 'kysely';

/** Builds the migration; the table reads the same on both dialects. */
export function notificationsSchema(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('notifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('address', 'text')
        .addColumn('person_id', 'text')
        .addColumn('vars', 'text', (c) => c.notNull())
        .addColumn('secret_ref', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('locked_until', 'text')
        .addColumn('last_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text')
        .execute();
      await db.schema
        .createIndex('notifications_queue')
        .on('notifications')
        .columns(['state', 'next_attempt_at'])
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('notifications').ifExists().execute();
    },
  };
}
