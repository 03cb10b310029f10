/**
 * The SuccessFactors source with OAuth 2.0 SAML bearer against the emulator's `/oauth/token`:
 * people are read with one token for every page, a token expired on the server is renewed once,
 * a token near its `expires_in` is renewed before use, and a wrong key, an unknown client, an
 * unknown user and a skewed clock are `auth` errors naming the setting to check, with the
 * private key in no error and no log line.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { pino } from 'pino';

import {
  API_ATTRIBUTES,
  type SfOAuthConfig,
  type SuccessFactorsSourceConfig,
} from '../../core/config-hr-api.ts';
import { CallsignError } from '../../core/errors.ts';
import {
  startSfEmulator,
  type EmuPerson,
  type SfEmulator,
} from '../../../test/emulators/successfactors/successfactors-emulator.ts';
import { SuccessFactorsSource } from './successfactors-source.ts';

const TODAY = '2031-03-01';
let now = new Date(`${TODAY}T09:00:00Z`);

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const other = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

function person(id: string): EmuPerson {
  return {
    personIdExternal: id,
    personal: [{ startDate: '2020-01-01', firstName: `Ann ${id}`, lastName: 'Person' }],
    emails: [{ address: `${id.toLowerCase()}@example.org`, primary: true }],
    employments: [
      {
        startDate: '2029-05-01',
        userId: `u${id}`,
        jobs: [{ startDate: '2029-05-01', emplStatus: 'A', employeeClass: '1' }],
      },
    ],
  };
}

let sf: SfEmulator;
before(async () => {
  sf = await startSfEmulator({
    people: Array.from({ length: 120 }, (_, i) => person(`P${1000 + i}`)),
    today: TODAY,
    oauth: {
      clients: [
        { clientId: 'Q2FsbHNpZ24', companyId: 'ACME', publicKey: keys.publicKey, users: ['sfapi'] },
      ],
      tokenTtlSeconds: 3_600,
      now: () => now,
    },
  });
});
after(() => sf.close());

function source(
  over: Partial<SfOAuthConfig> = {},
  options: { key?: string; clock?: () => Date; lines?: string[]; url?: string } = {},
): SuccessFactorsSource {
  const oauth: SfOAuthConfig = {
    clientId: 'Q2FsbHNpZ24',
    companyId: 'ACME',
    userId: 'sfapi',
    privateKey: 'file:/etc/callsign/sf.pem',
    tokenUrl: sf.tokenUrl,
    ...over,
  };
  const config: SuccessFactorsSourceConfig = {
    name: 'sf',
    type: 'successfactors',
    url: options.url ?? sf.url,
    auth: { oauth },
    statuses: { active: ['A'], leave: ['U'], terminated: ['T'] },
    pageSize: 50,
    timeoutMs: 5_000,
    countryAliases: {},
    workerTypes: { '1': 'employee' },
    provisionDaysBeforeStart: 0,
    attributes: { ...API_ATTRIBUTES },
  };
  const lines = options.lines ?? [];
  const log = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return new SuccessFactorsSource(config, {
    secret: options.key ?? keys.privateKey,
    clock: options.clock ?? (() => now),
    backoffMs: 1,
    attempts: 2,
    log,
  });
}

/** The read's refusal, checked to be an `auth` error. */
async function refusal(src: SuccessFactorsSource): Promise<CallsignError> {
  const err = await src.readAll().then(
    () => assert.fail('the read should be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CallsignError, String(err));
  assert.equal(err.code, 'auth', err.message);
  return err;
}

test('people are read with an OAuth SAML bearer token, one token for all pages', async () => {
  const asked = sf.oauth!.tokenRequests;
  sf.requests.length = 0;
  const snap = await source().readAll();
  assert.equal(snap.complete, true);
  assert.equal(snap.records.length, 120);
  assert.equal(sf.requests.filter((r) => r.startsWith('/odata/v2/PerPerson')).length, 3);
  assert.equal(sf.oauth!.tokenRequests - asked, 1);
});

test('a token expired on the server is renewed once and the read goes on', async () => {
  const src = source();
  await src.readAll();
  const asked = sf.oauth!.tokenRequests;
  sf.oauth!.expireTokens();
  const snap = await src.readAll();
  assert.equal(snap.complete, true);
  assert.equal(snap.records.length, 120);
  assert.equal(sf.oauth!.tokenRequests - asked, 1, 'one new token, not one per page');
});

test('a token refused again right after renewal is an auth error, renewed only once', async () => {
  // Tokens that expire as they are granted: every OData call answers 401.
  const dead = await startSfEmulator({
    people: [person('P1')],
    today: TODAY,
    oauth: {
      clients: [{ clientId: 'Q2FsbHNpZ24', companyId: 'ACME', publicKey: keys.publicKey }],
      tokenTtlSeconds: 0,
      now: () => now,
    },
  });
  try {
    const src = source({ tokenUrl: dead.tokenUrl }, { url: dead.url });
    const err = await refusal(src);
    assert.match(err.message, /HTTP 401/);
    assert.equal(dead.oauth!.tokenRequests, 2, 'the first token and one renewal');
  } finally {
    await dead.close();
  }
});

test('a token close to its expires_in is renewed before use, not after a 401', async () => {
  const start = now;
  const src = source();
  try {
    await src.readAll();
    const asked = sf.oauth!.tokenRequests;
    sf.requests.length = 0;
    now = new Date(start.getTime() + 3_550_000);
    await src.readAll();
    assert.equal(sf.oauth!.tokenRequests - asked, 1);
    assert.equal(sf.requests.filter((r) => r.startsWith('/odata')).length, 3, 'no page refused');
  } finally {
    now = start;
  }
});

test('a key not matching the registered certificate names auth.oauth.privateKey', async () => {
  const err = await refusal(source({}, { key: other.privateKey }));
  assert.match(err.message, /HTTP 401: Unable to verify the signature/);
  assert.match(err.message, /check auth\.oauth\.privateKey/);
  assert.equal(err.details.field, 'auth.oauth.privateKey');
});

test('an unknown client and an unknown user name their fields', async () => {
  let err = await refusal(source({ clientId: 'NotRegistered' }));
  assert.match(err.message, /API key NotRegistered.*check auth\.oauth\.clientId/);
  err = await refusal(source({ userId: 'nobody' }));
  assert.equal(err.details.field, 'auth.oauth.userId');
  err = await refusal(source({ companyId: 'OTHER' }));
  assert.equal(err.details.field, 'auth.oauth.companyId');
});

test('an assertion from a skewed clock is refused as expired or not yet valid', async () => {
  const behind = () => new Date(now.getTime() - 10 * 60_000);
  let err = await refusal(source({}, { clock: behind }));
  assert.match(
    err.message,
    /has expired.*check auth\.oauth \(assertion validity: this host clock\)/,
  );
  const ahead = () => new Date(now.getTime() + 10 * 60_000);
  err = await refusal(source({}, { clock: ahead }));
  assert.match(err.message, /not yet valid/);
  assert.match(String(err.details.field), /clock/);
});

test('the private key is in no error and no log line', async () => {
  const body = (pem: string) => pem.split('\n').filter((l) => l.length === 64);
  const secrets = [...body(keys.privateKey), ...body(other.privateKey)];
  const lines: string[] = [];
  const seen: string[] = [];
  const keep = (err: CallsignError) =>
    seen.push(err.message, JSON.stringify(err), String(err.stack), String(err.cause ?? ''));

  await source({}, { lines }).readAll();
  keep(await refusal(source({}, { key: other.privateKey, lines })));
  keep(await refusal(source({ clientId: 'x' }, { lines })));
  const broken = keys.privateKey.replace(/\n[A-Za-z0-9+/]{64}\n/, '\n!!notbase64!!\n');
  const err = await refusal(source({}, { key: broken, lines }));
  assert.equal(err.details.field, 'auth.oauth.privateKey');
  assert.match(err.message, /not a PEM private key \(value not shown\)/);
  keep(err);

  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const ecErr = await refusal(source({}, { key: ecPem, lines }));
  assert.match(ecErr.message, /auth\.oauth\.privateKey is a ec key, not RSA/);
  keep(ecErr);
  secrets.push(...body(ecPem));

  assert.ok(lines.length > 0, 'the reads logged');
  for (const text of [...lines, ...seen]) {
    for (const piece of secrets) assert.ok(!text.includes(piece), 'a key line leaked');
    assert.ok(!text.includes('PRIVATE KEY'), 'a PEM header leaked');
  }
});
