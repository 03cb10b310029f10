/**
 * Groups and bad input on a real slapd: a 3,000-member group read completely through the normal
 * path, nested groups with a cycle, a failed group read that leaves the snapshot incomplete,
 * entries whose mapped values are not UTF-8, binary, huge, or whose id is missing, and memberOf
 * as the memberof overlay maintains it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Attribute, Change, Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { generateLabPeople, startSlapd, type SlapdLab } from '../../lab/slapd.ts';
import { MAX_TEXT_LENGTH } from './entry-mapper.ts';
import { LdapSource } from './ldap-source.ts';
import { labSourceConfig, slapdSkip } from './testing/slapd-kit.ts';

const skip = slapdSkip();

function config(lab: SlapdLab, overrides: Partial<LdapSourceConfig> = {}): LdapSourceConfig {
  return labSourceConfig(lab, {
    password: 'env:UNUSED',
    pageSize: 500,
    attributes: { username: 'uid', employeeId: 'employeeNumber' },
    timeoutMs: 5000,
    delta: 'none',
    ...overrides,
  });
}

const uid = (n: number) => `p${String(n).padStart(5, '0')}`;

describe('LDAP groups on a real slapd', { skip }, () => {
  let lab: SlapdLab;
  const groupsDn = () => `ou=Groups,${lab.suffix}`;

  before(async () => {
    lab = await startSlapd({
      people: generateLabPeople(3010),
      adLimits: true,
      groups: [
        { cn: 'all-staff', memberUids: Array.from({ length: 3000 }, (_, i) => uid(i + 1)) },
        { cn: 'cc-agents', memberUids: [uid(1), uid(2)] },
        // support holds cc-agents and loop; loop holds support: a cycle.
        { cn: 'support', memberGroups: ['cc-agents', 'loop'] },
        { cn: 'loop', memberGroups: ['support'] },
      ],
    });
  });
  after(async () => lab?.stop());

  const read = async (overrides: Partial<LdapSourceConfig>) => {
    const source = new LdapSource(config(lab, overrides), { password: lab.servicePassword });
    try {
      return await source.readAll();
    } finally {
      await source.close();
    }
  };
  const groupsOf = (records: { attributes: Record<string, unknown> }[], who: string) =>
    records.find((r) => r.attributes.username === who)?.attributes.groups;

  it('reads a 3,000-member group completely (direct memberships only)', async () => {
    const groups = { attribute: 'groups', memberOf: false, nested: false, baseDn: groupsDn() };
    const snapshot = await read({ groups });
    assert.equal(snapshot.complete, true);
    assert.deepEqual(snapshot.problems, []);
    assert.equal(snapshot.records.length, 3010);
    const inAll = snapshot.records.filter((r) =>
      (r.attributes.groups as string[]).includes('all-staff'),
    );
    assert.equal(inAll.length, 3000);
    assert.deepEqual(groupsOf(snapshot.records, uid(1)), ['all-staff', 'cc-agents']);
    assert.deepEqual(groupsOf(snapshot.records, uid(3005)), []);
  });

  it('resolves nested groups through a cycle', async () => {
    const groups = { attribute: 'groups', memberOf: false, nested: true, baseDn: groupsDn() };
    const snapshot = await read({ groups });
    assert.equal(snapshot.complete, true);
    const expected = ['all-staff', 'cc-agents', 'loop', 'support'];
    assert.deepEqual(groupsOf(snapshot.records, uid(2)), expected);
    assert.deepEqual(groupsOf(snapshot.records, uid(3)), ['all-staff']);
  });

  it('honours the group filter', async () => {
    const filter = '(&(objectClass=groupOfNames)(!(cn=all-staff)))';
    const groups = {
      attribute: 'teams',
      memberOf: false,
      nested: false,
      baseDn: groupsDn(),
      filter,
    };
    const snapshot = await read({ groups });
    const ann = snapshot.records.find((r) => r.attributes.username === uid(1));
    assert.deepEqual(ann?.attributes.teams, ['cc-agents']);
  });

  it('a failed group read makes the snapshot incomplete and names the groups', async () => {
    const baseDn = `ou=Nowhere,${lab.suffix}`;
    const groups = { attribute: 'groups', memberOf: false, nested: true, baseDn };
    const snapshot = await read({ groups });
    assert.equal(snapshot.complete, false);
    assert.equal(snapshot.records.length, 0);
    assert.equal(snapshot.problems.length, 1);
    assert.equal(snapshot.problems[0]!.field, 'groups');
    assert.equal(snapshot.problems[0]!.record, baseDn);
  });
});

describe('bad input on a real slapd', { skip }, () => {
  let lab: SlapdLab;
  const [good, notUtf8, binary, huge, noId] = generateLabPeople(5);

  before(async () => {
    lab = await startSlapd({
      people: [
        good!,
        // `audio` and `jpegPhoto` are octet strings to slapd: it stores any bytes.
        { ...notUtf8!, extra: { audio: Buffer.from([0x41, 0xff, 0xfe, 0x42]) } },
        { ...binary!, extra: { jpegPhoto: Buffer.from([0x00, 0x01, 0x02, 0x41]) } },
        { ...huge!, extra: { description: 'x'.repeat(MAX_TEXT_LENGTH + 1000) } },
        { ...noId!, employeeNumber: '' },
      ],
    });
  });
  after(async () => lab?.stop());

  it('reports each bad value by DN and field; the entry and the read go on', async () => {
    const attributes = {
      username: 'uid',
      employeeId: 'employeeNumber',
      note: 'audio',
      photo: 'jpegPhoto',
      about: 'description',
      site: 'l',
    };
    const source = new LdapSource(config(lab, { attributes }), { password: lab.servicePassword });
    const snapshot = await source.readAll();
    await source.close();

    assert.equal(snapshot.complete, true);
    assert.equal(snapshot.records.length, 5);
    const byField = new Map(snapshot.problems.map((p) => [p.field, p]));
    assert.equal(snapshot.problems.length, 3);
    const dnOf = async (who: string) => lab.people.personDn(who);
    assert.equal(byField.get('audio')?.record, await dnOf(notUtf8!.uid));
    assert.match(byField.get('audio')!.message, /not valid UTF-8/);
    assert.equal(byField.get('jpegPhoto')?.record, await dnOf(binary!.uid));
    assert.match(byField.get('jpegPhoto')!.message, /binary/);
    assert.equal(byField.get('description')?.record, await dnOf(huge!.uid));
    assert.match(byField.get('description')!.message, /characters long/);

    for (const person of [notUtf8!, binary!, huge!]) {
      const record = snapshot.records.find((r) => r.attributes.username === person.uid);
      assert.equal(record?.attributes.site, person.l, `${person.uid} keeps its other attributes`);
      assert.equal(record?.attributes.note, undefined);
      assert.equal(record?.attributes.photo, undefined);
      assert.equal(record?.attributes.about, undefined);
    }
  });

  it('an entry without its id attribute is reported and skipped; the read goes on', async () => {
    const cfg = config(lab, { idAttribute: 'employeeNumber' });
    const source = new LdapSource(cfg, { password: lab.servicePassword });
    const snapshot = await source.readAll();
    await source.close();
    assert.equal(snapshot.complete, true);
    assert.equal(snapshot.records.length, 4);
    assert.deepEqual(snapshot.problems, [
      {
        source: 'corp',
        record: await lab.people.personDn(noId!.uid),
        field: 'employeeNumber',
        message: 'Entry has no employeeNumber',
      },
    ]);
  });
});

describe('memberOf from the memberof overlay of a real slapd', { skip }, () => {
  let lab: SlapdLab;
  const groupDn = (cn: string) => `cn=${cn},ou=Groups,${lab.suffix}`;

  before(async () => {
    lab = await startSlapd({ people: generateLabPeople(20), memberOf: true });
    // Added over LDAP so that the overlay writes memberOf (slapadd bypasses overlays).
    await asAdmin(async (client) => {
      const personDn = async (n: number) => lab.people.personDn(uid(n));
      const groups: [string, string[]][] = [
        ['cc-agents', [await personDn(1), await personDn(2)]],
        ['support', [groupDn('cc-agents'), await personDn(3)]],
      ];
      for (const [cn, member] of groups) {
        await client.add(groupDn(cn), { objectClass: 'groupOfNames', cn, member });
      }
    });
  });
  after(async () => lab?.stop());

  async function asAdmin(work: (client: Client) => Promise<void>) {
    const client = new Client({ url: lab.url, timeout: 5000 });
    try {
      await client.bind(lab.adminDn, lab.adminPassword);
      await work(client);
    } finally {
      await client.unbind();
    }
  }

  async function groupsByUid(nested: boolean) {
    const groups = {
      attribute: 'groups',
      memberOf: true,
      nested,
      baseDn: `ou=Groups,${lab.suffix}`,
    };
    const source = new LdapSource(config(lab, { groups }), { password: lab.servicePassword });
    const snapshot = await source.readAll();
    await source.close();
    assert.equal(snapshot.complete, true);
    return new Map(snapshot.records.map((r) => [r.attributes.username, r.attributes.groups]));
  }

  it('reads direct groups from memberOf, and nested ones through the group graph', async () => {
    const direct = await groupsByUid(false);
    assert.deepEqual(direct.get(uid(1)), ['cc-agents']);
    assert.deepEqual(direct.get(uid(3)), ['support']);
    assert.deepEqual(direct.get(uid(4)), []);
    const nested = await groupsByUid(true);
    assert.deepEqual(nested.get(uid(1)), ['cc-agents', 'support']);
    assert.deepEqual(nested.get(uid(3)), ['support']);
  });

  it('follows the overlay when a member leaves a group', async () => {
    const personDn = await lab.people.personDn(uid(2));
    await asAdmin((client) =>
      client.modify(
        groupDn('cc-agents'),
        new Change({
          operation: 'delete',
          modification: new Attribute({ type: 'member', values: [personDn] }),
        }),
      ),
    );
    const direct = await groupsByUid(false);
    assert.deepEqual(direct.get(uid(2)), []);
    assert.deepEqual(direct.get(uid(1)), ['cc-agents']);
  });
});
