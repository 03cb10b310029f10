/**
 * Change reading on OpenLDAP with RFC 4533 Content Synchronization (syncrepl), refreshOnly:
 * given the cookie of the last read, syncprov returns the entries changed since (whole, with
 * the requested attributes) and, from its session log, the entryUUIDs of entries deleted or
 * moved out of the base or filter. The cursor is that cookie.
 *
 * When the session log does not reach back to the cookie (slapd restarted, a log too short,
 * none configured), syncprov answers with a present phase instead: it lists what still exists
 * and leaves the client to delete the rest. This reader keeps no copy of the directory, but the
 * engine knows the ids it has linked (`knownIds`): when the present phase came in full, the
 * ones neither present nor changed are the deletions, and the read is complete. Without known
 * ids, or with a present phase cut short, the reader hands on the changed entries and says
 * `complete: false`; the engine then reads in full.
 *
 * ldapts cannot parse the Sync messages, so this reader opens its own connection with the
 * small client in sync-client/.
 */
import { createHash } from 'node:crypto';

import { CallsignError, ErrorCode } from '../../core/errors.ts';
import {
  deltaReaders,
  type DeltaPage,
  type DeltaReader,
  type DeltaReaderContext,
} from './delta.ts';
import type { RawEntry } from './entry-mapper.ts';
import { LdapResultError, type SyncConnection } from './sync-client/connection.ts';
import { openSyncSession, syncSearch } from './sync-client/session.ts';
import { uuidText } from './sync-client/sync-controls.ts';

export const contentSyncReader: DeltaReader = {
  mechanism: 'content-sync',
  read: readContentSync,
};

deltaReaders.set('content-sync', contentSyncReader);

/** What one refresh since a cookie found. */
export interface Refresh {
  /** Changed or added entries in scope, by entryUUID text. */
  changed: Map<string, RawEntry>;
  /** entryUUIDs (text) deleted or moved out of scope. */
  deleted: Set<string>;
  /** The server ran a present phase: deletions are only implied, not listed. */
  presentPhase: boolean;
  /** entryUUIDs (text) the present phase listed as still in scope and unchanged. */
  present: Set<string>;
  /** The refresh ended with Sync Done, a cookie and refreshDeletes false: `present` is whole. */
  presentListed: boolean;
  cookie: Buffer | undefined;
}

export async function readContentSync(
  context: DeltaReaderContext,
  cursorText: string | undefined,
): Promise<DeltaPage> {
  const { config, password } = context;
  if (password === undefined) {
    const message =
      `Source '${config.name}': content-sync opens its own connection ` +
      'and was given no bind password';
    throw new CallsignError(ErrorCode.Internal, message, { details: { url: config.url } });
  }
  const scope = scopeKey(config);
  const cookie = cursorText === undefined ? undefined : parseCursor(cursorText, scope);
  const connection = await openSyncSession(config, password);
  try {
    if (cookie === undefined) {
      const fresh = await establish(connection, context);
      // A cursor that was given but unreadable (or for another base/filter): changes unknown.
      const complete = cursorText === undefined;
      return { entries: [], deleted: [], cursor: formatCursor(scope, fresh), complete };
    }

    let refresh: Refresh | undefined;
    try {
      refresh = await refreshSince(connection, context, context.attributes, cookie);
    } catch (err) {
      // Any result code counts as a refused cookie; if the server cannot serve a fresh refresh
      // either, that second error is the one raised.
      if (context.signal?.aborted || !(err instanceof LdapResultError)) throw err;
    }
    // syncprov answers a cookie it cannot parse with a full refresh and an empty cookie.
    if (refresh === undefined || refresh.cookie?.length === 0) {
      const fresh = await establish(connection, context);
      return { entries: [], deleted: [], cursor: formatCursor(scope, fresh), complete: false };
    }

    const next = formatCursor(scope, refresh.cookie ?? cookie);
    const entries = [...refresh.changed.values()];
    const byUuid = config.idAttribute.toLowerCase() === 'entryuuid';
    // Deletions come as entryUUIDs; with another id attribute they cannot be named.
    const unnamed = !byUuid && refresh.deleted.size > 0;
    const deleted = byUuid ? [...refresh.deleted] : [];
    if (!refresh.presentPhase) return { entries, deleted, cursor: next, complete: !unnamed };
    if (!byUuid || !refresh.presentListed || context.knownIds === undefined) {
      return { entries, deleted, cursor: next, complete: false };
    }
    const implied = impliedDeletions(await context.knownIds(), refresh);
    return {
      entries,
      deleted: [...new Set([...deleted, ...implied])],
      cursor: next,
      complete: true,
    };
  } finally {
    connection.close();
  }
}

