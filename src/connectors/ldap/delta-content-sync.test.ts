import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { generateLabPeople, startSlapd, type SlapdLab } from '../../lab/slapd.ts';
import type { DeltaPage } from './delta.ts';
import { formatCursor, readContentSync } from './delta-content-sync.ts';
import { dnEquals, escapeDnValue, parseDn } from './dn.ts';
import { mapEntry, requestedAttributes } from './entry-mapper.ts';
import { labAdmin, labSourceConfig, slapdSkip } from './testing/slapd-kit.ts';

const skip = slapdSkip();

function config(lab: SlapdLab, overrides: Partial<LdapSourceConfig> = {}): LdapSourceConfig {
  return labSourceConfig(lab, {
    attributes: { username: 'uid', site: 'l', employeeId: 'employeeNumber', note: 'audio' },
    disabled: { userAccountControl: true },
    ...overrides,
  });
}

describe('Content Sync (RFC 4533) against a real OpenLDAP', { skip }, () => {
  let lab: SlapdLab;
  let admin: Client;
  let cursor: string;
  const idle = new Client({ url: 'ldap://127.0.0.1:1' });

  const read = (text: string | undefined, overrides: Partial<LdapSourceConfig> = {}) => {
    const cfg = config(lab, overrides);
    const context = { client: idle, config: cfg, attributes: requestedAttributes(cfg) };
    return readContentSync({ ...context, password: lab.servicePassword }, text);
  };
  const mapped = (page: DeltaPage) => page.entries.map((e) => mapEntry(e, config(lab)));
  const byUid = (page: DeltaPage) =>
    Object.fromEntries(mapped(page).map((m) => [String(m.record?.attributes.username), m]));
  const uuidOf = async (uid: string) =>
    (await lab.people.readPerson(uid, ['entryUUID'])).entryUUID![0]!;

  before(async () => {
    lab = await startSlapd({ people: generateLabPeople(10) });
    admin = await labAdmin(lab);
  });
  after(async () => {
    await admin?.unbind().catch(() => undefined);
    await lab?.stop();
  });

  it('establishes a cookie on the first call and returns no entries', async () => {
    const first = await read(undefined);
    assert.deepEqual([first.entries, first.deleted, first.complete], [[], [], true]);
    const none = await read(first.cursor);
    assert.deepEqual([none.entries, none.deleted, none.complete], [[], [], true]);
    cursor = none.cursor;
  });

  it('returns exactly the added and modified people, whole', async () => {
    await lab.people.addPerson(generateLabPeople(1, { first: 50 })[0]!);
    await lab.people.modifyPerson('p00002', { l: 'Lisbon' });
    const page = await read(cursor);
    assert.equal(page.complete, true);
    assert.deepEqual(page.deleted, []);
    const got = byUid(page);
    assert.deepEqual(Object.keys(got).sort(), ['p00002', 'p00050']);
    assert.equal(got.p00002!.record!.attributes.site, 'Lisbon');
    assert.equal(got.p00002!.record!.attributes.employeeId, 'E000002', 'unchanged values too');
    assert.equal(got.p00002!.record!.externalId, await uuidOf('p00002'));

    const again = await read(cursor);
    assert.deepEqual(Object.keys(byUid(again)).sort(), ['p00002', 'p00050'], 'cookie reusable');
    const next = await read(page.cursor);
    assert.deepEqual([next.entries, next.deleted], [[], []], 'not delivered twice');
    cursor = next.cursor;
  });

  it('reports a deletion and a move out of the base as deleted entryUUIDs', async () => {
    const [gone, moved] = [await uuidOf('p00003'), await uuidOf('p00004')];
    await lab.people.deletePerson('p00003');
    await admin.modifyDN(
      await lab.people.personDn('p00004'),
      `uid=p00004,ou=Services,${lab.suffix}`,
    );
    const page = await read(cursor);
    assert.equal(page.complete, true);
    assert.deepEqual(page.entries, []);
    assert.deepEqual([...page.deleted].sort(), [gone, moved].sort());
    cursor = page.cursor;
  });

  it('keeps the id across a rename (modrdn)', async () => {
    const id = await uuidOf('p00005');
    await admin.modifyDN(await lab.people.personDn('p00005'), 'cn=Renamed Person');
    const page = await read(cursor);
    assert.deepEqual(page.deleted, []);
    assert.equal(page.entries.length, 1);
    const [one] = mapped(page);
    assert.equal(one!.record!.externalId, id);
    assert.equal(one!.record!.dn, `cn=Renamed Person,${lab.peopleDn}`);
    cursor = page.cursor;
  });

  it('reports a person who no longer matches the filter as deleted', async () => {
    const narrow = { filter: '(l=Lisbon)' };
    const start = await read(undefined, narrow);
    await lab.people.modifyPerson('p00002', { l: 'Porto' });
    const page = await read(start.cursor, narrow);
    assert.deepEqual(page.deleted, [await uuidOf('p00002')]);
    assert.deepEqual(page.entries, []);
    // The same change, in the broad scope, is a change.
    const broad = await read(cursor);
    assert.deepEqual(Object.keys(byUid(broad)), ['p00002']);
    assert.deepEqual(broad.deleted, []);
    cursor = broad.cursor;
  });

  it('carries DNs and values with commas, accents and quotes unchanged', async () => {
    const [person] = generateLabPeople(1, { first: 60 });
    const cn = 'Zoë O\'Brien, "Zed"';
    await lab.people.addPerson({ ...person!, cn, rdn: 'cn', l: 'São Paulo, "Centro"' });
    const page = await read(cursor);
    const got = byUid(page).p00060!;
    assert.deepEqual(got.problems, []);
    assert.equal(got.record!.attributes.site, 'São Paulo, "Centro"');
    assert.ok(dnEquals(got.record!.dn!, `cn=${escapeDnValue(cn)},${lab.peopleDn}`));
    assert.equal(parseDn(got.record!.dn!)[0]![0]!.value, cn);
    cursor = page.cursor;
  });

  it('reports a value that is not UTF-8 as a problem of that person only', async () => {
    const [bad, good] = generateLabPeople(2, { first: 70 });
    await lab.people.addPerson({ ...bad!, extra: { audio: Buffer.from([0x41, 0xff, 0xfe]) } });
    await lab.people.addPerson(good!);
    const page = await read(cursor);
    const got = byUid(page);
    assert.deepEqual(Object.keys(got).sort(), ['p00070', 'p00071']);
    assert.equal(got.p00070!.problems.length, 1);
    assert.equal(got.p00070!.problems[0]!.field, 'audio');
    assert.match(got.p00070!.problems[0]!.message, /not valid UTF-8/);
    assert.equal(got.p00070!.record!.attributes.note, undefined);
    assert.deepEqual(got.p00071!.problems, []);
    cursor = page.cursor;
  });

  it('says complete: false for a cursor it cannot use, and hands out a working one', async () => {
    const scope = cursor.split('.')[1]!;
    const csn = (time: string) => Buffer.from(`rid=000,csn=${time}.000000Z#000000#000#000000`);
    const cases = {
      garbage: 'not a cursor',
      'another filter': (await read(undefined, { filter: '(uid=*)' })).cursor,
      'cookie the server cannot parse': formatCursor(scope, Buffer.from('hello')),
      'cookie from the future': formatCursor(scope, csn('29991231000000')),
      'cookie older than the session log': formatCursor(scope, csn('20000101000000')),
    };
    for (const [name, text] of Object.entries(cases)) {
      const page = await read(text);
      assert.equal(page.complete, false, name);
      assert.deepEqual(page.deleted, [], name);
      const next = await read(page.cursor);
      assert.deepEqual([next.complete, next.entries], [true, []], `${name}: fresh cursor works`);
    }
  });

  it('stops on an aborted signal and leaves the server serving', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    const cfg = config(lab);
    const context = { client: idle, config: cfg, attributes: requestedAttributes(cfg) };
    await assert.rejects(
      readContentSync(
        { ...context, password: lab.servicePassword, signal: controller.signal },
        cursor,
      ),
      /stop now/,
    );
    assert.equal((await read(cursor)).complete, true);
  });

  it('refuses a wrong password as an auth error', async () => {
    const cfg = config(lab);
    const context = { client: idle, config: cfg, attributes: requestedAttributes(cfg) };
    await assert.rejects(readContentSync({ ...context, password: 'wrong' }, cursor), (err) => {
      assert.equal((err as { code?: string }).code, 'auth');
      assert.doesNotMatch(String(err), /wrong/);
      return true;
    });
  });

  it('reads a current cookie after a server restart, deletions included', async () => {
    const id = await uuidOf('p00006');
    await lab.restart();
    await lab.people.deletePerson('p00006');
    const page = await read(cursor);
    assert.deepEqual([page.complete, page.deleted, page.entries], [true, [id], []]);
    cursor = page.cursor;
  });

  it('says complete: false when the session log does not reach back to the cookie', async () => {
    await lab.people.modifyPerson('p00007', { l: 'Quito' });
    // The log restarts empty: the change above, before the cookie's successor, is not in it.
    await lab.restart();
    await lab.people.deletePerson('p00008');
    const page = await read(cursor);
    assert.equal(page.complete, false, 'present phase: deletions are not listed');
    assert.deepEqual(page.deleted, []);
    assert.ok(Object.keys(byUid(page)).includes('p00007'), 'changed entries are still handed on');
    const next = await read(page.cursor);
    assert.deepEqual([next.complete, next.entries, next.deleted], [true, [], []]);
  });
});
