/**
 * The fallback change reader: entries whose modifyTimestamp (whenChanged on AD) is at or after
 * the cursor, read page by page. It works on any server but sees no deletions: a deleted entry
 * simply stops matching, so this reader returns none, and the engine's periodic full
 * reconciliation (`fullEverySeconds`) is what turns deleted entries into leavers.
 *
 * The cursor is the newest change time seen (or the server's `currentTime` when its root DSE
 * has one). Timestamps have one-second resolution and a write is stamped before it commits,
 * so each read reaches one second behind the cursor; entries already delivered from that
 * overlap are recognised by a fingerprint of their attributes and not delivered twice.
 */
import { createHash } from 'node:crypto';

import type { Client } from 'ldapts';

import {
  deltaReaders,
  type DeltaPage,
  type DeltaReader,
  type DeltaReaderContext,
} from './delta.ts';
import { isObjectGuid, type RawEntry } from './entry-mapper.ts';
import { isConnectionError } from './ldap-errors.ts';

export const timestampReader: DeltaReader = {
  mechanism: 'timestamp',
  read: readTimestampChanges,
};

deltaReaders.set('timestamp', timestampReader);

/** What the cursor text holds (JSON). */
export interface TimestampCursor {
  v: 1;
  /** GeneralizedTime, UTC, seconds: `20261204172004Z`. */
  t: string;
  /** Fingerprints of entries changed within the overlap second, by DN. */
  seen: Record<string, string>;
}

/** Reads changes since the cursor; with no or an unreadable cursor, establishes a new one. */
export async function readTimestampChanges(
  context: DeltaReaderContext,
  cursorText: string | undefined,
): Promise<DeltaPage> {
  const cursor = cursorText === undefined ? undefined : parseTimestampCursor(cursorText);
  const attribute = changeAttribute(context);
  const serverNow = await serverTime(context.client);
  if (cursor === undefined) {
    const fresh = await establish(context, attribute, serverNow);
    // A cursor that was given but unreadable: changes since then are unknown.
    return { entries: [], deleted: [], cursor: fresh, complete: cursorText === undefined };
  }

  const since = formatTime(parseTime(cursor.t)!.getTime() - OVERLAP_MS);
  const entries: RawEntry[] = [];
  const returned: RawEntry[] = [];
  let newest = cursor.t;
  try {
    for await (const page of changedSince(context, attribute, since, context.attributes)) {
      for (const entry of page) {
        returned.push(entry);
        const stamp = entryTime(entry, attribute);
        if (stamp !== undefined && stamp > newest) newest = stamp;
        if (cursor.seen[entry.dn] !== fingerprint(entry)) entries.push(entry);
      }
      context.signal?.throwIfAborted();
    }
  } catch (err) {
    if (context.signal?.aborted || returned.length === 0 || !isConnectionError(err)) throw err;
    // Cut after some pages: hand over what arrived, keep the old cursor so nothing is skipped.
    return { entries, deleted: [], cursor: cursorText!, complete: false };
  }

  const t = serverNow !== undefined && serverNow > newest ? serverNow : newest;
  const next: TimestampCursor = { v: 1, t, seen: overlapSeen(returned, attribute, t) };
  return { entries, deleted: [], cursor: JSON.stringify(next), complete: true };
}

/** The cursor, or undefined when the text is not one this reader wrote. */
export function parseTimestampCursor(text: string): TimestampCursor | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, t, seen } = value as Partial<TimestampCursor>;
  if (v !== 1 || typeof t !== 'string' || parseTime(t) === undefined) return undefined;
  if (typeof seen !== 'object' || seen === null || Array.isArray(seen)) return undefined;
  if (!Object.values(seen).every((fp) => typeof fp === 'string')) return undefined;
  return { v, t: formatTime(parseTime(t)!.getTime()), seen };
}

/** Parses GeneralizedTime (`YYYYMMDDHHMMSS[.fff]Z`, as OpenLDAP and AD write it). */
export function parseTime(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d+))?Z$/.exec(text.trim());
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const ms = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  const date = new Date(ms);
  // Date.UTC rolls over silently (month 13, second 61): such text is not a time.
  const parts = [date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours()];
  const same = parts.join() === [month, day, hour].join() && date.getUTCSeconds() === second;
  return same && date.getUTCMinutes() === minute ? date : undefined;
}