/**
 * After a whole present phase, the known ids the server neither listed as present nor sent as
 * changed have left the scope (deleted, moved out, or no longer matching the filter).
 */
export function impliedDeletions(known: Iterable<string>, refresh: Refresh): string[] {
  const gone: string[] = [];
  for (const id of known) {
    // entryUUIDs compare without case; the id goes back as the engine stored it.
    const uuid = id.toLowerCase();
    if (!refresh.present.has(uuid) && !refresh.changed.has(uuid)) gone.push(id);
  }
  return gone;
}

/** Runs a refresh with no cookie, reading no attributes, only to get a cookie. */
async function establish(connection: SyncConnection, context: DeltaReaderContext): Promise<Buffer> {
  const refresh = await refreshSince(connection, context, ['1.1'], undefined);
  if (refresh.cookie === undefined || refresh.cookie.length === 0) {
    const message = 'The server ended a Content Sync refresh without a cookie';
    throw new CallsignError(ErrorCode.Internal, message, { details: { url: context.config.url } });
  }
  return refresh.cookie;
}

/** One refreshOnly Sync search, folded into a Refresh. */
export async function refreshSince(
  connection: SyncConnection,
  context: DeltaReaderContext,
  attributes: string[],
  cookie: Buffer | undefined,
): Promise<Refresh> {
  const { baseDn, filter } = context.config;
  const refresh: Refresh = {
    changed: new Map(),
    deleted: new Set(),
    presentPhase: false,
    present: new Set(),
    presentListed: false,
    cookie,
  };
  const gone = (uuid: string) => {
    refresh.deleted.add(uuid);
    refresh.changed.delete(uuid);
    refresh.present.delete(uuid);
  };
  const present = (uuid: string) => {
    refresh.presentPhase = true;
    if (!refresh.deleted.has(uuid)) refresh.present.add(uuid);
  };
  const events = syncSearch(connection, {
    baseDn,
    filter: wrap(filter),
    attributes,
    mode: 'refreshOnly',
    cookie,
    signal: context.signal,
  });
  for await (const event of events) {
    if (event.kind === 'entry') {
      const uuid = uuidText(event.uuid);
      if (uuid === undefined) throw new Error(`Entry '${event.dn}' has a malformed syncUUID`);
      if (event.state === 'delete') gone(uuid);
      else if (event.state === 'present') present(uuid);
      else {
        refresh.changed.set(uuid, toRawEntry(event.dn, event.attributes));
        refresh.deleted.delete(uuid);
      }
      if (event.cookie !== undefined) refresh.cookie = event.cookie;
    } else if (event.kind === 'info') {
      const { info } = event;
      if (info.cookie !== undefined) refresh.cookie = info.cookie;
      if (info.kind === 'refreshPresent') refresh.presentPhase = true;
      if (info.kind === 'syncIdSet') {
        const uuids = info.uuids.map((bytes) => uuidText(bytes) ?? '').filter((u) => u !== '');
        if (info.refreshDeletes) uuids.forEach(gone);
        else uuids.forEach(present);
      }
    } else {
      if (event.cookie !== undefined) refresh.cookie = event.cookie;
      if (!event.refreshDeletes) refresh.presentPhase = true;
      // Only a refresh that ran to its end, in present mode, lists everything still in scope.
      refresh.presentListed = !event.refreshDeletes && event.cookie !== undefined;
    }
  }
  return refresh;
}

/** The entry as the mapping expects it; values stay bytes, so bad UTF-8 is caught there. */
function toRawEntry(dn: string, attributes: Map<string, Buffer[]>): RawEntry {
  const entry: RawEntry = { dn };
  for (const [name, values] of attributes) entry[name] = values;
  return entry;
}

/** A cookie is only good for the base and filter it was taken with. */
export function scopeKey(config: DeltaReaderContext['config']): string {
  const text = `${config.baseDn.toLowerCase()}\n${config.filter.trim()}`;
  return createHash('sha256').update(text).digest('base64url').slice(0, 12);
}

export function formatCursor(scope: string, cookie: Buffer): string {
  return `v1.${scope}.${cookie.toString('base64url')}`;
}

/** The cookie, or undefined when the text is not a cursor this reader wrote for this scope. */
export function parseCursor(text: string, scope: string): Buffer | undefined {
  const match = /^v1\.([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]+)$/.exec(text);
  if (match === null || match[1] !== scope) return undefined;
  return Buffer.from(match[2]!, 'base64url');
}

function wrap(filter: string): string {
  const trimmed = filter.trim();
  return trimmed.startsWith('(') ? trimmed : `(${trimmed})`;
}
