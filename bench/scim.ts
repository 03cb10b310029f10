/**
 * Sustained SCIM traffic over loopback HTTP: `startServer` with the SCIM service on a temporary
 * SQLite store, a null target and one rule every user matches. First 1,000 users are created
 * (POST, measured), then autocannon sends PATCHes for about 10 s across them, alternating
 * displayName changes and active toggles. Every PATCH is classified and its plan journaled
 * before the response (that is how the handler works); the server's executor runs the journaled
 * operations in the background meanwhile, as in production.
 *
 * Run alone: node --import tsx bench/scim.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';

import { startServer } from '../src/api/server.ts';
import { TokenStore } from '../src/api/token-store.ts';
import { loadConfig } from '../src/core/config.ts';
import { openEngine, storeUrl } from '../src/engine/engine.ts';
import { scimDepsForEngine } from '../src/scim/engine-wiring.ts';
import { createScimHandler } from '../src/scim/scim-handler.ts';

const USERS = 1_000;
const PATCH_SECONDS = 10;
const CONNECTIONS = 10;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Creates USERS users, then PATCHes for PATCH_SECONDS; rates and the PATCH p99 latency. */
export async function benchScim(): Promise<{
  patchPerSecond: number;
  p99Ms: number;
  createPerSecond: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'callsign-bench-scim-'));
  const file = join(dir, 'callsign.yaml');
  writeFileSync(file, CONFIG);
  const engine = await openEngine(loadConfig(file), {
    log: pino({ level: 'silent' }),
    actor: 'bench',
  });
  const tokens = TokenStore.open(storeUrl(engine.config.store, dir));
  const token = (await tokens.create({ name: 'bench', scope: 'write', actor: 'bench' })).token;
  const server = await startServer(engine, {
    api: { host: '127.0.0.1', port: 0, rateLimitPerMinute: 10_000_000 },
    poll: false,
    scim: ({ engine: e, onQueued }) => {
      const deps = scimDepsForEngine(e);
      const onChange = deps.onChange!;
      deps.onChange = async (records, context) => {
        await onChange(records, context);
        onQueued();
      };
      return createScimHandler(deps);
    },
  });
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/scim+json',
  };

  try {
    let n = 0;
    const created = await autocannon({
      url: server.url,
      connections: CONNECTIONS,
      amount: USERS,
      requests: [
        {
          method: 'POST',
          path: '/scim/v2/Users',
          headers,
          setupRequest: (req: Record<string, unknown>) => {
            const i = n++;
            req.body = JSON.stringify({
              schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
              userName: `bench.user${i}@example.org`,
              displayName: `Bench User ${i}`,
              active: true,
              emails: [{ type: 'work', value: `bench.user${i}@example.org`, primary: true }],
            });
            return req;
          },
        },
      ],
    });
    check('create', created, USERS);
    if (process.env.CALLSIGN_BENCH_VERBOSE) {
      process.stderr.write(`create: ${created.duration} s, p99 ${created.latency.p99} ms\n`);
    }
    const ids = await userIds(server.url, headers);
    if (ids.length !== USERS) throw new Error(`Benchmark created ${ids.length} of ${USERS} users`);

    let k = 0;
    const patched = await autocannon({
      url: server.url,
      connections: CONNECTIONS,
      duration: PATCH_SECONDS,
      requests: [
        {
          method: 'PATCH',
          headers,
          setupRequest: (req: Record<string, unknown>) => {
            const i = k++;
            const id = ids[(i * 7919) % ids.length];
            // Every other round of a user toggles active (leaver, then rehire); others rename.
            const round = Math.floor(i / ids.length);
            const op =
              i % 2 === 0
                ? { op: 'Replace', path: 'displayName', value: `Bench User ${i}` }
                : { op: 'Replace', path: 'active', value: round % 2 === 0 ? 'False' : 'True' };
            req.path = `/scim/v2/Users/${id}`;
            req.body = JSON.stringify({ schemas: [PATCH_OP], Operations: [op] });
            return req;
          },
        },
      ],
    });
    check('patch', patched);
    return {
      patchPerSecond: Math.round(patched.requests.total / patched.duration),
      p99Ms: patched.latency.p99,
      createPerSecond: Math.round(created.requests.total / created.duration),
    };
  } finally {
    await server.stop();
    await tokens.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Result {
  duration: number;
  errors: number;
  non2xx: number;
  requests: { total: number };
  latency: { p99: number };
}

/** autocannon has no type declarations; this is the part used here. */
const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: Record<string, unknown>,
) => Promise<Result>;

function check(phase: string, r: Result, expected?: number) {
  if (r.errors > 0 || r.non2xx > 0) {
    throw new Error(`SCIM ${phase}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  }
  if (expected !== undefined && r.requests.total !== expected) {
    throw new Error(`SCIM ${phase}: ${r.requests.total} of ${expected} requests`);
  }
}

async function userIds(url: string, headers: Record<string, string>) {
  // The service pages (maxResults): read until a short page.
  const ids: string[] = [];
  for (;;) {
    const res = await fetch(`${url}/scim/v2/Users?attributes=id&startIndex=${ids.length + 1}`, {
      headers,
    });
    const list = (await res.json()) as { Resources?: { id: string }[] };
    const page = list.Resources ?? [];
    ids.push(...page.map((r) => r.id));
    if (page.length === 0 || ids.length >= USERS) return ids;
  }
}

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
  - { name: pbx, type: "null", concurrency: 16 }
pools:
  ext: { kind: extension, range: { start: '100000', end: '109999' }, quarantineDays: 30 }
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
safety:
  maxDeprovisionShare: 1
  maxDeprovisionCount: 100000
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchScim();
  process.stdout.write(
    `scim: create ${r.createPerSecond}/s; PATCH ${r.patchPerSecond}/s, ` +
      `p99 ${r.p99Ms} ms (${USERS} users, ${CONNECTIONS} connections, SQLite)\n`,
  );
}
