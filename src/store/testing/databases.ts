/**
 * Throwaway databases for tests that must run on both dialects: a temporary SQLite file, or a
 * `callsign_test_<random>` database on the local PostgreSQL that is dropped afterwards.
 * PostgreSQL unreachable: with CI=true that is an error, otherwise its half is skipped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import type { Logger } from 'pino';

import { openStore } from '../open.ts';
import type { Store } from '../types.ts';

export type StoreName = 'sqlite' | 'postgres';

/** The server throwaway databases are made on; CALLSIGN_TEST_PG overrides it. */
export const POSTGRES_ADMIN_URL =
  process.env.CALLSIGN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database made for one test; `dispose` removes it (close stores on it first). */
export interface TestDatabase {
  name: StoreName;
  url: string;
  dispose(): Promise<void>;
}

/** The dialects a test should cover, and why PostgreSQL is skipped when it is. */
export async function testDialects(): Promise<{ names: StoreName[]; skipped?: string }> {
  const reason = await postgresProblem();
  if (reason === undefined) return { names: ['sqlite', 'postgres'] };
  if (process.env.CI === 'true') {
    throw new Error(`PostgreSQL is required when CI=true: ${reason}`);
  }
  return {
    names: ['sqlite'],
    skipped: `PostgreSQL tests skipped: ${reason} (set CALLSIGN_TEST_PG, or CI=true to fail)`,
  };
}

/** Creates an empty database of the dialect. */
export async function createTestDatabase(name: StoreName): Promise<TestDatabase> {
  return name === 'sqlite' ? createTempSqlite() : createTempPostgres();
}

/** A SQLite file in a fresh temporary folder. */
export async function createTempSqlite(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'callsign-store-'));
  return {
    name: 'sqlite',
    url: `sqlite:${join(dir, 'callsign.db')}`,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A fresh `callsign_test_<random>` database on the local PostgreSQL. */
export async function createTempPostgres(): Promise<TestDatabase> {
  const dbName = `callsign_test_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${dbName}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${dbName}`;
  return {
    name: 'postgres',
    url: url.toString(),
    dispose: () => admin(`drop database if exists ${dbName} with (force)`),
  };
}

/** Opens a store on a fresh database of each dialect in turn; cleans up even on failure. */
export async function withStores(
  fn: (store: Store, name: StoreName) => Promise<void>,
  options: { log?: Logger } = {},
): Promise<void> {
  const { names } = await testDialects();
  for (const name of names) await withStore(name, (store) => fn(store, name), options);
}

/** Opens a store on a fresh database of one dialect, runs `fn`, closes and removes it. */
export async function withStore<T>(
  name: StoreName,
  fn: (store: Store, database: TestDatabase) => Promise<T>,
  options: { log?: Logger } = {},
): Promise<T> {
  const database = await createTestDatabase(name);
  try {
    const store = await openStore(database.url, options);
    try {
      return await fn(store, database);
    } finally {
      await store.close();
    }
  } finally {
    await database.dispose();
  }
}

let probe: Promise<string | undefined> | undefined;

/** Why PostgreSQL cannot be used, or undefined when it can; asked once per process. */
function postgresProblem(): Promise<string | undefined> {
  probe ??= admin('select 1').then(
    () => undefined,
    (err: Error) => `cannot reach ${redact(POSTGRES_ADMIN_URL)} (${err.message})`,
  );
  return probe;
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 3_000,
  });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
