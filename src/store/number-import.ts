/**
 * Importing existing assignments (a spreadsheet, a platform's inventory) in one write
 * transaction: every row is checked again against the locked number row, and the first row
 * that no longer fits aborts the whole import with its line named, so the inventory is never
 * left half-changed. Rows already in the wanted state are left alone (an import can be re-run).
 */
import type { Kysely } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { StoreContext } from './context.ts';
import { insertAudit } from './records.ts';
import type { Database } from './schema.ts';
import type { NumberImportRow } from './types.ts';

/** See Store.importNumbers; returns how many numbers changed. */
export async function importNumbers(
  ctx: StoreContext,
  rows: readonly NumberImportRow[],
  actor: string,
  now: Date,
): Promise<number> {
  return ctx.write(async (db) => {
    let changed = 0;
    for (const row of rows) if (await importRow(ctx, db, row, actor, now)) changed++;
    return changed;
  });
}

async function importRow(
  ctx: StoreContext,
  db: Kysely<Database>,
  r: NumberImportRow,
  actor: string,
  now: Date,
): Promise<boolean> {
  const at = now.toISOString();
  const row = await db
    .selectFrom('numbers')
    .selectAll()
    .where('pool', '=', r.pool)
    .where('value', '=', r.value)
    .$if(ctx.dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst();
  if (row === undefined) throw fault(r, 'number', `'${r.value}' is not in pool '${r.pool}'`);
  if (Number(row.in_range) === 0) {
    throw fault(r, 'number', `'${r.value}' is outside pool '${r.pool}''s range`);
  }
  const personId = r.personId ?? null;
  const note = r.note ?? null;
  if (row.state === r.state && row.person_id === personId) return false;

  const free =
    row.state === 'available' ||
    ((row.state === 'quarantined' || row.state === 'reserved') &&
      row.available_at !== null &&
      row.available_at <= at);
  const mayTake =
    free ||
    (r.state === 'blocked' && row.state !== 'assigned') ||
    (r.state === 'assigned' && row.person_id === personId && row.state !== 'blocked');
  if (!mayTake) {
    const who = row.person_id === null ? '' : ` to person ${row.person_id}`;
    throw fault(r, 'number', `'${r.value}' in pool '${r.pool}' is already ${row.state}${who}`);
  }
  if (r.state === 'assigned') {
    const held = await db
      .selectFrom('numbers')
      .select('value')
      .where('pool', '=', r.pool)
      .where('person_id', '=', personId)
      .where('state', '=', 'assigned')
      .executeTakeFirst();
    if (held !== undefined) {
      throw fault(
        r,
        'person',
        `person ${personId} already holds '${held.value}' in pool '${r.pool}'`,
      );
    }
  }

  await db
    .updateTable('numbers')
    .set({ state: r.state, person_id: personId, available_at: null, note, updated_at: at })
    .where('pool', '=', r.pool)
    .where('value', '=', r.value)
    .execute();
  await insertAudit(db, {
    at,
    actor,
    personId: r.personId,
    action: 'number.imported',
    subject: `number:${r.pool}:${r.value}`,
    before: { state: row.state, personId: row.person_id },
    after: { state: r.state, personId, note, line: r.line },
  });
  return true;
}

/** `Import line 4, field number: '2001' in pool 'ext' is already assigned to person p1`. */
function fault(r: NumberImportRow, field: string, text: string): CallsignError {
  return new CallsignError(ErrorCode.State, `Import line ${r.line}, field ${field}: ${text}`, {
    details: { line: r.line, field, pool: r.pool, value: r.value },
  });
}

/**
 * Every stored value of these correlation keys, for an import to match its `person` column
 * without regard to case (keys are stored as the source spelled them: `W9`, `Ann@Acme.com`).
 * One read for the whole file instead of one per row.
 */
export async function listPersonKeys(
  ctx: StoreContext,
  keys: readonly string[],
): Promise<{ key: string; value: string; personId: string }[]> {
  if (keys.length === 0) return [];
  const rows = await ctx.db
    .selectFrom('person_keys')
    .select(['key', 'value', 'person_id'])
    .where('key', 'in', [...keys])
    .execute();
  return rows.map((r) => ({ key: r.key, value: r.value, personId: r.person_id }));
}
