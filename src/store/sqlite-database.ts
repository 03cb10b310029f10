/**
 * Opens the SQLite file for the store: parent folder created, WAL so readers (the CLI, the
 * console) do not block the engine, a busy timeout so a second process waits instead of failing,
 * and a cache of prepared statements because Kysely's driver prepares each query anew.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import Sqlite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';

const BUSY_TIMEOUT_MS = 5_000;
const STATEMENT_CACHE = 256;

/** Opens (creating when missing) the database at `path`, or an in-memory one. */
export function openSqliteDatabase(path: string): SqliteDatabase {
  let db: Sqlite.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Sqlite(path);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL loses no committed data on a process crash, only on power loss,
    // and saves an fsync per commit: the queue commits several times per operation.
    db.pragma('synchronous = NORMAL');
    // Checkpoints carry the fsyncs; fewer of them, over a WAL of up to 16 MB, cost less.
    db.pragma('wal_autocheckpoint = 4000');
  } catch (err) {
    throw new CallsignError(
      ErrorCode.Unavailable,
      `Cannot open the SQLite store '${path}': ${(err as Error).message}`,
      { cause: err, details: { path } },
    );
  }
  return cachingDatabase(db);
}

/** A SqliteDatabase whose `prepare` reuses statements by SQL text, least recently used out. */
function cachingDatabase(db: Sqlite.Database): SqliteDatabase {
  const cache = new Map<string, Sqlite.Statement>();
  return {
    close(): void {
      cache.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (stmt !== undefined) {
        cache.delete(sql);
      } else {
        stmt = db.prepare(sql);
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, stmt);
      return stmt as unknown as SqliteStatement;
    },
  };
}
