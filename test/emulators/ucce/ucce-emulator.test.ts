/**
 * The UCCE emulator answers as the Configuration API guide documents: Location on create,
 * changeStamp required and checked on every PUT, unique login names and agent ids, apiErrors
 * with errorType and the field, deferred delete, paged lists. Requests are hand-written XML.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { UcceEmulator } from './ucce-emulator.ts';

const AUTH = `Basic ${Buffer.from('admin:secret').toString('base64')}`;

describe('UCCE Configuration API emulator', () => {
  const emu = new UcceEmulator();
  let base: string;

  before(async () => {
    base = await emu.start();
  });
  after(() => emu.stop());
  beforeEach(() => emu.clear());

  async function call(method: string, path: string, body?: string) {
    const res = await fetch(`${base}/${path}`, {
      method,
      headers: { Authorization: AUTH, ...(body ? { 'Content-Type': 'application/xml' } : {}) },
      ...(body === undefined ? {} : { body }),
    });
    return { status: res.status, text: await res.text(), location: res.headers.get('location') };
  }
  const tag = (t: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(t)?.[1];
  const person = (user: string) =>
    `<person><firstName>Jane</firstName><lastName>Doe</lastName><userName>${user}</userName></person>`;
  const idOf = (location: string | null) => /\/(\d+)$/.exec(location ?? '')?.[1] ?? '';

  it('creates a person with Location and refuses a second with the same login name', async () => {
    const made = await call('POST', 'person', person('jdoe'));
    assert.equal(made.status, 201);
    assert.match(made.location ?? '', /\/unifiedconfig\/config\/person\/\d+$/);
    const again = await call('POST', 'person', person('JDOE'));
    assert.equal(again.status, 400);
    assert.match(again.text, /<apiErrors><apiError>/);
    assert.equal(tag(again.text, 'errorType'), 'invalidInput.duplicateName');
    assert.equal(tag(again.text, 'errorData'), 'userName');
  });

  it('requires the current changeStamp on every PUT and bumps it', async () => {
    const id = idOf((await call('POST', 'person', person('jdoe'))).location);
    const missing = await call('PUT', `person/${id}`, '<person><firstName>J</firstName></person>');
    assert.equal(tag(missing.text, 'errorType'), 'invalidInput.missingParameter');
    assert.equal(tag(missing.text, 'errorData'), 'changeStamp');

    const first = '<person><changeStamp>0</changeStamp><firstName>Janet</firstName></person>';
    assert.equal((await call('PUT', `person/${id}`, first)).status, 200);
    assert.equal(tag((await call('GET', `person/${id}`)).text, 'changeStamp'), '1');
    const stale = await call('PUT', `person/${id}`, first.replace('Janet', 'Jo'));
    assert.equal(stale.status, 400);
    assert.equal(tag(stale.text, 'errorType'), 'invalidInput.changeStampMismatch');
    assert.equal(emu.persons.get(id)?.firstName, 'Janet');
  });

  it('checks references, ranges and unknown elements on an agent', async () => {
    const pid = idOf((await call('POST', 'person', person('jdoe'))).location);
    const ref = `<person><refURL>/unifiedconfig/config/person/${pid}</refURL></person>`;
    const badGroup = await call(
      'POST',
      'agent',
      `<agent>${ref}<skillGroups><skillGroup><refURL>/unifiedconfig/config/skillgroup/1` +
        `</refURL></skillGroup></skillGroups></agent>`,
    );
    assert.equal(tag(badGroup.text, 'errorType'), 'invalidInput.invalidReference');
    assert.equal(tag(badGroup.text, 'errorData'), 'skillGroups');
    const range = await call(
      'POST',
      'agent',
      `<agent><agentId>123456789012</agentId>${ref}</agent>`,
    );
    assert.equal(tag(range.text, 'errorType'), 'invalidInput.outOfRange');
    assert.equal(tag(range.text, 'errorData'), 'agentId');
    const unknown = await call('POST', 'agent', `<agent>${ref}<mood>x</mood></agent>`);
    assert.equal(tag(unknown.text, 'errorData'), 'mood');
    assert.equal(emu.agents.size, 0);

    const ok = await call('POST', 'agent', `<agent><agentId>4001</agentId>${ref}</agent>`);
    assert.equal(ok.status, 201);
    const twice = await call('POST', 'agent', `<agent>${ref}</agent>`);
    assert.equal(tag(twice.text, 'errorType'), 'invalidInput.duplicatePerson');
  });

  it('defers delete: the item stays, marked, out of the lists, until purged', async () => {
    const id = idOf((await call('POST', 'person', person('jdoe'))).location);
    assert.equal((await call('DELETE', `person/${id}`)).status, 200);
    const still = await call('GET', `person/${id}`);
    assert.equal(still.status, 200);
    assert.equal(tag(still.text, 'deleted'), 'true');
    assert.equal(tag((await call('GET', 'person?q=jdoe')).text, 'totalResults'), '0');
    assert.equal((await call('POST', 'person', person('jdoe'))).status, 201, 'name free again');
    emu.purge();
    assert.equal((await call('GET', `person/${id}`)).status, 404);
  });

  it('pages lists and filters with q', async () => {
    for (const u of ['amy', 'bob', 'bobby', 'carl']) await call('POST', 'person', person(u));
    const page = await call('GET', 'person?q=bob&startIndex=1&resultsPerPage=1');
    assert.equal(tag(page.text, 'totalResults'), '2');
    assert.equal(page.text.match(/<userName>/g)?.length, 1);
    assert.equal(tag(page.text, 'userName'), 'bobby');
  });
  it("replaces an agent team's members with the changeStamp; one team per agent", async () => {
    const teamA = emu.addAgentTeam('AT_A');
    const teamB = emu.addAgentTeam('AT_B');
    const pid = idOf((await call('POST', 'person', person('jdoe'))).location);
    const agent = `<agent><person><refURL>/unifiedconfig/config/person/${pid}</refURL></person></agent>`;
    const aid = idOf((await call('POST', 'agent', agent)).location);
    const members = (stamp: string, ids: string[]) =>
      `<agentTeam><changeStamp>${stamp}</changeStamp><agents>` +
      ids.map((i) => `<agent><refURL>/unifiedconfig/config/agent/${i}</refURL></agent>`).join('') +
      `</agents></agentTeam>`;

    const listed = await call('GET', 'agentteam?q=AT_');
    assert.equal(tag(listed.text, 'totalResults'), '2');
    assert.match(listed.text, /<agentTeams><agentTeam><refURL>/);

    const noStamp = await call('PUT', `agentteam/${teamA}`, members('', [aid]));
    assert.equal(tag(noStamp.text, 'errorType'), 'invalidInput.missingParameter');
    assert.equal((await call('PUT', `agentteam/${teamA}`, members('0', [aid]))).status, 200);
    const got = await call('GET', `agentteam/${teamA}`);
    assert.equal(tag(got.text, 'changeStamp'), '1');
    assert.equal(tag(got.text, 'userName'), 'jdoe');
    const stale = await call('PUT', `agentteam/${teamA}`, members('0', []));
    assert.equal(tag(stale.text, 'errorType'), 'invalidInput.changeStampMismatch');

    const twice = await call('PUT', `agentteam/${teamB}`, members('0', [aid]));
    assert.equal(twice.status, 400);
    assert.equal(tag(twice.text, 'errorType'), 'invalidInput.agentInAnotherTeam');
    assert.equal(tag(twice.text, 'errorData'), 'agents');
    const ghost = await call('PUT', `agentteam/${teamB}`, members('0', ['999999']));
    assert.equal(tag(ghost.text, 'errorType'), 'invalidInput.invalidReference');

    assert.equal((await call('DELETE', `agent/${aid}`)).status, 200);
    assert.deepEqual(emu.teamMembers('AT_A'), [], 'a deleted agent leaves its team');
  });
});
