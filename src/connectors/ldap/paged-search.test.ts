import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { Client } from 'ldapts';

import {
  startPagedServer,
  type EmulatedEntry,
  type PagedServer,
} from '../../../test/emulators/active-directory/paged-server.ts';
import type { LdapSourceConfig } from '../../core/config-types.ts';
import { LdapSource } from './ldap-source.ts';
import { PagingTap } from './paged-search.ts';

function person(n: number): EmulatedEntry {
  return {
    dn: `cn=Person ${n},ou=People,dc=example,dc=com`,
    attributes: { entryUUID: [randomUUID()], cn: [`Person ${n}`] },
  };
}

function adConfig(url: string, overrides: Partial<LdapSourceConfig>): LdapSourceConfig {
  return {
    name: 'ad',
    type: 'ldap',
    url,
    bindDn: 'cn=svc,dc=example,dc=com',
    password: 'env:UNUSED',
    baseDn: 'ou=People,dc=example,dc=com',
    filter: '(objectClass=user)',
    pageSize: 2,
    idAttribute: 'entryUUID',
    attributes: { displayName: 'cn' },
    writeBack: {},
    timeoutMs: 5_000,
    delta: 'none',
    fullEverySeconds: 3600,
    ...overrides,
  };
}

/** Pages as AD can send them on a sparse filter: empty ones in the middle, with cookies. */
const PAGES = [[person(1), person(2)], [], [], [person(3)], [], [person(4)]];

describe('paged reads past empty pages that carry a cookie', () => {
  let server: PagedServer;
  before(async () => {
    server = await startPagedServer(PAGES);
  });
  after(async () => {
    await server?.close();
  });

  // Without memberOf the lean reader runs; with it, ldapts-driven paging (ranged values).
  for (const memberOf of [false, true]) {
    it(`reads every page until the cookie is empty (memberOf ${memberOf})`, async () => {
      server.cookies.length = 0;
      const groups = memberOf ? { groups: { attribute: 'groups', memberOf, nested: false } } : {};
      const source = new LdapSource(adConfig(server.url, groups), { password: 'x' });
      const snapshot = await source.readAll();
      assert.equal(snapshot.complete, true);
      const names = snapshot.records.map((r) => r.attributes.displayName).sort();
      assert.deepEqual(names, ['Person 1', 'Person 2', 'Person 3', 'Person 4']);
      assert.deepEqual(server.cookies, ['', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5']);
    });
  }

  it('is needed: ldapts alone stops at the first empty page', async () => {
    const client = new Client({ url: server.url, timeout: 5_000 });
    await client.bind('cn=svc,dc=example,dc=com', 'x');
    let entries = 0;
    const pager = client.searchPaginated('ou=People,dc=example,dc=com', {
      filter: '(objectClass=user)',
      paged: { pageSize: 2 },
    });
    for await (const page of pager) entries += page.searchEntries.length;
    await client.unbind();
    assert.equal(entries, 2);
  });
});

describe('a server that stops answering between pages', () => {
  it('marks the read incomplete after the timeout, keeping what arrived', async () => {
    const server = await startPagedServer([[person(1), person(2)], 'stall']);
    try {
      const source = new LdapSource(adConfig(server.url, { timeoutMs: 300 }), { password: 'x' });
      const snapshot = await source.readAll();
      assert.equal(snapshot.complete, false);
      assert.equal(snapshot.records.length, 2);
      assert.match(snapshot.problems.at(-1)?.message ?? '', /after 1 pages .*timed out/);
    } finally {
      await server.close();
    }
  });
});

describe('PagingTap', () => {
  /** A SearchResultEntry, then a SearchResultDone with a paged control, as one byte stream. */
  function stream(cookie: string): Buffer {
    const entry = Buffer.concat([
      Buffer.from([0x30, 0x0d, 0x02, 0x01, 0x03, 0x64, 0x08, 0x04, 0x04]),
      Buffer.from('ou=A'),
      Buffer.from([0x30, 0x00]),
    ]);
    const value = Buffer.concat([
      Buffer.from([0x30, cookie.length + 5, 0x02, 0x01, 0x00, 0x04, cookie.length]),
      Buffer.from(cookie),
    ]);
    const oid = Buffer.from('1.2.840.113556.1.4.319');
    const control = Buffer.concat([
      Buffer.from([0x04, oid.length]),
      oid,
      Buffer.from([0x04, value.length]),
      value,
    ]);
    const controls = Buffer.concat([
      Buffer.from([0xa0, control.length + 2, 0x30, control.length]),
      control,
    ]);
    const op = Buffer.from([0x65, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);
    const body = Buffer.concat([Buffer.from([0x02, 0x01, 0x03]), op, controls]);
    const done = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    return Buffer.concat([entry, done]);
  }

  it('reads the cookie whatever the chunks the bytes arrive in', () => {
    const bytes = stream('abc');
    for (const size of [1, 2, 3, 7, bytes.length]) {
      const tap = new PagingTap();
      for (let i = 0; i < bytes.length; i += size) tap.onData(bytes.subarray(i, i + size));
      assert.equal(tap.cookie?.toString(), 'abc', `chunks of ${size}`);
    }
  });

  it('reads an empty cookie as the end', () => {
    const tap = new PagingTap();
    tap.onData(stream(''));
    assert.equal(tap.cookie?.length, 0);
  });
});