/** GeneralizedTime in whole seconds, which every server's ordering match accepts. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/[-:T]|\.\d+/g, '');
}

const OVERLAP_MS = 1000;

/** Past this many entries in the overlap window, dedup is dropped (re-delivery is harmless). */
const MAX_SEEN = 2000;

function changeAttribute(context: DeltaReaderContext): string {
  // AD's modifyTimeStamp is constructed from whenChanged; whenChanged is the one to filter on.
  return isObjectGuid(context.config.idAttribute) ? 'whenChanged' : 'modifyTimestamp';
}

/** The newest change time under the base (or the server's time), and the overlap's entries. */
async function establish(
  context: DeltaReaderContext,
  attribute: string,
  serverNow: string | undefined,
): Promise<string> {
  let t = serverNow;
  if (t === undefined) {
    // Pass one reads only the timestamps; pass two the overlap second with full attributes.
    t = formatTime(0);
    for await (const page of changedSince(context, attribute, undefined, [attribute])) {
      for (const entry of page) {
        const stamp = entryTime(entry, attribute);
        if (stamp !== undefined && stamp > t) t = stamp;
      }
    }
  }
  const since = formatTime(parseTime(t)!.getTime() - OVERLAP_MS);
  const returned: RawEntry[] = [];
  for await (const page of changedSince(context, attribute, since, context.attributes)) {
    returned.push(...page);
  }
  const cursor: TimestampCursor = { v: 1, t, seen: overlapSeen(returned, attribute, t) };
  return JSON.stringify(cursor);
}

async function* changedSince(
  context: DeltaReaderContext,
  attribute: string,
  since: string | undefined,
  attributes: string[],
): AsyncGenerator<RawEntry[]> {
  const { baseDn, filter, pageSize, idAttribute } = context.config;
  const condition = since === undefined ? `(${attribute}=*)` : `(${attribute}>=${since})`;
  const wanted = attributes.some((a) => a.toLowerCase() === attribute.toLowerCase())
    ? attributes
    : [...attributes, attribute];
  const pager = context.client.searchPaginated(baseDn, {
    scope: 'sub',
    filter: `(&${wrap(filter)}${condition})`,
    attributes: wanted,
    explicitBufferAttributes: isObjectGuid(idAttribute) ? ['objectGUID', idAttribute] : [],
    paged: { pageSize },
  });
  for await (const page of pager) yield page.searchEntries as RawEntry[];
}

function wrap(filter: string): string {
  const trimmed = filter.trim();
  return trimmed.startsWith('(') ? trimmed : `(${trimmed})`;
}

function overlapSeen(entries: RawEntry[], attribute: string, t: string): Record<string, string> {
  const from = formatTime(parseTime(t)!.getTime() - OVERLAP_MS);
  const seen: Record<string, string> = {};
  const window = entries.filter((entry) => (entryTime(entry, attribute) ?? '') >= from);
  if (window.length > MAX_SEEN) return seen;
  for (const entry of window) seen[entry.dn] = fingerprint(entry);
  return seen;
}

/** The entry's change time normalised to whole seconds, so text order is time order. */
function entryTime(entry: RawEntry, attribute: string): string | undefined {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  const first = Array.isArray(raw) ? raw[0] : raw;
  const text = Buffer.isBuffer(first) ? first.toString('utf8') : first;
  const date = text === undefined ? undefined : parseTime(text);
  return date === undefined ? undefined : formatTime(date.getTime());
}

/**
 * Identifies one state of an entry: a second change in the same second alters some attribute
 * Callsign reads (or it does not matter to Callsign), so it alters the fingerprint.
 */
function fingerprint(entry: RawEntry): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(entry).sort()) {
    const raw = entry[key]!;
    const values = (Array.isArray(raw) ? raw : [raw]).map((v) =>
      Buffer.isBuffer(v) ? v.toString('base64') : `'${v}`,
    );
    hash.update(JSON.stringify([key.toLowerCase(), values.sort()]));
  }
  return hash.digest('base64url').slice(0, 16);
}

async function serverTime(client: Client): Promise<string | undefined> {
  const { searchEntries } = await client.search('', {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['currentTime'],
  });
  const raw = searchEntries[0]?.currentTime;
  const text = Array.isArray(raw) ? raw[0] : raw;
  const date = typeof text === 'string' ? parseTime(text) : undefined;
  return date === undefined ? undefined : formatTime(date.getTime());
}
