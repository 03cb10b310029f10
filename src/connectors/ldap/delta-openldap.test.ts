import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import type { SourceRecord } from '../../core/model.ts';
import { generateLabPeople, startSlapd, type SlapdLab } from '../../lab/slapd.ts';
import { deltaReaders, OID } from './delta.ts';
import { LdapSource } from './ldap-source.ts';
import { labSourceConfig, slapdSkip } from './testing/slapd-kit.ts';

const skip = slapdSkip();

function config(lab: SlapdLab, overrides: Partial<LdapSourceConfig> = {}): LdapSourceConfig {
  return labSourceConfig(lab, {
    pageSize: 3,
    attributes: { username: 'uid', site: 'l', employeeId: 'employeeNumber' },
    disabled: { userAccountControl: true },
    writeBack: { telephoneNumber: 'did' },
    // These tests are about the timestamp reader; Content Sync has its own tests.
    delta: 'timestamp',
    ...overrides,
  });
}

const byUsername = (records: SourceRecord[]) =>
  Object.fromEntries(records.map((r) => [String(r.attributes.username), r]));

describe('changes from a real OpenLDAP (syncprov loaded)', { skip }, () => {
  let lab: SlapdLab;
  let source: LdapSource;
  let cursor: string;

  before(async () => {
    lab = await startSlapd({ people: generateLabPeople(10) });
    source = new LdapSource(config(lab), { password: lab.servicePassword });
  });
  after(async () => {
    await source?.close();
    await lab?.stop();
  });

  it('reads with the timestamp reader when configured so, though Content Sync is offered', async () => {
    assert.equal(deltaReaders.has('content-sync'), true);
    const first = await source.readChanges(undefined);
    assert.match(first.cursor, /^timestamp:/);
    assert.equal(OID.contentSync, '1.3.6.1.4.1.4203.1.9.1.1');
  });

  it('establishes a cursor on the first call without returning the directory', async () => {
    const first = await source.readChanges(undefined);
    assert.equal(first.complete, true);
    assert.deepEqual(first.records, []);
    cursor = first.cursor;

    const again = await source.readChanges(cursor);
    assert.equal(again.complete, true);
    assert.deepEqual(again.records, [], 'nothing changed, and the overlap is not re-delivered');
    cursor = again.cursor;
  });

  it('returns exactly the added, modified and disabled people', async () => {
    await lab.people.addPerson(generateLabPeople(1, { first: 50 })[0]!);
    await lab.people.modifyPerson('p00002', { l: 'Lisbon' });
    await lab.people.disablePerson('p00003');

    const batch = await source.readChanges(cursor);
    assert.equal(batch.complete, true);
    assert.deepEqual(batch.problems, []);
    const got = byUsername(batch.records);
    assert.deepEqual(Object.keys(got).sort(), ['p00002', 'p00003', 'p00050']);
    assert.equal(got.p00002!.attributes.site, 'Lisbon');
    assert.equal(got.p00002!.state, 'active');
    assert.equal(got.p00003!.state, 'disabled');
    assert.equal(got.p00050!.state, 'active');
    assert.match(got.p00050!.externalId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);

    const none = await source.readChanges(batch.cursor);
    assert.deepEqual(none.records, [], 'the same changes are not delivered twice');
    cursor = none.cursor;
  });

  it('sees a second change to a person made right after the first was read', async () => {
    await lab.people.modifyPerson('p00004', { l: 'Oslo' });
    const one = await source.readChanges(cursor);
    assert.deepEqual(Object.keys(byUsername(one.records)), ['p00004']);
    // Very likely the same second: the fingerprint, not the timestamp, tells them apart.
    await lab.people.modifyPerson('p00004', { l: 'Bergen' });
    const two = await source.readChanges(one.cursor);
    assert.equal(byUsername(two.records).p00004?.attributes.site, 'Bergen');
    cursor = two.cursor;
  });

  it('moves its window on: later changes once, older ones never again', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const quiet = await source.readChanges(cursor);
    assert.deepEqual(quiet.records, []);
    await lab.people.modifyPerson('p00007', { l: 'Quito' });
    const batch = await source.readChanges(quiet.cursor);
    assert.deepEqual(Object.keys(byUsername(batch.records)), ['p00007']);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await source.readChanges(batch.cursor);
    assert.deepEqual(after.records, []);
    cursor = after.cursor;
  });

  it('returns nothing for a deletion (full reconciliation finds leavers)', async () => {
    await lab.people.deletePerson('p00005');
    const batch = await source.readChanges(cursor);
    assert.equal(batch.complete, true);
    assert.deepEqual(batch.records, []);
    const full = await source.readAll();
    assert.equal(
      full.records.some((r) => r.attributes.username === 'p00005'),
      false,
    );
    cursor = batch.cursor;
  });

  it('treats a garbage cursor as lost: complete false and a fresh cursor, no throw', async () => {
    const cursors = ['timestamp:{"v":1,"t":"yesterday"', 'timestamp:', 'dirsync:AAAA', ''];
    for (const garbage of cursors) {
      const batch = await source.readChanges(garbage);
      assert.equal(batch.complete, false, `cursor ${JSON.stringify(garbage)}`);
      assert.deepEqual(batch.records, []);
      assert.equal(batch.problems?.length, 1);
      const next = await source.readChanges(batch.cursor);
      assert.equal(next.complete, true, 'the fresh cursor works');
    }
  });

  it('follows changes to the configured filter and base only', async () => {
    const narrow = new LdapSource(config(lab, { filter: '(l=Lisbon)', delta: 'timestamp' }), {
      password: lab.servicePassword,
    });
    const start = await narrow.readChanges(undefined);
    await lab.people.modifyPerson('p00002', { employeeNumber: 'E900002' });
    await lab.people.modifyPerson('p00006', { employeeNumber: 'E900006' });
    const batch = await narrow.readChanges(start.cursor);
    assert.deepEqual(Object.keys(byUsername(batch.records)), ['p00002']);
    assert.equal(byUsername(batch.records).p00002!.attributes.employeeId, 'E900002');
  });
});
