/**
 * The people search of a full read, decoded here instead of by ldapts. Profiling a 100,000
 * entry read showed the client's time going to ldapts building several objects per value
 * (a Buffer view, an Attribute, a lower-cased name set per entry) and to the garbage they
 * leave; this decoder reads each SearchResultEntry straight into the plain object the mapper
 * takes, at about half the CPU.
 *
 * ldapts still opens, secures and binds the connection (connect.ts). The search then takes the
 * socket over: ldapts's reader is detached, so that client is good only for `unbind()` after.
 * Paging is RFC 2696 as in paged-search.ts: until the server's cookie is empty.
 */
import { FilterParser, SearchRequest, StatusCodeParser, type Client, type Filter } from 'ldapts';

import type { RawEntry } from './entry-mapper.ts';
import { pagedCookie, PagedResultsRequest, socketOf } from './paged-search.ts';

export interface LeanSearchOptions {
  filter: string | Filter;
  attributes: string[];
  /** Attributes always handed over as bytes (a binary objectGUID). */
  binaryAttributes: string[];
  pageSize: number;
  /** Longest wait for the next bytes of a page. */
  timeoutMs: number;
}

/** Message IDs above any ldapts has used on a fresh connection. */
const FIRST_ID = 0x40000000;
const SEARCH_RESULT_ENTRY = 0x64;
const SEARCH_RESULT_DONE = 0x65;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The entries of a paged subtree search, page by page. Throws ldapts's error for a result code
 * (size or time limit...), or a "Connection closed" / "Operation timed out" error.
 */
export async function* leanPagedSearch(
  client: Client,
  baseDn: string,
  options: LeanSearchOptions,
): AsyncGenerator<RawEntry[]> {
  const socket = socketOf(client);
  if (socket === undefined) throw new Error('lean search on a client opened without connectLdap');
  socket.removeAllListeners('data');
  const filter =
    typeof options.filter === 'string' ? FilterParser.parseString(options.filter) : options.filter;
  const names = new Set(options.binaryAttributes.map((a) => a.toLowerCase()));
  const binary: BinaryTypes = { names, known: new Map() };

  let messageId = FIRST_ID;
  const request = (cookie: Buffer) => {
    const search = new SearchRequest({
      messageId: ++messageId,
      baseDN: baseDn,
      scope: 'sub',
      filter,
      attributes: options.attributes,
      explicitBufferAttributes: [],
      controls: [new PagedResultsRequest(options.pageSize, cookie)],
    });
    return readPage(socket, messageId, binary, options.timeoutMs, search.write());
  };

  let cookie: Buffer = Buffer.alloc(0);
  for (;;) {
    const page = await request(cookie);
    if (page.status !== 0) {
      throw StatusCodeParser.parse({ status: page.status, errorMessage: page.message } as never);
    }
    yield page.entries;
    if (page.cookie === undefined || page.cookie.length === 0) return;
    cookie = page.cookie;
  }
}

interface Page {
  entries: RawEntry[];
  status: number;
  message: string;
  cookie: Buffer | undefined;
}

type Stream = NonNullable<ReturnType<typeof socketOf>>;

/** Sends one page request and decodes the answer up to its SearchResultDone. */
function readPage(
  socket: Stream,
  messageId: number,
  binary: BinaryTypes,
  timeoutMs: number,
  request: Buffer,
): Promise<Page> {
  return new Promise((resolve, reject) => {
    const entries: RawEntry[] = [];
    let carry: Buffer | undefined;
    let timer: NodeJS.Timeout | undefined;

    const finish = (error: Error | undefined, page?: Page) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      if (error !== undefined) reject(error);
      else resolve(page!);
    };
    const arm = () => {
      clearTimeout(timer);
      const error = new Error(`Operation timed out after ${timeoutMs} ms waiting for a page`);
      timer = setTimeout(() => finish(error), timeoutMs);
    };
    const onClose = () => finish(new Error('Connection closed during a paged search'));
    const onError = (err: Error) => finish(err);

    function onData(chunk: Buffer) {
      arm();
      const buffer = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
      carry = undefined;
      const cursor = new Cursor(buffer);
      while (cursor.at < buffer.length) {
        const start = cursor.at;
        // LDAPMessage: SEQUENCE { messageID INTEGER, protocolOp, controls [0] OPTIONAL }
        cursor.at++;
        const length = cursor.length();
        if (length < 0 || cursor.at + length > buffer.length) {
          carry = buffer.subarray(start);
          return;
        }
        const end = cursor.at + length;
        cursor.at++;
        const id = cursor.unsigned(cursor.length());
        const operation = buffer[cursor.at++]!;
        cursor.length();
        if (id === messageId && operation === SEARCH_RESULT_ENTRY) {
          entries.push(decodeEntry(cursor, end, binary));
        } else if (id === messageId && operation === SEARCH_RESULT_DONE) {
          const done = decodeDone(cursor, buffer.subarray(start, end));
          finish(undefined, { entries, ...done });
          return;
        }
        cursor.at = end;
      }
    }

    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    arm();
    socket.write(request);
  });
}

