/**
 * The emergency callback number of a Webex Calling user, against the emulator's person ECBN
 * resource: the person's own number selects their direct line, the location's ECBN selects
 * the location, an ELIN enables ELIN, a repeat writes nothing, and a callback Webex cannot
 * select is refused naming both numbers it could.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { WebexEmulator } from '../../../test/emulators/webex/webex-emulator.ts';
import type { WebexTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import type { TargetChange } from '../types.ts';
import { WebexTarget } from './webex-target.ts';

describe('Webex emergency callback number', () => {
  let emu: WebexEmulator;
  let webex: WebexTarget;

  before(async () => {
    emu = new WebexEmulator();
    const url = await emu.start();
    const config: WebexTargetConfig = {
      name: 'webex1',
      type: 'webex',
      url,
      token: 'env:WEBEX_TOKEN',
      locationId: 'LOC-NYC',
      licenses: ['LIC-CALL'],
      timeoutMs: 5000,
      concurrency: 2,
    };
    webex = new WebexTarget(config, { token: 'good-token' });
    emu.ecbn.locationEcbn.set('LOC-NYC', '+12125550199');
  });
  after(() => emu.stop());
  beforeEach(() => {
    emu.org.people.clear();
    emu.requests.length = 0;
  });

  const jane = (attributes: Record<string, string>): TargetChange => ({
    action: 'create',
    type: 'webex-person',
    key: 'jane@example.com',
    attributes: { firstName: 'Jane', lastName: 'Doe', phoneNumber: '+12125550101', ...attributes },
  });
  const ecbnOf = () => emu.ecbn.of(emu.org.byEmail('jane@example.com')!.id);
  const ecbnWrites = () =>
    emu.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/emergencyCallbackNumber'));

  it("selects the person's direct line for their own number, with the ELIN flag", async () => {
    const made = await webex.apply(
      jane({ emergencyCallback: '+12125550101', emergencyElin: '+12125550150' }),
    );
    assert.equal(made.outcome, 'created');
    assert.deepEqual(ecbnOf(), {
      selected: 'DIRECT_LINE',
      elinEnabled: true,
      elinForWebexAppEnabled: false,
    });

    const again = await webex.apply({
      ...jane({}),
      action: 'update',
      attributes: { emergencyCallback: '+12125550101', emergencyElin: '+12125550150' },
    });
    assert.equal(again.outcome, 'noop');
    assert.equal(ecbnWrites().length, 1, 'a repeat writes nothing');
  });

  it("a site's callback becomes the location ECBN; an update changes only that", async () => {
    await webex.apply(jane({ emergencyCallback: '+12125550101' }));
    const moved = await webex.apply({
      action: 'update',
      type: 'webex-person',
      key: 'jane@example.com',
      attributes: { emergencyCallback: '+12125550199' },
    });
    assert.equal(moved.outcome, 'updated');
    assert.equal(ecbnOf()?.selected, 'LOCATION_ECBN');
    assert.equal(ecbnOf()?.elinEnabled, false);
  });

  it('refuses a callback Webex cannot select, naming what it could', async () => {
    await webex.apply(jane({}));
    const err = await webex
      .apply({
        action: 'update',
        type: 'webex-person',
        key: 'jane@example.com',
        attributes: { emergencyCallback: '+12125550177' },
      })
      .then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof CallsignError);
    assert.equal(err.code, 'rejected');
    assert.match(
      err.message,
      /emergencyCallback' \+12125550177 is neither their direct line \(\+12125550101\) nor their location's emergency callback number \(\+12125550199\)/,
    );
    assert.equal(ecbnWrites().length, 0);
  });
});
