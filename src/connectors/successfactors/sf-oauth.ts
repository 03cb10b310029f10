/**
 * Access tokens for SuccessFactors OAuth 2.0 with a SAML bearer assertion: the assertion is
 * signed here (sf-assertion.ts) and POSTed to `/oauth/token` with
 * `grant_type=urn:ietf:params:oauth:grant-type:saml2-bearer`, the company and the client id.
 * The token is kept until a minute before `expires_in` runs out. SAP's refusals carry only a
 * sentence (`{"errorHttpCode","errorMessage"}`), so the sentence is read to name the setting
 * to check.
 */
import type { SfOAuthConfig } from '../../core/config-hr-api.ts';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { fetchFailureReason } from '../hr/hr-api.ts';
import { signedAssertion } from './sf-assertion.ts';

const GRANT = 'urn:ietf:params:oauth:grant-type:saml2-bearer';

/** Renewed this long before the server's expiry, so a page never starts on a dying token. */
const MARGIN_MS = 60_000;

export class SfTokenSource {
  readonly #config: SfOAuthConfig;
  readonly #privateKey: string;
  readonly #clock: () => Date;
  readonly #timeoutMs: number;
  #cached: { token: string; until: number } | undefined;

  constructor(
    config: SfOAuthConfig,
    options: { privateKey: string; clock: () => Date; timeoutMs: number },
  ) {
    this.#config = config;
    this.#privateKey = options.privateKey;
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs;
  }

  /** A valid access token: the cached one, or a new one when asked to `renew` or it ran out. */
  async token(options: { renew?: boolean; signal?: AbortSignal } = {}): Promise<string> {
    const now = this.#clock().getTime();
    if (options.renew !== true && this.#cached !== undefined && now < this.#cached.until) {
      return this.#cached.token;
    }
    this.#cached = undefined;

    const answer = await this.#request(now, options.signal);
    const ttlMs = Math.max(0, Number(answer.expires_in ?? 0) * 1000 - MARGIN_MS);
    this.#cached = { token: answer.access_token, until: now + ttlMs };
    return answer.access_token;
  }

  async #request(
    now: number,
    signal: AbortSignal | undefined,
  ): Promise<{ access_token: string; expires_in?: unknown }> {
    const c = this.#config;
    const assertion = signedAssertion(
      { clientId: c.clientId, userId: c.userId, tokenUrl: c.tokenUrl, now: new Date(now) },
      this.#privateKey,
    );
    const form = new URLSearchParams({
      grant_type: GRANT,
      company_id: c.companyId,
      client_id: c.clientId,
      assertion,
    });
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let res: Response;
    try {
      res = await fetch(c.tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (err) {
      const reason = fetchFailureReason(err);
      throw new CallsignError(ErrorCode.Unavailable, `successfactors: token request: ${reason}`);
    }

    const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (res.ok && typeof body?.access_token === 'string' && body.access_token !== '') {
      return body as { access_token: string; expires_in?: unknown };
    }
    throw tokenError(res.status, body);
  }
}

/** SAP's refusal as an `auth` error naming the setting its sentence points at. */
function tokenError(status: number, body: Record<string, unknown> | undefined): CallsignError {
  const said = typeof body?.errorMessage === 'string' ? body.errorMessage : '';
  const message = `successfactors: token request HTTP ${status}${said === '' ? '' : `: ${said}`}`;
  if (status >= 500 || status === 429) {
    return new CallsignError(ErrorCode.Unavailable, message, { details: { status } });
  }
  const field = fieldOf(said);
  const hint = field === undefined ? '' : ` (check ${field})`;
  return new CallsignError(ErrorCode.Auth, `${message}${hint}`, {
    retryable: false,
    details: { status, ...(field === undefined ? {} : { field }) },
  });
}

/** Which setting a token refusal is about, from the words SAP uses. */
function fieldOf(said: string): string | undefined {
  if (/signature|key pair/i.test(said)) return 'auth.oauth.privateKey';
  if (/expired|not yet valid|NotBefore|NotOnOrAfter/i.test(said)) {
    return 'auth.oauth (assertion validity: this host clock)';
  }
  // SAP's unknown-user sentence also says "client", so the user is looked for first.
  if (/\buser\b/i.test(said)) return 'auth.oauth.userId';
  if (/client|api key/i.test(said)) return 'auth.oauth.clientId';
  if (/company/i.test(said)) return 'auth.oauth.companyId';
  if (/recipient|audience/i.test(said)) return 'auth.oauth.tokenUrl';
  return undefined;
}
