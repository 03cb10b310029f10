/**
 * Paged searches (RFC 2696) driven here rather than by ldapts, because ldapts 8 stops at the
 * first page that holds no entries even when the server sent a cookie; RFC 2696 §3 ends a
 * search only on an empty cookie, and Active Directory sends empty pages with a cookie on
 * sparse filters. Each page is one `client.search` carrying our own paged-results control.
 *
 * ldapts parses the server's paged-results response control but keeps it to itself, so the
 * cookie is read off the connection: connect.ts hands every socket ldapts reads from (after
 * TLS, so the bytes are LDAP) to a PagingTap, which skips over every message but
 * SearchResultDone and reads the cookie from that one's controls.
 */
import type { Socket } from 'node:net';

import { Ber, BerReader, BerWriter, Control, type Client, type Filter } from 'ldapts';

import type { RawEntry } from './entry-mapper.ts';

const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';
/** LDAPMessage protocolOp tag of SearchResultDone ([APPLICATION 5], constructed). */
const SEARCH_RESULT_DONE = 0x65;
/** Pages with no entries in a row before a server is taken to be looping. */
const MAX_EMPTY_PAGES = 10_000;

/** What a paged read needs from a client: one search per page (ldapts's Client fits). */
export type PagingClient = Pick<Client, 'search'>;

export interface PagedSearchOptions {
  filter: string | Filter;
  attributes: string[];
  explicitBufferAttributes?: string[];
  pageSize: number;
}

/**
 * The entries of a subtree search, page by page, until the server's cookie is empty. Throws
 * what the search throws (size or time limit, dropped connection); a client without a tap
 * is a programming error.
 */
export async function* pagedSearch(
  client: PagingClient,
  baseDn: string,
  options: PagedSearchOptions,
): AsyncGenerator<RawEntry[]> {
  const tap = tapOf(client);
  if (tap === undefined) throw new Error('paged search on a client opened without connectLdap');
  const { filter, attributes, pageSize } = options;
  const explicitBufferAttributes = options.explicitBufferAttributes ?? [];

  let cookie: Buffer = Buffer.alloc(0);
  let empty = 0;
  for (;;) {
    tap.cookie = undefined;
    const control = new PagedResultsRequest(pageSize, cookie);
    const search = { scope: 'sub' as const, filter, attributes, explicitBufferAttributes };
    const { searchEntries } = await client.search(baseDn, search, [control]);
    // Taken before the caller's own searches on this connection (ranged values) run.
    const next = tap.cookie as Buffer | undefined;
    yield searchEntries as RawEntry[];

    // No control in the answer: the server returned everything at once (RFC 2696 §6 allows
    // a server to ignore a non-critical control).
    if (next === undefined || next.length === 0) return;
    empty = searchEntries.length === 0 ? empty + 1 : 0;
    if (empty > MAX_EMPTY_PAGES) throw new Error(`${MAX_EMPTY_PAGES} empty pages in a row`);
    cookie = next;
  }
}

/** Reads paged-results cookies off the LDAP bytes one connection receives. */
export class PagingTap {
  /** The socket ldapts reads from now (after StartTLS, the TLS one). */
  socket: Socket | undefined;
  /** The cookie of the last SearchResultDone that carried a paged-results control. */
  cookie: Buffer | undefined;
  /** Bytes of a message header or SearchResultDone split across chunks. */
  #carry: Buffer | undefined;
  /** Bytes still to skip of a message that is not SearchResultDone. */
  #skip = 0;

  /** Feed every chunk the socket delivers, in order. */
  onData = (chunk: Buffer): void => {
    let buffer = chunk;
    if (this.#carry !== undefined) {
      buffer = Buffer.concat([this.#carry, chunk]);
      this.#carry = undefined;
    }
    let offset = Math.min(this.#skip, buffer.length);
    this.#skip -= offset;

    while (offset < buffer.length) {
      const header = readHeader(buffer, offset);
      if (header === undefined) {
        this.#carry = Buffer.from(buffer.subarray(offset));
        return;
      }
      const end = offset + header.total;
      if (header.operation !== SEARCH_RESULT_DONE) {
        if (end > buffer.length) this.#skip = end - buffer.length;
        offset = Math.min(end, buffer.length);
        continue;
      }
      if (end > buffer.length) {
        this.#carry = Buffer.from(buffer.subarray(offset));
        return;
      }
      const cookie = pagedCookie(buffer.subarray(offset, end));
      if (cookie !== undefined) this.cookie = cookie;
      offset = end;
    }
  };
}

const taps = new WeakMap<object, PagingTap>();

/** Ties a tap to the client whose sockets feed it. */
export function attachTap(client: object, tap: PagingTap): void {
  taps.set(client, tap);
}

function tapOf(client: object): PagingTap | undefined {
  return taps.get(client);
}

/** The socket a client opened with connectLdap reads from. */
export function socketOf(client: object): Socket | undefined {
  return taps.get(client)?.socket;
}

/** The paged-results request control: page size and the cookie of the previous page. */
export class PagedResultsRequest extends Control {
  constructor(
    readonly size: number,
    readonly cookie: Buffer,
  ) {
    super(PAGED_RESULTS_OID, { critical: false });
  }

  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(this.size);
    value.writeBuffer(this.cookie, Ber.OctetString);
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }
}

/** The length of a whole LDAPMessage at offset and its protocolOp tag; undefined if cut. */
function readHeader(buffer: Buffer, offset: number) {
  if (buffer.length - offset < 2) return undefined;
  const length = readLength(buffer, offset + 1);
  if (length === undefined) return undefined;
  // messageID is an INTEGER of at most 4 bytes: tag, length, value, then the protocolOp tag.
  const id = length.next;
  if (buffer.length <= id + 1) return undefined;
  const operationAt = id + 2 + buffer[id + 1]!;
  if (buffer.length <= operationAt) return undefined;
  return { total: length.next - offset + length.value, operation: buffer[operationAt]! };
}

function readLength(buffer: Buffer, at: number): { value: number; next: number } | undefined {
  const first = buffer[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return { value: first, next: at + 1 };
  const bytes = first & 0x7f;
  if (bytes === 0 || bytes > 4) throw new Error('LDAP message with an unsupported BER length');
  if (buffer.length < at + 1 + bytes) return undefined;
  let value = 0;
  for (let i = 1; i <= bytes; i++) value = value * 256 + buffer[at + i]!;
  return { value, next: at + 1 + bytes };
}

/** The paged-results cookie in a whole SearchResultDone message, if it carries the control. */
export function pagedCookie(message: Buffer): Buffer | undefined {
  const reader = new BerReader(message);
  reader.readSequence();
  reader.readInt();
  reader.readSequence(SEARCH_RESULT_DONE);
  reader.offset += reader.length;
  // Controls are [0] (context-specific, constructed) after the protocolOp.
  if (reader.remain <= 0 || reader.peek() !== 0xa0) return undefined;
  reader.readSequence(0xa0);
  const end = reader.offset + reader.length;
  while (reader.offset < end) {
    reader.readSequence();
    const controlEnd = reader.offset + reader.length;
    const oid = reader.readString();
    if (reader.peek() === Ber.Boolean) reader.readBoolean();
    const value = reader.offset < controlEnd ? reader.readString(Ber.OctetString, true) : null;
    reader.offset = controlEnd;
    if (oid !== PAGED_RESULTS_OID || !Buffer.isBuffer(value)) continue;
    const inner = new BerReader(value);
    inner.readSequence();
    inner.readInt();
    return inner.readString(Ber.OctetString, true) ?? Buffer.alloc(0);
  }
  return undefined;
}
