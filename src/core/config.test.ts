import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CallsignError } from './errors.ts';
import { exampleConfig, loadConfig, parseConfig } from './config.ts';
import type { ConfigProblem } from './config.ts';
import type { LdapSourceConfig } from './config-types.ts';

/** Parses and returns the problems; fails the test when the text is valid. */
function problemsOf(text: string): { message: string; errors: ConfigProblem[] } {
  try {
    parseConfig(text, 'callsign.yaml');
  } catch (err) {
    assert.ok(err instanceof CallsignError);
    assert.equal(err.code, 'config');
    return { message: err.message, errors: err.details.errors as ConfigProblem[] };
  }
  assert.fail('expected the configuration to be refused');
}

/** The example with one line replaced, to break one thing at a known line. */
function exampleWith(find: string, replace: string): string {
  const text = exampleConfig();
  assert.ok(text.includes(find), `example lacks ${find}`);
  return text.replace(find, replace);
}

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

test('the example parses, with defaults and paths anchored at the file', () => {
  const config = parseConfig(exampleConfig(), '/srv/callsign/callsign.yaml');
  assert.equal(config.file, '/srv/callsign/callsign.yaml');
  assert.equal(config.store, 'sqlite:/srv/callsign/callsign.db');
  assert.equal(config.secretKey, 'file:/srv/callsign/.callsign/secret.key');
  assert.deepEqual(
    config.pools.map((p) => p.name),
    ['nyc-ext', 'nyc-did', 'sfo-ext', 'sfo-did'],
  );
  assert.equal(config.pools[0].exclude[0], '2000');
  const profile = config.profiles['sip-user'];
  assert.deepEqual(profile.resources[1].dependsOn, ['sip-subscriber']);
  assert.equal(profile.resources[0].secret, true);
  assert.equal(profile.resources[0].attributes.displayName.mode, 'enforce');
  assert.equal(profile.resources[0].attributes.email.mode, 'create');
  assert.deepEqual((config.sources[0] as LdapSourceConfig).writeBack, { telephoneNumber: 'did' });
});

test('defaults fill what a minimal file leaves out', () => {
  const text = [
    'sources:',
    '  - { name: dir, type: ldap, url: "ldap://127.0.0.1:389", bindDn: cn=a, password: env:P,',
    '      baseDn: dc=x, attributes: { site: l } }',
    'targets: [{ name: t, type: "null" }]',
  ].join('\n');
  const config = parseConfig(text, '/etc/cs/min.yaml');
  assert.equal(config.store, 'sqlite:/etc/cs/callsign.db');
  assert.equal((config.sources[0] as LdapSourceConfig).pageSize, 500);
  assert.equal((config.sources[0] as LdapSourceConfig).timeoutMs, 10000);
  assert.equal((config.sources[0] as LdapSourceConfig).idAttribute, 'entryUUID');
  assert.equal(config.targets[0].concurrency, 4);
  assert.deepEqual(config.safety, { maxDeprovisionShare: 0.1, maxDeprovisionCount: 25 });
  assert.deepEqual(config.engine, {
    pollIntervalSeconds: 30,
    leaseSeconds: 60,
    maxAttempts: 6,
    backoffBaseMs: 500,
    backoffMaxMs: 60000,
  });
});

test('an end before the start is reported with file, line and field', () => {
  const text = exampleWith(
    "range: { start: '3000', end: '3999' }",
    "range: { start: '3000', end: '2999' }",
  );
  const line = lineOf(text, "start: '3000', end: '2999'");
  const { message, errors } = problemsOf(text);
  assert.equal(errors.length, 1);
  assert.equal(
    message.split('\n')[1],
    `callsign.yaml:${line}: pools.sfo-ext.range: end 2999 is before start 3000`,
  );
  assert.deepEqual(errors[0], {
    file: 'callsign.yaml',
    line,
    path: 'pools.sfo-ext.range',
    message: 'end 2999 is before start 3000',
  });
});

test('all errors are reported at once, one per line', () => {
  let text = exampleWith('nyc-did:\n    kind', 'nyc-did:\n    colour: blue\n    kind');
  text = text.replace(
    'profile: sip-user\n    numbers: { extension: sfo',
    'profile: sip-usr\n    numbers: { extension: sfo',
  );
  text = text.replace('maxDeprovisionShare: 0.1', 'maxDeprovisionShare: 1.5');
  const { message, errors } = problemsOf(text);
  assert.deepEqual(
    errors.map((e) => e.path),
    ['pools.nyc-did.colour', 'rules[1].profile', 'safety.maxDeprovisionShare'],
  );
  assert.equal(message.split('\n').length, 4);
  assert.match(errors[0].message, /unknown key colour in pools\.nyc-did/);
  assert.equal(errors[0].line, lineOf(text, 'colour'));
  assert.match(errors[1].message, /unknown profile sip-usr/);
  assert.match(errors[2].message, /1\.5 is outside 0\.\.1/);
});

