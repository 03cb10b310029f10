import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { FilterParser } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { findSlapd, generateLabPeople, startSlapd, type LabPerson } from '../../lab/slapd.ts';
import type { SlapdLab } from '../../lab/slapd.ts';
import { LdapSource } from './ldap-source.ts';
import { MAX_PARALLEL_READS, partitionFilters } from './partitions.ts';
import { labSourceConfig, readWhileStopping } from './testing/slapd-kit.ts';

const skip = findSlapd() === undefined ? 'slapd is not installed' : false;

describe('partitionFilters', () => {
  it('leaves a read of one partition as the source filter', () => {
    assert.deepEqual(partitionFilters('(objectClass=user)', 'cn', 1), ['(objectClass=user)']);
  });

  it('gives each first character to exactly one partition and the rest to the last', () => {
    const filters = partitionFilters('(objectClass=user)', 'cn', 5);
    assert.equal(filters.length, 5);
    for (const f of filters) assert.doesNotThrow(() => FilterParser.parseString(f));
    for (const c of '0123456789abcdefghijklmnopqrstuvwxyz') {
      const owners = filters.filter((f) => f.includes(`(cn=${c}*)`) && !f.includes('(!'));
      const inBuckets = filters
        .map((f) => f.split('(!')[0]!)
        .filter((f) => f.includes(`(cn=${c}*)`));
      assert.equal(inBuckets.length, 1, `character ${c}`);
      assert.ok(owners.length <= 1);
    }
    assert.equal(filters.filter((f) => f.includes('(!(|')).length, 1);
    assert.ok(filters.at(-1)!.includes('(!(|'));
  });

  it('refuses attributes without substring matching and counts out of range', () => {
    assert.throws(() => partitionFilters('(a=b)', 'entryUUID', 4), /substring/);
    assert.throws(() => partitionFilters('(a=b)', 'objectGUID', 4), /substring/);
    assert.throws(() => partitionFilters('(a=b)', 'cn', 0), /parallelReads/);
    assert.throws(() => partitionFilters('(a=b)', 'cn', MAX_PARALLEL_READS + 1), /parallelReads/);
    assert.throws(() => partitionFilters('(a=b)', 'cn)(x=*', 4), /attribute name/);
  });
});

/** People whose cn and title start with every kind of character, some with no title. */
function awkwardPeople(): LabPerson[] {
  const base = generateLabPeople(400);
  const names = ['7 Seven', '0zero', 'Élodie Brun', 'ÅSA Berg', 'ZED UPPER', 'zed lower', '_under'];
  const odd = names.map((cn, i) => ({
    ...generateLabPeople(1, { first: 1000 + i })[0]!,
    cn,
    rdn: 'cn' as const,
    title: i % 2 === 0 ? '' : cn,
  }));
  // Two values of cn in two different partitions: must come once.
  const twice = {
    ...generateLabPeople(1, { first: 2000 })[0]!,
    extra: { cn: ['Ada Twice', 'Ben Twice'] },
  };
  return [...base, ...odd, twice];
}

function config(lab: SlapdLab, overrides: Partial<LdapSourceConfig> = {}): LdapSourceConfig {
  return labSourceConfig(lab, {
    password: 'env:UNUSED',
    attributes: { username: 'uid', displayName: 'cn' },
    timeoutMs: 10_000,
    delta: 'none',
    ...overrides,
  });
}

describe('parallel reads on a real OpenLDAP', { skip }, () => {
  let lab: SlapdLab;
  before(async () => {
    lab = await startSlapd({ people: awkwardPeople() });
  });
  after(async () => {
    await lab?.stop();
  });

  async function ids(overrides: Partial<LdapSourceConfig>) {
    const source = new LdapSource(config(lab, overrides), { password: lab.servicePassword });
    const snapshot = await source.readAll();
    assert.equal(snapshot.complete, true);
    return snapshot.records.map((r) => r.externalId);
  }

  for (const partitionAttribute of ['cn', 'title']) {
    it(`reads the same people in partitions of ${partitionAttribute} as in one search`, async () => {
      const single = await ids({});
      assert.equal(single.length, 408);
      for (const parallelReads of [2, 4, 7]) {
        const split = await ids({ parallelReads, partitionAttribute });
        assert.equal(new Set(split).size, split.length, 'no duplicates');
        assert.deepEqual([...split].sort(), [...single].sort(), `${parallelReads} partitions`);
      }
    });
  }

  it('marks the whole read incomplete when the server goes away during it', async () => {
    const snapshot = await readWhileStopping(generateLabPeople(600), (own) =>
      config(own, { parallelReads: 3 }),
    );
    assert.equal(snapshot.complete, false);
    assert.ok(snapshot.records.length < 600);
    assert.match(snapshot.problems.at(-1)?.message ?? '', /Read stopped after \d+ pages/);
  });
});
