/**
 * The first schema: people, links, numbers, runs, the operation journal/queue, audit, secrets
 * and small state. The same builder calls serve both dialects; only the auto-numbered columns
 * differ, because SQLite's `integer primary key autoincrement` and PostgreSQL's `bigserial` are
 * each dialect's own way of saying "increasing, assigned on insert".
 */
import { sql, type Kysely, type Migration } from 'kysely';

import type { StoreDialect } from './index.ts';

/** Builds the migration for one dialect. */
export function initialSchema(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await createPeople(db);
      await createNumbers(db);
      await createOperations(db, dialect);
      await createRest(db, dialect);
    },
    async down(db: Kysely<any>): Promise<void> {
      const tables = [
        'state',
        'secrets',
        'audit',
        'operations',
        'runs',
        'numbers',
        'pools',
        'links',
        'person_sources',
        'person_keys',
        'people',
      ];
      for (const table of tables) await db.schema.dropTable(table).ifExists().execute();
    },
  };
}

/** Open operation states: these block a person's later operations. */
const OPEN_STATES = sql<boolean>`state in ('pending', 'running', 'failed', 'held')`;

async function createPeople(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('people')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('excluded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pinned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_applied_hash', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('person_keys')
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('person_keys_pk', ['person_id', 'key'])
    .execute();
  await db.schema
    .createIndex('person_keys_by_value')
    .on('person_keys')
    .columns(['key', 'value'])
    .execute();

  await db.schema
    .createTable('person_sources')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('dn', 'text')
    .addPrimaryKeyConstraint('person_sources_pk', ['source', 'external_id'])
    .execute();
  await db.schema
    .createIndex('person_sources_by_person')
    .on('person_sources')
    .column('person_id')
    .execute();

  await db.schema
    .createTable('links')
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('links_pk', ['person_id', 'target', 'type', 'key'])
    .execute();
  await db.schema
    .createIndex('links_by_resource')
    .on('links')
    .columns(['target', 'type', 'key'])
    .execute();
}

async function createNumbers(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pools')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('quarantine_days', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('numbers')
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text')
    .addColumn('available_at', 'text')
    .addColumn('note', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('numbers_pk', ['pool', 'value'])
    .execute();
  await db.schema
    .createIndex('numbers_by_order')
    .on('numbers')
    .columns(['pool', 'state', 'position', 'value'])
    .execute();
  await db.schema
    .createIndex('numbers_by_person')
    .on('numbers')
    .columns(['person_id', 'pool'])
    .execute();
  // One assigned number per person and pool, even when two processes allocate at once.
  await db.schema
    .createIndex('numbers_one_assigned')
    .on('numbers')
    .unique()
    .columns(['pool', 'person_id'])
    .where(sql<boolean>`state = 'assigned'`)
    .execute();
}

async function createOperations(db: Kysely<any>, dialect: StoreDialect): Promise<void> {
  await db.schema
    .createTable('operations')
    .$call((t) =>
      dialect === 'sqlite'
        ? t.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        : t.addColumn('seq', 'bigserial', (c) => c.primaryKey()),
    )
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('secret', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('after', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('not_before', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('fence', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('result', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createIndex('operations_by_run')
    .on('operations')
    .columns(['run_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('operations_by_person')
    .on('operations')
    .columns(['person_id', 'seq'])
    .execute();
  // The claim asks "is anything earlier still open for this person?": a small partial index.
  await db.schema
    .createIndex('operations_open_by_person')
    .on('operations')
    .columns(['person_id', 'seq'])
    .where(OPEN_STATES)
    .execute();
  await db.schema
    .createIndex('operations_pending_by_target')
    .on('operations')
    .columns(['target', 'seq'])
    .where(sql<boolean>`state = 'pending'`)
    .execute();
  // At most one operation per person in flight, whatever the number of engine processes.
  await db.schema
    .createIndex('operations_one_running')
    .on('operations')
    .unique()
    .column('person_id')
    .where(sql<boolean>`state = 'running'`)
    .execute();
  await db.schema
    .createIndex('operations_leases')
    .on('operations')
    .column('lease_until')
    .where(sql<boolean>`state = 'running'`)
    .execute();
}

async function createRest(db: Kysely<any>, dialect: StoreDialect): Promise<void> {
  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('summary', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('runs_by_start').on('runs').column('started_at').execute();

  await db.schema
    .createTable('audit')
    .$call((t) =>
      dialect === 'sqlite'
        ? t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        : t.addColumn('id', 'bigserial', (c) => c.primaryKey()),
    )
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('person_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema.createIndex('audit_by_person').on('audit').columns(['person_id', 'id']).execute();
  await db.schema.createIndex('audit_by_run').on('audit').columns(['run_id', 'id']).execute();
  await db.schema.createIndex('audit_by_time').on('audit').column('at').execute();

  await db.schema
    .createTable('secrets')
    .addColumn('ref', 'text', (c) => c.primaryKey())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .execute();

  await db.schema
    .createTable('state')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
