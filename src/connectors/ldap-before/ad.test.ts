/**
 * LdapSource against a real Active Directory: a Samba 4 domain controller started for this
 * file. Proves objectGUID identity in canonical form (checked against samba-tool's own text),
 * userAccountControl disabled detection, uSNChanged and DirSync change reading with tombstones
 * as leavers, and write-back of `;ext=` to AD's Unicode phone attributes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Attribute, Change, Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import type { SourceRecord } from '../../core/model.ts';
import { sambaUnavailable, startSambaDc, type SambaDc } from '../../lab/samba.ts';
import { LdapSource } from './ldap-source.ts';

const unavailable = sambaUnavailable();
const skip = unavailable === undefined ? false : `${unavailable}; with CI=true this fails`;
if (unavailable !== undefined && process.env.CI === 'true') {
  it('needs a Samba AD DC in CI', () => assert.fail(`CI=true but ${unavailable}`));
}

describe('LdapSource on a Samba AD domain controller', { skip }, () => {
  let dc: SambaDc;
  let staffDn: string;
  const guids = new Map<string, string>();

  before(async () => {
    dc = await startSambaDc();
    staffDn = `OU=Staff,${dc.baseDn}`;
    await dc.tool(['ou', 'create', staffDn]);
    for (const name of ['alice', 'bob', 'erin', 'frank', 'mover']) await createUser(name);
    await dc.tool(['user', 'disable', 'bob']);
    await ldap((client) =>
      client.add(`CN=carol,${staffDn}`, {
        objectClass: ['top', 'person', 'organizationalPerson', 'user'],
        sAMAccountName: 'carol',
        sn: 'Carol',
      }),
    );
    for (const name of ['alice', 'bob', 'carol', 'erin', 'frank', 'mover']) {
      guids.set(name, await shownGuid(name));
    }
  });

  after(async () => {
    await dc?.stop();
  });

  it('reads people keyed by canonical objectGUID, disabled by userAccountControl', async () => {
    const records = await withSource({}, (source) => source.readAll());
    assert.equal(records.complete, true);
    assert.deepEqual(records.problems, []);
    const byName = new Map(records.records.map((r) => [r.attributes.username, r]));
    const names = ['alice', 'bob', 'carol', 'erin', 'frank', 'mover'];
    assert.deepEqual([...byName.keys()].sort(), names);
    for (const [name, guid] of guids) assert.equal(byName.get(name)?.externalId, guid, name);
    assert.equal(byName.get('alice')?.state, 'active');
    assert.equal(byName.get('bob')?.state, 'disabled');
    // Created over LDAP without a password: AD makes it 546 (disabled, password not required).
    assert.equal(await readAttribute('carol', 'userAccountControl'), '546');
    assert.equal(byName.get('carol')?.state, 'disabled');
    assert.equal(byName.get('alice')?.dn?.toLowerCase(), `cn=alice,${staffDn}`.toLowerCase());
  });

  for (const delta of ['usn', 'dirsync'] as const) {
    it(`reads exactly the changes since its cursor (${delta})`, async () => {
      await withSource({ delta }, async (source) => {
        const first = await source.readChanges(undefined);
        assert.equal(first.complete, true);
        assert.deepEqual(first.records, []);
        assert.ok(first.cursor.startsWith(`${delta}:`), first.cursor);

        const fresh = `${delta}new`;
        await createUser(fresh);
        const phone = delta === 'usn' ? '+15550001' : '+15550002';
        await ldap((client) =>
          client.modify(
            `CN=alice,${staffDn}`,
            new Change({
              operation: 'replace',
              modification: new Attribute({ type: 'telephoneNumber', values: [phone] }),
            }),
          ),
        );
        const toDisable = delta === 'usn' ? 'erin' : 'alice';
        await dc.tool(['user', 'disable', toDisable]);
        const toDelete = delta === 'usn' ? 'frank' : 'bob';
        await dc.tool(['user', 'delete', toDelete]);
        // usn: moved out of the synced OU (a leaver); dirsync: moved back in.
        const ou = delta === 'usn' ? dc.usersDn : staffDn;
        await dc.tool(['user', 'move', 'mover', ou]);

        const batch = await source.readChanges(first.cursor);
        assert.equal(batch.complete, true);
        assert.deepEqual(batch.problems, []);
        const seen = summary(batch.records);
        const freshGuid = await shownGuid(fresh);
        const expected = new Map([
          [freshGuid, `${fresh}:active`],
          [guids.get(toDelete)!, 'deleted'],
          [guids.get(toDisable)!, `${toDisable}:disabled`],
          [guids.get('mover')!, delta === 'usn' ? 'deleted' : 'mover:active'],
        ]);
        if (toDisable !== 'alice') expected.set(guids.get('alice')!, 'alice:active');
        assert.deepEqual(seen, new Map([...expected].sort()));
        const alice = batch.records.find((r) => r.externalId === guids.get('alice'));
        assert.equal(alice?.attributes.phone, phone);

        const quiet = await source.readChanges(batch.cursor);
        assert.equal(quiet.complete, true);
        assert.deepEqual(summary(quiet.records), new Map());
      });
    });
  }

  it('auto picks DirSync, which Samba announces in supportedControl', async () => {
    const batch = await withSource({ delta: 'auto' }, (source) => source.readChanges(undefined));
    assert.ok(batch.cursor.startsWith('dirsync:'), batch.cursor);
  });

  it('treats a cursor from another DC (other invocationId) as lost', async () => {
    for (const delta of ['usn', 'dirsync'] as const) {
      await withSource({ delta }, async (source) => {
        const { cursor } = await source.readChanges(undefined);
        const other = '00000000-0000-4000-8000-000000000000';
        const foreign = cursor.replace(/^(\w+:)[0-9a-f-]{36}/, `$1${other}`);
        assert.notEqual(foreign, cursor);
        const batch = await source.readChanges(foreign);
        assert.equal(batch.complete, false, delta);
        assert.ok(batch.cursor.startsWith(`${delta}:`));
      });
    }
  });

  it('writes `;ext=` to telephoneNumber and ipPhone as AD stores it', async () => {
    const guid = guids.get('carol')!;
    await withSource({}, (source) =>
      source.writeBack(
        { externalId: guid },
        { telephoneNumber: '+19085550100;ext=123', ipPhone: '+19085550100;ext=123' },
      ),
    );
    assert.equal(await readAttribute('carol', 'telephoneNumber'), '+19085550100;ext=123');
    assert.equal(await readAttribute('carol', 'ipPhone'), '+19085550100;ext=123');
  });

  function config(overrides: Partial<LdapSourceConfig>): LdapSourceConfig {
    return {
      name: 'ad',
      type: 'ldap',
      url: dc.url,
      bindDn: dc.adminDn,
      password: 'env:AD_PASSWORD',
      baseDn: staffDn,
      filter: '(&(objectClass=user)(!(objectClass=computer)))',
      pageSize: 2,
      idAttribute: 'objectGUID',
      attributes: { username: 'sAMAccountName', phone: 'telephoneNumber' },
      disabled: { userAccountControl: true },
      writeBack: { telephoneNumber: 'did', ipPhone: 'did' },
      timeoutMs: 10_000,
      delta: 'none',
      fullEverySeconds: 3600,
      ...overrides,
    };
  }

  async function withSource<T>(
    overrides: Partial<LdapSourceConfig>,
    work: (source: LdapSource) => Promise<T>,
  ): Promise<T> {
    const source = new LdapSource(config(overrides), { password: dc.adminPassword });
    try {
      return await work(source);
    } finally {
      await source.close();
    }
  }

  async function createUser(name: string): Promise<void> {
    const password = `Pw-${name}-9x!`;
    await dc.tool(['user', 'create', name, password, `--userou=OU=Staff`, `--surname=${name}`]);
  }

  /** The GUID as samba-tool prints it, independent of Callsign's own conversion. */
  async function shownGuid(name: string): Promise<string> {
    const shown = await dc.tool(['user', 'show', name, '--attributes=objectGUID']);
    const match = /^objectGUID: ([0-9a-f-]{36})$/m.exec(shown);
    assert.ok(match, `no objectGUID in: ${shown}`);
    return match[1]!;
  }

  async function readAttribute(name: string, attribute: string): Promise<string> {
    const shown = await dc.tool(['user', 'show', name, `--attributes=${attribute}`]);
    return new RegExp(`^${attribute}: (.*)$`, 'm').exec(shown)?.[1] ?? '';
  }

  async function ldap(work: (client: Client) => Promise<void>): Promise<void> {
    const client = new Client({ url: dc.url, timeout: 10_000 });
    try {
      await client.bind(dc.adminDn, dc.adminPassword);
      await work(client);
    } finally {
      await client.unbind();
    }
  }
});

/** externalId → `username:state`, or `deleted`, sorted by id. */
function summary(records: SourceRecord[]): Map<string, string> {
  const pairs = records.map((r): [string, string] => [
    r.externalId,
    r.state === 'deleted' ? 'deleted' : `${String(r.attributes.username)}:${r.state}`,
  ]);
  return new Map(pairs.sort());
}
