/**
 * `type: servicenow` sources: a group given by name instead of sys_id, an inline password, an
 * unknown request kind and a missing person field are refused with the field named; a valid
 * source fills the attributes rules may read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseConfig } from './config.ts';
import { phoneConfig, refusalMessage } from './testing/config-text.ts';

const base = (source: string) =>
  phoneConfig({ sources: source, when: 'person.request == "joiner"' });
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
  const message = refusalMessage(base(bad));
  assert.match(message, /assignmentGroup: must be the group sys_id/);
  assert.match(message, /auth\.password: inline secrets are not allowed/);
  assert.doesNotMatch(message, /hunter2/);
  assert.match(message, /itemMap: Move: must be joiner, mover, leaver, agent, not relocate/);
  assert.match(message, /fields: must map person/);
});
