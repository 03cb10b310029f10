import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import { generateLabPeople, startSlapd, type SlapdLab } from '../../lab/slapd.ts';
import { connectLdap } from './connect.ts';
import { readTimestampChanges } from './delta-timestamp.ts';
import { requestedAttributes } from './entry-mapper.ts';
import { LdapSource } from './ldap-source.ts';
import { labSourceConfig, slapdSkip } from './testing/slapd-kit.ts';

const skip = slapdSkip();

describe('slapd killed and restarted on the same port and data', { skip }, () => {
  let lab: SlapdLab;
  let cfg: LdapSourceConfig;
  const uids = generateLabPeople(12).map((p) => p.uid);

  before(async () => {
    lab = await startSlapd({ people: generateLabPeople(12) });
    cfg = labSourceConfig(lab, {
      pageSize: 2,
      attributes: { username: 'uid', site: 'l' },
      writeBack: { telephoneNumber: 'did' },
      timeoutMs: 2000,
      delta: 'timestamp',
    });
  });
  after(async () => lab?.stop());

  async function refusal(work: Promise<unknown>): Promise<CallsignError> {
    const err = await work.then(
      () => assert.fail('expected a failure while slapd is down'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CallsignError, String(err));
    return err;
  }

  it('between syncs: unavailable while down, then the old cursor still works', async () => {
    const source = new LdapSource(cfg, { password: lab.servicePassword });
    const dn = await lab.people.personDn(uids[0]!);
    await source.writeBack({ externalId: 'x', dn }, { telephoneNumber: '+12125550100' });
    const { cursor } = await source.readChanges(undefined);

    await lab.kill();
    const down = await refusal(source.readChanges(cursor));
    assert.equal(down.code, 'unavailable');
    assert.equal(down.retryable, true);
    assert.equal((await refusal(source.readAll())).code, 'unavailable');

    await lab.restart();
    await lab.people.modifyPerson(uids[1]!, { l: 'Lima' });
    const batch = await source.readChanges(cursor);
    assert.equal(batch.complete, true);
    assert.deepEqual(
      batch.records.map((r) => [r.attributes.username, r.attributes.site]),
      [[uids[1], 'Lima']],
    );
    // The write connection from before the crash is replaced, not reused unbound.
    await source.writeBack({ externalId: 'x', dn }, { telephoneNumber: '+12125550101' });
    const stored = await lab.people.readPerson(uids[0]!, ['telephoneNumber']);
    assert.deepEqual(stored.telephoneNumber, ['+1 212 555 0101']);
    await source.close();
  });

  it('a client from before the restart fails instead of reconnecting unbound', async () => {
    const client = await connectLdap(cfg, lab.servicePassword);
    await lab.kill();
    await lab.restart();
    // ldapts alone would reopen the socket and search anonymously (or, after StartTLS, in
    // plain text); this client refuses.
    const search = client.search(lab.peopleDn, { filter: '(uid=p00001)' });
    await assert.rejects(search, /does not reconnect/);
    assert.equal(client.isConnected, false);
  });

  it('a full read cut by the crash is incomplete; the next one is complete', async () => {
    const source = new LdapSource(cfg, {
      password: lab.servicePassword,
      onPage: async ({ number }) => {
        if (number === 2) await lab.kill();
      },
    });
    const cut = await source.readAll();
    assert.equal(cut.complete, false);
    assert.equal(cut.records.length, 4);
    assert.match(cut.problems[0]?.message ?? '', /Read stopped after 2 pages/);

    await lab.restart();
    const whole = await new LdapSource(cfg, { password: lab.servicePassword }).readAll();
    assert.equal(whole.complete, true);
    assert.equal(whole.records.length, 12);
  });

  it('a change read cut by the crash keeps its cursor; the retry gets everything', async () => {
    const source = new LdapSource(cfg, { password: lab.servicePassword });
    const { cursor } = await source.readChanges(undefined);
    const own = cursor.slice('timestamp:'.length);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const uid of uids.slice(2, 8)) await lab.people.modifyPerson(uid, { l: 'Kyiv' });

    const real = await connectLdap(cfg, lab.servicePassword);
    const client = killAfterFirstPage(real, () => lab.kill());
    const context = { client, config: cfg, attributes: requestedAttributes(cfg) };
    const cut = await readTimestampChanges(context, own);
    assert.equal(cut.complete, false);
    // The first page may hold overlap entries already delivered; the rest never arrived.
    assert.ok(cut.entries.length < 6, `${cut.entries.length} of 6 changes arrived`);
    assert.ok(cut.entries.every((entry) => entry.l === 'Kyiv'));
    assert.equal(cut.cursor, own, 'the cursor does not move past what was not read');
    await real.unbind().catch(() => undefined);

    await lab.restart();
    const retry = await source.readChanges(cursor);
    assert.equal(retry.complete, true);
    assert.deepEqual(retry.records.map((r) => r.attributes.username).sort(), uids.slice(2, 8));
  });
});

/** The real client, whose paged searches kill the server once the first page is in. */
function killAfterFirstPage(client: Client, kill: () => Promise<void>): Client {
  return new Proxy(client, {
    get(target, property) {
      if (property === 'searchPaginated') {
        return async function* (...args: Parameters<Client['searchPaginated']>) {
          let pages = 0;
          for await (const page of target.searchPaginated(...args)) {
            yield page;
            if (++pages === 1) await kill();
          }
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
