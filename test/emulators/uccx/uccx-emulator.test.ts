/**
 * The UCCX emulator answers as the Admin API guide documents: resources appear only after the
 * sync delay, a PUT replaces the whole object and is checked, refusals come as apiErrors, skill
 * names are unique. Requests here are hand-written XML, independent of the connector.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { UccxEmulator } from './uccx-emulator.ts';

const AUTH = `Basic ${Buffer.from('admin:secret').toString('base64')}`;

describe('UCCX Admin API emulator', () => {
  let now = Date.parse('2025-03-01T09:00:00Z');
  const emu = new UccxEmulator({ clock: () => new Date(now) });
  let base: string;
  let sales: string;

  before(async () => {
    base = await emu.start();
  });
  after(() => emu.stop());
  beforeEach(() => {
    emu.clear();
    sales = emu.add('skill', 'Sales');
  });

  async function call(method: string, path: string, body?: string, auth = AUTH) {
    const res = await fetch(`${base}/${path}`, {
      method,
      headers: { Authorization: auth, ...(body ? { 'Content-Type': 'application/xml' } : {}) },
      ...(body === undefined ? {} : { body }),
    });
    return { status: res.status, text: await res.text(), location: res.headers.get('location') };
  }
  const errorType = (t: string) => /<errorType>([^<]*)<\/errorType>/.exec(t)?.[1];
  const errorData = (t: string) => /<errorData>([^<]*)<\/errorData>/.exec(t)?.[1];
  const resource = (inner: string) =>
    `<resource><userID>jdoe</userID><extension>6001</extension>${inner}</resource>`;
  const team1 = `<team name="Default"><refURL>${'BASE'}/team/1</refURL></team>`;
  const withBase = (s: string) => s.replaceAll('BASE', base);

  it('shows a resource only once the sync delay has passed', async () => {
    emu.syncUser({ userID: 'jdoe', extension: '6001' }, 30_000);
    assert.equal((await call('GET', 'resource/jdoe')).status, 404);
    now += 29_000;
    assert.equal((await call('GET', 'resource/jdoe')).status, 404);
    now += 1_000;
    const got = await call('GET', 'resource/jdoe');
    assert.equal(got.status, 200);
    assert.match(got.text, /<userID>jdoe<\/userID>.*<extension>6001<\/extension>/s);
    assert.match(got.text, /<team name="Default">/);
  });

  it('replaces the whole resource on PUT: what is left out is gone', async () => {
    emu.syncUser({ userID: 'jdoe', extension: '6001' });
    const skill =
      `<skillMap><skillCompetency><competencelevel>7</competencelevel>` +
      `<skillNameUriPair name="Sales"><refURL>BASE/skill/${sales}</refURL></skillNameUriPair>` +
      `</skillCompetency></skillMap>`;
    assert.equal(
      (await call('PUT', 'resource/jdoe', withBase(resource(skill + team1)))).status,
      200,
    );
    assert.equal(emu.resources.get('jdoe')?.skills.get(sales), 7);
    assert.equal((await call('PUT', 'resource/jdoe', withBase(resource(team1)))).status, 200);
    assert.equal(emu.resources.get('jdoe')?.skills.size, 0);
  });

  it('refuses a PUT without team, with a changed extension, unknown element or bad level', async () => {
    emu.syncUser({ userID: 'jdoe', extension: '6001' });
    const noTeam = await call('PUT', 'resource/jdoe', resource(''));
    assert.equal(noTeam.status, 400);
    assert.equal(errorType(noTeam.text), 'invalidInput.missingParameter');
    assert.equal(errorData(noTeam.text), 'team');

    const moved = withBase(
      `<resource><userID>jdoe</userID><extension>6002</extension>${team1}</resource>`,
    );
    const readOnly = await call('PUT', 'resource/jdoe', moved);
    assert.equal(errorType(readOnly.text), 'invalidInput.readOnly');
    assert.equal(errorData(readOnly.text), 'extension');

    const unknown = await call(
      'PUT',
      'resource/jdoe',
      withBase(resource(`${team1}<colour>x</colour>`)),
    );
    assert.equal(errorType(unknown.text), 'invalidInput.unknownElement');
    assert.equal(errorData(unknown.text), 'colour');

    const level =
      `<skillMap><skillCompetency><competencelevel>11</competencelevel>` +
      `<skillNameUriPair name="Sales"><refURL>BASE/skill/${sales}</refURL></skillNameUriPair>` +
      `</skillCompetency></skillMap>`;
    const range = await call('PUT', 'resource/jdoe', withBase(resource(level + team1)));
    assert.equal(range.status, 400);
    assert.equal(errorType(range.text), 'invalidInput.outOfRange');
    assert.equal(errorData(range.text), 'competencelevel');

    const ghostTeam = resource(`<team name="X"><refURL>${base}/team/999</refURL></team>`);
    const missing = await call('PUT', 'resource/jdoe', ghostTeam);
    assert.equal(errorType(missing.text), 'invalidInput.invalidReference');
    assert.equal(errorData(missing.text), 'team');
    assert.equal(emu.resources.get('jdoe')?.teamId, '1', 'refused PUTs change nothing');
  });

  it('keeps skill names unique and answers Location for a new skill', async () => {
    const made = await call('POST', 'skill', '<skill><skillName>Billing</skillName></skill>');
    assert.equal(made.status, 201);
    assert.match(made.location ?? '', /\/adminapi\/skill\/\d+$/);
    const again = await call('POST', 'skill', '<skill><skillName>Billing</skillName></skill>');
    assert.equal(again.status, 400);
    assert.equal(errorType(again.text), 'invalidInput.duplicateName');
    const listed = await call('GET', 'skill');
    assert.equal(listed.text.match(/<skillName>Billing<\/skillName>/g)?.length, 1);
  });

  it('answers 401 to wrong credentials and 503 when throttled', async () => {
    const bad = `Basic ${Buffer.from('admin:wrong').toString('base64')}`;
    assert.equal((await call('GET', 'skill', undefined, bad)).status, 401);
    emu.throttleNext = 1;
    assert.equal((await call('GET', 'skill')).status, 503);
    assert.equal((await call('GET', 'skill')).status, 200);
  });
});

describe('UCCX emulator following CUCM', () => {
  it('syncs users with an IPCC extension in, follows a new extension, and drops leavers', async () => {
    let now = Date.parse('2031-05-01T09:00:00Z');
    const users = [
      { userID: 'ana', extension: '6001', firstName: 'Ana' },
      { userID: 'bo', extension: '' },
    ];
    const emu = new UccxEmulator({
      clock: () => new Date(now),
      cucm: { users: () => users, syncDelayMs: 10_000 },
    });
    const base = await emu.start();
    const get = async (id: string) => {
      const res = await fetch(`${base}/resource/${id}`, { headers: { Authorization: AUTH } });
      return { status: res.status, text: await res.text() };
    };
    try {
      assert.equal((await get('ana')).status, 404, 'not before the sync delay');
      now += 10_000;
      const ana = await get('ana');
      assert.equal(ana.status, 200);
      assert.match(ana.text, /<extension>6001<\/extension>/);
      assert.equal((await get('bo')).status, 404, 'no IPCC extension, no resource');

      users[0]!.extension = '7001';
      assert.match((await get('ana')).text, /<extension>7001<\/extension>/);

      users.splice(0, 1);
      assert.equal((await get('ana')).status, 200, 'removal waits for the next sync too');
      now += 10_000;
      assert.equal((await get('ana')).status, 404);
      assert.equal(emu.resources.size, 0);
    } finally {
      await emu.stop();
    }
  });
});
