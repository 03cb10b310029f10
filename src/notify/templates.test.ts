/**
 * Template safety and load-time checks: a template that tries to run code or reach a prototype
 * is refused when the configuration loads, or renders no value; a variable its event does not
 * offer, an attribute no source maps, and a secret addressed to anyone but its owner are
 * configuration errors naming the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseConfig } from '../core/config.ts';
import { CallsignError } from '../core/errors.ts';
import { notifyConfig } from './test-config.ts';
import { renderMessage } from './render.ts';

const load = (templates: string, rules?: string) => {
  let text = notifyConfig(2525, '/tmp/ca.pem', templates);
  if (rules !== undefined) text = text.replace(/  rules:\n[\s\S]*$/, `  rules:\n${rules}\n`);
  return parseConfig(text, '/tmp/callsign.yaml');
};

const template = (name: string, subject: string, text: string) =>
  `    ${name}:\n      subject: '${subject}'\n      text: "${text}"`;

const OTHERS = [
  template('creds', 'Your SIP password', '{{secret.value}}'),
  template('failure', 'Failed', '{{error.message}}'),
].join('\n');

function configError(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CallsignError);
    assert.equal(err.code, 'config');
    assert.match(err.message, pattern);
    return true;
  });
}

test('a valid notifications section loads with its rules and templates', () => {
  const config = load(`${template('welcome', 'Hi {{person.givenName}}', 'x')}\n${OTHERS}`);
  assert.equal(config.notifications?.rules.length, 3);
  assert.equal(config.notifications?.smtp.security, 'starttls');
  assert.equal(config.notifications?.team, 'telecom@example.com');
});

test('a template that tries to run code is refused at load', () => {
  configError(
    () => load(`${template('welcome', 'x', "{{constructor.constructor('x')()}}")}\n${OTHERS}`),
    /templates\.welcome\.text: .*not root\.name/,
  );
});

test('a template that reaches for a prototype is refused at load', () => {
  configError(
    () => load(`${template('welcome', '{{person.__proto__}}', 'x')}\n${OTHERS}`),
    /person\.__proto__: no source maps the attribute __proto__/,
  );
});

test('prototype lookups render no value, whatever the values hold', () => {
  const vars = JSON.parse('{"person":{"__proto__":{"polluted":"yes"}},"event":{}}');
  for (const text of [
    '{{person.__proto__}}',
    '{{person.constructor}}',
    '{{event.toString}}',
    '{{person.hasOwnProperty}}',
  ]) {
    assert.throws(
      () => renderMessage('t', { subject: 's', text }, vars),
      (err: unknown) => err instanceof CallsignError && /no value for/.test(err.message),
    );
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const shown = renderMessage(
    't',
    { subject: 'a {{event.x}}', text: '{{person.a | upper}}' },
    { person: { a: '{{event.x}}' }, event: { x: '<b>' } },
  );
  // A value is text, never a template: `{{event.x}}` inside an attribute stays as it is.
  assert.deepEqual(shown, { subject: 'a <b>', text: '{{EVENT.X}}' });
});

test('a variable the event does not offer is a configuration error', () => {
  configError(
    () => load(`${template('welcome', 'x', '{{pool.free}} {{secret.value}}')}\n${OTHERS}`),
    /pool\.free is not a variable of provisioned events[\s\S]*secret\.value is not a variable/,
  );
});

test('credentials go to the person only, and need a defined template', () => {
  configError(
    () =>
      load(
        `${template('welcome', 'x', 'y')}\n${OTHERS}`,
        '    - { on: credentials, to: [person, team], template: creds }\n' +
          '    - { on: provisioned, to: [person], template: nothere }',
      ),
    /credentials go to the person only[\s\S]*template 'nothere' is not defined/,
  );
});

test('inline SMTP passwords and plain SMTP to a remote host are refused', () => {
  const base = `${template('welcome', 'x', 'y')}\n${OTHERS}`;
  const text = notifyConfig(25, '/tmp/ca.pem', base)
    .replace('password: env:CALLSIGN_TEST_SMTP_PW', 'password: hunter2-secret')
    .replace('host: 127.0.0.1', 'host: mail.example.com')
    .replace('starttls: true', 'starttls: false');
  assert.throws(
    () => parseConfig(text, '/tmp/callsign.yaml'),
    (err: unknown) => {
      assert.ok(err instanceof CallsignError);
      assert.match(err.message, /smtp\.password: inline secrets are not allowed/);
      assert.match(err.message, /plain SMTP to mail\.example\.com is not allowed/);
      assert.ok(!err.message.includes('hunter2'));
      return true;
    },
  );
});

test('a template reading a number kind no rule gives is refused at load, naming file, line and field', () => {
  const extensionOnly = (text: string) =>
    text
      .replace(/      - target: pbx\n        type: sip-alias\n[\s\S]*?(?=\n\S|\nrules:)/, '')
      .replace(", did: '{{person.site}}-did'", '');
  const welcome = template('welcome', 'x', 'Your number: {{numbers.did}}');
  const text = extensionOnly(notifyConfig(2525, '/tmp/ca.pem', `${welcome}\n${OTHERS}`));
  assert.doesNotMatch(text, /numbers\.did'|did: '/, 'the rules give no DID');
  const line = text.split('\n').findIndex((l) => l.includes('template: welcome')) + 1;
  configError(
    () => parseConfig(text, '/tmp/callsign.yaml'),
    new RegExp(
      `/tmp/callsign\\.yaml:${line}.*notifications\\.rules\\[1\\]\\.template.*` +
        'numbers\\.did is used, but no rule sets a did pool',
    ),
  );
  // The same configuration loads once the template keeps to the extension.
  const fine = template('welcome', 'x', 'Your extension: {{numbers.extension}}');
  parseConfig(extensionOnly(notifyConfig(2525, '/tmp/ca.pem', `${fine}\n${OTHERS}`)), '/x.yaml');
});

test('a person without a number the template reads gets it empty, or the template default', () => {
  const t = { subject: 'Phone {{numbers.did}}', text: 'DID: {{numbers.did}}.' };
  const vars = { person: {}, numbers: { extension: '2001' } };
  assert.deepEqual(renderMessage('welcome', t, vars), { subject: 'Phone ', text: 'DID: .' });
  const withDefault = { subject: 'x', text: 'DID: {{numbers.did | default:"none yet"}}.' };
  assert.equal(renderMessage('welcome', withDefault, vars).text, 'DID: none yet.');
  const held = { person: {}, numbers: { extension: '2001', did: '+12125550100' } };
  assert.equal(renderMessage('welcome', withDefault, held).text, 'DID: +12125550100.');
  // Other roots still fail loudly: a missing attribute is a fault, not a blank.
  assert.throws(
    () => renderMessage('welcome', { subject: 'x', text: '{{person.site}}' }, vars),
    /no value for person\.site/,
  );
});
