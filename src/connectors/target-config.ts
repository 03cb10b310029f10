/**
 * Small pieces every target connector takes from its configuration the same way: its pace and
 * the CA file of its TLS connections.
 */
import { readFileSync } from 'node:fs';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { TargetPace } from './types.ts';

/** The pace a target declares to the executor, from `concurrency` and `ratePerSecond`. */
export function paceOf(config: { concurrency: number; ratePerSecond?: number }): TargetPace {
  return config.ratePerSecond === undefined
    ? { concurrency: config.concurrency }
    : { concurrency: config.concurrency, ratePerSecond: config.ratePerSecond };
}

/** Reads the CA file a target's `tlsCa` names, as a config error naming the field. */
export function readCa(config: { name: string; tlsCa?: string }): string {
  try {
    return readFileSync(config.tlsCa ?? '', 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CallsignError(ErrorCode.Config, `targets.${config.name}.tlsCa: ${reason}`);
  }
}

/** Node's codes for a server certificate the client does not trust, or no TLS at all. */
const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/**
 * When a connection failed because the server's certificate is not trusted (or it does not
 * speak TLS), a sentence saying so and what to do; undefined for other failures. Such a failure
 * is a configuration matter: retrying cannot help, and Callsign never tries plain HTTP instead.
 */
export function tlsTrustProblem(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_TRUST_CODES.has(code)) {
      if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO') {
        return `the server did not answer in TLS (${e.message}); check the https:// url`;
      }
      return (
        `its TLS certificate is not trusted (${code}: ${e.message}); set tlsCa to the PEM ` +
        'file of the CA that signed it'
      );
    }
    e = e.cause;
  }
  return undefined;
}

/** A change or read for a resource type the target does not take: refused, naming the types. */
export function unknownResourceType(
  target: { name: string; resourceTypes: readonly string[] },
  type: string,
): CallsignError {
  const known = target.resourceTypes.join(', ');
  return new CallsignError(
    ErrorCode.Rejected,
    `Target '${target.name}' has no resource type '${type}' (${known})`,
    { details: { target: target.name, type } },
  );
}
