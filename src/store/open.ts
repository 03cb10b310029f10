/**
 * Opens the store named by a URL and brings its schema up to date. `postgres://` and
 * `postgresql://` open PostgreSQL; `sqlite:PATH`, a plain path or `:memory:` open SQLite.
 */
import { existsSync } from 'node:fs';

import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import pino, { type Logger } from 'pino';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import { createContext } from './context.ts';
import type { Database } from './schema.ts';
import { SqlStore } from './sql-store.ts';
import { openSqliteDatabase } from './sqlite-database.ts';
import type { Store } from './types.ts';

export interface OpenStoreOptions {
  log?: Logger;
  /** PostgreSQL connections per process (default 10). */
  poolSize?: number;
  /**
   * Refuse to create a SQLite file that is not there: commands that only look at or act on
   * what a sync stored would otherwise leave an empty store behind a mistyped path.
   */
  mustExist?: boolean;
}

/** Opens the store and applies pending migrations. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const log = options.log ?? pino({ level: 'silent' });
  const target = parseStoreUrl(url);
  if (options.mustExist && target.dialect === 'sqlite' && !sqliteExists(target.path)) {
    throw new CallsignError(
      ErrorCode.NotFound,
      `No store at ${target.display}: ` +
        "run 'callsign sync' first, or check 'store' in the configuration",
      { details: { dialect: 'sqlite', store: target.display, field: 'store' } },
    );
  }

  const store =
    target.dialect === 'sqlite'
      ? new SqlStore(
          createContext(
            'sqlite',
            new Kysely<Database>({
              dialect: new SqliteDialect({
                database: openSqliteOrExplain(target.path, target.display),
              }),
            }),
            log,
          ),
        )
      : new SqlStore(createContext('postgres', postgresKysely(url, options, log), log));

  try {
    await migrateWithRetry(store);
  } catch (err) {
    await store.close().catch(() => undefined);
    if (err instanceof CallsignError && !isConnectError(err.cause)) throw err;
    throw new CallsignError(
      ErrorCode.Unavailable,
      `Cannot open the ${target.dialect} store at ${target.display}: ${errorText(err)}`,
      { cause: err, details: { dialect: target.dialect, store: target.display } },
    );
  }
  log.debug({ dialect: target.dialect, store: target.display }, 'store opened');
  return store;
}

/** Where a store URL points; `display` carries no password. */
export function parseStoreUrl(
  url: string,
): { dialect: 'sqlite'; path: string; display: string } | { dialect: 'postgres'; display: string } {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    let display = 'postgres';
    try {
      const parsed = new URL(url);
      display = `postgres://${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
    } catch {
      throw new CallsignError(ErrorCode.Config, 'Store URL is not a valid postgres:// URL', {
        details: { field: 'store' },
      });
    }
    return { dialect: 'postgres', display };
  }

  let path = url;
  if (/^sqlite:/i.test(url)) path = url.replace(/^sqlite:(\/\/)?/i, '');
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new CallsignError(
      ErrorCode.Config,
      `Store URL scheme of '${url.split(':')[0]}' is not supported; ` +
        'use sqlite:PATH or postgres://',
      { details: { field: 'store' } },
    );
  }
  if (path === '') {
    throw new CallsignError(ErrorCode.Config, 'Store URL names no SQLite file', {
      details: { field: 'store' },
    });
  }
  return { dialect: 'sqlite', path, display: path };
}

function postgresKysely(url: string, options: OpenStoreOptions, log: Logger) {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle client losing its connection emits on the pool; unhandled, it would end the process.
  pool.on('error', (err) => log.warn({ err: err.message }, 'store connection lost'));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Several processes opening one fresh PostgreSQL database race on Kysely's own tables. */
async function migrateWithRetry(store: SqlStore): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.migrate();
      return;
    } catch (err) {
      const raced = err instanceof CallsignError && !isConnectError(err.cause);
      if (!raced || store.dialect !== 'postgres' || attempt >= 3) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

function isConnectError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', '3D000', '28P01', '28000'].includes(
      code,
    )
  );
}

function errorText(err: unknown): string {
  const cause = err instanceof CallsignError ? (err.cause ?? err) : err;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Opens the SQLite file; a file that is not a database or cannot be opened is a store error. */
function sqliteExists(path: string): boolean {
  return path === ':memory:' || existsSync(path);
}

function openSqliteOrExplain(path: string, display: string) {
  try {
    return openSqliteDatabase(path);
  } catch (err) {
    throw new CallsignError(
      ErrorCode.Unavailable,
      `Cannot open the sqlite store at ${display}: ${errorText(err)}`,
      { cause: err, details: { dialect: 'sqlite', store: display } },
    );
  }
}
