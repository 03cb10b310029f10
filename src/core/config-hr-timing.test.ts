/**
 * `missingGraceSeconds` and `timezone` on every HR source type: accepted by hr-file, hr-https,
 * hr-push, workday and successfactors, defaulting to LDAP's day of grace and to UTC; a negative
 * grace or a time zone the runtime does not know is refused with the field named.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseConfig } from './config.ts';
import { phoneConfig, refusalMessage } from './testing/config-text.ts';

const MAPPING = `    columns: { workerId: Worker ID, mail: Email }
    status: { column: Status, active: [Active], leave: [Leave], terminated: [Terminated] }`;
const SOURCES = {
  'hr-file': `  - name: file\n    type: hr-file\n    path: ./drop\n${MAPPING}`,
  'hr-https': `  - name: raas
    type: hr-https
    feed: workday-raas
    url: https://wd5.myworkday.com/ccx/service/customreport2/acme/isu/Workers
    username: isu
    password: env:WD_PASSWORD
${MAPPING}`,
  'hr-push': `  - name: push\n    type: hr-push\n${MAPPING}`,
  workday: `  - name: wd
    type: workday
    url: https://wd2.workday.com/ccx/service/acme/Human_Resources/v41.1
    username: isu@acme
    password: env:WD_PASSWORD`,
  successfactors: `  - name: sf
    type: successfactors
    url: https://api4.successfactors.com/odata/v2
    auth: { token: env:SF_TOKEN }`,
};
const text = (source: string, more = '') =>
  phoneConfig({ sources: `${source}${more}`, when: 'person.mail != ""' });

test('every HR source type takes missingGraceSeconds and timezone, with defaults', () => {
  for (const [type, source] of Object.entries(SOURCES)) {
    const plain = parseConfig(text(source), '/srv/callsign.yaml').sources[0]!;
    assert.equal(plain.type, type);
    assert.ok('missingGraceSeconds' in plain && 'timezone' in plain, type);
    assert.equal(plain.missingGraceSeconds, 86400, `${type}: LDAP's default`);
    assert.equal(plain.timezone, 'UTC', type);
    const more = '\n    missingGraceSeconds: 172800\n    timezone: America/Chicago';
    const set = parseConfig(text(source, more), '/srv/callsign.yaml').sources[0]!;
    assert.ok('missingGraceSeconds' in set && 'timezone' in set, type);
    assert.equal(set.missingGraceSeconds, 172800, type);
    assert.equal(set.timezone, 'America/Chicago', type);
  }
});

test('an unknown time zone or a negative grace is refused, naming the field', () => {
  for (const source of Object.values(SOURCES)) {
    const zone = refusalMessage(text(source, '\n    timezone: Mars/Olympus'));
    assert.match(zone, /timezone.*"Mars\/Olympus" is not an IANA time zone name/);
    const grace = refusalMessage(text(source, '\n    missingGraceSeconds: -1'));
    assert.match(grace, /missingGraceSeconds/);
  }
});
