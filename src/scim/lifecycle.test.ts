/**
 * SCIM as a lifecycle source: a create through the handler wired to a real engine journals the
 * plan before the response; the SCIM source's full read returns the same records.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import { parseConfig } from '../core/config.ts';
import { openEngine } from '../engine/engine.ts';
import { scimDepsForEngine } from './engine-wiring.ts';
import { createScimHandler } from './scim-handler.ts';
import { entraUser } from './test-kit.ts';

const CONFIG = `
store: sqlite:./callsign.db
secretKey: file:./secret.key
correlation: [employeeId, userName]
sources:
  - name: entra
    type: scim
    attributes:
      userName: userName
      displayName: displayName
      employeeId: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber
      department: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department
      mail: emails[type eq "work"].value
targets:
  - { name: pbx, type: "null" }
pools:
  eng-ext: { kind: extension, range: { start: '4000', end: '4099' }, quarantineDays: 30 }
profiles:
  phone:
    resources:
      - target: pbx
        type: sip-subscriber
        key: '{{numbers.extension}}'
        attributes: { displayName: '{{person.displayName}}' }
rules:
  - name: engineers
    when: person.department == "Engineering"
    profile: phone
    numbers: { extension: eng-ext }
`;

test('a SCIM create of a rule-matching user is planned and journaled before the response', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'callsign-scim-'));
  const file = join(dir, 'callsign.yaml');
  await writeFile(file, CONFIG);
  const config = parseConfig(CONFIG, file);
  const engine = await openEngine(config, {
    log: pino({ level: 'silent' }),
    actor: 'test',
    clock: () => new Date('2025-03-01T10:00:00Z'),
  });
  try {
    const handler = createScimHandler(scimDepsForEngine(engine));
    const call = (method: string, path: string, body?: unknown) =>
      handler({
        method,
        path,
        query: new URLSearchParams(),
        headers: {},
        actor: 'scim:entra-test',
        baseUrl: 'http://127.0.0.1/scim/v2',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
    const res = await call(
      'POST',
      '/Users',
      entraUser('priya.shah@example.org', {
        displayName: 'Priya Shah',
        [ENT]: { department: 'Engineering', employeeNumber: 'E1' },
      }),
    );
    assert.equal(res.status, 201);
    const id = (res.body as any).id as string;

    const runs = await engine.store.listRuns(5);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.actor, 'scim:entra-test');
    const ops = await engine.store.listOperations({ runId: runs[0]!.id });
    const sub = ops.find((o) => o.type === 'sip-subscriber');
    assert.ok(sub, `operations: ${ops.map((o) => `${o.target}/${o.type}`).join(', ')}`);
    assert.equal(sub.state, 'pending');
    assert.equal(sub.key, '4000');
    assert.equal(sub.attributes.displayName, 'Priya Shah');

    // Someone outside the rule is stored but gets no operations.
    await call(
      'POST',
      '/Users',
      entraUser('sam.lee@example.org', { [ENT]: { department: 'Sales', employeeNumber: 'E2' } }),
    );
    const all = await engine.store.listOperations({});
    assert.equal(all.filter((o) => o.type === 'sip-subscriber').length, 1);

    // The telecom extension shows the number assigned to the person.
    const got = await call('GET', `/Users/${id}`);
    const TEL = 'urn:callsign:params:scim:schemas:extension:telecom:1.0:User';
    const telecom = (got.body as any)[TEL];
    assert.equal(telecom.extension, '4000');

    // The full read of the SCIM source returns both users, mapped.
    const snap = await engine.sources.get('entra')!.readAll();
    assert.equal(snap.complete, true);
    const priya = snap.records.find((r) => r.externalId === id)!;
    assert.equal(priya.attributes.department, 'Engineering');
    assert.equal(priya.attributes.mail, 'priya.shah@example.org');
    assert.equal(snap.records.length, 2);
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
});
