/**
 * Row shapes of the store's tables as Kysely sees them. Timestamps are ISO-8601 UTC text made by
 * `Date.toISOString()` on both dialects, so they compare as strings and behave the same on
 * SQLite and PostgreSQL; JSON is text; booleans are 0/1 because better-sqlite3 binds no booleans.
 */
import type { Generated } from 'kysely';

/** The database as Kysely types it. */
export interface Database {
  people: PeopleTable;
  person_keys: PersonKeysTable;
  person_sources: PersonSourcesTable;
  links: LinksTable;
  pools: PoolsTable;
  numbers: NumbersTable;
  runs: RunsTable;
  operations: OperationsTable;
  audit: AuditTable;
  secrets: SecretsTable;
  state: StateTable;
}

export interface PeopleTable {
  id: string;
  attributes: string;
  status: string;
  excluded: number;
  pinned: number;
  last_applied_hash: string | null;
  updated_at: string;
}

export interface PersonKeysTable {
  person_id: string;
  key: string;
  value: string;
}

export interface PersonSourcesTable {
  source: string;
  external_id: string;
  person_id: string;
  dn: string | null;
  /** Set by migration 0004: first absence from a complete read (grace period). */
  missing_since: string | null;
}

export interface LinksTable {
  person_id: string;
  target: string;
  type: string;
  key: string;
  external_id: string;
  attributes: string;
  updated_at: string;
}

export interface PoolsTable {
  name: string;
  kind: string;
  quarantine_days: number;
  updated_at: string;
  /** Migration 0006: `lowest`, `least-recently-used`, `random` or `pattern`. */
  policy: Generated<string>;
  pattern: string | null;
  /** Migration 0006: JSON of a `PoolMapping` when the pool's numbers follow another pool's. */
  mapping: string | null;
}

export interface NumbersTable {
  pool: string;
  value: string;
  kind: string;
  /** Index in the pool definition when the number was added: the allocation order. */
  position: number;
  state: string;
  person_id: string | null;
  available_at: string | null;
  note: string | null;
  updated_at: string;
  /** Migration 0006: 0 once the pool's range no longer holds the number. */
  in_range: Generated<number>;
  /** Migration 0006: last release, for least-recently-used allocation. */
  released_at: Generated<string | null>;
  /** Migration 0008: JSON NumberForward while the number is `forwarding`. */
  forward: Generated<string | null>;
  /** Migration 0008: JSON EmergencyInfo overriding the pool's. */
  emergency: Generated<string | null>;
  /** Migration 0008: the person the number is pinned to. */
  pinned_to: Generated<string | null>;
}

export interface RunsTable {
  id: string;
  kind: string;
  state: string;
  actor: string;
  started_at: string;
  finished_at: string | null;
  summary: string;
}

export interface OperationsTable {
  /** Journal order; PostgreSQL returns int8 as a string, hence the union. */
  seq: Generated<number | string>;
  id: string;
  run_id: string;
  person_id: string;
  action: string;
  target: string;
  type: string;
  key: string;
  attributes: string;
  before: string | null;
  secret: number;
  after: string;
  reason: string;
  state: string;
  attempts: number;
  not_before: string;
  lease_owner: string | null;
  lease_until: string | null;
  fence: number;
  last_error: string | null;
  result: string | null;
  created_at: string;
  updated_at: string;
}

export interface AuditTable {
  id: Generated<number | string>;
  at: string;
  actor: string;
  run_id: string | null;
  person_id: string | null;
  action: string;
  subject: string;
  before: string | null;
  after: string | null;
}

export interface SecretsTable {
  ref: string;
  ciphertext: string;
  created_at: string;
  delivered_at: string | null;
}

export interface StateTable {
  key: string;
  value: string;
  updated_at: string;
}
