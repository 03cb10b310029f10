/**
 * The `Callsign-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256>` where the HMAC is
 * taken with the webhook's secret over the bytes `<t>.<body>`. Signing the timestamp with the
 * body lets a receiver refuse a replayed request by its age; `v1` names the scheme so a later
 * one can be added beside it without breaking receivers.
 *
 * A receiver verifies like this (any language):
 *   1. split the header on `,`; take `t` and every `v1` value;
 *   2. compute hex(HMAC-SHA256(secret, t + '.' + rawBody)) over the raw body bytes, before any
 *      JSON parsing;
 *   3. compare it to a `v1` value in constant time; refuse when none matches;
 *   4. refuse when |now - t| exceeds a tolerance (this module's default: 300 s).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header name, as sent. */
export const SIGNATURE_HEADER = 'Callsign-Signature';

/** Default largest age, in seconds, of a signature `verifySignature` accepts. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** The header value for `body` signed at `at`. */
export function signatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${hmacHex(secret, `${t}.${body}`)}`;
}

/** What `verifySignature` checks against. */
export interface VerifyOptions {
  secret: string;
  /** The header value as received. */
  header: string | undefined;
  /** The raw body as received. */
  body: string;
  now: Date;
  toleranceSeconds?: number;
}

/** True when the header is well formed, fresh, and signed with the secret over this body. */
export function verifySignature(o: VerifyOptions): boolean {
  if (o.header === undefined) return false;
  const parts = o.header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k, v]) => k === 'v1' && v !== undefined).map(([, v]) => v!);
  if (t === undefined || !/^\d+$/.test(t) || signatures.length === 0) return false;

  const age = Math.abs(o.now.getTime() / 1000 - Number(t));
  if (age > (o.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS)) return false;

  const expected = Buffer.from(hmacHex(o.secret, `${t}.${o.body}`), 'hex');
  return signatures.some((sig) => {
    const given = Buffer.from(sig, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}