/**
 * Reads BER lengths and values in place. One per chunk rather than objects per field: a read
 * of 100,000 entries decodes about ten million of them.
 */
class Cursor {
  at = 0;
  constructor(readonly buffer: Buffer) {}

  /** The length after a tag byte (the cursor is on it), moving past it; -1 if cut short. */
  length(): number {
    const first = this.buffer[this.at];
    if (first === undefined) return -1;
    this.at++;
    if (first < 0x80) return first;
    const bytes = first & 0x7f;
    if (bytes === 0 || bytes > 4) throw new Error('LDAP message with an unsupported BER length');
    if (this.buffer.length < this.at + bytes) return -1;
    return this.unsigned(bytes);
  }

  /** A big-endian unsigned integer of `bytes` bytes, moving past it. */
  unsigned(bytes: number): number {
    let value = 0;
    for (let i = 0; i < bytes; i++) value = value * 256 + this.buffer[this.at++]!;
    return value;
  }

  /** An OCTET STRING's content as UTF-8 text, moving past it. */
  string(): string {
    this.at++;
    const length = this.length();
    const start = this.at;
    this.at += length;
    return this.buffer.toString('utf8', start, this.at);
  }
}

/**
 * Attributes whose values stay bytes; `known` caches the answer per name as the server spells
 * it.
 */
interface BinaryTypes {
  names: Set<string>;
  known: Map<string, boolean>;
}

/** SearchResultEntry: objectName, then a sequence of (type, set of values). */
function decodeEntry(cursor: Cursor, end: number, binary: BinaryTypes): RawEntry {
  const { buffer } = cursor;
  const entry: RawEntry = { dn: cursor.string() };
  cursor.at++;
  cursor.length();
  while (cursor.at < end) {
    cursor.at++;
    const attributeEnd = cursor.length() + cursor.at;
    const type = cursor.string();
    let bytes = binary.known.get(type);
    if (bytes === undefined) {
      bytes = binary.names.has(type.toLowerCase()) || /;binary$/i.test(type);
      binary.known.set(type, bytes);
    }
    cursor.at++;
    const setEnd = cursor.length() + cursor.at;
    let first: string | Buffer | undefined;
    let values: (string | Buffer)[] | undefined;
    while (cursor.at < setEnd) {
      cursor.at++;
      const length = cursor.length();
      const from = cursor.at;
      const stop = from + length;
      cursor.at = stop;
      const value = bytes ? Buffer.from(buffer.subarray(from, stop)) : text(buffer, from, stop);
      if (first === undefined) first = value;
      else (values ??= [first]).push(value);
    }
    entry[type] = (values ?? first ?? []) as RawEntry[string];
    cursor.at = attributeEnd;
  }
  return entry;
}

/** UTF-8 text as ldapts gives it: a value that is not strict UTF-8 stays bytes. */
function text(buffer: Buffer, start: number, stop: number): string | Buffer {
  const value = buffer.toString('utf8', start, stop);
  if (!value.includes('\uFFFD')) return value;
  const bytes = buffer.subarray(start, stop);
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return Buffer.from(bytes);
  }
}

/** SearchResultDone: resultCode, matchedDN, diagnosticMessage, then the controls. */
function decodeDone(cursor: Cursor, message: Buffer) {
  cursor.at++;
  const status = cursor.unsigned(cursor.length());
  cursor.string();
  const diagnostic = cursor.string();
  return { status, message: diagnostic, cookie: pagedCookie(message) };
}
