/**
 * `type: servicenow` sources: a group given by name instead of sys_id, an inline password, an
 * unknown request kind and a missing person field are refused with the field named; a valid
 * source fills the attributes rules may read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseConfig } from './config.ts';

const base = (source: string) => `
store: sqlite:./callsign.db
secretKey: file:./secret.key
correlation: [mail]
sources:
${source}
targets:
  - { name: pbx, type: "null" }
pools:
  ext: { kind: extension, range: { start: '4000', end: '4099' } }
profiles:
  phone:
    resources:
      - { target: pbx, type: sip-subscriber, key: '{{numbers.extension}}' }
rules:
  - { name: all, when: person.request == "joiner", profile: phone, numbers: { extension: ext } }
`;
const GOOD = `  - name: desk
    type: servicenow
    url: https://acme.service-now.com
    auth: { token: env:SN_TOKEN }
    assignmentGroup: 0123456789abcdef0123456789abcdef
    itemMap: { 'New phone': joiner, 'Move': mover }
    fields: { person: requested_for, site: variables.site }`;

test('a valid source: bearer auth, defaults, attributes for rules', () => {
  const config = parseConfig(base(GOOD), '/srv/callsign.yaml');
  const desk = config.sources[0]!;
  assert.equal(desk.type, 'servicenow');
  if (desk.type !== 'servicenow') return;
  assert.deepEqual(desk.auth, { token: 'env:SN_TOKEN' });
  assert.equal(desk.table, 'sc_task');
  assert.deepEqual(Object.keys(desk.attributes).sort(), [
    'displayName',
    'employeeId',
    'mail',
    'request',
    'site',
  ]);
});

test('a group name, an inline password, an unknown kind, no person: each named', () => {
  const bad = GOOD.replace('0123456789abcdef0123456789abcdef', 'Telecom Provisioning')
    .replace('{ token: env:SN_TOKEN }', '{ user: callsign, password: hunter2 }')
    .replace('mover }', 'relocate }')
    .replace('person: requested_for, ', '');
  let message = '';
  try {
    parseConfig(base(bad), '/srv/callsign.yaml');
  } catch (err) {
    message = err instanceof Error ? err.message : String(err);
  }
  assert.match(message, /assignmentGroup: must be the group sys_id/);
  assert.match(message, /auth\.password: inline secrets are not allowed/);
  assert.doesNotMatch(message, /hunter2/);
  assert.match(message, /itemMap: Move: must be joiner, mover, leaver, agent, not relocate/);
  assert.match(message, /fields: must map person/);
});
