/**
 * The two steps every action on one number shares: read its row (naming pool and value when it
 * is missing) and, once the action has checked the state it found, write the new columns and the
 * audit entry in the same transaction. Used by number-admin.ts, number-pins.ts and numbers.ts.
 */
import type { Kysely, Selectable, Updateable } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import { insertAudit } from './records.ts';
import type { Database, NumbersTable } from './schema.ts';
import type { AuditEntry } from './types.ts';

/** The row; `lock` takes it `FOR UPDATE` until commit (PostgreSQL only). */
export async function readNumber(
  db: Kysely<Database>,
  key: { pool: string; value: string; lock: boolean },
): Promise<Selectable<NumbersTable>> {
  const { pool, value, lock } = key;
  const row = await db
    .selectFrom('numbers')
    .selectAll()
    .where('pool', '=', pool)
    .where('value', '=', value)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
  if (row === undefined) {
    throw new CallsignError(ErrorCode.NotFound, `Number '${value}' is not in pool '${pool}'`, {
      details: { pool, value },
    });
  }
  return row;
}

/**
 * Sets `set` on the number, stamped `at`, and writes the audit entry about it at the same time,
 * its subject `number:<pool>:<value>`.
 */
export async function changeNumber(
  db: Kysely<Database>,
  change: {
    pool: string;
    value: string;
    at: string;
    set: Updateable<NumbersTable>;
    audit: Omit<AuditEntry, 'at' | 'subject'>;
  },
): Promise<void> {
  const { pool, value, at, set, audit } = change;
  await db
    .updateTable('numbers')
    .set({ ...set, updated_at: at })
    .where('pool', '=', pool)
    .where('value', '=', value)
    .execute();
  await insertAudit(db, { ...audit, at, subject: `number:${pool}:${value}` });
}
