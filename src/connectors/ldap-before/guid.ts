/**
 * Active Directory's objectGUID is 16 bytes whose first three fields are little-endian (the
 * Windows GUID layout). Its canonical text swaps those bytes: `qCA1tC6bk0ah2O8f/VhkWA==` is
 * `b43520a8-9b2e-4693-a1d8-ef1ffd586458`, not `a82035b4-…`.
 */

/** Canonical lower-case text of an objectGUID; undefined unless it is exactly 16 bytes. */
export function guidToString(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 16) return undefined;

  const hex = (order: number[]) =>
    order.map((i) => bytes[i]!.toString(16).padStart(2, '0')).join('');
  return [
    hex([3, 2, 1, 0]),
    hex([5, 4]),
    hex([7, 6]),
    hex([8, 9]),
    hex([10, 11, 12, 13, 14, 15]),
  ].join('-');
}

/** The 16 bytes of a canonical GUID string, as stored in objectGUID; undefined if malformed. */
export function guidToBytes(guid: string): Buffer | undefined {
  if (!UUID.test(guid)) return undefined;

  const plain = Buffer.from(guid.replaceAll('-', ''), 'hex');
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Buffer.from(order.map((i) => plain[i]!));
}

/** True for a UUID in its 8-4-4-4-12 hex text form (entryUUID, canonical objectGUID). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
