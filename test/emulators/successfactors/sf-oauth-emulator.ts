/**
 * SuccessFactors `/oauth/token` for the emulator: the SAML 2.0 bearer grant as SAP documents
 * it. The form carries `grant_type=urn:ietf:params:oauth:grant-type:saml2-bearer`,
 * `company_id`, `client_id` and a base64 `assertion`; the assertion's signature is checked
 * against the public key registered for the client, then only what the signature covers is
 * read: issuer and `api_key` (the client id), audience `www.successfactors.com`, recipient (the
 * token URL), NotBefore / NotOnOrAfter against the emulator's clock, and the user. Refusals are
 * SAP's JSON `{"errorHttpCode","errorMessage"}`. Tokens live `tokenTtlSeconds`.
 */
import { randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { SignedXml } from 'xml-crypto';

export interface EmuOAuthClient {
  clientId: string;
  companyId: string;
  /** PEM public key (or certificate) registered with the client. */
  publicKey: string;
  /** Users the tokens may act as; any when absent. */
  users?: string[];
}

export interface EmuOAuthOptions {
  clients: EmuOAuthClient[];
  /** Default 86 400, as SuccessFactors gives. */
  tokenTtlSeconds?: number;
  /** The emulator's clock; default the wall clock. */
  now?: () => Date;
}

type Answer = { status: number; body: unknown };

const GRANT = 'urn:ietf:params:oauth:grant-type:saml2-bearer';
const AUDIENCE = 'www.successfactors.com';

export class EmuOAuth {
  readonly #options: EmuOAuthOptions;
  readonly #tokens = new Map<string, number>();
  /** Token requests answered, granted or not. */
  tokenRequests = 0;

  constructor(options: EmuOAuthOptions) {
    this.#options = options;
  }

  #now(): number {
    return (this.#options.now ?? (() => new Date()))().getTime();
  }

  /** Makes every token issued so far expired (as if a day went by). */
  expireTokens(): void {
    for (const token of this.#tokens.keys()) this.#tokens.set(token, 0);
  }

  /** Whether an `Authorization` header holds a token issued here and not yet expired. */
  valid(header: string | undefined): boolean {
    const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
    const until = token === undefined ? undefined : this.#tokens.get(token);
    return until !== undefined && this.#now() < until;
  }

  /** Answers one POST to `/oauth/token` at `tokenUrl` with its form body. */
  token(form: URLSearchParams, tokenUrl: string): Answer {
    this.tokenRequests += 1;
    if (form.get('grant_type') !== GRANT) {
      return refuse(400, `Unsupported grant_type: ${form.get('grant_type') ?? '(none)'}`);
    }
    const companyId = form.get('company_id') ?? '';
    const clientId = form.get('client_id') ?? '';
    if (!this.#options.clients.some((c) => c.companyId === companyId)) {
      return refuse(401, `Invalid company ID ${companyId}`);
    }
    const client = this.#options.clients.find(
      (c) => c.companyId === companyId && c.clientId === clientId,
    );
    if (client === undefined) {
      return refuse(401, `No OAuth client is registered with the API key ${clientId}`);
    }
    const xml = Buffer.from(form.get('assertion') ?? '', 'base64').toString('utf8');
    if (xml === '') return refuse(400, 'The assertion parameter is missing');

    const signed = verified(xml, client.publicKey);
    if (signed === undefined) {
      return refuse(
        401,
        'Unable to verify the signature of the SAML assertion: it must be signed and the key ' +
          'pair must match the client ID',
      );
    }
    const problem = this.#conditions(signed, client, tokenUrl);
    if (problem !== undefined) return refuse(401, problem);

    const ttl = this.#options.tokenTtlSeconds ?? 86_400;
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, this.#now() + ttl * 1000);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: ttl } };
  }

  #conditions(a: SignedAssertion, client: EmuOAuthClient, tokenUrl: string): string | undefined {
    const now = this.#now();
    if (a.issuer !== client.clientId && a.apiKey !== client.clientId) {
      return 'The SAML assertion was issued for another client';
    }
    if (a.audience !== AUDIENCE) return `The SAML assertion audience must be ${AUDIENCE}`;
    if (a.recipient !== tokenUrl) return `The SAML assertion recipient must be ${tokenUrl}`;
    if (!(Date.parse(a.notBefore) <= now)) return 'The SAML assertion is not yet valid';
    if (!(now < Date.parse(a.notOnOrAfter))) return 'The SAML assertion has expired';
    if (a.user === '' || (client.users !== undefined && !client.users.includes(a.user))) {
      return 'Unable to authenticate (Login failed - invalid user)';
    }
    return undefined;
  }
}

interface SignedAssertion {
  issuer: string;
  apiKey: string;
  user: string;
  audience: string;
  recipient: string;
  notBefore: string;
  notOnOrAfter: string;
}

/**
 * The assertion as its signature covers it, or undefined when unsigned, signed by another
 * key, or when the signature covers something other than the whole assertion.
 */
function verified(xml: string, publicKey: string): SignedAssertion | undefined {
  // The emulator takes the one ds:Signature; a real IdP would resolve it by reference.
  const signature = /<(\w+:)?Signature[\s>][\s\S]*?<\/\1?Signature>/.exec(xml)?.[0];
  if (signature === undefined) return undefined;
  let covered: string | undefined;
  try {
    const check = new SignedXml({ publicCert: publicKey, getCertFromKeyInfo: () => null });
    check.loadSignature(signature);
    if (!check.checkSignature(xml)) return undefined;
    covered = check.getSignedReferences()[0];
  } catch {
    return undefined;
  }
  if (covered === undefined) return undefined;

  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    removeNSPrefix: true,
  });
  const a = (parser.parse(covered) as { Assertion?: Record<string, any> }).Assertion;
  if (a === undefined) return undefined;
  const text = (v: unknown) => (typeof v === 'object' && v !== null ? (v as any)['#text'] : v);
  const attributes = [a.AttributeStatement?.Attribute ?? []].flat();
  return {
    issuer: String(text(a.Issuer) ?? ''),
    apiKey: String(
      text(attributes.find((x: any) => x['@Name'] === 'api_key')?.AttributeValue) ?? '',
    ),
    user: String(text(a.Subject?.NameID) ?? '').trim(),
    audience: String(text(a.Conditions?.AudienceRestriction?.Audience) ?? ''),
    recipient: String(
      a.Subject?.SubjectConfirmation?.SubjectConfirmationData?.['@Recipient'] ?? '',
    ),
    notBefore: String(a.Conditions?.['@NotBefore'] ?? ''),
    notOnOrAfter: String(a.Conditions?.['@NotOnOrAfter'] ?? ''),
  };
}

function refuse(status: number, errorMessage: string): Answer {
  return { status, body: { errorHttpCode: String(status), errorMessage } };
}
