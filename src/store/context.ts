/**
 * What every part of the store works with: the Kysely instance, the dialect, and a write
 * transaction that means the same thing on both databases.
 */
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';

import type { StoreDialect } from './migrations/index.ts';
import type { Database } from './schema.ts';

/** Shared by the store's modules. */
export interface StoreContext {
  readonly dialect: StoreDialect;
  readonly db: Kysely<Database>;
  readonly log: Logger;
  /**
   * Runs `fn` in one write transaction. SQLite: `BEGIN IMMEDIATE`, so the write lock is taken
   * up front and a read-then-write never fails half way with SQLITE_BUSY; PostgreSQL: a
   * read-committed transaction, with row locks taken by the queries themselves.
   */
  write<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
}

/** Builds the context for a Kysely instance. */
export function createContext(
  dialect: StoreDialect,
  db: Kysely<Database>,
  log: Logger,
): StoreContext {
  const write =
    dialect === 'sqlite'
      ? <T>(fn: (db: Kysely<Database>) => Promise<T>) => immediate(db, fn)
      : <T>(fn: (db: Kysely<Database>) => Promise<T>) => db.transaction().execute(fn);
  return { dialect, db, log, write };
}

/** Postgres' code for a unique violation; SQLite's driver says SQLITE_CONSTRAINT_UNIQUE. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

async function immediate<T>(
  db: Kysely<Database>,
  fn: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  // Kysely's SQLite driver has one connection behind a mutex; holding it for the whole
  // transaction keeps other callers in this process out until commit.
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}
