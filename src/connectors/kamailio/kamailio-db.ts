/**
 * The rows of Kamailio's SQLite database that Callsign provisions: `subscriber` (auth_db) and
 * `dbaliases` (alias_db). Kamailio reads the same file on every request, so writes are short
 * transactions and a busy database is a retryable error, never a wait without end.
 */
import Database from 'better-sqlite3';
import { CallsignError, ErrorCode } from '../../core/errors.ts';

export interface SubscriberRow {
  id: number;
  username: string;
  domain: string;
  password: string;
  /** Display name, when the table has an `rpid` column. */
  rpid: string | null;
}

export interface AliasRow {
  id: number;
  alias_username: string;
  alias_domain: string;
  username: string;
  domain: string;
}

/** One connection to Kamailio's database, opened on first use. */
export class KamailioDb {
  readonly #path: string;
  #db: Database.Database | undefined;
  #hasRpid = false;

  constructor(path: string) {
    this.#path = path;
  }

  /** Whether `subscriber` has the `rpid` column (Kamailio 5.x schemas dropped it). */
  get hasDisplayNameColumn(): boolean {
    this.#open();
    return this.#hasRpid;
  }

  /** Runs `work` in one IMMEDIATE transaction, mapping SQLite errors to CallsignError. */
  write<T>(record: string, work: () => T): T {
    const db = this.#open();
    return guard(record, () => db.transaction(work).immediate());
  }

  read<T>(record: string, work: () => T): T {
    this.#open();
    return guard(record, work);
  }

  subscriber(username: string, domain: string): SubscriberRow | undefined {
    const rpid = this.#hasRpid ? 'rpid' : 'NULL AS rpid';
    return this.#open()
      .prepare(
        `SELECT id, username, domain, password, ${rpid} FROM subscriber
         WHERE username = ? AND domain = ?`,
      )
      .get(username, domain) as SubscriberRow | undefined;
  }

  insertSubscriber(row: Omit<SubscriberRow, 'id'> & { ha1: string; ha1b: string }): void {
    const columns = ['username', 'domain', 'password', 'ha1', 'ha1b'];
    const values: unknown[] = [row.username, row.domain, row.password, row.ha1, row.ha1b];
    if (this.#hasRpid) {
      columns.push('rpid');
      values.push(row.rpid);
    }
    const marks = columns.map(() => '?').join(', ');
    this.#open()
      .prepare(`INSERT INTO subscriber (${columns.join(', ')}) VALUES (${marks})`)
      .run(...values);
  }

  /** Sets the given columns of one subscriber row. */
  updateSubscriber(id: number, set: Record<string, string | null>): void {
    const names = Object.keys(set);
    if (names.length === 0) return;
    const assignments = names.map((name) => `${name} = ?`).join(', ');
    this.#open()
      .prepare(`UPDATE subscriber SET ${assignments} WHERE id = ?`)
      .run(...names.map((name) => set[name]), id);
  }

  deleteSubscriber(id: number): void {
    this.#open().prepare('DELETE FROM subscriber WHERE id = ?').run(id);
  }

  aliases(aliasUsername: string, aliasDomain: string): AliasRow[] {
    return this.#open()
      .prepare(
        `SELECT id, alias_username, alias_domain, username, domain FROM dbaliases
         WHERE alias_username = ? AND alias_domain = ? ORDER BY id`,
      )
      .all(aliasUsername, aliasDomain) as AliasRow[];
  }

  insertAlias(row: Omit<AliasRow, 'id'>): void {
    this.#open()
      .prepare(
        `INSERT INTO dbaliases (alias_username, alias_domain, username, domain)
         VALUES (?, ?, ?, ?)`,
      )
      .run(row.alias_username, row.alias_domain, row.username, row.domain);
  }

  updateAlias(id: number, set: { username: string; domain: string }): void {
    this.#open()
      .prepare('UPDATE dbaliases SET username = ?, domain = ? WHERE id = ?')
      .run(set.username, set.domain, id);
  }

  deleteAliases(ids: number[]): void {
    const statement = this.#open().prepare('DELETE FROM dbaliases WHERE id = ?');
    for (const id of ids) statement.run(id);
  }

  /** Whether any of `values` is a subscriber username or an alias in `domain`. */
  numberUsed(values: string[], domain: string): boolean {
    const marks = values.map(() => '?').join(', ');
    const row = this.#open()
      .prepare(
        `SELECT 1 FROM subscriber WHERE domain = ? AND username IN (${marks})
         UNION ALL
         SELECT 1 FROM dbaliases WHERE alias_domain = ? AND alias_username IN (${marks})
         LIMIT 1`,
      )
      .get(domain, ...values, domain, ...values);
    return row !== undefined;
  }

  /** Up to `limit` subscriber usernames or alias rows of `domain` after `rowid`, in order. */
  numbersPage(
    table: 'subscriber' | 'dbaliases',
    domain: string,
    after: number,
    limit: number,
  ): { rowid: number; value: string; owner: string }[] {
    const sql =
      table === 'subscriber'
        ? `SELECT rowid, username AS value, username AS owner FROM subscriber
         WHERE domain = ? AND rowid > ? ORDER BY rowid LIMIT ?`
        : `SELECT rowid, alias_username AS value, username AS owner FROM dbaliases
         WHERE alias_domain = ? AND rowid > ? ORDER BY rowid LIMIT ?`;
    return this.#open().prepare(sql).all(domain, after, limit) as {
      rowid: number;
      value: string;
      owner: string;
    }[];
  }

  close(): void {
    this.#db?.close();
    this.#db = undefined;
  }

  #open(): Database.Database {
    if (this.#db !== undefined) return this.#db;
    const db = guard(this.#path, () => {
      // Kamailio must have created the schema; an empty new file would only hide the mistake.
      const opened = new Database(this.#path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      opened.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      return opened;
    });
    const columns = guard(this.#path, () => db.pragma('table_info(subscriber)')) as {
      name: string;
    }[];
    if (columns.length === 0) {
      db.close();
      throw new CallsignError(
        ErrorCode.Config,
        `Kamailio database '${this.#path}' has no subscriber table`,
        { details: { database: this.#path } },
      );
    }
    this.#hasRpid = columns.some((column) => column.name === 'rpid');
    this.#db = db;
    return db;
  }
}

/** How long a statement waits for Kamailio's own writes (usrloc) before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 2000;

/** Maps better-sqlite3 errors (`code` is the extended SQLite result code name). */
function guard<T>(record: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof CallsignError) throw err;
    throw mapSqliteError(record, err);
  }
}

export function mapSqliteError(record: string, err: unknown): CallsignError {
  const code = String((err as { code?: unknown }).code ?? '');
  const message = err instanceof Error ? err.message : String(err);
  const details = { record, sqlite: code };

  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new CallsignError(ErrorCode.Throttled, `Kamailio database busy at '${record}'`, {
      cause: err,
      details,
      retryAfterMs: 500,
    });
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new CallsignError(ErrorCode.Duplicate, `'${record}' already exists: ${message}`, {
      cause: err,
      details,
    });
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new CallsignError(ErrorCode.Rejected, `'${record}' refused: ${message}`, {
      cause: err,
      details,
    });
  }
  if (/^SQLITE_(CANTOPEN|IOERR|FULL|READONLY|PROTOCOL)/.test(code)) {
    return new CallsignError(ErrorCode.Unavailable, `Kamailio database unusable: ${message}`, {
      cause: err,
      details,
    });
  }
  const text = `Kamailio database error at '${record}': ${message}`;
  return new CallsignError(ErrorCode.Internal, text, { cause: err, details });
}
