/**
 * `type: workday` and `type: successfactors` sources: valid ones fill the attributes rules may
 * read and the defaults; an inline secret, a wrong URL, an unknown worker type, a person key
 * outside correlation and an auth block with both token and user are refused, each naming
 * the file, the line and the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseConfig } from './config.ts';
import { phoneConfig, refusalMessage } from './testing/config-text.ts';

const base = (source: string) =>
  phoneConfig({ sources: source, when: 'person.workerType == "employee" && !person.onLeave' });
const WORKDAY = `  - name: wd
    type: workday
    url: https://wd2-impl-services1.workday.com/ccx/service/acme/Human_Resources/v41.1
    username: isu_callsign@acme
    password: env:WD_PASSWORD
    personKey: mail
    countryAliases: { UK: GB }
    provisionDaysBeforeStart: 3`;
const SF = `  - name: sf
    type: successfactors
    url: https://api4.successfactors.com/odata/v2
    auth: { user: callsign@ACME, password: env:SF_PASSWORD }
    workerTypes: { '1': employee, '2': contractor }
    pageSize: 200`;

test('valid Workday and SuccessFactors sources with their defaults', () => {
  const config = parseConfig(base(`${WORKDAY}\n${SF}`), '/srv/callsign.yaml');
  const [wd, sf] = config.sources;
  assert.ok(wd?.type === 'workday' && sf?.type === 'successfactors');
  assert.equal(wd.version, 'v41.1', 'version from the URL');
  assert.equal(wd.pageSize, 100);
  assert.deepEqual(wd.workerTypes, { Employee: 'employee', Contingent_Worker: 'contractor' });
  assert.deepEqual(wd.countryAliases, { UK: 'GB' });
  assert.equal(wd.provisionDaysBeforeStart, 3);
  assert.ok('workerType' in wd.attributes && 'onLeave' in wd.attributes);
  assert.deepEqual(sf.auth, { user: 'callsign@ACME', password: 'env:SF_PASSWORD' });
  assert.deepEqual(sf.statuses, {
    active: ['A'],
    leave: ['U', 'P', 'S'],
    terminated: ['T', 'R', 'D'],
  });
  assert.equal(sf.pageSize, 200);
});

test('inline secrets, wrong URLs, unknown worker types and bad auth are named with the line', () => {
  const wd = WORKDAY.replace('env:WD_PASSWORD', 'hunter2')
    .replace('/ccx/service/acme/Human_Resources/v41.1', '/api/workers')
    .replace('personKey: mail', 'personKey: displayName');
  const sf = SF.replace("'2': contractor", "'2': vendor").replace(
    '{ user: callsign@ACME, password: env:SF_PASSWORD }',
    '{ token: env:T, user: x }',
  );
  const text = refusalMessage(base(`${wd}\n${sf}`));
  assert.match(text, /callsign\.yaml:10: sources\[0\]\.password: inline secrets are not allowed/);
  assert.match(text, /callsign\.yaml:8: sources\[0\]\.url: must be https:\/\/HOST\/ccx\/service/);
  assert.match(
    text,
    /callsign\.yaml:11: sources\[0\]\.personKey: attribute displayName is not in correlation/,
  );
  assert.match(
    text,
    /callsign\.yaml:18: sources\[1\]\.workerTypes: 2: must be employee, contractor, intern/,
  );
  assert.match(
    text,
    /callsign\.yaml:17: sources\[1\]\.auth\.token: give a token or a user, not both/,
  );
  assert.doesNotMatch(text, /hunter2/);
});
