/**
 * Bearer tokens and per-token rate limits for the API and SCIM. Order of refusals: no or bad
 * token (401), too many requests (429), scope too small (403), so a caller learns nothing about
 * scopes without a valid token.
 */
import { HttpError, HttpErrorCode } from './http-errors.ts';
import { scopeAllows, type TokenInfo, type TokenScope, type TokenStore } from './token-store.ts';

/** A token bucket per key: `perMinute` requests, refilled evenly, bursts up to a minute's worth. */
export class RateLimiter {
  readonly #perMinute: number;
  readonly #clock: () => Date;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(perMinute: number, clock: () => Date = () => new Date()) {
    this.#perMinute = perMinute;
    this.#clock = clock;
  }

  /** Takes one request; returns 0, or the seconds to wait before the next one is allowed. */
  take(key: string): number {
    const now = this.#clock().getTime();
    const ratePerMs = this.#perMinute / 60_000;
    const bucket = this.#buckets.get(key) ?? { tokens: this.#perMinute, at: now };
    const refill = Math.max(0, now - bucket.at) * ratePerMs;
    bucket.tokens = Math.min(this.#perMinute, bucket.tokens + refill);
    bucket.at = now;
    this.#buckets.set(key, bucket);

    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000));
  }
}

/** Checks the Authorization header; throws the 401, 429 or 403 to answer. */
export async function authorize(o: {
  header: string | undefined;
  need: TokenScope;
  tokens: TokenStore;
  limiter: RateLimiter;
}): Promise<TokenInfo> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(o.header ?? '');
  if (!match) throw unauthorized('A bearer token is required', 'invalid_request');
  const token = await o.tokens.verify(match[1]!);
  if (token === undefined) throw unauthorized('The token is unknown or revoked', 'invalid_token');

  const wait = o.limiter.take(token.name);
  if (wait > 0) {
    throw new HttpError({
      status: 429,
      code: HttpErrorCode.TooManyRequests,
      message: `Token '${token.name}' is over its rate limit; retry in ${wait} s`,
      headers: { 'Retry-After': String(wait) },
    });
  }
  if (!scopeAllows(token.scope, o.need)) {
    throw new HttpError({
      status: 403,
      code: HttpErrorCode.Forbidden,
      message: `Token '${token.name}' has scope ${token.scope}; this needs ${o.need}`,
      details: { scope: token.scope, needs: o.need },
    });
  }
  return token;
}

// RFC 6750 §3: the challenge names the scheme and, for a bad token, the error.
function unauthorized(message: string, error: string): HttpError {
  return new HttpError({
    status: 401,
    code: HttpErrorCode.Unauthorized,
    message,
    headers: { 'WWW-Authenticate': `Bearer realm="callsign", error="${error}"` },
  });
}
