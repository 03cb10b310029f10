import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Attribute, Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { findSlapd, generateLabPeople, startSlapd, type SlapdLab } from '../../lab/slapd.ts';
import { readContentSync } from './delta-content-sync.ts';
import { mayUseContentSync, watchContentSync } from './delta-content-sync-watch.ts';
import { labSourceConfig, slapdSkip } from './testing/slapd-kit.ts';

const skip = slapdSkip();

function config(lab: SlapdLab, overrides: Partial<LdapSourceConfig> = {}): LdapSourceConfig {
  return labSourceConfig(lab, overrides);
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

  it('rings within a second of a move out of the base', async () => {
    const admin = new Client({ url: lab.url });
    await admin.bind(lab.adminDn, lab.adminPassword);
    const branch = `ou=Branch,${lab.peopleDn}`;
    await admin.add(branch, [
      new Attribute({ type: 'objectClass', values: ['organizationalUnit'] }),
      new Attribute({ type: 'ou', values: ['Branch'] }),
    ]);
    await admin.modifyDN(await lab.people.personDn('p00005'), `uid=p00005,${branch}`);
    const watch = startWatch(lab, { baseDn: branch });
    try {
      await settle();
      const ring = watch.nextRing();
      const started = Date.now();
      // Out of the watched base, to where the bind account may still read it.
      await admin.modifyDN(`uid=p00005,${branch}`, `uid=p00005,${lab.peopleDn}`);
      assert.ok((await ring) - started < 1000);
    } finally {
      watch.stop.abort();
      await watch.done;
      await admin.unbind();
    }
  });

  it('hears no move to where the bind account may not read; the reader still finds it', async () => {
    // slapd sends the persist-mode delete under the entry's new DN, and only if the bind
    // account may read that entry: the lab's account reads nothing outside ou=People.
    const admin = new Client({ url: lab.url });
    await admin.bind(lab.adminDn, lab.adminPassword);
    const cfg = config(lab);
    const idle = new Client({ url: 'ldap://127.0.0.1:1' });
    const context = {
      client: idle,
      config: cfg,
      attributes: ['uid'],
      password: lab.servicePassword,
    };
    const uuid = (await lab.people.readPerson('p00006', ['entryUUID'])).entryUUID![0]!;
    const cursor = (await readContentSync(context, undefined)).cursor;
    const watch = startWatch(lab);
    try {
      await settle();
      const ring = watch.nextRing();
      const dn = await lab.people.personDn('p00006');
      await admin.modifyDN(dn, `uid=p00006,ou=Services,${lab.suffix}`);
      await assert.rejects(ring, /no ring within/);
      const page = await readContentSync(context, cursor);
      assert.deepEqual([page.complete, page.deleted], [true, [uuid]]);
    } finally {
      watch.stop.abort();
      await watch.done;
      await admin.unbind();
    }
  });

  it('rings for that move once the bind account may read `entry` across the suffix', async (t) => {
    const slapmodify = join(dirname(findSlapd()!.slapadd), 'slapmodify');
    if (!existsSync(slapmodify)) return t.skip('slapmodify is not installed');
    // The remedy the README gives: read on the entry itself (no attribute) outside ou=People.
    await lab.kill();
    const ldif = join(lab.dir, 'entry-read.ldif');
    writeFileSync(
      ldif,
      [
        'dn: olcDatabase={1}mdb,cn=config',
        'changetype: modify',
        'add: olcAccess',
        `olcAccess: {5}to dn.subtree="${lab.suffix}" attrs=entry by dn.exact="${lab.serviceDn}" read`,
        '',
      ].join('\n'),
    );
    execFileSync(slapmodify, ['-F', join(lab.dir, 'slapd.d'), '-n', '0', '-l', ldif]);
    await lab.restart();
    const admin = new Client({ url: lab.url });
    await admin.bind(lab.adminDn, lab.adminPassword);
    const watch = startWatch(lab);
    try {
      await settle();
      const ring = watch.nextRing();
      const started = Date.now();
      await admin.modifyDN(
        await lab.people.personDn('p00003'),
        `uid=p00003,ou=Services,${lab.suffix}`,
      );
      assert.ok((await ring) - started < 1000);
    } finally {
      watch.stop.abort();
      await watch.done;
      await admin.unbind();
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
