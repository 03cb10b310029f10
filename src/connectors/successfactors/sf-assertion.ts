/**
 * The SAML 2.0 bearer assertion SuccessFactors exchanges for an OAuth access token at
 * `/oauth/token` (RFC 7522 profile, as SAP's OData API guide describes it): issued by the
 * OAuth client (its API key), for the user named in `NameID`, for the audience
 * `www.successfactors.com`, with the token URL as the bearer confirmation's recipient, valid a
 * few minutes, and signed with RSA-SHA256 by the private key whose certificate is registered
 * with the OAuth client. Signed here, not by SAP's `/oauth/idp`: that endpoint would need the
 * private key sent over the wire, and the key should never leave this host.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';

import { CallsignError, ErrorCode } from '../../core/errors.ts';

export const SF_AUDIENCE = 'www.successfactors.com';

/** How long an assertion stays valid; SAP only needs it for the token exchange. */
const LIFETIME_MS = 5 * 60_000;

export interface AssertionInput {
  clientId: string;
  userId: string;
  tokenUrl: string;
  audience?: string;
  now: Date;
}

/** The signed assertion, base64 as the `assertion` form field of `/oauth/token` wants it. */
export function signedAssertion(input: AssertionInput, privateKeyPem: string): string {
  const key = readPrivateKey(privateKeyPem);
  const signer = new SignedXml({
    privateKey: key,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  signer.addReference({
    xpath: "/*[local-name(.)='Assertion']",
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
  });
  // The SAML schema puts ds:Signature right after saml:Issuer.
  try {
    signer.computeSignature(assertionXml(input), {
      location: {
        reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']",
        action: 'after',
      },
    });
  } catch (err) {
    throw keyError('cannot sign RSA-SHA256', err);
  }
  return Buffer.from(signer.getSignedXml(), 'utf8').toString('base64');
}

/** The unsigned assertion; every value embedded is XML-escaped. */
function assertionXml(input: AssertionInput): string {
  const now = input.now.getTime();
  const at = (ms: number) => new Date(ms).toISOString();
  const id = `_${randomUUID()}`;
  const until = at(now + LIFETIME_MS);
  const audience = esc(input.audience ?? SF_AUDIENCE);
  return [
    `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}"`,
    ` IssueInstant="${at(now)}" Version="2.0">`,
    `<saml2:Issuer>${esc(input.clientId)}</saml2:Issuer>`,
    '<saml2:Subject>',
    '<saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">',
    `${esc(input.userId)}</saml2:NameID>`,
    '<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">',
    `<saml2:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${esc(input.tokenUrl)}"/>`,
    '</saml2:SubjectConfirmation>',
    '</saml2:Subject>',
    `<saml2:Conditions NotBefore="${at(now)}" NotOnOrAfter="${until}">`,
    `<saml2:AudienceRestriction><saml2:Audience>${audience}</saml2:Audience>`,
    '</saml2:AudienceRestriction>',
    '</saml2:Conditions>',
    `<saml2:AuthnStatement AuthnInstant="${at(now)}" SessionIndex="${id}">`,
    '<saml2:AuthnContext><saml2:AuthnContextClassRef>',
    'urn:oasis:names:tc:SAML:2.0:ac:classes:PreviousSession',
    '</saml2:AuthnContextClassRef></saml2:AuthnContext>',
    '</saml2:AuthnStatement>',
    '<saml2:AttributeStatement>',
    `<saml2:Attribute Name="api_key"><saml2:AttributeValue>${esc(input.clientId)}`,
    '</saml2:AttributeValue></saml2:Attribute>',
    '</saml2:AttributeStatement>',
    '</saml2:Assertion>',
  ].join('');
}

/** Parses the PEM first so a wrong file fails with a message that does not quote it. */
function readPrivateKey(pem: string): string {
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch (err) {
    throw keyError('is not a PEM private key', err);
  }
  // Node would sign with an EC key whatever algorithm is named: SAP verifies RSA-SHA256 only.
  if (type !== 'rsa') throw keyError(`is a ${type ?? 'non-RSA'} key, not RSA`, undefined);
  return pem;
}

function keyError(what: string, err: unknown): CallsignError {
  return new CallsignError(
    ErrorCode.Auth,
    `successfactors: auth.oauth.privateKey ${what} (value not shown)`,
    { retryable: false, details: { field: 'auth.oauth.privateKey', reason: codeOf(err) } },
  );
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'unreadable';
}

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
