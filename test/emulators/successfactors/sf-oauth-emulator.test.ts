/**
 * The emulator's `/oauth/token` holds to the SAML bearer grant: a token for a well-signed
 * assertion (Bearer, expires_in), SAP's error JSON for a wrong grant type, an unsigned or
 * altered assertion, a wrong audience or recipient; OData then takes only its live tokens.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';

import { signedAssertion } from '../../../src/connectors/successfactors/sf-assertion.ts';
import { startSfEmulator, type SfEmulator } from './successfactors-emulator.ts';

const NOW = new Date('2031-03-01T09:00:00Z');
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let sf: SfEmulator;
before(async () => {
  sf = await startSfEmulator({
    people: [],
    today: '2031-03-01',
    oauth: {
      clients: [{ clientId: 'CID', companyId: 'ACME', publicKey: keys.publicKey }],
      tokenTtlSeconds: 600,
      now: () => NOW,
    },
  });
});
after(() => sf.close());

const assertion = (over: { audience?: string; tokenUrl?: string } = {}) =>
  signedAssertion(
    { clientId: 'CID', userId: 'sfapi', tokenUrl: sf.tokenUrl, now: NOW, ...over },
    keys.privateKey,
  );

async function post(form: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(sf.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: await res.json() };
}

const grant = (a: string, over: Record<string, string> = {}) =>
  post({
    grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer',
    company_id: 'ACME',
    client_id: 'CID',
    assertion: a,
    ...over,
  });

const odata = (authorization?: string) =>
  fetch(`${sf.url}/PerPerson?$format=json`, {
    headers: authorization === undefined ? {} : { authorization },
  });

test('a signed assertion is exchanged for a bearer token that OData accepts', async () => {
  const { status, body } = await grant(assertion());
  assert.equal(status, 200);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 600);
  assert.equal((await odata(`Bearer ${body.access_token}`)).status, 200);
  assert.equal((await odata()).status, 401, 'no token');
  assert.equal((await odata('Bearer made-up')).status, 401, 'a token not granted here');
  sf.oauth!.expireTokens();
  assert.equal((await odata(`Bearer ${body.access_token}`)).status, 401, 'expired');
});

test('wrong grant type, unsigned or altered assertions are refused in SAP error JSON', async () => {
  let r = await grant(assertion(), { grant_type: 'password' });
  assert.equal(r.status, 400);
  assert.equal(r.body.errorHttpCode, '400');

  const xml = Buffer.from(assertion(), 'base64').toString('utf8');
  const altered = xml.replace('>sfapi<', '>admin<');
  assert.notEqual(altered, xml);
  r = await grant(Buffer.from(altered).toString('base64'));
  assert.equal(r.status, 401);
  assert.match(r.body.errorMessage, /Unable to verify the signature/);

  const unsigned = xml.replace(/<(ds:)?Signature[\s>][\s\S]*<\/(ds:)?Signature>/, '');
  assert.notEqual(unsigned, xml);
  r = await grant(Buffer.from(unsigned).toString('base64'));
  assert.match(r.body.errorMessage, /Unable to verify the signature/);
});

test('audience, recipient and client id are checked on the signed assertion', async () => {
  let r = await grant(assertion({ audience: 'example.org' }));
  assert.equal(r.status, 401);
  assert.match(r.body.errorMessage, /audience must be www\.successfactors\.com/);
  r = await grant(assertion({ tokenUrl: 'https://elsewhere.example/oauth/token' }));
  assert.match(r.body.errorMessage, /recipient must be/);
  r = await grant(assertion(), { client_id: 'OTHER' });
  assert.match(r.body.errorMessage, /No OAuth client .* OTHER/);
});
