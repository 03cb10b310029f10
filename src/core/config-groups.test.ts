/** The LDAP source's `groups` and `missingGraceSeconds` settings, as `loadConfig` reads them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exampleConfig, parseConfig } from './config.ts';
import type { LdapSourceConfig } from './config-types.ts';
import { CallsignError } from './errors.ts';

const SITE_RULE = 'when: person.site == "New York" && person.workerType != "contractor"';

function withSource(extra: string, rule = SITE_RULE): string {
  const text = exampleConfig();
  assert.ok(text.includes('    idAttribute: entryUUID\n'));
  assert.ok(text.includes(SITE_RULE));
  return text
    .replace('    idAttribute: entryUUID\n', `    idAttribute: entryUUID\n${extra}`)
    .replace(SITE_RULE, rule);
}

const ldap = (text: string) => parseConfig(text, '/srv/c.yaml').sources[0] as LdapSourceConfig;

test('without settings: no groups, a one-day grace', () => {
  const source = ldap(exampleConfig());
  assert.equal(source.groups, undefined);
  assert.equal(source.missingGraceSeconds, 86400);
});

test('groups become an attribute rules may test', () => {
  const groups = [
    '    groups: { attribute: teams, memberOf: true, nested: true,',
    '      baseDn: "ou=Groups,dc=corp", filter: "(objectClass=group)" }',
    '    missingGraceSeconds: 0',
    '',
  ].join('\n');
  const text = withSource(groups, 'when: \'"cc-agents" in person.teams\'');
  const source = ldap(text);
  assert.deepEqual(source.groups, {
    attribute: 'teams',
    memberOf: true,
    nested: true,
    baseDn: 'ou=Groups,dc=corp',
    filter: '(objectClass=group)',
  });
  assert.equal(source.missingGraceSeconds, 0);
});

test('a rule on groups without a groups setting is refused', () => {
  const text = withSource('', 'when: \'"cc-agents" in person.teams\'');
  assert.throws(
    () => parseConfig(text, '/srv/c.yaml'),
    (err: unknown) =>
      err instanceof CallsignError && /person\.teams is not an attribute/.test(err.message),
  );
});

test('a negative grace and a malformed group filter are refused', () => {
  const text = withSource('    missingGraceSeconds: -5\n    groups: { filter: "cn=x" }\n');
  assert.throws(
    () => parseConfig(text, '/srv/c.yaml'),
    (err: unknown) => {
      const message = (err as Error).message;
      return /missingGraceSeconds/.test(message) && /groups\.filter/.test(message);
    },
  );
});
