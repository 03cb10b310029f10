import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Ber, BerReader, BerWriter } from 'ldapts';

import { formatCursor, parseCursor } from './delta-content-sync.ts';
import { decodeMessage, splitFrames } from './sync-client/messages.ts';
import {
  decodeSyncDone,
  decodeSyncInfo,
  decodeSyncState,
  SyncOid,
  SyncRequestControl,
  uuidText,
} from './sync-client/sync-controls.ts';

const UUID = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');

function ber(build: (w: BerWriter) => void): Buffer {
  const writer = new BerWriter();
  build(writer);
  return writer.buffer;
}

/** A SearchResultEntry carrying a Sync State control, as syncprov sends it. */
function entryMessage(id: number, dn: string, value: Buffer): Buffer {
  const state = ber((w) => {
    w.startSequence();
    w.writeEnumeration(1);
    w.writeBuffer(UUID, Ber.OctetString);
    w.endSequence();
  });
  return ber((w) => {
    w.startSequence();
    w.writeInt(id);
    w.startSequence(0x64);
    w.writeString(dn);
    w.startSequence();
    w.startSequence();
    w.writeString('audio');
    w.startSequence(0x31);
    w.writeBuffer(value, Ber.OctetString);
    w.endSequence();
    w.endSequence();
    w.endSequence();
    w.endSequence();
    w.startSequence(0xa0);
    w.startSequence();
    w.writeString(SyncOid.state);
    w.writeBuffer(state, Ber.OctetString);
    w.endSequence();
    w.endSequence();
    w.endSequence();
  });
}

describe('Content Sync message parts', () => {
  it('splits frames however the bytes arrive, keeping values as bytes', () => {
    const bad = Buffer.from([0x41, 0xff, 0xfe]);
    const long = Buffer.alloc(300, 0x61);
    const stream = Buffer.concat([
      entryMessage(2, 'cn=Zoë\\2C A,ou=People', bad),
      entryMessage(2, 'cn=b', long),
    ]);
    let pending: Buffer = Buffer.alloc(0);
    const frames: Buffer[] = [];
    for (const byte of stream) {
      const split = splitFrames(Buffer.concat([pending, Buffer.from([byte])]));
      frames.push(...split.frames);
      pending = split.rest;
    }
    assert.equal(frames.length, 2);
    assert.equal(pending.length, 0);
    const [one, two] = frames.map(decodeMessage);
    assert.equal(one!.kind, 'entry');
    if (one!.kind !== 'entry' || two!.kind !== 'entry') return;
    assert.equal(one!.dn.toString('utf8'), 'cn=Zoë\\2C A,ou=People');
    assert.deepEqual(one!.attributes.get('audio'), [bad]);
    assert.deepEqual(two!.attributes.get('audio'), [long]);
    const state = decodeSyncState(one!.controls[0]!);
    assert.deepEqual(
      [state.state, uuidText(state.uuid)],
      ['add', '01234567-89ab-cdef-0123-456789abcdef'],
    );
  });

  it('rejects a stream that is not LDAP', () => {
    assert.throws(() => splitFrames(Buffer.from('HTTP/1.1 400')), /SEQUENCE/);
  });

  it('decodes each syncInfo choice with its defaults', () => {
    const cookie = Buffer.from('rid=000,csn=1');
    assert.deepEqual(decodeSyncInfo(ber((w) => w.writeBuffer(cookie, 0x80))), {
      kind: 'newcookie',
      cookie,
    });
    const present = decodeSyncInfo(
      ber((w) => {
        w.startSequence(0xa2);
        w.endSequence();
      }),
    );
    assert.deepEqual(present, { kind: 'refreshPresent', refreshDone: true });
    const ids = decodeSyncInfo(
      ber((w) => {
        w.startSequence(0xa3);
        w.writeBuffer(cookie, Ber.OctetString);
        w.writeBoolean(true);
        w.startSequence(0x31);
        w.writeBuffer(UUID, Ber.OctetString);
        w.endSequence();
        w.endSequence();
      }),
    );
    assert.deepEqual(ids, { kind: 'syncIdSet', cookie, refreshDeletes: true, uuids: [UUID] });
    const done = ber((w) => {
      w.startSequence();
      w.endSequence();
    });
    assert.deepEqual(decodeSyncDone({ type: SyncOid.done, critical: false, value: done }), {
      refreshDeletes: false,
    });
  });

  it('writes the Sync Request control as critical, refreshOnly, with the cookie', () => {
    const writer = new BerWriter();
    new SyncRequestControl({ mode: 'refreshOnly', cookie: Buffer.from('c') }).write(writer);
    const reader = new BerReader(writer.buffer);
    reader.readSequence();
    assert.equal(reader.readString(), SyncOid.request);
    assert.equal(reader.readBoolean(), true);
    const value = new BerReader(reader.readString(Ber.OctetString, true)!);
    value.readSequence();
    assert.equal(value.readEnumeration(), 1);
    assert.equal(value.readString(), 'c');
  });

  it('reads back only cursors it wrote for the same scope', () => {
    const cookie = Buffer.from('rid=000,csn=20261204191111.912860Z#000000#000#000000');
    const text = formatCursor('abcdefghijkl', cookie);
    assert.deepEqual(parseCursor(text, 'abcdefghijkl'), cookie);
    assert.equal(parseCursor(text, 'ABCDEFGHIJKL'), undefined);
    for (const bad of ['', 'v1.abcdefghijkl.', 'v2.abcdefghijkl.AAAA', '{"v":1}']) {
      assert.equal(parseCursor(bad, 'abcdefghijkl'), undefined, bad);
    }
  });
});
