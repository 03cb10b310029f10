/**
 * The webhook outbox. An event is written once (`webhook_events`, its body kept as sent so a
 * redelivery carries the same bytes) with one delivery row per webhook that wants it. `key` is
 * unique: a producer that may see one event twice (the run watcher after a restart) inserts it
 * once. `seq` orders a webhook's deliveries; `locked_until` is the lease of the dispatcher that
 * is sending a delivery, so two `serve` processes on one PostgreSQL never send it twice at once.
 */
import type { Kysely, Migration } from 'kysely';

import type { StoreDialect } from './index.ts';

/** Builds the migration; only the auto-numbered column differs between dialects. */
export function webhooksSchema(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('webhook_events')
        .$call((t) =>
          dialect === 'sqlite'
            ? t.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
            : t.addColumn('seq', 'bigserial', (c) => c.primaryKey()),
        )
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('occurred_at', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('event_seq', 'bigint', (c) => c.notNull())
        .addColumn('webhook', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('locked_until', 'text')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_queue')
        .on('webhook_deliveries')
        .columns(['webhook', 'state', 'event_seq'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_by_event')
        .on('webhook_deliveries')
        .column('event_seq')
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('webhook_deliveries').ifExists().execute();
      await db.schema.dropTable('webhook_events').ifExists().execute();
    },
  };
}
