/**
 * POST /api/v1/hr/{source}/workers: a batch of pushed workers is checked entry by entry (a bad
 * date or status refuses that entry, named with its field; a bad phone drops the field), the
 * accepted ones are what the hr-push source reads at the next reconciliation, a later push of a
 * worker replaces its row, an id on two entries of one batch refuses both, a field outside the
 * mapping is noted, and the endpoint needs a write token and a configured source.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import pino from 'pino';

import { HrPushSource } from '../connectors/hr/hr-push-source.ts';
import { loadConfig } from '../core/config.ts';
import { openEngine, storeUrl, type Engine } from '../engine/engine.ts';
import { reconcile } from '../engine/reconcile.ts';
import { labConfig } from '../lab/lab-config.ts';
import { createApp } from './app.ts';
import { TokenStore } from './token-store.ts';

const PUSH_SOURCE = `  - name: hr-push
    type: hr-push
    columns: { workerId: Worker ID, mail: Email, employeeId: Worker ID, displayName: Name, site: Site }
    workerType: { column: Type, map: { Regular: employee } }
    status: { column: Status, active: [Active], leave: [Leave], terminated: [Terminated] }
    dates: { hire: Hire Date, termination: Termination Date, format: YYYY-MM-DD }
    country: { column: Country, aliases: { UK: GB } }
    phone: { column: Phone }
`;

let dir: string;
let engine: Engine;
let tokens: TokenStore;
let app: ReturnType<typeof createApp>;
let write: string;
let read: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callsign-hr-push-'));
  const file = join(dir, 'callsign.yaml');
  const text = labConfig({
    store: 'sqlite:./callsign.db',
    ldap: { url: 'ldap://127.0.0.1:1', serviceDn: 'cn=svc', peopleDn: 'ou=people' },
    passwordEnv: 'CALLSIGN_TEST_UNUSED',
    kamailio: null,
  }).replace('sources:\n', `sources:\n${PUSH_SOURCE}`);
  await writeFile(file, text);
  engine = await openEngine(loadConfig(file), {
    log: pino({ level: 'silent' }),
    actor: 'test',
    connectors: false,
  });
  tokens = TokenStore.open(storeUrl(engine.config.store, dir));
  write = (await tokens.create({ name: 'hr-system', scope: 'write', actor: 'test' })).token;
  read = (await tokens.create({ name: 'viewer', scope: 'read', actor: 'test' })).token;
  app = createApp({
    deps: { engine, tokens },
    api: { maxBodyBytes: 65_536, rateLimitPerMinute: 10_000 },
    openMetrics: false,
  });
});

after(async () => {
  await tokens.close();
  await engine.close();
  await rm(dir, { recursive: true, force: true });
});

function push(body: unknown, token = write, source = 'hr-push') {
  return app.request(`/api/v1/hr/${source}/workers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const worker = (id: string, extra: Record<string, unknown> = {}) => ({
  'Worker ID': id,
  Email: `${id.toLowerCase()}@example.com`,
  Status: 'Active',
  'Hire Date': '2031-03-01',
  Country: 'GB',
  Name: `Worker ${id}`,
  Site: 'nyc',
  Type: 'Regular',
  ...extra,
});

interface PushAnswer {
  accepted: string[];
  rejected: { record: string; field?: string; message: string }[];
  notes: { record: string; field?: string; message: string }[];
}

test('a batch: bad entries refused by field, the rest kept for the next reconciliation', async () => {
  const res = await push({
    workers: [
      worker('H1'),
      worker('H2', { 'Hire Date': '2031-13-01' }),
      worker('H3', { Status: 'Sabbatical' }),
      worker('H4', { Phone: '12', Country: 'UK' }),
      { Email: 'nobody@example.com', Status: 'Active' },
    ],
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as PushAnswer;
  assert.deepEqual(body.accepted, ['H1', 'H4']);
  const byField = Object.fromEntries(body.rejected.map((p) => [p.field, p.record]));
  assert.match(byField.hireDate ?? '', /^entry 2 \(worker H2\)/);
  assert.match(byField.hrStatus ?? '', /^entry 3 \(worker H3\)/);
  assert.match(byField.workerId ?? '', /^entry 5/);
  assert.ok(body.notes.some((n) => n.field === 'phone' && /worker H4/.test(n.record)));
  assert.ok(body.notes.some((n) => n.field === 'country' && /normalised/.test(n.message)));

  const snapshot = await new HrPushSource(hrPushConfig(), engine.store).readAll();
  assert.deepEqual(snapshot.records.map((r) => r.externalId).sort(), ['H1', 'H4']);
  const h4 = snapshot.records.find((r) => r.externalId === 'H4');
  assert.equal(h4?.attributes.country, 'GB');
  assert.equal(h4?.attributes.phone, null);
});

test('a later push of one worker replaces its row; a refused one leaves the old row', async () => {
  let res = await push({
    worker: worker('H1', { Status: 'Terminated', 'Termination Date': '2031-06-30' }),
  });
  assert.equal(res.status, 200);
  res = await push({ worker: worker('H4', { 'Hire Date': 'soon' }) });
  assert.deepEqual(((await res.json()) as PushAnswer).accepted, []);

  const snapshot = await new HrPushSource(hrPushConfig(), engine.store).readAll();
  const h1 = snapshot.records.find((r) => r.externalId === 'H1');
  assert.equal(h1?.attributes.hrStatus, 'Terminated');
  assert.equal(h1?.attributes.endDate, '2031-06-30');
  const h4 = snapshot.records.find((r) => r.externalId === 'H4');
  assert.equal(h4?.attributes.hireDate, '2031-03-01', 'the refused push left the old row');
});

test('one id twice in a batch refuses both entries by name; an unknown field is noted', async () => {
  const res = await push({
    workers: [
      worker('H1', { Name: 'First H1' }),
      worker('H4', { Bogus: 'x' }),
      worker('H1', { Name: 'Second H1' }),
    ],
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as PushAnswer;
  assert.deepEqual(body.accepted, ['H4']);
  assert.deepEqual(
    body.rejected.map((p) => [p.record, p.field, p.message]),
    [1, 3].map((n) => [
      `entry ${n} (worker H1)`,
      'workerId',
      'worker id H1 is on 2 entries (entry 1, entry 3); all refused',
    ]),
  );
  const bogus = body.notes.filter((n) => n.field === 'Bogus');
  assert.equal(bogus.length, 1);
  assert.match(bogus[0]!.record, /entry 2 \(worker H4\)/);
  assert.match(bogus[0]!.message, /Bogus is not a column/);

  const snapshot = await new HrPushSource(hrPushConfig(), engine.store).readAll();
  const h1 = snapshot.records.find((r) => r.externalId === 'H1');
  assert.equal(h1?.attributes.displayName, 'Worker H1', 'the stored H1 row is unchanged');
  assert.equal(h1?.attributes.hrStatus, 'Terminated');
});

test('the next reconciliation plans the pushed workers', async () => {
  // Hired long ago: a joiner now. H1 and H4 start in 2031, so nothing is planned for them yet.
  const res = await push({ worker: worker('H5', { 'Hire Date': '2020-01-06' }) });
  assert.deepEqual(((await res.json()) as PushAnswer).accepted, ['H5']);
  engine.sources.clear();
  engine.sources.set('hr-push', new HrPushSource(hrPushConfig(), engine.store));
  const report = await reconcile(engine, { mode: 'plan', actor: 'test' });
  assert.deepEqual(
    report.sources.map((s) => [s.name, s.complete, s.records]),
    [['hr-push', true, 3]],
  );
  const planned = report.plans.filter((p) => p.operations.some((o) => o.action === 'create'));
  assert.deepEqual(
    planned.map((p) => p.label),
    ['Worker H5'],
  );
});

test('a read token, an unknown source, an empty body are refused', async () => {
  assert.equal((await push({ workers: [worker('H9')] }, read)).status, 403);
  assert.equal((await push({ workers: [worker('H9')] }, write, 'lab-ldap')).status, 404);
  assert.equal((await push({ workers: [] })).status, 400);
  assert.equal((await push({ workers: 'H9' })).status, 400);
});

function hrPushConfig() {
  const config = engine.config.sources.find((s) => s.type === 'hr-push');
  assert.ok(config?.type === 'hr-push');
  return config;
}
