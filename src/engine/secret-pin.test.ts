/**
 * Generated voicemail PINs: a profile resource asks for `secret: { pin: N }`, the vault stores
 * N random digits that are never trivial, and the configuration refuses a PIN length out of
 * range, naming the field. Passwords stay as they were for resources that ask for nothing else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exampleConfig, parseConfig } from '../core/config.ts';
import { CallsignError } from '../core/errors.ts';
import { testDialects, withStore } from '../store/testing/databases.ts';
import { secretFormatOf } from './credentials.ts';
import { generatePin, isTrivialPin, Vault } from './vault.ts';

test('trivial PINs are recognised: one digit repeated, runs up or down', () => {
  for (const pin of ['000000', '7777', '123456', '456789', '890123', '987654', '321098']) {
    assert.equal(isTrivialPin(pin), true, pin);
  }
  for (const pin of ['482913', '123457', '112233', '135791', '100000', '024680']) {
    assert.equal(isTrivialPin(pin), false, pin);
  }
});

test('generated PINs have the asked length, are digits only and never trivial', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const pin = generatePin(4);
    assert.match(pin, /^\d{4}$/);
    assert.equal(isTrivialPin(pin), false, pin);
    seen.add(pin);
  }
  // 2000 draws from about 9,980 allowed PINs: a handful of repeats, not a fixed answer.
  assert.ok(seen.size > 1500, `PINs vary (${seen.size} distinct)`);
  assert.match(generatePin(12), /^\d{12}$/);
  assert.throws(() => generatePin(3), /at least 4 digits/);
});

const PROFILE_WITH_PIN = exampleConfig()
  .replace('\ntargets:\n', '\ntargets:\n  - { name: vm, type: "null" }\n')
  .replace(
    `      - target: pbx
        type: sip-alias`,
    `      - target: vm
        type: voicemail
        key: '{{numbers.extension}}'
        secret: { pin: 8 }
      - target: pbx
        type: sip-alias`,
  );

test('a profile resource asks for a PIN with `secret: { pin: N }`', () => {
  assert.notEqual(PROFILE_WITH_PIN, exampleConfig(), 'the example still has the anchor');
  const config = parseConfig(PROFILE_WITH_PIN, '/srv/callsign.yaml');
  const resources = config.profiles['sip-user']!.resources;
  const mailbox = resources.find((r) => r.type === 'voicemail')!;
  assert.equal(mailbox.secret, true);
  assert.deepEqual(mailbox.secretFormat, { kind: 'pin', length: 8 });
  const sip = resources.find((r) => r.type === 'sip-subscriber')!;
  assert.equal(sip.secret, true);
  assert.equal(sip.secretFormat, undefined);

  assert.deepEqual(secretFormatOf(config, { target: 'vm', type: 'voicemail' }), {
    kind: 'pin',
    length: 8,
  });
  assert.equal(secretFormatOf(config, { target: 'pbx', type: 'sip-subscriber' }), undefined);
});

test('two profiles asking different secrets for one target and type are refused', () => {
  const second = PROFILE_WITH_PIN.replace(
    '\n# Rules are tried',
    `  voicemail-only:
    resources:
      - target: vm
        type: voicemail
        key: '{{numbers.extension}}'
        secret: { pin: 6 }
\n# Rules are tried`,
  );
  assert.notEqual(second, PROFILE_WITH_PIN);
  assert.throws(
    () => parseConfig(second, '/srv/callsign.yaml'),
    /secret: vm\/voicemail secrets are a PIN of 8 digits elsewhere, not a PIN of 6 digits/,
  );
  const same = second.replace('secret: { pin: 6 }', 'secret: { pin: 8 }');
  assert.equal(
    parseConfig(same, '/srv/callsign.yaml').profiles['voicemail-only']?.name,
    'voicemail-only',
  );
});

test('a PIN length out of range or missing is refused with the field named', () => {
  for (const [bad, why] of [
    ['{ pin: 2 }', /secret\.pin: 2 is outside 4\.\.24/],
    ['{ pin: six }', /secret\.pin: must be an integer/],
    ['{ digits: 6 }', /secret\.pin: is required/],
  ] as const) {
    const text = PROFILE_WITH_PIN.replace('secret: { pin: 8 }', `secret: ${bad}`);
    assert.throws(
      () => parseConfig(text, '/srv/callsign.yaml'),
      (err: unknown) => err instanceof CallsignError && why.test(err.message),
      bad,
    );
  }
});

const { names, skipped } = await testDialects();
for (const dialect of names) {
  test(`the vault stores a PIN or a password as the format asks (${dialect})`, async () => {
    await withStore(dialect, async (store) => {
      const vault = new Vault(store, Buffer.alloc(32, 7));
      assert.equal(await vault.ensure('cuc/cuc-mailbox/ana', { kind: 'pin', length: 6 }), true);
      const pin = (await vault.reveal('cuc/cuc-mailbox/ana'))!;
      assert.match(pin, /^\d{6}$/);
      assert.equal(isTrivialPin(pin), false);
      assert.equal(await vault.ensure('cuc/cuc-mailbox/ana', { kind: 'pin', length: 6 }), false);
      assert.equal(await vault.reveal('cuc/cuc-mailbox/ana'), pin, 'an existing PIN is kept');

      await vault.ensure('pbx/sip-subscriber/2001');
      const password = (await vault.reveal('pbx/sip-subscriber/2001'))!;
      assert.equal(password.length, 20);
      assert.match(password, /[A-Za-z]/);
    });
  });
}
if (skipped) test('the vault on PostgreSQL', { skip: skipped }, () => undefined);
