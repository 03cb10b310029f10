/**
 * A present phase that does not end as RFC 4533 says a whole one does (Sync Done with a cookie
 * and refreshDeletes false) proves nothing about what is gone: the read stays incomplete even
 * with known ids. slapd never ends a refresh that way on purpose, so a small loopback server
 * speaks the protocol here.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { Ber, BerReader, BerWriter, Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import {
  formatCursor,
  impliedDeletions,
  readContentSync,
  scopeKey,
  type Refresh,
} from './delta-content-sync.ts';
import { splitFrames } from './sync-client/messages.ts';
import { SyncOid } from './sync-client/sync-controls.ts';

const A = '0123456789abcdef0123456789abcdef';
const B = 'fedcba9876543210fedcba9876543210';
const text = (hex: string) =>
  [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join(
    '-',
  );

function ber(build: (w: BerWriter) => void): Buffer {
  const writer = new BerWriter();
  build(writer);
  return writer.buffer;
}

/** How the fake server ends the refresh. */
let ending: { cookie?: string; refreshDeletes: boolean };

function answer(socket: Socket, frame: Buffer) {
  const reader = new BerReader(frame);
  reader.readSequence(0x30);
  const id = reader.readInt()!;
  const op = reader.peek();
  const result = (tag: number, controls?: Buffer) =>
    ber((w) => {
      w.startSequence();
      w.writeInt(id);
      w.startSequence(tag);
      w.writeEnumeration(0);
      w.writeString('');
      w.writeString('');
      w.endSequence();
      if (controls) w.writeBuffer(controls, 0xa0);
      w.endSequence();
    });
  if (op === 0x60) socket.write(result(0x61));
  if (op !== 0x63) return;
  // The present phase: only A still exists.
  const idSet = ber((w) => {
    w.startSequence(0xa3);
    w.writeBoolean(false);
    w.startSequence(0x31);
    w.writeBuffer(Buffer.from(A, 'hex'), Ber.OctetString);
    w.endSequence();
    w.endSequence();
  });
  socket.write(
    ber((w) => {
      w.startSequence();
      w.writeInt(id);
      w.startSequence(0x79);
      w.writeString(SyncOid.info, 0x80);
      w.writeBuffer(idSet, 0x81);
      w.endSequence();
      w.endSequence();
    }),
  );
  const done = ber((w) => {
    w.startSequence();
    if (ending.cookie !== undefined) w.writeString(ending.cookie);
    if (ending.refreshDeletes) w.writeBoolean(true);
    w.endSequence();
  });
  const control = ber((w) => {
    w.startSequence();
    w.writeString(SyncOid.done);
    w.writeBuffer(done, Ber.OctetString);
    w.endSequence();
  });
  socket.write(result(0x65, control));
}

describe('a present phase that did not end whole', () => {
  let server: Server;
  let url: string;

  before(async () => {
    server = createServer((socket) => {
      let rest = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        const split = splitFrames(Buffer.concat([rest, chunk]));
        rest = Buffer.from(split.rest);
        for (const frame of split.frames) answer(socket, frame);
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `ldap://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const read = () => {
    const config = {
      name: 'corp',
      url,
      bindDn: 'cn=callsign',
      baseDn: 'ou=People',
      filter: '(objectClass=*)',
      idAttribute: 'entryUUID',
      timeoutMs: 2000,
    } as LdapSourceConfig;
    const context = { client: new Client({ url }), config, attributes: ['uid'], password: 'x' };
    const known = async () => [text(A), text(B)];
    const cursor = formatCursor(scopeKey(config), Buffer.from('rid=000,csn=1'));
    return readContentSync({ ...context, knownIds: known }, cursor);
  };

  it('is complete, with B deleted, when Sync Done has a cookie and refreshDeletes false', async () => {
    ending = { cookie: 'rid=000,csn=2', refreshDeletes: false };
    const page = await read();
    assert.deepEqual([page.complete, page.deleted], [true, [text(B)]]);
  });

  for (const [name, end] of [
    ['refreshDeletes true', { cookie: 'rid=000,csn=2', refreshDeletes: true }],
    ['no cookie', { refreshDeletes: false }],
  ] as const) {
    it(`stays incomplete when Sync Done has ${name}`, async () => {
      ending = end;
      const page = await read();
      assert.deepEqual([page.complete, page.deleted], [false, []]);
    });
  }

  it('matches known ids without case and keeps changed entries', () => {
    const refresh: Refresh = {
      changed: new Map([[text(B), { dn: 'uid=b' }]]),
      deleted: new Set(),
      presentPhase: true,
      present: new Set([text(A)]),
      presentListed: true,
      cookie: undefined,
    };
    const C = text(A).replace('0', 'f');
    assert.deepEqual(impliedDeletions([text(A).toUpperCase(), text(B), C], refresh), [C]);
  });
});
