import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import type { SourceRecord } from '../../core/model.ts';
import { generateLabPeople, startSlapd, type SlapdLab } from '../../lab/slapd.ts';
import { LdapSource } from './ldap-source.ts';
import { labSourceConfig, slapdSkip } from './testing/slapd-kit.ts';

const skip = slapdSkip();

function config(lab: SlapdLab, delta: LdapSourceConfig['delta']): LdapSourceConfig {
  return labSourceConfig(lab, {
    pageSize: 3,
    attributes: { username: 'uid', site: 'l', employeeId: 'employeeNumber' },
    disabled: { userAccountControl: true },
    delta,
  });
}

const summary = (records: SourceRecord[]) =>
  records.map((r) => `${r.state}:${String(r.attributes.username ?? r.externalId)}`).sort();

describe('the LDAP source reading changes with Content Sync', { skip }, () => {
  let lab: SlapdLab;

  before(async () => {
    lab = await startSlapd({ people: generateLabPeople(8) });
  });
  after(async () => {
    await lab?.stop();
  });

  for (const delta of ['content-sync', 'auto'] as const) {
    it(`yields the changed, disabled and deleted people (delta: ${delta})`, async () => {
      const source = new LdapSource(config(lab, delta), { password: lab.servicePassword });
      try {
        const first = await source.readChanges(undefined);
        assert.match(first.cursor, /^content-sync:v1\./);
        assert.deepEqual([first.records, first.complete], [[], true]);

        const n = delta === 'auto' ? 1 : 0;
        const [added] = generateLabPeople(1, { first: 40 + n });
        await lab.people.addPerson(added!);
        await lab.people.modifyPerson(`p0000${1 + 3 * n}`, { l: 'Lisbon' });
        await lab.people.disablePerson(`p0000${2 + 3 * n}`);
        const gone = (await lab.people.readPerson(`p0000${3 + 3 * n}`, ['entryUUID']))
          .entryUUID![0]!;
        await lab.people.deletePerson(`p0000${3 + 3 * n}`);

        const batch = await source.readChanges(first.cursor);
        assert.equal(batch.complete, true);
        assert.deepEqual(batch.problems, []);
        assert.deepEqual(
          summary(batch.records),
          [
            `active:${added!.uid}`,
            `active:p0000${1 + 3 * n}`,
            `deleted:${gone}`,
            `disabled:p0000${2 + 3 * n}`,
          ].sort(),
        );
        const moved = batch.records.find((r) => r.attributes.username === `p0000${1 + 3 * n}`);
        assert.equal(moved!.attributes.site, 'Lisbon');

        const quiet = await source.readChanges(batch.cursor);
        assert.deepEqual([quiet.records, quiet.complete], [[], true]);
      } finally {
        await source.close();
      }
    });
  }

  it('treats a timestamp cursor as lost once content-sync is chosen', async () => {
    const source = new LdapSource(config(lab, 'content-sync'), { password: lab.servicePassword });
    const batch = await source.readChanges('timestamp:{"v":1,"t":"20261204172004Z","seen":{}}');
    assert.equal(batch.complete, false);
    assert.match(batch.cursor, /^content-sync:v1\./);
    assert.equal((await source.readChanges(batch.cursor)).complete, true);
  });
});