test('overlapping ranges of one kind are refused; other kinds may share digits', () => {
  const text = exampleWith(
    "range: { start: '3000', end: '3999' }",
    "range: { start: '2900', end: '3999' }",
  );
  const { errors } = problemsOf(text);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].path, 'pools.sfo-ext.range');
  assert.equal(
    errors[0].message,
    `2900-3999 overlaps pool nyc-ext (2000-2999, line ${lineOf(text, "start: '2000'")})`,
  );
});

test('a DID not in E.164 gets the E.164 spelling, found with the pool region', () => {
  const text = exampleWith("start: '+14155550100'", "start: '415-555-0100'");
  const { errors } = problemsOf(text);
  assert.equal(errors[0].path, 'pools.sfo-did.range.start');
  assert.equal(errors[0].message, '415-555-0100 is not E.164; write it as +14155550100');
});

test('a CEL syntax error is reported at the rule line with its column', () => {
  const text = exampleWith('person.site == "New York" &&', 'person.site == "New York" &&&');
  const { errors } = problemsOf(text);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].path, 'rules[0].when');
  assert.equal(errors[0].line, lineOf(text, '&&&'));
  assert.match(errors[0].message, /^CEL syntax error at column \d+: /);
});

test('a rule whose condition cannot give true or false is refused at load', () => {
  const rule = 'person.site == "New York" && person.workerType != "contractor"';
  for (const [when, message] of [
    ['person.workerType != "contractor" && "New York"', /^CEL type error: .*bool/],
    ['person.site + " " + person.workerType', /^must give true or false; this gives a string$/],
  ] as const) {
    const text = exampleWith(rule, when);
    const { errors } = problemsOf(text);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0].path, 'rules[0].when');
    assert.match(errors[0].message, message);
  }
});

test('rules and templates may only use attributes sources map', () => {
  let text = exampleWith(
    'person.workerType != "contractor"\n    profile: sip-user\n    numbers: { extension: nyc',
    'person.wrkerType != "contractor"\n    profile: sip-user\n    numbers: { extension: nyc',
  );
  text = text.replace("'{{person.displayName}}'", "'{{person.nickname}} {{numbers.fax}}'");
  const { errors } = problemsOf(text);
  assert.deepEqual(
    errors.map((e) => e.path),
    [
      'profiles.sip-user.resources[0].attributes.displayName',
      'profiles.sip-user.resources[0].attributes.displayName',
      'rules[0].when',
    ],
  );
  assert.match(errors[0].message, /person\.nickname, which no source maps/);
  assert.match(errors[1].message, /unknown variable numbers\.fax/);
  assert.match(errors[2].message, /person\.wrkerType is not an attribute/);
});

test('an inline password is refused without being echoed', () => {
  const text = exampleWith('password: env:CALLSIGN_LDAP_PASSWORD', 'password: Tr0ub4dor&3');
  const { message, errors } = problemsOf(text);
  assert.equal(errors[0].path, 'sources[0].password');
  assert.ok(!message.includes('Tr0ub4dor'));
  assert.ok(!JSON.stringify(errors).includes('Tr0ub4dor'));
});

test('unknown targets, duplicate pools and duplicate names are reported', () => {
  let text = exampleWith(
    '      - target: pbx\n        type: sip-alias',
    '      - target: pabx\n        type: sip-alias',
  );
  text = text.replace('  sfo-did:', '  nyc-did:');
  text = text.replace('name: san-francisco-staff', 'name: new-york-staff');
  const { errors } = problemsOf(text);
  const paths = errors.map((e) => e.path);
  assert.ok(paths.includes('profiles.sip-user.resources[1].target'), paths.join());
  assert.ok(paths.includes('pools.nyc-did'), paths.join());
  assert.ok(paths.includes('rules[1].name'), paths.join());
  const dup = errors.find((e) => e.path === 'pools.nyc-did');
  assert.match(dup?.message ?? '', /duplicate key \(first at line \d+\)/);
});

test('a YAML syntax error stops early and shows no source text', () => {
  const { errors } = problemsOf('store: sqlite:./x.db\nsources: [\n  password: "s3cret\n');
  assert.ok(errors.length >= 1);
  assert.equal(errors[0].path, '(syntax)');
  assert.ok(!JSON.stringify(errors).includes('s3cret'));
});

test('loadConfig reads a file and names it in errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callsign-config-'));
  const file = join(dir, 'callsign.yaml');
  writeFileSync(file, exampleConfig());
  assert.equal(loadConfig(file).file, file);
  assert.throws(() => loadConfig(join(dir, 'missing.yaml')), /Cannot read configuration .*ENOENT/);
});
