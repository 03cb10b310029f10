/**
 * The SCIM service's tables (migration 0002) behind a small class. Updates are optimistic: each
 * carries the version it was computed from and changes nothing when another write came first,
 * so a PATCH is applied whole or not at all without holding a transaction across the request.
 */
import type { Kysely } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import { isUniqueViolation, type StoreContext } from '../store/context.ts';
import type { Store } from '../store/types.ts';
import type { ScimDocument } from './normalize.ts';

/** A stored user or group. */
export interface StoredResource {
  id: string;
  document: ScimDocument;
  version: number;
  created: string;
  modified: string;
}

export interface StoredUser extends StoredResource {
  userName: string;
  active: boolean;
}

export interface Member {
  value: string;
  type: 'User' | 'Group';
}

export interface StoredGroup extends StoredResource {
  displayName: string;
  members: Member[];
}

/** What the SCIM store needs from the main store: its dialect, Kysely and write transaction. */
export type ScimDb = Pick<StoreContext, 'dialect' | 'db' | 'write'>;

/** The SCIM store of an open Store; throws for a store that is not SQL-backed. */
export function scimStoreOf(store: Store): ScimStore {
  const ctx = (store as Partial<{ sqlContext(): StoreContext }>).sqlContext?.();
  if (ctx === undefined) {
    throw new CallsignError(ErrorCode.Internal, 'The SCIM service needs a SQL store');
  }
  return new ScimStore(ctx);
}

export class ScimStore {
  readonly #ctx: ScimDb;

  constructor(ctx: ScimDb) {
    this.#ctx = ctx;
  }

  get #db(): Kysely<any> {
    return this.#ctx.db as unknown as Kysely<any>;
  }

  async getUser(id: string): Promise<StoredUser | undefined> {
    const row = await this.#db
      .selectFrom('scim_users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : userOf(row);
  }

  /** Finds a user by userName without regard to case. */
  async findUserByName(userName: string): Promise<StoredUser | undefined> {
    const row = await this.#db
      .selectFrom('scim_users')
      .selectAll()
      .where('user_name_key', '=', userName.toLowerCase())
      .executeTakeFirst();
    return row === undefined ? undefined : userOf(row);
  }

  async listUsers(): Promise<StoredUser[]> {
    const rows = await this.#db
      .selectFrom('scim_users')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(userOf);
  }

  /** Inserts a user; a taken userName is `duplicate`. */
  async insertUser(user: StoredUser): Promise<void> {
    try {
      await this.#db.insertInto('scim_users').values(userRow(user)).execute();
    } catch (err) {
      throw uniqueness(err, `userName ${user.userName}`);
    }
  }

  /** Replaces a user if still at `expected` version; false when it moved on or is gone. */
  async updateUser(user: StoredUser, expected: number): Promise<boolean> {
    const { id: _, created_at: __, ...row } = userRow(user);
    try {
      const res = await this.#db
        .updateTable('scim_users')
        .set(row)
        .where('id', '=', user.id)
        .where('version', '=', expected)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    } catch (err) {
      throw uniqueness(err, `userName ${user.userName}`);
    }
  }

  /** Deletes a user and their memberships; returns whether it existed. */
  async deleteUser(id: string, expected?: number): Promise<boolean> {
    return this.#ctx.write(async (trx) => {
      const db = trx as unknown as Kysely<any>;
      let del = db.deleteFrom('scim_users').where('id', '=', id);
      if (expected !== undefined) del = del.where('version', '=', expected);
      const res = await del.executeTakeFirst();
      if (Number(res.numDeletedRows) !== 1) return false;
      await db.deleteFrom('scim_members').where('member_id', '=', id).execute();
      return true;
    });
  }

  /** Group ids and names of every user's groups (direct membership). */
  async groupsByUser(userIds?: string[]): Promise<Map<string, { id: string; name: string }[]>> {
    let q = this.#db
      .selectFrom('scim_members as m')
      .innerJoin('scim_groups as g', 'g.id', 'm.group_id')
      .select(['m.member_id', 'g.id', 'g.display_name'])
      .where('m.member_type', '=', 'User');
    if (userIds !== undefined) {
      if (userIds.length === 0) return new Map();
      q = q.where('m.member_id', 'in', userIds);
    }
    const out = new Map<string, { id: string; name: string }[]>();
    for (const r of await q.orderBy('g.display_name').execute()) {
      const list = out.get(r.member_id) ?? [];
      list.push({ id: r.id, name: r.display_name });
      out.set(r.member_id, list);
    }
    return out;
  }

  async getGroup(id: string): Promise<StoredGroup | undefined> {
    const row = await this.#db
      .selectFrom('scim_groups')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return groupOf(row, await this.#members([id]));
  }

  async listGroups(): Promise<StoredGroup[]> {
    const rows = await this.#db
      .selectFrom('scim_groups')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const members = await this.#members();
    return rows.map((r) => groupOf(r, members));
  }

  /** The kind of each id that names a user or a group; absent ids name neither. */
  async kindsOf(ids: string[]): Promise<Map<string, 'User' | 'Group'>> {
    const out = new Map<string, 'User' | 'Group'>();
    for (let i = 0; i < ids.length; i += 300) {
      const chunk = ids.slice(i, i + 300);
      const users = await this.#db
        .selectFrom('scim_users')
        .select('id')
        .where('id', 'in', chunk)
        .execute();
      const groups = await this.#db
        .selectFrom('scim_groups')
        .select('id')
        .where('id', 'in', chunk)
        .execute();
      for (const r of users) out.set(r.id as string, 'User');
      for (const r of groups) out.set(r.id as string, 'Group');
    }
    return out;
  }

  async insertGroup(group: StoredGroup): Promise<void> {
    await this.#ctx.write(async (trx) => {
      const db = trx as unknown as Kysely<any>;
      await db.insertInto('scim_groups').values(groupRow(group)).execute();
      await insertMembers(db, group);
    });
  }

  /** Replaces a group and its members if still at `expected` version. */
  async updateGroup(group: StoredGroup, expected: number): Promise<boolean> {
    return this.#ctx.write(async (trx) => {
      const db = trx as unknown as Kysely<any>;
      const { id: _, created_at: __, ...row } = groupRow(group);
      const res = await db
        .updateTable('scim_groups')
        .set(row)
        .where('id', '=', group.id)
        .where('version', '=', expected)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      await db.deleteFrom('scim_members').where('group_id', '=', group.id).execute();
      await insertMembers(db, group);
      return true;
    });
  }

  async deleteGroup(id: string, expected?: number): Promise<boolean> {
    return this.#ctx.write(async (trx) => {
      const db = trx as unknown as Kysely<any>;
      let del = db.deleteFrom('scim_groups').where('id', '=', id);
      if (expected !== undefined) del = del.where('version', '=', expected);
      const res = await del.executeTakeFirst();
      if (Number(res.numDeletedRows) !== 1) return false;
      await db.deleteFrom('scim_members').where('group_id', '=', id).execute();
      await db.deleteFrom('scim_members').where('member_id', '=', id).execute();
      return true;
    });
  }

  async #members(groupIds?: string[]): Promise<Map<string, Member[]>> {
    let q = this.#db.selectFrom('scim_members').selectAll();
    if (groupIds !== undefined) q = q.where('group_id', 'in', groupIds);
    const out = new Map<string, Member[]>();
    for (const r of await q.orderBy('group_id').orderBy('member_id').execute()) {
      const list = out.get(r.group_id) ?? [];
      list.push({ value: r.member_id, type: r.member_type === 'Group' ? 'Group' : 'User' });
      out.set(r.group_id, list);
    }
    return out;
  }
}

