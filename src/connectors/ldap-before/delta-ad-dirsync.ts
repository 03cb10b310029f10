/**
 * Change reading on Active Directory with the DirSync control (MS-ADTS 3.1.1.3.4.1.3): the DC
 * hands back an opaque cookie and, given it next time, returns the objects changed since, with
 * only their changed attributes, deleted ones as tombstones. A person's record needs all its
 * mapped attributes, so the changed objects are then read whole, by objectGUID, under baseDn
 * and the configured filter; a changed person not found there has left the scope.
 *
 * ldapts 8 sends custom controls and parses a response control of the same OID into the request
 * control's object, which is how the response cookie is read back.
 */
import { AndFilter, Ber, BerWriter, Control, EqualityFilter, FilterParser, OrFilter } from 'ldapts';
import type { BerReader } from 'ldapts';

import { deltaReaders, OID, type DeltaReader, type DeltaReaderContext } from './delta.ts';
import { entryGuid, PEOPLE, readDomainState } from './delta-ad-shared.ts';
import type { RawEntry } from './entry-mapper.ts';
import { guidToBytes } from './guid.ts';

/** The dirsync reader. */
export const dirSyncReader: DeltaReader = {
  mechanism: 'dirsync',
  async read(context, cursor) {
    const dse = await readDomainState(context.client);
    const previous = cursor === undefined ? undefined : decodeCursor(cursor);
    const usable = previous !== undefined && previous.invocationId === dse.invocationId;

    let changes: Changes;
    try {
      changes = await dirSync(context, dse.namingContext, usable ? previous.cookie : undefined);
    } catch (err) {
      // A refused cookie (other DC, expired): start afresh and say changes may be lost.
      if (!usable || !isResultCodeError(err)) throw err;
      changes = await dirSync(context, dse.namingContext, undefined);
      return { ...freshPage(changes.cookie, dse.invocationId), complete: false };
    }
    const next = encodeCursor(dse.invocationId, changes.cookie);
    // Without a usable cookie the whole domain was just read to get one; the engine reads in
    // full anyway, so those entries are not handed on.
    if (!usable) return { ...freshPage(changes.cookie, dse.invocationId), complete: !cursor };

    const changed = [...changes.live];
    const entries = await readWhole(context, changed);
    const found = new Set(entries.map(entryGuid));
    const gone = changed.filter((guid) => !found.has(guid));
    return { entries, deleted: [...changes.deleted, ...gone], cursor: next, complete: true };
  },
};

deltaReaders.set('dirsync', dirSyncReader);

/** The DirSync request control; the server's response control is parsed into `response`. */
export class DirSyncControl extends Control {
  response: { moreResults: boolean; cookie: Buffer } | undefined;

  constructor(readonly request: { flags: number; maxBytes: number; cookie: Buffer }) {
    super(OID.dirSync, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(this.request.flags);
    value.writeInt(this.request.maxBytes);
    value.writeBuffer(this.request.cookie, Ber.OctetString);
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }

  protected override parseControl(reader: BerReader): void {
    if (reader.readSequence() === null) return;
    const moreResults = (reader.readInt() ?? 0) !== 0;
    reader.readInt();
    const cookie = reader.readString(Ber.OctetString, true) ?? Buffer.alloc(0);
    this.response = { moreResults, cookie };
  }
}

/** LDAP_DIRSYNC_OBJECT_SECURITY: no replication right needed; objects are access-checked. */
const OBJECT_SECURITY = 0x1;
const MAX_BYTES = 1 << 20;
/** Objects per whole-entry read: an OR of GUID equalities. */
const BATCH = 100;

interface Changes {
  live: Set<string>;
  deleted: string[];
  cookie: Buffer;
}

async function dirSync(
  context: DeltaReaderContext,
  namingContext: string,
  cookie: Buffer | undefined,
): Promise<Changes> {
  const live = new Set<string>();
  const deleted = new Set<string>();
  let current = cookie ?? Buffer.alloc(0);
  for (;;) {
    context.signal?.throwIfAborted();
    const control = new DirSyncControl({
      flags: OBJECT_SECURITY,
      maxBytes: MAX_BYTES,
      cookie: current,
    });
    const { searchEntries } = await context.client.search(
      namingContext,
      {
        scope: 'sub',
        filter: `(&${PEOPLE})`,
        // DirSync returns an object only when one of the requested attributes changed (seen
        // on Samba): ask for all, since the scope filter may test any of them.
        attributes: ['*'],
        explicitBufferAttributes: ['objectGUID'],
      },
      control,
    );
    for (const entry of searchEntries as RawEntry[]) {
      const guid = entryGuid(entry);
      if (guid === '') continue;
      const isDeleted = String(entry.isDeleted ?? '').toUpperCase() === 'TRUE';
      (isDeleted ? deleted : live).add(guid);
      (isDeleted ? live : deleted).delete(guid);
    }
    if (control.response === undefined) throw new Error('the server sent no DirSync cookie');
    current = control.response.cookie;
    if (!control.response.moreResults) return { live, deleted: [...deleted], cookie: current };
  }
}

/** Reads changed objects whole, in batches, under baseDn and the configured filter. */
async function readWhole(context: DeltaReaderContext, guids: string[]): Promise<RawEntry[]> {
  const { baseDn, filter } = context.config;
  const scope = FilterParser.parseString(filter);
  const entries: RawEntry[] = [];
  for (let start = 0; start < guids.length; start += BATCH) {
    const filters = guids
      .slice(start, start + BATCH)
      .map((guid) => new EqualityFilter({ attribute: 'objectGUID', value: guidToBytes(guid)! }));
    const { searchEntries } = await context.client.search(baseDn, {
      scope: 'sub',
      filter: new AndFilter({ filters: [scope, new OrFilter({ filters })] }),
      attributes: context.attributes,
      explicitBufferAttributes: ['objectGUID'],
    });
    entries.push(...(searchEntries as RawEntry[]));
  }
  return entries;
}

function freshPage(cookie: Buffer, invocationId: string) {
  return { entries: [], deleted: [], cursor: encodeCursor(invocationId, cookie) };
}

function encodeCursor(invocationId: string, cookie: Buffer): string {
  return `${invocationId}:${cookie.toString('base64')}`;
}

function decodeCursor(text: string): { invocationId: string; cookie: Buffer } | undefined {
  const match = /^([0-9a-f-]{36}):([A-Za-z0-9+/=]+)$/.exec(text);
  if (match === null) return undefined;
  return { invocationId: match[1]!, cookie: Buffer.from(match[2]!, 'base64') };
}

function isResultCodeError(err: unknown): boolean {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number';
}
