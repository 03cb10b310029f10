/**
 * The RFC 4533 controls and intermediate message: the Sync Request control sent with the
 * search, and the Sync State control (on entries), Sync Done control (on the final result) and
 * syncInfo message the server answers with. Values are BER, read and written with ldapts's
 * public BER classes.
 */
import { Ber, BerReader, BerWriter, Control } from 'ldapts';

import { LdapDecodeError, type ResponseControl } from './messages.ts';

export const SyncOid = {
  request: '1.3.6.1.4.1.4203.1.9.1.1',
  state: '1.3.6.1.4.1.4203.1.9.1.2',
  done: '1.3.6.1.4.1.4203.1.9.1.3',
  info: '1.3.6.1.4.1.4203.1.9.1.4',
} as const;

/** e-syncRefreshRequired (RFC 4533 §2.4): the server cannot serve this cookie incrementally. */
export const SYNC_REFRESH_REQUIRED = 4096;

export type SyncMode = 'refreshOnly' | 'refreshAndPersist';

/** The Sync Request control, always critical: without it the search would return everything. */
export class SyncRequestControl extends Control {
  constructor(readonly request: { mode: SyncMode; cookie?: Buffer | undefined }) {
    super(SyncOid.request, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeEnumeration(this.request.mode === 'refreshOnly' ? 1 : 3);
    if (this.request.cookie !== undefined) value.writeBuffer(this.request.cookie, Ber.OctetString);
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }
}

export type SyncState = 'present' | 'add' | 'modify' | 'delete';
const STATES: SyncState[] = ['present', 'add', 'modify', 'delete'];

/** Sync State control value: what happened to the entry, its entryUUID, maybe a cookie. */
export function decodeSyncState(control: ResponseControl): {
  state: SyncState;
  uuid: Buffer;
  cookie?: Buffer;
} {
  const reader = new BerReader(control.value);
  reader.readSequence(0x30);
  const state = STATES[reader.readEnumeration() ?? -1];
  if (state === undefined) throw new LdapDecodeError('Sync State control has an unknown state');
  const uuid = octets(reader);
  const cookie = reader.remain > 0 ? octets(reader) : undefined;
  return cookie === undefined ? { state, uuid } : { state, uuid, cookie };
}

/** Sync Done control value: the final cookie and whether the refresh used the delete phase. */
export function decodeSyncDone(control: ResponseControl): {
  cookie?: Buffer;
  refreshDeletes: boolean;
} {
  const reader = new BerReader(control.value);
  reader.readSequence(0x30);
  const cookie =
    reader.remain > 0 && reader.peek() === Ber.OctetString ? octets(reader) : undefined;
  const refreshDeletes = reader.remain > 0 ? (reader.readBoolean() ?? false) : false;
  return cookie === undefined ? { refreshDeletes } : { cookie, refreshDeletes };
}

export type SyncInfo =
  | { kind: 'newcookie'; cookie: Buffer }
  | { kind: 'refreshDelete' | 'refreshPresent'; cookie?: Buffer; refreshDone: boolean }
  | { kind: 'syncIdSet'; cookie?: Buffer; refreshDeletes: boolean; uuids: Buffer[] };

/** The syncInfoValue CHOICE carried by the Sync Info intermediate response. */
export function decodeSyncInfo(value: Buffer): SyncInfo {
  const reader = new BerReader(value);
  const tag = reader.peek();
  if (tag === 0x80) return { kind: 'newcookie', cookie: octets(reader, 0x80) };
  if (tag !== 0xa1 && tag !== 0xa2 && tag !== 0xa3) {
    throw new LdapDecodeError(
      `Sync Info message has an unknown choice 0x${(tag ?? 0).toString(16)}`,
    );
  }
  reader.readSequence(tag);
  const end = reader.offset + reader.length;
  const cookie =
    reader.offset < end && reader.peek() === Ber.OctetString ? octets(reader) : undefined;
  const flag = reader.offset < end && reader.peek() === Ber.Boolean ? reader.readBoolean() : null;
  const withCookie = cookie === undefined ? {} : { cookie };
  if (tag !== 0xa3) {
    const kind = tag === 0xa1 ? 'refreshDelete' : 'refreshPresent';
    return { kind, ...withCookie, refreshDone: flag ?? true };
  }
  reader.readSequence(0x31);
  const setEnd = reader.offset + reader.length;
  const uuids: Buffer[] = [];
  while (reader.offset < setEnd) uuids.push(octets(reader));
  return { kind: 'syncIdSet', ...withCookie, refreshDeletes: flag ?? false, uuids };
}

/** An entryUUID (16 bytes) in the text form OpenLDAP shows and the LDAP source uses as id. */
export function uuidText(bytes: Buffer): string | undefined {
  if (bytes.length !== 16) return undefined;
  const hex = bytes.toString('hex');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}

function octets(reader: BerReader, tag: number = Ber.OctetString): Buffer {
  const value = reader.readString(tag, true);
  if (value === null) throw new LdapDecodeError('Sync control value ends inside a value');
  return Buffer.from(value);
}
