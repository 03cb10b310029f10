/**
 * API tokens: made here, shown once, kept as SHA-256 hashes in the `api_tokens` table (migration
 * 0003). The table lives in the store's database; this class opens its own small connection to
 * it because the Store interface has no token methods and the engine never needs them.
 */
import { createHash, randomBytes } from 'node:crypto';

import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import { parseStoreUrl } from '../store/open.ts';
import { openSqliteDatabase } from '../store/sqlite-database.ts';
import type { AuditEntry } from '../store/types.ts';

/** What a token may do; each scope includes the ones before it. */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** A token as listed: never the token itself. */
export interface TokenInfo {
  name: string;
  scope: TokenScope;
  createdAt: string;
  createdBy: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

export interface TokenStoreOptions {
  clock?: () => Date;
  /** Records token creation and revocation (the engine store's `audit`). */
  audit?: (entry: AuditEntry) => Promise<void>;
  /** Least time between two `last_used_at` writes of one token; default 60 s. */
  touchEveryMs?: number;
}

/** True when `have` allows what `need` asks (admin ⊃ write ⊃ read). */
export function scopeAllows(have: TokenScope, need: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(have) >= TOKEN_SCOPES.indexOf(need);
}

/** Tokens in the store's database. */
export class TokenStore {
  readonly #db: Kysely<TokenDatabase>;
  readonly #clock: () => Date;
  readonly #audit: TokenStoreOptions['audit'];
  readonly #touchEveryMs: number;
  readonly #touched = new Map<string, number>();

  constructor(db: Kysely<TokenDatabase>, options: TokenStoreOptions = {}) {
    this.#db = db;
    this.#clock = options.clock ?? (() => new Date());
    this.#audit = options.audit;
    this.#touchEveryMs = options.touchEveryMs ?? 60_000;
  }

  /** Opens a connection to the database of a store URL whose migrations have run. */
  static open(storeUrl: string, options: TokenStoreOptions = {}): TokenStore {
    const target = parseStoreUrl(storeUrl);
    if (target.dialect === 'postgres') {
      const pool = new pg.Pool({ connectionString: storeUrl, max: 2 });
      pool.on('error', () => undefined);
      return new TokenStore(new Kysely({ dialect: new PostgresDialect({ pool }) }), options);
    }
    if (target.path === ':memory:') {
      throw new CallsignError(
        ErrorCode.Config,
        'API tokens need a store in a file or on PostgreSQL, not sqlite::memory:',
        { details: { field: 'store' } },
      );
    }
    const database = openSqliteDatabase(target.path);
    return new TokenStore(new Kysely({ dialect: new SqliteDialect({ database }) }), options);
  }

  /** Makes a token; the returned `token` is the only time it is ever seen. */
  async create(o: { name: string; scope: TokenScope; actor: string }) {
    checkName(o.name);
    if (!TOKEN_SCOPES.includes(o.scope)) {
      throw new CallsignError(
        ErrorCode.BadRecord,
        `Token scope '${o.scope}' is not one of ${TOKEN_SCOPES.join(', ')}`,
        { details: { field: 'scope' } },
      );
    }
    const token = `cs_${randomBytes(32).toString('base64url')}`;
    const createdAt = this.#clock().toISOString();
    const existing = await this.#row(o.name);
    if (existing !== undefined) {
      throw new CallsignError(ErrorCode.Duplicate, `Token '${o.name}' exists already`, {
        details: { field: 'name', name: o.name },
      });
    }

    await this.#db
      .insertInto('api_tokens')
      .values({
        name: o.name,
        hash: hashToken(token),
        scope: o.scope,
        created_at: createdAt,
        created_by: o.actor,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
    await this.#audit?.({
      at: createdAt,
      actor: o.actor,
      action: 'token.created',
      subject: `token/${o.name}`,
      after: { scope: o.scope },
    });
    const info: TokenInfo = { name: o.name, scope: o.scope, createdAt, createdBy: o.actor };
    return { token, info };
  }

  /** Every token, revoked ones included, oldest first. */
  async list(): Promise<TokenInfo[]> {
    const rows = await this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .orderBy('created_at')
      .orderBy('name')
      .execute();
    return rows.map(toInfo);
  }

  /** Revokes a token by name: `not_found` if unknown, `state` if revoked already. */
  async revoke(name: string, actor: string): Promise<TokenInfo> {
    const row = await this.#row(name);
    if (row === undefined) {
      throw new CallsignError(ErrorCode.NotFound, `Token '${name}' does not exist`, {
        details: { name },
      });
    }
    if (row.revoked_at !== null) {
      throw new CallsignError(
        ErrorCode.State,
        `Token '${name}' was revoked already at ${row.revoked_at}`,
        { details: { name } },
      );
    }

    const at = this.#clock().toISOString();
    await this.#db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('name', '=', name)
      .execute();
    await this.#audit?.({ at, actor, action: 'token.revoked', subject: `token/${name}` });
    return toInfo({ ...row, revoked_at: at });
  }

  /** The live token a bearer value names, or undefined (unknown or revoked). */
  async verify(token: string): Promise<TokenInfo | undefined> {
    if (!token.startsWith('cs_') || token.length > 100) return undefined;
    const row = await this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .where('hash', '=', hashToken(token))
      .executeTakeFirst();
    if (row === undefined || row.revoked_at !== null) return undefined;

    await this.#touch(row.name);
    return toInfo(row);
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }

  /** Last use is kept to the minute: a write per request would cost more than it tells. */
  async #touch(name: string): Promise<void> {
    const now = this.#clock();
    const last = this.#touched.get(name) ?? 0;
    if (now.getTime() - last < this.#touchEveryMs) return;
    this.#touched.set(name, now.getTime());
    await this.#db
      .updateTable('api_tokens')
      .set({ last_used_at: now.toISOString() })
      .where('name', '=', name)
      .execute();
  }

  #row(name: string) {
    return this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
  }
}

/** The table as Kysely sees it. */
export interface TokenDatabase {
  api_tokens: {
    name: string;
    hash: string;
    scope: string;
    created_at: string;
    created_by: string;
    last_used_at: string | null;
    revoked_at: string | null;
  };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new CallsignError(
      ErrorCode.BadRecord,
      `Token name '${name.slice(0, 70)}' must be 1-64 letters, digits, '.', '_' or '-'`,
      { details: { field: 'name' } },
    );
  }
}

function toInfo(row: TokenDatabase['api_tokens']): TokenInfo {
  return {
    name: row.name,
    scope: row.scope as TokenScope,
    createdAt: row.created_at,
    createdBy: row.created_by,
    ...(row.last_used_at !== null ? { lastUsedAt: row.last_used_at } : {}),
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
  };
}
