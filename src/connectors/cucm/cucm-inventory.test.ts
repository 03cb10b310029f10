/**
 * Inventory reads for reconciliation: users, lines and phones listed through listUser,
 * listLine and listPhone, paged with skip/first across more entries than one page, and the
 * numbers the platform uses that the inventory does not know found by the reconcile report.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { CucmEmulator } from '../../../test/emulators/cucm/cucm-emulator.ts';
import { reconcileNumbers } from '../../core/number-reconcile.ts';
import type { PlatformNumber } from '../types.ts';
import { CucmTarget } from './cucm-target.ts';
import { cucmConfig } from './testing/cucm-kit.ts';

const PAGE = 3;
const PEOPLE = 8;

describe('CucmTarget inventory', () => {
  let emu: CucmEmulator;
  let t: CucmTarget;

  before(async () => {
    emu = new CucmEmulator();
    const url = await emu.start();
    t = new CucmTarget(cucmConfig(url), { password: 'secret', pageSize: PAGE });
    for (let i = 0; i < PEOPLE; i++) {
      const userid = `u${i}`;
      const ext = `40${i}0`;
      await t.apply({
        action: 'create',
        type: 'cucm-user',
        key: userid,
        attributes: { lastName: `Person ${i}` },
      });
      await t.apply({
        action: 'create',
        type: 'cucm-line',
        key: `${ext}@Internal_PT`,
        attributes: { description: `line of ${userid}` },
      });
      await t.apply({
        action: 'create',
        type: 'cucm-phone',
        key: `CSFU${i}`,
        attributes: {
          product: 'Cisco Unified Client Services Framework',
          devicePoolName: 'Default',
          ownerUserName: userid,
          line1: `${ext}@Internal_PT`,
        },
      });
      await t.apply({
        action: 'update',
        type: 'cucm-user',
        key: userid,
        attributes: { primaryExtension: `${ext}@Internal_PT` },
      });
    }
    // A DID someone added by hand, held by nobody.
    await t.apply({
      action: 'create',
      type: 'cucm-line',
      key: '\\+14085550199@Internal_PT',
      attributes: { alertingName: 'Lobby' },
    });
  });
  after(async () => {
    await t.close();
    await emu.stop();
  });

  async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const item of items) out.push(item);
    return out;
  }

  it('lists every user, page by page with skip/first, none twice', async () => {
    const before = emu.count('listUser');
    const users = await all(t.listUsers());
    assert.equal(users.length, PEOPLE);
    assert.equal(new Set(users.map((u) => u.userid)).size, PEOPLE);
    assert.equal(emu.count('listUser') - before, Math.floor(PEOPLE / PAGE) + 1);
    const u3 = users.find((u) => u.userid === 'u3');
    assert.equal(u3?.primaryExtension, '4030@Internal_PT');
    assert.equal(u3?.lastName, 'Person 3');
  });

  it('lists every phone with its owner, page by page', async () => {
    const before = emu.count('listPhone');
    const phones = await all(t.listPhones());
    assert.deepEqual(
      phones.map((p) => `${p.name}:${p.ownerUserName}`).sort(),
      Array.from({ length: PEOPLE }, (_, i) => `CSFU${i}:u${i}`).sort(),
    );
    assert.equal(phones[0]?.devicePoolName, 'Default');
    assert.equal(emu.count('listPhone') - before, Math.floor(PEOPLE / PAGE) + 1);
  });

  it('lists numbers with their holder and pages exactly to the end', async () => {
    const before = emu.count('listLine');
    const numbers = await all(t.listNumbers());
    assert.equal(numbers.length, PEOPLE + 1);
    // 9 lines in pages of 3: the fourth page comes back empty and ends the read.
    assert.equal(emu.count('listLine') - before, 4);
    assert.deepEqual(
      numbers.find((n) => n.value === '4050'),
      { value: '4050', kind: 'extension', owner: 'u5' } satisfies PlatformNumber,
    );
    assert.deepEqual(
      numbers.find((n) => n.kind === 'did'),
      {
        value: '+14085550199',
        kind: 'did',
        owner: 'Lobby',
      },
    );
  });

  it('lets reconciliation find the numbers Callsign does not know', async () => {
    const numbers = await all(t.listNumbers());
    const known = {
      pool: 'ext',
      kind: 'extension' as const,
      value: '4000',
      state: 'assigned' as const,
      personId: 'p0',
      updatedAt: '2030-01-01T00:00:00.000Z',
    };
    const report = reconcileNumbers([known], [{ target: 'cucm1', numbers }]);
    const unknown = report.unknownHere.map((u) => `${u.value}:${u.owner}`).sort();
    assert.equal(unknown.length, PEOPLE);
    assert.ok(unknown.includes('+14085550199:Lobby'));
    assert.ok(unknown.includes('4070:u7'));
    assert.ok(!unknown.some((u) => u.startsWith('4000:')), 'the known number is not reported');
  });

  it('the emulator refuses a negative skip the way AXL refuses bad paging', async () => {
    const err = await t.axl
      .call(
        'listLine',
        { searchCriteria: { pattern: '%' }, returnedTags: { pattern: '' }, skip: '-1', first: '2' },
        { subject: 'lines' },
      )
      .catch((e: unknown) => e);
    assert.match(String(err), /skip and first/);
  });
});
