/**
 * A cookie older than syncprov's session log gets a present phase (what still exists) instead
 * of a list of deletions. With the ids the engine knows, the reader works the deletions out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { generateLabPeople, startSlapd, type SlapdLab } from '../../lab/slapd.ts';
import { readContentSync } from './delta-content-sync.ts';
import { mapEntry, requestedAttributes } from './entry-mapper.ts';
import { LdapSource } from './ldap-source.ts';
import { labAdmin, labSourceConfig, slapdSkip } from './testing/slapd-kit.ts';

const skip = slapdSkip();

function config(lab: SlapdLab, overrides: Partial<LdapSourceConfig> = {}): LdapSourceConfig {
  return labSourceConfig(lab, { attributes: { username: 'uid', site: 'l' }, ...overrides });
}

describe('Content Sync present phase with the ids the engine knows', { skip }, () => {
  let lab: SlapdLab;
  let admin: Client;
  const idle = new Client({ url: 'ldap://127.0.0.1:1' });
  const uuids = new Map<string, string>();

  const read = (
    text: string | undefined,
    knownIds?: () => Promise<Iterable<string>>,
    overrides: Partial<LdapSourceConfig> = {},
  ) => {
    const cfg = config(lab, overrides);
    const context = { client: idle, config: cfg, attributes: requestedAttributes(cfg) };
    return readContentSync(
      { ...context, password: lab.servicePassword, ...(knownIds ? { knownIds } : {}) },
      text,
    );
  };
  const uuidOf = (uid: string) => uuids.get(uid)!;

  /** A cursor, then changes the session log will have forgotten after a restart. */
  async function staleCursor([modified, deleted, moved, late]: string[]): Promise<string> {
    const cursor = (await read(undefined)).cursor;
    await lab.people.modifyPerson(modified!, { l: 'Quito' });
    await lab.people.deletePerson(deleted!);
    const moving = await lab.people.personDn(moved!);
    await admin.modifyDN(moving, `uid=${moved},ou=Services,${lab.suffix}`);
    await lab.restart();
    await admin.bind(lab.adminDn, lab.adminPassword);
    // After the restart too: the log holds this one, but a present phase still runs.
    await lab.people.deletePerson(late!);
    return cursor;
  }

  before(async () => {
    const people = generateLabPeople(12);
    lab = await startSlapd({ people });
    admin = await labAdmin(lab);
    for (const { uid } of people) {
      uuids.set(uid, (await lab.people.readPerson(uid, ['entryUUID'])).entryUUID![0]!);
    }
  });
  after(async () => {
    await admin?.unbind().catch(() => undefined);
    await lab?.stop();
  });

  it('reports the known ids neither present nor changed as deleted, and is complete', async () => {
    const cursor = await staleCursor(['p00001', 'p00002', 'p00003', 'p00004']);
    assert.equal((await read(cursor)).complete, false, 'the server ran a present phase');
    const stranger = '00000000-0000-4000-8000-000000000000';
    let asked = 0;
    const known = [...uuids.values()].map((id, i) => (i === 5 ? id.toUpperCase() : id));
    const page = await read(cursor, async () => {
      asked++;
      return [...known, stranger];
    });
    assert.equal(asked, 1);
    assert.equal(page.complete, true);
    const expected = [uuidOf('p00002'), uuidOf('p00003'), uuidOf('p00004'), stranger];
    assert.deepEqual([...page.deleted].sort(), expected.sort());
    const changed = page.entries.map((e) => mapEntry(e, config(lab)).record!);
    assert.deepEqual(
      changed.map((r) => [r.attributes.username, r.attributes.site]),
      [['p00001', 'Quito']],
    );
    // An id kept in another case is matched, and handed back as the engine wrote it.
    assert.ok(!page.deleted.includes(known[5]!));

    const next = await read(page.cursor, async () => assert.fail('no present phase now'));
    assert.deepEqual([next.complete, next.entries, next.deleted], [true, [], []]);
  });

  it('stays incomplete without known ids, or when ids are not entryUUIDs', async () => {
    const cursor = await staleCursor(['p00007', 'p00008', 'p00009', 'p00010']);
    const blind = await read(cursor);
    assert.deepEqual([blind.complete, blind.deleted], [false, []]);
    const byUid = await read(cursor, async () => ['p00010'], { idAttribute: 'uid' });
    assert.deepEqual([byUid.complete, byUid.deleted], [false, []]);
  });

  it('the LDAP source passes the known ids on from readChanges', async () => {
    const source = new LdapSource(config(lab), { password: lab.servicePassword });
    try {
      const first = await source.readChanges(undefined);
      await lab.people.deletePerson('p00005');
      await lab.restart();
      await admin.bind(lab.adminDn, lab.adminPassword);
      const knownIds = async () => [uuidOf('p00005'), uuidOf('p00006')];
      const batch = await source.readChanges(first.cursor, undefined, { knownIds });
      assert.equal(batch.complete, true);
      assert.deepEqual(batch.problems, []);
      assert.deepEqual(
        batch.records.map((r) => [r.state, r.externalId]),
        [['deleted', uuidOf('p00005')]],
      );
      const blind = await source.readChanges(first.cursor);
      assert.equal(blind.complete, false);
    } finally {
      await source.close();
    }
  });
});
