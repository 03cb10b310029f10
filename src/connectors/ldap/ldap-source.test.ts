import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import { generateLabPeople, startSlapd, type LabPerson, type SlapdLab } from '../../lab/slapd.ts';
import { LdapSource } from './ldap-source.ts';
import { labSourceConfig, readWhileStopping, slapdSkip } from './testing/slapd-kit.ts';

const skip = slapdSkip();

/** D1: one person per userAccountControl value. */
const UAC = [512, 514, 546, 66048, 66050, 66082];

function person(n: number, extra: Partial<LabPerson> = {}): LabPerson {
  return { ...generateLabPeople(1, { first: n })[0]!, ...extra };
}

/** 1,208 people: D1's six, one without employeeNumber, two with awkward DNs (D4), the rest. */
function bigDirectory(): LabPerson[] {
  return [
    ...UAC.map((uac, i) => person(i + 1, { userAccountControl: uac })),
    person(7, { employeeNumber: '' }),
    person(8, { cn: 'Doe, John', rdn: 'cn', telephoneNumber: '+1 212 555 0142' }),
    person(9, { cn: 'Zoë Ñúñez-Ålvarez', rdn: 'cn' }),
    ...generateLabPeople(1199, { first: 10 }),
  ];
}

function config(lab: SlapdLab, overrides: Partial<LdapSourceConfig> = {}): LdapSourceConfig {
  return labSourceConfig(lab, {
    pageSize: 250,
    attributes: {
      username: 'uid',
      employeeId: 'employeeNumber',
      site: 'l',
      phone: 'telephoneNumber',
    },
    disabled: { userAccountControl: true },
    writeBack: { telephoneNumber: 'did', ipPhone: 'extension', mobile: 'did' },
    delta: 'none',
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<CallsignError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CallsignError, `expected a CallsignError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('LdapSource on a real slapd with AD-like limits', { skip }, () => {
  let lab: SlapdLab;
  let source: LdapSource;

  before(async () => {
    lab = await startSlapd({
      people: bigDirectory(),
      adLimits: true,
      writableAttributes: ['telephoneNumber', 'ipPhone'],
    });
    source = new LdapSource(config(lab), { password: lab.servicePassword });
  });
  after(async () => {
    await source?.close();
    await lab?.stop();
  });

  it('reads all 1,208 people by paging as the service account (D3)', async () => {
    const snapshot = await source.readAll();
    assert.equal(snapshot.complete, true);
    assert.deepEqual(snapshot.problems, []);
    assert.equal(snapshot.records.length, 1208);
    assert.equal(new Set(snapshot.records.map((r) => r.externalId)).size, 1208);

    const seventh = snapshot.records.find((r) => r.attributes.username === 'p00007');
    assert.equal(seventh?.attributes.employeeId, undefined);
    assert.equal(seventh?.attributes.site, person(7).l);
    assert.match(seventh?.externalId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('faces a live limit: a plain search by that account stops at 1,000 (code 4)', async () => {
    const client = new Client({ url: lab.url, timeout: 5000 });
    try {
      await client.bind(lab.serviceDn, lab.servicePassword);
      const plain = client.search(lab.peopleDn, { filter: '(objectClass=inetOrgPerson)' });
      await assert.rejects(plain, (err: { code?: number }) => err.code === 4);
    } finally {
      await client.unbind();
    }
  });

  it('refuses to pass off an over-limit page size as a read', async () => {
    const big = new LdapSource(config(lab, { pageSize: 1500 }), { password: lab.servicePassword });
    const err = await rejection(big.readAll());
    assert.equal(err.code, 'incomplete');
  });

  it('detects disabled people by userAccountControl bit 2 (D1)', async () => {
    const snapshot = await source.readAll();
    const byUid = new Map(snapshot.records.map((r) => [r.attributes.username, r.state]));
    const state = (uid: string) => byUid.get(uid);
    const states = UAC.map((uac, i) => [uac, state(person(i + 1).uid)]);
    assert.deepEqual(Object.fromEntries(states), {
      512: 'active',
      514: 'disabled',
      546: 'disabled',
      66048: 'active',
      66050: 'disabled',
      66082: 'disabled',
    });
    assert.equal(snapshot.records.filter((r) => r.state === 'disabled').length, 4);
  });

  it('detects disabled people by attribute values', async () => {
    const disabled = { attribute: 'employeeType', values: ['CONTRACTOR'] };
    const byType = new LdapSource(config(lab, { disabled }), { password: lab.servicePassword });
    const snapshot = await byType.readAll();
    const contractors = bigDirectory().filter((p) => p.employeeType === 'contractor').length;
    assert.ok(contractors > 0);
    assert.equal(snapshot.records.filter((r) => r.state === 'disabled').length, contractors);
  });

  it('reports an entry without its id attribute by DN and field, and reads the rest', async () => {
    const byNumber = config(lab, { idAttribute: 'employeeNumber' });
    const snapshot = await new LdapSource(byNumber, { password: lab.servicePassword }).readAll();
    assert.equal(snapshot.records.length, 1207);
    assert.equal(snapshot.problems.length, 1);
    assert.equal(snapshot.problems[0]!.record, await lab.people.personDn(person(7).uid));
    assert.equal(snapshot.problems[0]!.field, 'employeeNumber');
    assert.equal(snapshot.complete, true);
  });

  it('writes +19085550100;ext=123 to telephoneNumber as PrintableString (N2)', async () => {
    const dn = await lab.people.personDn('p00010');
    await source.writeBack({ externalId: 'x', dn }, { telephoneNumber: '+19085550100;ext=123' });
    const stored = await lab.people.readPerson('p00010', ['telephoneNumber']);
    assert.deepEqual(stored.telephoneNumber, ['+1 908 555 0100 x123']);

    await source.writeBack({ externalId: 'x', dn }, { ipPhone: '4711' });
    assert.deepEqual((await lab.people.readPerson('p00010', ['ipPhone'])).ipPhone, ['4711']);
  });

  it('clears an attribute with null, also when it is already gone', async () => {
    const dn = await lab.people.personDn(person(8).uid);
    await source.writeBack({ externalId: 'x', dn }, { telephoneNumber: null });
    const stored = await lab.people.readPerson(person(8).uid, ['telephoneNumber']);
    assert.deepEqual(stored.telephoneNumber ?? [], []);
    await source.writeBack({ externalId: 'x', dn }, { telephoneNumber: null });
  });

  it("clears an attribute with '' (a number taken away), also when it is already gone", async () => {
    const dn = await lab.people.personDn('p00015');
    await source.writeBack({ externalId: 'x', dn }, { telephoneNumber: '+19085550111' });
    await source.writeBack({ externalId: 'x', dn }, { telephoneNumber: '' });
    const stored = await lab.people.readPerson('p00015', ['telephoneNumber']);
    assert.deepEqual(stored.telephoneNumber ?? [], []);
    await source.writeBack({ externalId: 'x', dn }, { telephoneNumber: '' });
  });

  it('writes to DNs with an escaped comma and with UTF-8, in every spelling (D4)', async () => {
    const snapshot = await source.readAll();
    const doe = snapshot.records.find((r) => r.attributes.username === person(8).uid)!;
    const zoe = snapshot.records.find((r) => r.attributes.username === person(9).uid)!;
    assert.equal(zoe.dn, `cn=Zoë Ñúñez-Ålvarez,${lab.peopleDn}`);

    const spellings = [doe.dn!, `cn=Doe\\, John,${lab.peopleDn}`, zoe.dn!];
    for (const [i, dn] of spellings.entries()) {
      await source.writeBack({ externalId: 'x', dn }, { telephoneNumber: `+1908555010${i}` });
    }
    const read = (uid: string) => lab.people.readPerson(uid, ['telephoneNumber']);
    assert.deepEqual((await read(person(8).uid)).telephoneNumber, ['+1 908 555 0101']);
    assert.deepEqual((await read(person(9).uid)).telephoneNumber, ['+1 908 555 0102']);
  });

  it('turns a refused value into a rejected error naming DN and attribute (N2)', async () => {
    // The AD rendering (`;ext=`) is what OpenLDAP's PrintableString refuses with code 21.
    const adStyle = new LdapSource(config(lab, { idAttribute: 'objectGUID' }), {
      password: lab.servicePassword,
    });
    const dn = await lab.people.personDn('p00011');
    const err = await rejection(
      adStyle.writeBack({ externalId: 'x', dn }, { telephoneNumber: '+19085550100;ext=123' }),
    );
    await adStyle.close();
    assert.equal(err.code, 'rejected');
    assert.equal(err.details.resultCode, 21);
    assert.equal(err.details.dn, dn);
    assert.match(err.message, /telephoneNumber/);
    assert.match(err.message, /p00011/);
  });

  it('maps a write the account may not make to auth, an unknown attribute to config', async () => {
    const dn = await lab.people.personDn('p00012');
    const write = source.writeBack({ externalId: 'x', dn }, { mobile: '+12125550100' });
    const denied = await rejection(write);
    assert.equal(denied.code, 'auth');
    const unknown = await rejection(source.writeBack({ externalId: 'x', dn }, { title: '1' }));
    assert.equal(unknown.code, 'config');
  });

  it('says auth for a wrong password, with the URL and without the password', async () => {
    const wrong = new LdapSource(config(lab), { password: 'not-the-password' });
    const err = await rejection(wrong.readAll());
    assert.equal(err.code, 'auth');
    assert.equal(err.details.url, lab.url);
    assert.doesNotMatch(JSON.stringify(err.toJSON()) + err.message, /not-the-password/);
  });
});

describe('LdapSource with objectGUID as the id (AD mapping)', { skip }, () => {
  const guid = 'b43520a8-9b2e-4693-a1d8-ef1ffd586458';
  let lab: SlapdLab;
  let source: LdapSource;

  before(async () => {
    const people = [person(1, { objectGUID: guid }), ...generateLabPeople(20, { first: 2 })];
    lab = await startSlapd({ people, writableAttributes: ['ipPhone'] });
    const adConfig = config(lab, { idAttribute: 'objectGUID', pageSize: 5 });
    source = new LdapSource(adConfig, { password: lab.servicePassword });
  });
  after(async () => {
    await source?.close();
    await lab?.stop();
  });

  it('renders objectGUID canonically (D2)', async () => {
    const snapshot = await source.readAll();
    assert.equal(snapshot.records.length, 21);
    const first = snapshot.records.find((r) => r.attributes.username === person(1).uid);
    assert.equal(first?.externalId, guid);
  });

  it('finds the entry by its GUID, escaped byte by byte, when no DN is given (D2)', async () => {
    await source.writeBack({ externalId: guid }, { ipPhone: '+19085550100;ext=123' });
    const stored = await lab.people.readPerson(person(1).uid, ['ipPhone']);
    assert.deepEqual(stored.ipPhone, ['+19085550100;ext=123']);
  });

  it('reports a malformed objectGUID by DN and field, and reads the rest', async () => {
    await lab.people.modifyPerson(person(2).uid, { objectGUID: 'abc' });
    const snapshot = await source.readAll();
    assert.equal(snapshot.records.length, 20);
    assert.equal(snapshot.problems.length, 1);
    assert.equal(snapshot.problems[0]!.field, 'objectGUID');
    assert.equal(snapshot.problems[0]!.record, await lab.people.personDn(person(2).uid));
  });
});

describe('LdapSource when the server goes away', { skip }, () => {
  it('says unavailable quickly for a closed port, naming the URL', async () => {
    const lab = { url: 'ldap://127.0.0.1:1/', serviceDn: 'cn=x', peopleDn: 'o=x' } as SlapdLab;
    const started = Date.now();
    const err = await rejection(new LdapSource(config(lab), { password: 'pw' }).readAll());
    assert.equal(err.code, 'unavailable');
    assert.equal(err.retryable, true);
    assert.equal(err.details.url, lab.url);
    assert.ok(Date.now() - started < 3000);
  });

  it('says unavailable after timeoutMs when the server accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const url = `ldap://127.0.0.1:${port}/`;
    const lab = { url, serviceDn: 'cn=x', peopleDn: 'o=x' } as SlapdLab;
    try {
      const started = Date.now();
      const quiet = new LdapSource(config(lab, { timeoutMs: 300 }), { password: 'pw' });
      const err = await rejection(quiet.readAll());
      assert.equal(err.code, 'unavailable');
      assert.ok(Date.now() - started < 2000, 'gave up within a few timeouts');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('writes back again after the server restarted under the same URL', async () => {
    const first = await startSlapd({ people: generateLabPeople(3) });
    const port = Number(new URL(first.url).port);
    const writer = new LdapSource(config(first), { password: first.servicePassword });
    let second: SlapdLab | undefined;
    try {
      const dn = await first.people.personDn('p00001');
      await writer.writeBack({ externalId: 'x', dn }, { telephoneNumber: '+12125550101' });
      await first.stop();

      const { servicePassword } = first;
      second = await startSlapd({ port, servicePassword, people: generateLabPeople(3) });
      // The old socket died with the first server; the writer must bind anew, not write as
      // anonymous on a silently reopened connection (which the ACL would refuse).
      await writer.writeBack({ externalId: 'x', dn }, { telephoneNumber: '+12125550102' });
      const stored = await second.people.readPerson('p00001', ['telephoneNumber']);
      assert.deepEqual(stored.telephoneNumber, ['+1 212 555 0102']);
    } finally {
      await writer.close();
      await first.stop();
      await second?.stop();
    }
  });

  it('marks a read incomplete when slapd stops between pages', async () => {
    const snapshot = await readWhileStopping(generateLabPeople(300), (lab) =>
      config(lab, { pageSize: 50 }),
    );
    assert.equal(snapshot.complete, false);
    assert.equal(snapshot.records.length, 100);
    assert.match(snapshot.problems.at(-1)?.message ?? '', /after 2 pages/);
  });
});
