/**
 * `did-forward` on the Unified CM connector against the AXL emulator: the leaver's line handed
 * to the forward keeps its DN with Call Forward All (and the configured calling search space),
 * the destination follows the forward's target, the end clears the forward and removes the DN,
 * a retry after a lost answer writes nothing twice, a DN already gone is added back (create) or
 * left alone (delete), and the carrier is the line whose pattern is the DID or its extension.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { defaultReferences } from '../../../test/emulators/cucm/axl-db.ts';
import { CucmEmulator } from '../../../test/emulators/cucm/cucm-emulator.ts';
import type { CucmTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import type { Link } from '../../core/model.ts';
import type { TargetChange } from '../types.ts';
import { CucmTarget } from './cucm-target.ts';
import { cucmConfig, resetCucm } from './testing/cucm-kit.ts';

describe('CucmTarget did-forward', () => {
  let emu: CucmEmulator;
  let url: string;
  const targets: CucmTarget[] = [];

  before(async () => {
    const references = defaultReferences();
    references.callingSearchSpaceName!.add('Forward_CSS');
    emu = new CucmEmulator({ references });
    url = await emu.start();
  });
  after(async () => {
    for (const t of targets) await t.close();
    await emu.stop();
  });
  beforeEach(() => resetCucm(emu));

  function target(over: Partial<CucmTargetConfig> = {}): CucmTarget {
    const config = cucmConfig(url, {
      timeoutMs: 5000,
      forwardCallingSearchSpace: 'Forward_CSS',
      ...over,
    });
    const sleep = async () => undefined;
    const t = new CucmTarget(config, { password: 'secret', busy: { busyBaseMs: 1, sleep } });
    targets.push(t);
    return t;
  }

  const line: TargetChange = {
    action: 'create',
    type: 'cucm-line',
    key: '2001@Internal_PT',
    attributes: { description: 'Ana Silva', alertingName: 'Ana Silva' },
  };
  const until = '2031-03-18T09:00:00.000Z';
  const toBoss: TargetChange = {
    action: 'create',
    type: 'did-forward',
    key: '+12125552001',
    attributes: {
      to: '+12125552050',
      extension: '2050',
      via: 'manager',
      until,
      line: '2001@Internal_PT',
    },
  };
  const stored = () => {
    const l = [...emu.db.lines.values()].find((x) => x.fields.pattern === '2001');
    if (l === undefined) return undefined;
    return {
      partition: l.fields.routePartitionName,
      description: l.fields.description,
      destination: l.forwards?.callForwardAll ?? '',
      css: l.forwardCss?.callForwardAll ?? '',
      uuid: l.uuid,
    };
  };
  const writes = () =>
    emu.requests.filter((r) => r.status === 200 && /^(add|update|remove)/.test(r.operation));

  it('keeps the handed-over line: same DN, Call Forward All to the manager, one write', async () => {
    const t = target();
    await t.apply(line);
    const before = stored()!;
    const handed = await t.apply({
      action: 'delete',
      type: 'cucm-line',
      key: line.key,
      attributes: { ...line.attributes, keptForForward: toBoss.key },
    });
    assert.equal(handed.outcome, 'noop', 'the handed-over line is not removed');
    assert.equal(emu.db.lines.size, 1);

    emu.requests.length = 0;
    assert.equal((await t.apply(toBoss)).outcome, 'updated');
    assert.deepEqual(stored(), {
      ...before,
      destination: '2050',
      css: 'Forward_CSS',
    });
    assert.deepEqual(
      writes().map((r) => r.operation),
      ['updateLine'],
      'the DN is turned around, not removed and added back',
    );
    assert.deepEqual(await t.read('did-forward', toBoss.key), null, 'no DN has the DID pattern');
    assert.equal((await t.apply(toBoss)).outcome, 'noop', 'again: nothing to write');
  });

  it('updates the destination when the manager left: the announcement', async () => {
    const t = target();
    await t.apply(line);
    await t.apply(toBoss);
    const update: TargetChange = {
      action: 'update',
      type: 'did-forward',
      key: toBoss.key,
      attributes: { to: '+12125550199', via: 'announcement', line: '2001@Internal_PT' },
      before: { to: '+12125552050', via: 'manager' },
    };
    assert.equal((await t.apply(update)).outcome, 'updated');
    assert.equal(stored()?.destination, '+12125550199');
    assert.equal(stored()?.css, 'Forward_CSS');
    assert.equal((await t.apply(update)).outcome, 'noop');
  });

  it('ends: the forward is cleared and the DN removed; again a noop', async () => {
    const t = target();
    await t.apply(line);
    await t.apply(toBoss);
    emu.requests.length = 0;
    const end: TargetChange = { ...toBoss, action: 'delete' };
    assert.equal((await t.apply(end)).outcome, 'deleted');
    assert.equal(emu.db.lines.size, 0, 'no orphan DN');
    assert.deepEqual(
      writes().map((r) => r.operation),
      ['updateLine', 'removeLine'],
    );
    assert.equal((await t.apply(end)).outcome, 'noop', 'the line is already gone');
  });

  it('a retry after a lost answer writes nothing twice', async () => {
    const t = target();
    await t.apply(line);
    emu.dropWriteAnswers = 1;
    await assert.rejects(
      t.apply(toBoss),
      (e) => e instanceof CallsignError && e.code === 'unavailable' && e.retryable,
    );
    assert.equal(stored()?.destination, '2050', 'the lost write was committed');
    assert.equal((await t.apply(toBoss)).outcome, 'noop');

    // The clear's answer is lost: the retry sees it done and only removes the DN.
    const end: TargetChange = { ...toBoss, action: 'delete' };
    emu.dropWriteAnswers = 1;
    await assert.rejects(t.apply(end));
    assert.equal(stored()?.destination, '');
    assert.equal((await t.apply(end)).outcome, 'deleted');
    assert.equal((await t.apply(end)).outcome, 'noop');
    assert.equal(emu.db.lines.size, 0);
    assert.equal(emu.count('updateLine'), 2, 'one forward set, one cleared');
    assert.equal(emu.count('removeLine'), 1);
  });

  it('a DN removed meanwhile is added back once, forwarded, in the same partition', async () => {
    const t = target();
    emu.dropWriteAnswers = 1;
    await assert.rejects(t.apply(toBoss));
    assert.equal((await t.apply(toBoss)).outcome, 'noop', 'the retry finds the DN it added');
    assert.equal(emu.count('addLine'), 1);
    assert.equal(stored()?.partition, 'Internal_PT');
    assert.equal(stored()?.destination, '2050');
    assert.equal(stored()?.css, 'Forward_CSS');
  });

  it('without a forward calling search space the line keeps its own', async () => {
    const t = target({ forwardCallingSearchSpace: undefined });
    await t.apply(line);
    await t.apply({ ...toBoss, attributes: { ...toBoss.attributes, extension: '' } });
    assert.equal(stored()?.destination, '+12125552050', 'no extension: the E.164 number');
    assert.equal(stored()?.css, '');
  });

  it('a DN on a phone again is not removed: its forward is cleared', async () => {
    const t = target();
    await t.apply(line);
    await t.apply(toBoss);
    await t.apply({
      action: 'create',
      type: 'cucm-phone',
      key: 'SEP0011223344AA',
      attributes: { product: 'Cisco 8861', devicePoolName: 'Default', line1: line.key },
    });
    assert.equal((await t.apply({ ...toBoss, action: 'delete' })).outcome, 'updated');
    assert.equal(stored()?.destination, '');
    assert.equal(emu.db.lines.size, 1);
  });

  it('refuses a forward without a line or with an undialable destination', async () => {
    const t = target();
    const { line: _, ...noLine } = toBoss.attributes;
    for (const [attributes, field] of [
      [noLine, 'line'],
      [{ ...toBoss.attributes, extension: '', to: 'boss' }, 'to'],
      [{ ...toBoss.attributes, colour: 'red' }, 'colour'],
    ] as const) {
      await assert.rejects(
        t.apply({ ...toBoss, attributes }),
        (e) =>
          e instanceof CallsignError &&
          e.code === 'rejected' &&
          e.details?.field === field &&
          e.message.includes(toBoss.key),
      );
    }
    assert.equal(writes().length, 0);
  });

  it('the carrier: the line whose pattern is the DID, else its paired extension', () => {
    const t = target();
    const link = (type: string, key: string): Link => ({
      personId: 'p1',
      target: 'cucm1',
      type,
      key,
      externalId: key,
      attributes: {},
    });
    const ext = link('cucm-line', '2001@Internal_PT');
    const did = link('cucm-line', '\\+12125552001@DID_PT');
    const user = link('cucm-user', 'ana');
    const number = { did: '+12125552001', extension: '2001' };
    assert.equal(t.forwardCarrier([user, ext, did], number), did);
    assert.equal(t.forwardCarrier([user, ext], number), ext);
    assert.equal(t.forwardCarrier([user, ext], { did: number.did }), undefined);
    assert.equal(
      t.forwardCarrier([user, link('cucm-line', '2999@Internal_PT')], number),
      undefined,
    );
  });
});
