/**
 * Change reading on Active Directory by update sequence number (`usn`): every write on a DC
 * raises its USN, stamped on the object as uSNChanged. A cursor is the DC's
 * highestCommittedUSN at the last read plus the DC's invocationId, because USNs are per DC (and
 * per restore of a DC): a cursor from another DC or database says nothing about this one.
 *
 * Deletions: deleted objects become tombstones (isDeleted=TRUE, moved under CN=Deleted Objects,
 * objectClass and objectGUID kept) that only the Show Deleted control reveals. Changed objects
 * anywhere in the domain that are no longer in scope (deleted, moved out of baseDn, out of the
 * filter) are reported as deleted ids; ids the engine never knew change nothing there.
 */
import { Control } from 'ldapts';

import { deltaReaders, OID, type DeltaPage, type DeltaReader } from './delta.ts';
import type { DeltaReaderContext } from './delta.ts';
import { entryGuid, PEOPLE, readDomainState, searchAll } from './delta-ad-shared.ts';
import './delta-ad-dirsync.ts';

/** The usn reader. */
export const usnReader: DeltaReader = {
  mechanism: 'usn',
  async read(context, cursor) {
    const dse = await readDomainState(context.client);
    const next = encodeUsnCursor({ invocationId: dse.invocationId, usn: dse.highestUsn });
    const empty = { entries: [], deleted: [], cursor: next };
    if (cursor === undefined) return { ...empty, complete: true };

    const previous = decodeUsnCursor(cursor);
    const lost =
      previous === undefined ||
      previous.invocationId !== dse.invocationId ||
      previous.usn > dse.highestUsn;
    if (lost) return { ...empty, complete: false };

    const since = `(uSNChanged>=${previous.usn + 1})`;
    const entries = await searchAll(context, {
      base: context.config.baseDn,
      filter: `(&${context.config.filter}${since})`,
      attributes: context.attributes,
    });
    const inScope = new Set(entries.map(entryGuid));
    const changed = await changedPeopleGuids(context, dse.namingContext, since);
    const deleted = changed.filter((guid) => !inScope.has(guid));
    return { entries, deleted, cursor: next, complete: true } satisfies DeltaPage;
  },
};

deltaReaders.set('usn', usnReader);

/**
 * objectGUIDs of people-like objects (users and contacts, not computers) changed since the
 * filter's USN anywhere in the domain, tombstones included. Tombstones keep objectClass, so
 * the class test still matches them; limiting to people keeps groups and computers out.
 */
async function changedPeopleGuids(
  context: DeltaReaderContext,
  namingContext: string,
  since: string,
): Promise<string[]> {
  const entries = await searchAll(context, {
    base: namingContext,
    filter: `(&${since}${PEOPLE})`,
    attributes: ['objectGUID'],
    controls: [new Control(OID.showDeleted)],
  });
  return entries.map(entryGuid).filter((guid) => guid !== '');
}

function encodeUsnCursor(cursor: { invocationId: string; usn: number }): string {
  return `${cursor.invocationId}:${cursor.usn}`;
}

function decodeUsnCursor(text: string): { invocationId: string; usn: number } | undefined {
  const match = /^([0-9a-f-]{36}):(\d+)$/.exec(text);
  if (match === null) return undefined;
  const usn = Number(match[2]);
  return Number.isSafeInteger(usn) ? { invocationId: match[1]!, usn } : undefined;
}
