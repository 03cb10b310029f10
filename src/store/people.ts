/**
 * People, their correlation keys and source links, and the links from people to resources.
 */
import type { Kysely } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { Link, Person } from '../core/model.ts';
import type { StoreContext } from './context.ts';
import { insertAudit } from './records.ts';
import { toLink, toPerson } from './rows.ts';
import type { Database } from './schema.ts';

/** Loads people by id (all of them when `ids` is undefined), ordered by id. */
export async function loadPeople(db: Kysely<Database>, ids?: string[]): Promise<Person[]> {
  if (ids !== undefined && ids.length === 0) return [];

  let people = db.selectFrom('people').selectAll().orderBy('id');
  let sources = db
    .selectFrom('person_sources')
    .selectAll()
    .orderBy('source')
    .orderBy('external_id');
  if (ids !== undefined) {
    people = people.where('id', 'in', ids);
    sources = sources.where('person_id', 'in', ids);
  }
  const [rows, links] = await Promise.all([people.execute(), sources.execute()]);

  const byPerson = new Map<string, typeof links>();
  for (const link of links) {
    const list = byPerson.get(link.person_id) ?? [];
    list.push(link);
    byPerson.set(link.person_id, list);
  }
  return rows.map((row) => toPerson(row, byPerson.get(row.id) ?? []));
}

export async function findPeopleByKey(ctx: StoreContext, key: string, value: string) {
  const rows = await ctx.db
    .selectFrom('person_keys')
    .select('person_id')
    .where('key', '=', key)
    .where('value', '=', value)
    .execute();
  return loadPeople(
    ctx.db,
    rows.map((r) => r.person_id),
  );
}

export async function findPersonBySourceLink(
  ctx: StoreContext,
  source: string,
  externalId: string,
): Promise<Person | undefined> {
  const row = await ctx.db
    .selectFrom('person_sources')
    .select('person_id')
    .where('source', '=', source)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return (await loadPeople(ctx.db, [row.person_id]))[0];
}

/**
 * Inserts or replaces a person with their keys and source links. A source link held by another
 * person moves to this one: correlation has decided they are the same human.
 */
export async function savePerson(
  ctx: StoreContext,
  person: Person,
  keys: Record<string, string>,
): Promise<void> {
  const row = {
    attributes: JSON.stringify(person.attributes),
    status: person.status,
    excluded: person.excluded ? 1 : 0,
    pinned: person.pinned ? 1 : 0,
    last_applied_hash: person.lastAppliedHash ?? null,
    updated_at: new Date().toISOString(),
  };
  const keyRows = Object.entries(keys).map(([key, value]) => ({
    person_id: person.id,
    key,
    value,
  }));
  const sourceRows = person.sourceLinks.map((s) => ({
    source: s.source,
    external_id: s.externalId,
    person_id: person.id,
    dn: s.dn ?? null,
    missing_since: s.missingSince ?? null,
  }));

  await ctx.write(async (db) => {
    await db
      .insertInto('people')
      .values({ id: person.id, ...row })
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();

    await db.deleteFrom('person_keys').where('person_id', '=', person.id).execute();
    if (keyRows.length > 0) await db.insertInto('person_keys').values(keyRows).execute();

    await db.deleteFrom('person_sources').where('person_id', '=', person.id).execute();
    if (sourceRows.length === 0) return;
    await db
      .insertInto('person_sources')
      .values(sourceRows)
      .onConflict((oc) =>
        oc.columns(['source', 'external_id']).doUpdateSet((eb) => ({
          person_id: eb.ref('excluded.person_id'),
          dn: eb.ref('excluded.dn'),
          missing_since: eb.ref('excluded.missing_since'),
        })),
      )
      .execute();
  });
}

/** Sets the excluded/pinned flags, auditing each one that changes. */
export async function setPersonFlags(
  ctx: StoreContext,
  id: string,
  flags: { excluded?: boolean; pinned?: boolean },
  actor: string,
  reason?: string,
): Promise<void> {
  await ctx.write(async (db) => {
    const row = await db
      .selectFrom('people')
      .select(['excluded', 'pinned'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) {
      throw new CallsignError(ErrorCode.NotFound, `Person '${id}' does not exist`, {
        details: { personId: id },
      });
    }

    const at = new Date().toISOString();
    const current = { excluded: Number(row.excluded) === 1, pinned: Number(row.pinned) === 1 };
    for (const flag of ['excluded', 'pinned'] as const) {
      const wanted = flags[flag];
      if (wanted === undefined || wanted === current[flag]) continue;

      await db
        .updateTable('people')
        .set({ [flag]: wanted ? 1 : 0, updated_at: at })
        .where('id', '=', id)
        .execute();
      await insertAudit(db, {
        at,
        actor,
        personId: id,
        action: `person.${flag}`,
        subject: `person:${id}`,
        before: { [flag]: current[flag] },
        after: reason === undefined ? { [flag]: wanted } : { [flag]: wanted, reason },
      });
    }
  });
}

export async function listLinks(ctx: StoreContext, personId?: string): Promise<Link[]> {
  let q = ctx.db
    .selectFrom('links')
    .selectAll()
    .orderBy('person_id')
    .orderBy('target')
    .orderBy('type')
    .orderBy('key');
  if (personId !== undefined) q = q.where('person_id', '=', personId);
  return (await q.execute()).map(toLink);
}

/** Inserts or replaces the link of (person, target, type, key). */
export async function saveLink(ctx: StoreContext, link: Link): Promise<void> {
  await saveLinkIn(ctx.db, link);
}

export async function deleteLink(
  ctx: StoreContext,
  link: { personId: string; target: string; type: string; key: string },
): Promise<void> {
  await deleteLinkIn(ctx.db, link);
}

/** saveLink inside whatever transaction `db` belongs to (a completion's). */
export async function saveLinkIn(db: Kysely<Database>, link: Link): Promise<void> {
  const row = {
    external_id: link.externalId,
    attributes: JSON.stringify(link.attributes),
    updated_at: new Date().toISOString(),
  };
  await db
    .insertInto('links')
    .values({
      person_id: link.personId,
      target: link.target,
      type: link.type,
      key: link.key,
      ...row,
    })
    .onConflict((oc) => oc.columns(['person_id', 'target', 'type', 'key']).doUpdateSet(row))
    .execute();
}

/** deleteLink inside whatever transaction `db` belongs to. */
export async function deleteLinkIn(
  db: Kysely<Database>,
  link: { personId: string; target: string; type: string; key: string },
): Promise<void> {
  await db
    .deleteFrom('links')
    .where('person_id', '=', link.personId)
    .where('target', '=', link.target)
    .where('type', '=', link.type)
    .where('key', '=', link.key)
    .execute();
}

/** People with at least one link: counted by the database, not read and counted here. */
export async function countLinkedPeople(ctx: StoreContext): Promise<number> {
  const row = await ctx.db
    .selectFrom('links')
    .select((eb) => eb.fn.count<number | string>('person_id').distinct().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
