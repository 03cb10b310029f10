/**
 * An app on a temporary SQLite store with the lab configuration, a NullTarget and a source
 * that returns the given records: the API tests run in-process against it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';

import { NullTarget } from '../connectors/null/null-target.ts';
import type { SourceConnector } from '../connectors/types.ts';
import { loadConfig } from '../core/config.ts';
import type { SourceRecord } from '../core/model.ts';
import { openEngine, storeUrl, type Engine } from '../engine/engine.ts';
import { Executor } from '../engine/executor.ts';
import { writeBackHandler } from '../engine/handlers.ts';
import { labConfig } from '../lab/lab-config.ts';
import { createApp, type AppOptions } from './app.ts';
import { MetricsRecorder } from './metrics.ts';
import { TokenStore } from './token-store.ts';

export interface Fixture {
  engine: Engine;
  tokens: TokenStore;
  records: SourceRecord[];
  /** Bearer values by scope. */
  bearer: { read: string; write: string; admin: string };
  app: ReturnType<typeof createApp>;
  call(method: string, path: string, o?: { token?: string; body?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/** A person record of the fake source. */
export function staff(n: number, site = 'nyc'): SourceRecord {
  return {
    source: 'lab-ldap',
    externalId: `uuid-${n}`,
    state: 'active',
    attributes: {
      employeeId: `E${n}`,
      displayName: `Person ${n}`,
      mail: `p${n}@example.com`,
      site,
      workerType: 'employee',
    },
  };
}

/** Builds the fixture; `app` options override the defaults. */
export async function apiFixture(o: { app?: Partial<AppOptions> } = {}): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'callsign-api-'));
  const file = join(dir, 'callsign.yaml');
  await writeFile(
    file,
    labConfig({
      store: 'sqlite:./callsign.db',
      ldap: { url: 'ldap://127.0.0.1:1', serviceDn: 'cn=svc', peopleDn: 'ou=people' },
      passwordEnv: 'CALLSIGN_TEST_UNUSED',
      kamailio: null,
    }),
  );
  const log = pino({ level: 'silent' });
  const engine = await openEngine(loadConfig(file), { log, actor: 'test', connectors: false });
  const records = [staff(1), staff(2)];
  const source = fakeSource(records);
  engine.sources.set('lab-ldap', source);
  engine.handlers.set('lab-ldap', writeBackHandler({ store: engine.store, source }));
  engine.targets.set('pbx', new NullTarget({ name: 'pbx', concurrency: 8 }));

  const tokens = TokenStore.open(storeUrl(engine.config.store, dir));
  const bearer = {
    read: (await tokens.create({ name: 'reader', scope: 'read', actor: 'test' })).token,
    write: (await tokens.create({ name: 'writer', scope: 'write', actor: 'test' })).token,
    admin: (await tokens.create({ name: 'root', scope: 'admin', actor: 'test' })).token,
  };
  const app = createApp({
    deps: { engine, tokens },
    api: { maxBodyBytes: 4096, rateLimitPerMinute: 10_000 },
    openMetrics: true,
    metrics: new MetricsRecorder(),
    ...o.app,
  });

  const call: Fixture['call'] = (method, path, c = {}) => {
    const headers: Record<string, string> = {};
    if (c.token !== undefined) headers.authorization = `Bearer ${c.token}`;
    let body: string | undefined;
    if (c.body !== undefined) {
      body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
      headers['content-type'] = 'application/json';
    }
    return Promise.resolve(app.request(path, { method, headers, body }));
  };
  const close = async () => {
    await tokens.close();
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { engine, tokens, records, bearer, app, call, close };
}

/** Works the queue until it is empty, with retries quick enough for a test. */
export function runQueue(f: Fixture): Promise<unknown> {
  return new Executor({
    store: f.engine.store,
    targets: f.engine.targets,
    handlers: f.engine.handlers,
    maxAttempts: 2,
    backoffBaseMs: 1,
    backoffMaxMs: 2,
    secrets: f.engine.vault,
  }).runUntilIdle();
}

/**
 * The fixture after a sync through the API whose queue has been worked: both people exist and
 * hold an extension and a DID each.
 */
export async function syncedApiFixture(): Promise<Fixture> {
  const f = await apiFixture();
  assert.equal((await f.call('POST', '/api/v1/sync', { token: f.bearer.write })).status, 202);
  await runQueue(f);
  return f;
}

function fakeSource(records: SourceRecord[]): SourceConnector {
  return {
    name: 'lab-ldap',
    kind: 'fake',
    capabilities: { delta: false, writeBack: true },
    readAll: async () => ({
      source: 'lab-ldap',
      records: [...records],
      complete: true,
      problems: [],
    }),
    writeBack: async () => undefined,
    close: async () => undefined,
  };
}
