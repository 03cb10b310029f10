/**
 * Group memberships without a server: AD's ranged retrieval against a fake client that answers
 * the way AD does (`member;range=0-2`, then `member;range=3-5`, then `member;range=6-*`), and
 * the walk over nested groups, cycles included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { LdapGroupsConfig } from '../../core/config-types.ts';
import {
  buildGroupGraph,
  nameOfDn,
  personGroups,
  readRangedValues,
  type RangeClient,
} from './groups.ts';

/** A fake AD: hands out `values` in ranges of `step`, answering under the real range name. */
function fakeAd(dn: string, values: string[], step: number, synthesize = true) {
  const asked: string[] = [];
  const client: RangeClient = {
    async search(base, options) {
      assert.equal(base, dn);
      assert.equal(options.scope, 'base');
      const wanted = options.attributes[0]!;
      asked.push(wanted);
      const start = Number(/;range=(\d+)-\*$/.exec(wanted)![1]);
      const entry: Record<string, unknown> = { dn, ...chunk(values, start, step) };
      // ldapts adds the requested name with no values when the server used another name.
      if (synthesize && !(wanted in entry)) entry[wanted] = [];
      return { searchEntries: [entry] };
    },
  };
  return { client, asked, first: { dn, ...chunk(values, 0, step) } };
}

function chunk(values: string[], start: number, step: number): Record<string, string[]> {
  const end = start + step - 1;
  const last = end >= values.length - 1;
  const key = `member;range=${start}-${last ? '*' : end}`;
  return { [key]: values.slice(start, last ? undefined : end + 1) };
}

const members = (n: number) => Array.from({ length: n }, (_, i) => `uid=u${i},ou=People,o=x`);

describe('readRangedValues', () => {
  it('follows ranges until the last one, as AD hands them out', async () => {
    const all = members(8);
    const { client, asked, first } = fakeAd('cn=big,o=x', all, 3);
    const got = await readRangedValues(client, first, 'member');
    assert.deepEqual(got, all);
    assert.deepEqual(asked, ['member;range=3-*', 'member;range=6-*']);
  });

  it('reads 4,000 members in ranges of 1,500 completely', async () => {
    const all = members(4000);
    const { client, asked, first } = fakeAd('cn=huge,o=x', all, 1500, false);
    const got = await readRangedValues(client, first, 'member');
    assert.equal(got.length, 4000);
    assert.equal(new Set(got).size, 4000);
    assert.deepEqual(asked, ['member;range=1500-*', 'member;range=3000-*']);
  });

  it('asks nothing when the values came whole', async () => {
    const { client, asked } = fakeAd('cn=small,o=x', [], 3);
    const entry = { dn: 'cn=small,o=x', member: ['uid=a,o=x', 'uid=b,o=x'] };
    assert.deepEqual(await readRangedValues(client, entry, 'member'), entry.member);
    assert.deepEqual(asked, []);
  });

  it('matches the attribute without case', async () => {
    const { client, first } = fakeAd('cn=big,o=x', members(5), 2);
    const renamed = Object.entries(first).map(([k, v]) => [k.replace('member', 'Member'), v]);
    const upper = Object.fromEntries(renamed);
    assert.equal((await readRangedValues(client, upper as never, 'member')).length, 5);
  });

  it('fails on an answer that does not continue where it was asked', async () => {
    const client: RangeClient = {
      search: async (dn) => ({ searchEntries: [{ dn, 'member;range=0-2': ['a', 'b', 'c'] }] }),
    };
    const entry = { dn: 'cn=loop,o=x', 'member;range=0-2': ['a', 'b', 'c'] };
    await assert.rejects(readRangedValues(client, entry, 'member'), /asked from 3, got range 0-2/);
  });
});

describe('personGroups', () => {
  const base = 'ou=Groups,o=x';
  const graph = buildGroupGraph([
    { dn: `cn=Agents,${base}`, cn: 'Agents', members: ['UID=Ann,OU=People,O=X'] },
    { dn: `cn=Support,${base}`, cn: 'Support', members: [`cn=agents,${base}`] },
    // A cycle: Everyone holds Support, Support (through Agents) is held by Everyone.
    { dn: `cn=Everyone,${base}`, cn: 'Everyone', members: [`cn=Support,${base}`] },
    { dn: `cn=Loop,${base}`, cn: 'Loop', members: [`cn=Everyone,${base}`] },
    { dn: `cn=Others,${base}`, cn: 'Others', members: ['uid=bob,ou=People,o=x'] },
  ]);
  graph.parents.get(`cn=everyone,${base.toLowerCase()}`)!.push(`cn=loop,${base.toLowerCase()}`);
  const config = (nested: boolean, memberOf = false): LdapGroupsConfig => ({
    attribute: 'groups',
    memberOf,
    nested,
  });

  it('gives direct groups from the groups side, DNs compared normalised', () => {
    const dn = 'uid=ann,ou=People,o=x';
    const got = personGroups({ dn, memberOf: [], graph, config: config(false) });
    assert.deepEqual(got, ['Agents']);
  });

  it('walks nested groups and stops at a cycle', () => {
    const dn = 'uid=ann,ou=people,o=x';
    const got = personGroups({ dn, memberOf: [], graph, config: config(true) });
    assert.deepEqual(got, ['Agents', 'Everyone', 'Loop', 'Support']);
  });

  it('takes direct groups from memberOf, named by their cn', () => {
    const memberOf = ['CN=Sales\\, EMEA,OU=Groups,DC=corp', `cn=Agents,${base}`];
    const dn = 'uid=zed,o=x';
    const got = personGroups({ dn, memberOf, graph: undefined, config: config(false, true) });
    assert.deepEqual(got, ['Agents', 'Sales, EMEA']);
    const nested = personGroups({ dn, memberOf, graph, config: config(true, true) });
    assert.deepEqual(nested, ['Agents', 'Everyone', 'Loop', 'Sales, EMEA', 'Support']);
  });

  it('names a group without a cn RDN by its normalised DN', () => {
    assert.equal(nameOfDn('OU=Phones,DC=Corp'), 'ou=phones,dc=corp');
  });
});