async function insertMembers(db: Kysely<any>, group: StoredGroup): Promise<void> {
  const seen = new Set<string>();
  const rows = group.members
    .filter((m) => !seen.has(m.value) && seen.add(m.value))
    .map((m) => ({ group_id: group.id, member_id: m.value, member_type: m.type }));
  // Chunks keep large groups under SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 300) {
    await db
      .insertInto('scim_members')
      .values(rows.slice(i, i + 300))
      .execute();
  }
}

function uniqueness(err: unknown, what: string): unknown {
  if (!isUniqueViolation(err)) return err;
  return new CallsignError(ErrorCode.Duplicate, `${what} is already taken`, { cause: err });
}

type Row = Record<string, any>;

function userRow(u: StoredUser) {
  return {
    id: u.id,
    user_name: u.userName,
    user_name_key: u.userName.toLowerCase(),
    external_id: (u.document.externalId as string | undefined) ?? null,
    active: u.active ? 1 : 0,
    document: JSON.stringify(u.document),
    version: u.version,
    created_at: u.created,
    modified_at: u.modified,
  };
}

function userOf(r: Row): StoredUser {
  return {
    id: r.id,
    userName: r.user_name,
    active: Number(r.active) === 1,
    document: JSON.parse(r.document) as ScimDocument,
    version: Number(r.version),
    created: r.created_at,
    modified: r.modified_at,
  };
}

function groupRow(g: StoredGroup) {
  return {
    id: g.id,
    display_name: g.displayName,
    external_id: (g.document.externalId as string | undefined) ?? null,
    document: JSON.stringify(g.document),
    version: g.version,
    created_at: g.created,
    modified_at: g.modified,
  };
}

function groupOf(r: Row, members: Map<string, Member[]>): StoredGroup {
  return {
    id: r.id,
    displayName: r.display_name,
    members: members.get(r.id) ?? [],
    document: JSON.parse(r.document) as ScimDocument,
    version: Number(r.version),
    created: r.created_at,
    modified: r.modified_at,
  };
}
