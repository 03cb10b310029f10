/**
 * `type: hr-https` sources: a Workday RaaS report and a PeopleSoft query take the hr-file
 * mapping; a wrong URL shape, an inline password, a PeopleSoft feed without a query or asked as
 * CSV are refused with the field named.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseConfig } from './config.ts';
import { phoneConfig, refusalMessage } from './testing/config-text.ts';

const base = (source: string) =>
  phoneConfig({ sources: source, when: 'person.hrStatus == "Active"' });
const RAAS = `  - name: workday
    type: hr-https
    feed: workday-raas
    url: https://wd5-services1.myworkday.com/ccx/service/customreport2/acme/isu_callsign/Callsign_Workers
    format: csv
    username: isu_callsign
    password: env:WD_PASSWORD
    tlsCa: ./wd-ca.pem
    columns: { workerId: Worker ID, mail: Email }
    keys: { personKey: Email }
    status: { column: Status, active: [Active], leave: [Leave], terminated: [Terminated] }
    dates: { hire: Hire Date, format: MM/DD/YYYY }
    provisionDaysBeforeStart: 2`;
const QAS = `  - name: peoplesoft
    type: hr-https
    feed: peoplesoft-qas
    url: https://hr.acme.example/PSIGW/RESTListeningConnector/PSFT_HR/ExecuteQuery.v1
    query: CS_WORKERS
    maxRows: 50000
    username: CALLSIGN
    password: file:./ps.secret
    columns: { workerId: EMPLID, mail: EMAIL_ADDR }
    status: { column: EMPL_STATUS, active: [A], leave: [L], terminated: [T] }`;

test('a Workday RaaS report and a PeopleSoft query: feed, mapping, defaults', () => {
  const config = parseConfig(base(`${RAAS}\n${QAS}`), '/srv/callsign.yaml');
  const [wd, ps] = config.sources;
  assert.equal(wd?.type, 'hr-https');
  assert.equal(ps?.type, 'hr-https');
  if (wd?.type !== 'hr-https' || ps?.type !== 'hr-https') return;
  assert.equal(wd.feed, 'workday-raas');
  assert.equal(wd.format, 'csv');
  assert.equal(wd.tlsCa, '/srv/wd-ca.pem');
  assert.equal(wd.timeoutMs, 60_000);
  assert.equal(wd.provisionDaysBeforeStart, 2);
  assert.equal(wd.attributes.startDate, 'Hire Date');
  assert.equal(ps.feed, 'peoplesoft-qas');
  assert.equal(ps.query, 'CS_WORKERS');
  assert.equal(ps.owner, 'PUBLIC');
  assert.equal(ps.maxRows, 50_000);
  assert.equal(ps.format, 'json');
  assert.equal(ps.password, 'file:/srv/ps.secret');
  assert.equal(ps.attributes.hrStatus, 'EMPL_STATUS');
});

test('a wrong URL, an inline password, no query, CSV from PeopleSoft: each named', () => {
  const bad = `${RAAS.replace('/ccx/service/customreport2/acme', '/ccx/service/acme').replace(
    'env:WD_PASSWORD',
    'hunter2',
  )}\n${QAS.replace('    query: CS_WORKERS\n', '    format: csv\n').replace(
    'name: peoplesoft',
    'name: ps',
  )}`;
  const message = refusalMessage(base(bad));
  assert.match(message, /url: must be https:\/\/HOST\/ccx\/service\/customreport2/);
  assert.match(message, /password: inline secrets are not allowed/);
  assert.doesNotMatch(message, /hunter2/);
  assert.match(message, /query: .*required/);
  assert.match(message, /format: a PeopleSoft query is read as JSON only/);
  assert.doesNotMatch(message, /path/);
});
