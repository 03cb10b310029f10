import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { findSlapd, generateLabPeople, startSlapd, type SlapdLab } from '../../lab/slapd.ts';
import { mayUseContentSync, watchContentSync } from './delta-content-sync-watch.ts';

const installed = findSlapd() !== undefined;
const skip = installed ? false : 'slapd is not installed (apt-get install slapd ldap-utils)';
if (!installed && process.env.CI === 'true') {
  it('needs slapd in CI', () => assert.fail('CI=true but slapd/slapadd were not found'));
}

function config(lab: SlapdLab, overrides: Partial<LdapSourceConfig> = {}): LdapSourceConfig {
  return {
    name: 'corp',
    type: 'ldap',
    url: lab.url,
    bindDn: lab.serviceDn,
    password: 'env:CORP_LDAP_PASSWORD',
    baseDn: lab.peopleDn,
    filter: '(objectClass=inetOrgPerson)',
    pageSize: 50,
    idAttribute: 'entryUUID',
    attributes: { username: 'uid' },
    writeBack: {},
    timeoutMs: 3000,
    delta: 'content-sync',
    fullEverySeconds: 3600,
    ...overrides,
  };
}

/** Starts a watch and records when each ring arrives. */
function startWatch(lab: SlapdLab, overrides: Partial<LdapSourceConfig> = {}) {
  const stop = new AbortController();
  const rings: number[] = [];
  let notify: (() => void) | undefined;
  const done = watchContentSync({
    config: config(lab, overrides),
    password: lab.servicePassword,
    onChange: () => {
      rings.push(Date.now());
      notify?.();
    },
    signal: stop.signal,
    retryMs: 100,
  });
  const nextRing = (ms = 1000) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ring within ${ms} ms`)), ms);
      notify = () => {
        clearTimeout(timer);
        notify = undefined;
        resolve(Date.now());
      };
    });
  return { stop, rings, done, nextRing };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('Content Sync watch (refreshAndPersist) against a real OpenLDAP', { skip }, () => {
  let lab: SlapdLab;

  before(async () => {
    lab = await startSlapd({ people: generateLabPeople(6) });
  });
  after(async () => {
    await lab?.stop();
  });

  it('rings within a second of an add, a modify and a delete, not for the refresh', async () => {
    const watch = startWatch(lab);
    try {
      await settle();
      assert.deepEqual(watch.rings, [], 'the initial listing is not a change');
      for (const change of [
        () => lab.people.addPerson(generateLabPeople(1, { first: 30 })[0]!),
        () => lab.people.modifyPerson('p00001', { l: 'Lisbon' }),
        () => lab.people.deletePerson('p00002'),
      ]) {
        const ring = watch.nextRing();
        const started = Date.now();
        await change();
        assert.ok((await ring) - started < 1000);
      }
    } finally {
      watch.stop.abort();
      await watch.done;
    }
  });

  it('does not ring for changes outside the base or filter', async () => {
    const watch = startWatch(lab, { filter: '(l=Quito)' });
    try {
      await settle();
      await lab.people.modifyPerson('p00003', { l: 'Oslo' });
      await settle();
      assert.deepEqual(watch.rings, []);
      const ring = watch.nextRing();
      await lab.people.modifyPerson('p00003', { l: 'Quito' });
      await ring;
    } finally {
      watch.stop.abort();
      await watch.done;
    }
  });

  it('reconnects after the server restarts, and rings once it is back', async () => {
    const watch = startWatch(lab);
    try {
      await settle();
      const back = watch.nextRing(5000);
      await lab.restart();
      await back;
      const ring = watch.nextRing();
      await lab.people.modifyPerson('p00004', { l: 'Paris' });
      await ring;
    } finally {
      watch.stop.abort();
      await watch.done;
    }
  });

  it('ends at once when aborted', async () => {
    const watch = startWatch(lab, {});
    await settle();
    const started = Date.now();
    watch.stop.abort();
    await watch.done;
    assert.ok(Date.now() - started < 500);
  });

  it('is used for OpenLDAP under auto or content-sync, never for AD or other mechanisms', () => {
    assert.equal(mayUseContentSync({ delta: 'auto', idAttribute: 'entryUUID' }), true);
    assert.equal(mayUseContentSync({ delta: 'content-sync', idAttribute: 'entryUUID' }), true);
    assert.equal(mayUseContentSync({ delta: 'auto', idAttribute: 'objectGUID' }), false);
    assert.equal(mayUseContentSync({ delta: 'timestamp', idAttribute: 'entryUUID' }), false);
    assert.equal(mayUseContentSync({ delta: 'none', idAttribute: 'entryUUID' }), false);
  });
});
