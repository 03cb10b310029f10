/**
 * Decoding of the LDAP responses a Content Sync search receives (RFC 4511 §4.1.1, §4.2, §4.5.2,
 * §4.13): bind and extended results, search entries with their controls, intermediate responses
 * and the final search result. Requests are written with ldapts's public message classes;
 * ldapts's own parser cannot be used for responses because it rejects IntermediateResponse and
 * drops controls it does not know.
 */
import { Ber, BerReader } from 'ldapts';

/** One response control: its OID and raw value. */
export interface ResponseControl {
  type: string;
  critical: boolean;
  value: Buffer;
}

export interface LdapResult {
  resultCode: number;
  matchedDn: string;
  diagnostic: string;
}

export type LdapResponse =
  | {
      kind: 'entry';
      messageId: number;
      dn: Buffer;
      attributes: Map<string, Buffer[]>;
      controls: ResponseControl[];
    }
  | {
      kind: 'intermediate';
      messageId: number;
      name?: string;
      value?: Buffer;
      controls: ResponseControl[];
    }
  | { kind: 'reference'; messageId: number; controls: ResponseControl[] }
  | {
      kind: 'result';
      op: number;
      messageId: number;
      result: LdapResult;
      controls: ResponseControl[];
    }
  | {
      kind: 'notice';
      messageId: number;
      result: LdapResult;
      name?: string;
      controls: ResponseControl[];
    };

/** Protocol operation tags of the responses (RFC 4511 Appendix B). */
export const Op = {
  bindResponse: 0x61,
  searchResultEntry: 0x64,
  searchResultDone: 0x65,
  searchResultReference: 0x73,
  extendedResponse: 0x78,
  intermediateResponse: 0x79,
} as const;

/** Thrown for bytes that are not a well-formed LDAP message. */
export class LdapDecodeError extends Error {}

/**
 * Splits complete LDAPMessage frames off the front of `buffer`. Returns the frames and the
 * unconsumed rest (a partial frame waiting for more bytes).
 */
export function splitFrames(buffer: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const size = frameSize(buffer, offset);
    if (size === undefined || buffer.length - offset < size) break;
    frames.push(buffer.subarray(offset, offset + size));
    offset += size;
  }
  return { frames, rest: buffer.subarray(offset) };
}

/** Size of the frame starting at offset (tag, length, content), or undefined if incomplete. */
function frameSize(buffer: Buffer, offset: number): number | undefined {
  if (buffer.length - offset < 2) return undefined;
  if (buffer[offset] !== 0x30)
    throw new LdapDecodeError('LDAP message does not start with a SEQUENCE');
  const first = buffer[offset + 1]!;
  if ((first & 0x80) === 0) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4) throw new LdapDecodeError('LDAP message length is not usable');
  if (buffer.length - offset < 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + buffer[offset + 2 + i]!;
  return 2 + count + length;
}

/** Decodes one complete LDAPMessage frame. */
export function decodeMessage(frame: Buffer): LdapResponse {
  const reader = new BerReader(frame);
  try {
    reader.readSequence(0x30);
    const messageId = required(reader.readInt(), 'messageID');
    const op = required(reader.readSequence(), 'protocolOp');
    const end = reader.offset + reader.length;
    const response = decodeOp(op, messageId, reader, end);
    reader.offset = end;
    if (reader.remain > 0 && reader.peek() === 0xa0) response.controls = decodeControls(reader);
    return response;
  } catch (err) {
    if (err instanceof LdapDecodeError) throw err;
    throw new LdapDecodeError(`Malformed LDAP message: ${(err as Error).message}`);
  }
}

function decodeOp(op: number, messageId: number, reader: BerReader, end: number): LdapResponse {
  switch (op) {
    case Op.searchResultEntry:
      return { kind: 'entry', messageId, ...decodeEntry(reader), controls: [] };
    case Op.intermediateResponse: {
      const out: LdapResponse = { kind: 'intermediate', messageId, controls: [] };
      if (reader.offset < end && reader.peek() === 0x80)
        out.name = text(reader.readString(0x80, true));
      if (reader.offset < end && reader.peek() === 0x81)
        out.value = bytes(reader.readString(0x81, true));
      return out;
    }
    case Op.searchResultReference:
      return { kind: 'reference', messageId, controls: [] };
    case Op.bindResponse:
    case Op.searchResultDone:
      return { kind: 'result', op, messageId, result: decodeResult(reader), controls: [] };
    case Op.extendedResponse: {
      const result = decodeResult(reader);
      // messageID 0 is an unsolicited notification (RFC 4511 §4.4), e.g. Notice of Disconnection.
      if (messageId === 0) {
        skipTo(reader, end, 0x8a);
        const name = reader.offset < end ? text(reader.readString(0x8a, true)) : undefined;
        return { kind: 'notice', messageId, result, ...(name ? { name } : {}), controls: [] };
      }
      return { kind: 'result', op, messageId, result, controls: [] };
    }
    default:
      throw new LdapDecodeError(`Unexpected LDAP operation 0x${op.toString(16)}`);
  }
}

function decodeEntry(reader: BerReader): { dn: Buffer; attributes: Map<string, Buffer[]> } {
  const dn = bytes(reader.readString(Ber.OctetString, true));
  const attributes = new Map<string, Buffer[]>();
  reader.readSequence(0x30);
  const end = reader.offset + reader.length;
  while (reader.offset < end) {
    reader.readSequence(0x30);
    const type = text(reader.readString(Ber.OctetString, true));
    reader.readSequence(0x31);
    const setEnd = reader.offset + reader.length;
    const values: Buffer[] = [];
    while (reader.offset < setEnd) values.push(bytes(reader.readString(Ber.OctetString, true)));
    attributes.set(type, values);
  }
  return { dn, attributes };
}

function decodeResult(reader: BerReader): LdapResult {
  const resultCode = required(reader.readEnumeration(), 'resultCode');
  const matchedDn = text(reader.readString(Ber.OctetString, true));
  const diagnostic = text(reader.readString(Ber.OctetString, true));
  return { resultCode, matchedDn, diagnostic };
}

/** Reads the Controls ([0] SEQUENCE OF Control) that follow a protocol operation. */
function decodeControls(reader: BerReader): ResponseControl[] {
  reader.readSequence(0xa0);
  const end = reader.offset + reader.length;
  const controls: ResponseControl[] = [];
  while (reader.offset < end) {
    reader.readSequence(0x30);
    const controlEnd = reader.offset + reader.length;
    const type = text(reader.readString(Ber.OctetString, true));
    let critical = false;
    if (reader.offset < controlEnd && reader.peek() === Ber.Boolean) {
      critical = reader.readBoolean() ?? false;
    }
    let value: Buffer = Buffer.alloc(0);
    if (reader.offset < controlEnd) value = bytes(reader.readString(Ber.OctetString, true));
    reader.offset = controlEnd;
    controls.push({ type, critical, value });
  }
  return controls;
}

/** Skips elements until one with `tag` (or the end). */
function skipTo(reader: BerReader, end: number, tag: number): void {
  while (reader.offset < end && reader.peek() !== tag) {
    reader.readSequence();
    reader.offset += reader.length;
  }
}

function required<T>(value: T | null, what: string): T {
  if (value === null) throw new LdapDecodeError(`LDAP message is missing its ${what}`);
  return value;
}

function bytes(value: Buffer | null): Buffer {
  if (value === null) throw new LdapDecodeError('LDAP message ends inside a value');
  return Buffer.from(value);
}

function text(value: Buffer | null): string {
  return bytes(value).toString('utf8');
}
