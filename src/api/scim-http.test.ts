/**
 * SCIM over real HTTP: `startServer` on 127.0.0.1:0 with the SCIM service of a temporary SQLite
 * engine, called with fetch the way Entra calls it: create, PATCH with capitalised ops and a
 * "False" string, a filtered GET, DELETE; plus the refusals a client sees before the handler
 * (401 without a token, 413 for an oversize body), both in the SCIM Error schema.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import pino from 'pino';

import { loadConfig } from '../core/config.ts';
import { openEngine, storeUrl, type Engine } from '../engine/engine.ts';
import { scimDepsForEngine } from '../scim/engine-wiring.ts';
import { createScimHandler } from '../scim/scim-handler.ts';
import { startServer, type RunningServer } from './server.ts';
import { TokenStore } from './token-store.ts';

const CONFIG = `
store: sqlite:./callsign.db
secretKey: file:./secret.key
correlation: [userName]
sources:
  - name: entra
    type: scim
    attributes:
      userName: userName
      displayName: displayName
      mail: emails[type eq "work"].value
targets:
  - { name: pbx, type: "null" }
pools:
  ext: { kind: extension, range: { start: '5000', end: '5099' }, quarantineDays: 30 }
profiles:
  phone:
    resources:
      - target: pbx
        type: sip-subscriber
        key: '{{numbers.extension}}'
        attributes: { displayName: '{{person.displayName}}' }
rules:
  - name: everyone
    when: person.userName != ""
    profile: phone
    numbers: { extension: ext }
`;
const MAX_BODY = 4096;
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('SCIM over HTTP', () => {
  let dir: string;
  let engine: Engine;
  let tokens: TokenStore;
  let server: RunningServer;
  let bearer: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callsign-scim-http-'));
    const file = join(dir, 'callsign.yaml');
    await writeFile(file, CONFIG);
    engine = await openEngine(loadConfig(file), { log: pino({ level: 'silent' }), actor: 'test' });
    tokens = TokenStore.open(storeUrl(engine.config.store, dir));
    bearer = (await tokens.create({ name: 'entra', scope: 'write', actor: 'test' })).token;
    server = await startServer(engine, {
      api: { host: '127.0.0.1', port: 0, maxBodyBytes: MAX_BODY },
      poll: false,
      scim: ({ engine: e, onQueued }) => {
        // As `callsign serve` wires it: the executor wakes once a plan is journaled.
        const deps = scimDepsForEngine(e);
        const onChange = deps.onChange!;
        deps.onChange = async (records, context) => {
          await onChange(records, context);
          onQueued();
        };
        return createScimHandler(deps);
      },
    });
  });
  after(async () => {
    await server.stop();
    await tokens.close();
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (
    method: string,
    path: string,
    o: { body?: unknown; token?: string | null } = {},
  ) => {
    const headers: Record<string, string> = { 'content-type': 'application/scim+json' };
    const token = o.token === undefined ? bearer : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const body =
      o.body === undefined
        ? undefined
        : typeof o.body === 'string'
          ? o.body
          : JSON.stringify(o.body);
    return fetch(`${server.url}/scim/v2${path}`, { method, headers, body });
  };

  it('creates, patches Entra-style, filters and deletes a user; plans are journaled', async () => {
    const created = await call('POST', '/Users', {
      body: {
        schemas: [USER],
        userName: 'Zanele.Dlamini@example.org',
        displayName: 'Zanele Dlamini',
        active: true,
        emails: [{ type: 'work', value: 'zanele.dlamini@example.org', primary: true }],
      },
    });
    assert.equal(created.status, 201);
    assert.match(created.headers.get('content-type') ?? '', /^application\/scim\+json/);
    const user = (await created.json()) as { id: string; active: boolean };
    assert.equal(user.active, true);
    assert.equal(created.headers.get('location'), `${server.url}/scim/v2/Users/${user.id}`);
    // The create was planned and journaled before the 201.
    const createOps = await engine.store.listOperations({});
    assert.deepEqual(
      createOps.map((o) => [o.action, o.type, o.key]),
      [['create', 'sip-subscriber', '5000']],
    );
    // The server's executor runs it in the background.
    await until(async () => (await engine.store.countOpen()) === 0);

    const patched = await call('PATCH', `/Users/${user.id}`, {
      body: {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'displayName', value: 'Zanele N. Dlamini' },
          { op: 'Replace', path: 'active', value: 'False' },
        ],
      },
    });
    assert.equal(patched.status, 204, await patched.text());
    assert.ok(patched.headers.get('etag'));

    const filter = encodeURIComponent('USERNAME eq "zanele.dlamini@EXAMPLE.org"');
    const found = await call('GET', `/Users?filter=${filter}`);
    assert.equal(found.status, 200);
    assert.match(found.headers.get('content-type') ?? '', /^application\/scim\+json/);
    const list = (await found.json()) as { totalResults: number; Resources: any[] };
    assert.equal(list.totalResults, 1);
    assert.equal(list.Resources[0].displayName, 'Zanele N. Dlamini');
    assert.strictEqual(list.Resources[0].active, false);
    // The deactivation was classified as a leaver: the subscriber's removal is journaled.
    const afterPatch = await engine.store.listOperations({});
    assert.ok(
      afterPatch.some((o) => o.action === 'delete' && o.type === 'sip-subscriber'),
      afterPatch.map((o) => `${o.action} ${o.type}`).join(', '),
    );

    const deleted = await call('DELETE', `/Users/${user.id}`);
    assert.equal(deleted.status, 204);
    assert.equal((await call('GET', `/Users/${user.id}`)).status, 404);
    const none = (await (await call('GET', `/Users?filter=${filter}`)).json()) as any;
    assert.equal(none.totalResults, 0);
  });

  it('answers 401 without a token, in the SCIM Error schema', async () => {
    const res = await call('GET', '/Users', { token: null });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^application\/scim\+json/);
    const body = (await res.json()) as any;
    assert.deepEqual(body.schemas, [ERROR]);
    assert.strictEqual(body.status, '401');
    assert.equal(typeof body.detail, 'string');
    const wrong = await call('GET', '/Users', { token: 'not-a-token' });
    assert.equal(wrong.status, 401);
  });

  it('answers 413 to an oversize body, in the SCIM Error schema, and stores nothing', async () => {
    const before = ((await (await call('GET', '/Users')).json()) as any).totalResults;
    const res = await call('POST', '/Users', {
      body: {
        schemas: [USER],
        userName: 'big@example.org',
        title: 'x'.repeat(MAX_BODY * 2),
      },
    });
    assert.equal(res.status, 413);
    assert.match(res.headers.get('content-type') ?? '', /^application\/scim\+json/);
    const body = (await res.json()) as any;
    assert.deepEqual(body.schemas, [ERROR]);
    assert.strictEqual(body.status, '413');
    const afterwards = ((await (await call('GET', '/Users')).json()) as any).totalResults;
    assert.equal(afterwards, before);
  });
});

async function until(done: () => Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await sleep(20);
  }
}
