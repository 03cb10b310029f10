/**
 * Whether a journaled operation is stale: the resource it names now belongs to someone else or
 * to a newer plan. A retried removal of a leaver's subscriber must never delete the subscriber
 * that the leaver's released number now carries for the next holder.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

import type { Database } from './schema.ts';

/** The operation's identity as the check needs it. */
export interface StaleCandidate {
  id: string;
  seq: number;
  personId: string;
  action: string;
  target: string;
  type: string;
  key: string;
  createdAt: string;
}

/** Why `op` must not run, or undefined when it still is its person's to run. */
export async function staleReasonIn(
  db: Kysely<Database>,
  op: StaleCandidate,
): Promise<string | undefined> {
  const subject = `${op.target}/${op.type}/${op.key}`;
  // A later plan for another person on the same resource: that plan is the one that counts.
  const newer = await db
    .selectFrom('operations')
    .select(['id', 'person_id', 'action'])
    .where('target', '=', op.target)
    .where('type', '=', op.type)
    .where('key', '=', op.key)
    .where('seq', '>', op.seq)
    .where('person_id', '<>', op.personId)
    .where(sql<boolean>`state in ('pending', 'running', 'held', 'failed', 'done')`)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  if (newer !== undefined) {
    return (
      `stale: ${subject} was planned again for person ${newer.person_id} ` +
      `(operation ${newer.id}, ${newer.action}) after this operation`
    );
  }
  // Someone else's link: a removal would take their resource; a create or update journaled
  // before they got it would overwrite it.
  let links = db
    .selectFrom('links')
    .select(['person_id', 'updated_at'])
    .where('target', '=', op.target)
    .where('type', '=', op.type)
    .where('key', '=', op.key)
    .where('person_id', '<>', op.personId);
  if (op.action !== 'delete') links = links.where('updated_at', '>', op.createdAt);
  const other = await links.limit(1).executeTakeFirst();
  if (other !== undefined) {
    return `stale: ${subject} now belongs to person ${other.person_id}`;
  }
  return undefined;
}
