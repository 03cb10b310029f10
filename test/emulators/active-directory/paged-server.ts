/**
 * A minimal LDAP server on loopback that pages the way Active Directory can on sparse filters:
 * some pages hold no entries yet carry a cookie (RFC 2696 §3: only an empty cookie ends the
 * search). It answers simple binds, subtree searches with the paged-results control from a
 * fixed list of pages, and unbind. Messages are built with ldapts's public BER writer and read
 * with its BER reader; it is no part of Callsign's code path.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';

import { Ber, BerReader, BerWriter } from 'ldapts';

export interface EmulatedEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

export interface PagedServer {
  url: string;
  /** The cookie each search request carried, as text ('' for the first page). */
  cookies: string[];
  close(): Promise<void>;
}

const PAGED = '1.2.840.113556.1.4.319';

/**
 * Serves `pages` in order; page i is answered to the request whose cookie is `page-i`. A page
 * given as `'stall'` is never answered, as a server that hangs.
 */
export async function startPagedServer(pages: (EmulatedEntry[] | 'stall')[]): Promise<PagedServer> {
  const cookies: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let message = take(pending); message !== undefined; message = take(pending)) {
        pending = pending.subarray(message.length);
        answer(socket, message, pages, cookies);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ldap://127.0.0.1:${port}`,
    cookies,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** One whole LDAPMessage at the start of `buffer`, or undefined when it is not all there. */
function take(buffer: Buffer): Buffer | undefined {
  if (buffer.length < 2) return undefined;
  const reader = new BerReader(buffer);
  if (reader.readSequence() === null) return undefined;
  const total = reader.offset + reader.length;
  return buffer.length >= total ? buffer.subarray(0, total) : undefined;
}

function answer(
  socket: Socket,
  message: Buffer,
  pages: (EmulatedEntry[] | 'stall')[],
  cookies: string[],
) {
  const reader = new BerReader(message);
  reader.readSequence();
  const id = reader.readInt() ?? 0;
  const operation = reader.peek();
  if (operation === 0x42) {
    socket.end();
    return;
  }
  if (operation === 0x60) {
    socket.write(result(id, 0x61));
    return;
  }
  if (operation !== 0x63) return;

  reader.readSequence(0x63);
  reader.offset += reader.length;
  const cookie = requestCookie(reader);
  cookies.push(cookie);
  const index = cookie === '' ? 0 : Number(cookie.slice('page-'.length));
  const page = pages[index] ?? [];
  if (page === 'stall') return;
  for (const entry of page) socket.write(searchEntry(id, entry));
  const next = index + 1 < pages.length ? `page-${index + 1}` : '';
  socket.write(result(id, 0x65, next));
}

function requestCookie(reader: BerReader): string {
  if (reader.remain <= 0 || reader.peek() !== 0xa0) return '';
  reader.readSequence(0xa0);
  const end = reader.offset + reader.length;
  while (reader.offset < end) {
    reader.readSequence();
    const controlEnd = reader.offset + reader.length;
    const oid = reader.readString();
    if (reader.peek() === Ber.Boolean) reader.readBoolean();
    const value = reader.readString(Ber.OctetString, true);
    reader.offset = controlEnd;
    if (oid !== PAGED || !Buffer.isBuffer(value)) continue;
    const inner = new BerReader(value);
    inner.readSequence();
    inner.readInt();
    return (inner.readString(Ber.OctetString, true) ?? Buffer.alloc(0)).toString('utf8');
  }
  return '';
}

function searchEntry(id: number, entry: EmulatedEntry): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(id);
  w.startSequence(0x64);
  w.writeString(entry.dn);
  w.startSequence();
  for (const [type, values] of Object.entries(entry.attributes)) {
    w.startSequence();
    w.writeString(type);
    w.startSequence(0x31);
    for (const value of values) w.writeString(value);
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return w.buffer;
}

/** A success result of the given protocolOp; with a cookie, the paged-results control too. */
function result(id: number, operation: number, cookie?: string): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(id);
  w.startSequence(operation);
  w.writeEnumeration(0);
  w.writeString('');
  w.writeString('');
  w.endSequence();
  if (cookie !== undefined) {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(0);
    value.writeBuffer(Buffer.from(cookie, 'utf8'), Ber.OctetString);
    value.endSequence();
    w.startSequence(0xa0);
    w.startSequence();
    w.writeString(PAGED);
    w.writeBuffer(value.buffer, Ber.OctetString);
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
  return w.buffer;
}
