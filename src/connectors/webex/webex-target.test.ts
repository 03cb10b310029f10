/**
 * The Webex connector against the People API emulator: joiner with an extension, the create
 * that answered 500 but happened, a PUT that keeps what an admin set, 429 with Retry-After,
 * missing references, duplicates, leaver, bad token, and number reads paged by Link header.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { WebexEmulator } from '../../../test/emulators/webex/webex-emulator.ts';
import type { WebexTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import type { PlatformNumber, TargetChange } from '../types.ts';
import { WebexTarget } from './webex-target.ts';

describe('WebexTarget', () => {
  let emu: WebexEmulator;
  let url: string;
  let sleeps: number[];

  before(async () => {
    emu = new WebexEmulator();
    url = await emu.start();
  });
  after(() => emu.stop());
  beforeEach(() => {
    emu.org.people.clear();
    emu.requests.length = 0;
    emu.throttle.count = 0;
    emu.failAfterCreate.count = 0;
    emu.maxPage = 1000;
    sleeps = [];
  });

  function target(token = 'good-token', attempts = 3, pageSize = 1000): WebexTarget {
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
    const sleep = async (ms: number) => void sleeps.push(ms);
    return new WebexTarget(config, {
      token,
      throttle: { throttleAttempts: attempts, sleep },
      pageSize,
    });
  }

  const jane = (attributes: Record<string, string> = {}): TargetChange => ({
    action: 'create',
    type: 'webex-person',
    key: 'jane@example.com',
    attributes: { firstName: 'Jane', lastName: 'Doe', extension: '1001', ...attributes },
  });
  const failure = async (p: Promise<unknown>): Promise<CallsignError> => {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof CallsignError, `a CallsignError, not ${String(err)}`);
      return err;
    }
    assert.fail('expected a failure');
  };
  const stored = () => emu.org.byEmail('jane@example.com');

  it('creates a calling person with an extension; again is a noop', async () => {
    const t = target();
    const made = await t.apply(jane());
    assert.equal(made.outcome, 'created');
    assert.equal(made.externalId, stored()?.id);
    assert.equal(stored()?.extension, '1001');
    assert.equal(stored()?.locationId, 'LOC-NYC');
    assert.deepEqual(stored()?.licenses, ['LIC-CALL']);
    assert.equal(stored()?.displayName, 'Jane Doe');

    assert.equal((await t.apply(jane())).outcome, 'noop');
    assert.equal(emu.count('POST'), 1);
    assert.equal(emu.count('PUT'), 0);
    const read = await t.read('webex-person', 'jane@example.com');
    assert.equal(read?.extension, '1001');
    assert.equal(read?.locationId, 'LOC-NYC');
    assert.equal(await t.read('webex-person', 'nobody@example.com'), null);
  });

  it('a create answered 500 that happened anyway: found by email, no duplicate', async () => {
    const t = target();
    emu.failAfterCreate = { count: 1, status: 500 };
    const made = await t.apply(jane({ phoneNumber: '+12125550100' }));
    assert.equal(made.outcome, 'created');
    assert.equal(emu.org.people.size, 1);
    assert.equal(made.externalId, stored()?.id);
    assert.equal(emu.count('POST'), 1, 'no second POST after the look-up found the person');

    // The engine's own retry after such an answer finds the person too.
    assert.equal((await t.apply(jane({ phoneNumber: '+12125550100' }))).outcome, 'noop');
    assert.equal(emu.org.people.size, 1);
  });

  it('a create answered 400 that made the person anyway is reported with the id', async () => {
    emu.failAfterCreate = { count: 1, status: 400 };
    const err = await failure(target().apply(jane()));
    assert.equal(err.code, 'rejected');
    assert.equal(err.details.personId, stored()?.id);
    assert.equal(err.details.partial, true);
  });

  it('an update keeps what Callsign does not own: title, mobile, other licences', async () => {
    const t = target();
    await t.apply(jane());
    const person = stored()!;
    person.title = 'Director of Things';
    person.phoneNumbers.push({ type: 'mobile', value: '+447700900123' });
    person.licenses.push('LIC-MSG');

    const done = await t.apply({ ...jane({ displayName: 'Jane Q. Doe' }), action: 'update' });
    assert.equal(done.outcome, 'updated');
    const after = stored()!;
    assert.equal(after.displayName, 'Jane Q. Doe');
    assert.equal(after.title, 'Director of Things');
    assert.deepEqual(after.phoneNumbers, [{ type: 'mobile', value: '+447700900123' }]);
    assert.deepEqual(after.licenses.sort(), ['LIC-CALL', 'LIC-MSG']);
    assert.equal(after.extension, '1001');
    assert.equal(emu.count('PUT'), 1);
  });

  it('adds a work number to an existing person and keeps the extension', async () => {
    const t = target();
    await t.apply(jane());
    await t.apply(jane({ phoneNumber: '+12125550111' }));
    assert.deepEqual(stored()?.phoneNumbers, [{ type: 'work', value: '+12125550111' }]);
    assert.equal(stored()?.extension, '1001');
  });

  it('429: waits Retry-After, then throttled with retryAfterMs when tries run out', async () => {
    emu.throttle = { count: 2, retryAfterSeconds: 4 };
    assert.equal((await target().apply(jane())).outcome, 'created');
    assert.deepEqual(sleeps, [4000, 4000]);

    emu.throttle = { count: 1, retryAfterSeconds: 9 };
    const err = await failure(target('good-token', 1).apply(jane({ displayName: 'J' })));
    assert.equal(err.code, 'throttled');
    assert.equal(err.retryable, true);
    assert.equal(err.retryAfterMs, 9000);
  });

  it('an unknown location or licence is a missing reference naming it', async () => {
    const loc = await failure(target().apply(jane({ locationId: 'LOC-MARS' })));
    assert.equal(loc.code, 'missing_reference');
    assert.equal(loc.details.field, 'locationId');
    assert.equal(loc.details.value, 'LOC-MARS');
    assert.match(loc.message, /locationId 'LOC-MARS' does not exist/);
    assert.equal(loc.retryable, false);

    const lic = await failure(target().apply(jane({ licenses: 'LIC-NOPE' })));
    assert.equal(lic.code, 'missing_reference');
    assert.equal(lic.details.field, 'licenses');
    assert.equal(lic.details.value, 'LIC-NOPE');
    assert.equal(emu.org.people.size, 0);
  });

  it('an extension another person holds is a duplicate naming the field', async () => {
    const t = target();
    await t.apply(jane());
    const bob = { ...jane(), key: 'bob@example.com' };
    const err = await failure(t.apply(bob));
    assert.equal(err.code, 'duplicate');
    assert.equal(err.details.field, 'extension');
    assert.match(String(err.details.trackingId), /^ROUTER_/);
  });

  it('refuses to move a calling user to another location', async () => {
    const t = target();
    await t.apply(jane());
    const err = await failure(t.apply(jane({ locationId: 'LOC-LON' })));
    assert.equal(err.code, 'rejected');
    assert.equal(err.details.field, 'locationId');
    assert.equal(emu.count('PUT'), 0);
  });

  it('refuses unknown attributes and a key that is not an email', async () => {
    assert.equal((await failure(target().apply(jane({ pager: '1' })))).code, 'rejected');
    const err = await failure(target().apply({ ...jane(), key: 'jdoe' }));
    assert.equal(err.details.field, 'key');
    assert.equal(emu.requests.length, 0);
  });

  it('deletes a leaver; a second delete is a noop', async () => {
    const t = target();
    const made = await t.apply(jane());
    const gone = await t.apply({ ...jane(), action: 'delete' });
    assert.deepEqual(gone, { externalId: made.externalId, outcome: 'deleted' });
    assert.equal(emu.org.people.size, 0);
    assert.equal((await t.apply({ ...jane(), action: 'delete' })).outcome, 'noop');
  });

  it('a bad token is an auth error', async () => {
    const err = await failure(target('expired-token').apply(jane()));
    assert.equal(err.code, 'auth');
    assert.equal(err.details.status, 401);
    assert.doesNotMatch(err.message, /expired-token/);
  });

  it('lists numbers across Link pages and checks numbers in use', async () => {
    const t = target('good-token', 3, 2);
    emu.maxPage = 2;
    for (let i = 0; i < 5; i += 1) {
      const change = { ...jane({ extension: `20${i}0`, phoneNumber: `+1212555020${i}` }) };
      await t.apply({ ...change, key: `p${i}@example.com` });
    }
    await t.apply({
      ...jane({ extension: '3000', locationId: 'LOC-LON' }),
      key: 'lon@example.com',
    });
    emu.requests.length = 0;

    const numbers: PlatformNumber[] = [];
    for await (const n of t.listNumbers()) numbers.push(n);
    assert.equal(numbers.filter((n) => n.kind === 'did').length, 5);
    const exts = numbers.filter((n) => n.kind === 'extension').map((n) => n.value);
    assert.deepEqual(exts.sort(), ['2000', '2010', '2020', '2030', '2040'], 'LOC-LON not listed');
    assert.ok(numbers.some((n) => n.value === '+12125550203' && n.owner === 'p3@example.com'));
    assert.equal(emu.count('GET'), 3, 'six people in pages of two');

    assert.equal(await t.numberInUse('+12125550204'), true);
    assert.equal(await t.numberInUse('+12125550299'), false);
    assert.equal(await t.numberInUse('2040'), true);
    assert.equal(await t.numberInUse('3000'), false, 'an extension in another location');
  });
});
