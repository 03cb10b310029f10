/**
 * An HR status value in two of the active/leave/terminated lists would turn the workers who
 * have it into leavers (or active people on leave): refused at load for every HR source kind,
 * naming the value, the line and both fields.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dropSource } from '../connectors/hr/test-kit.ts';
import { parseConfig } from './config.ts';
import { phoneConfig, refusalMessage } from './testing/config-text.ts';

const base = (source: string) => phoneConfig({ sources: source, when: 'person.onLeave == false' });

test('hr-file: a value both active and terminated is refused with both fields named', () => {
  const text = refusalMessage(
    base(dropSource('')).replace('terminated: [Terminated]', 'terminated: [Terminated, active]'),
  );
  assert.match(
    text,
    /callsign\.yaml:\d+: sources\[0\]\.status\.terminated: "active" is also listed in sources\[0\]\.status\.active/,
  );
});

test('hr-https takes the same mapping and is refused the same way', () => {
  const source = `  - name: raas
    type: hr-https
    feed: workday-raas
    url: https://wd5-services1.myworkday.com/ccx/service/customreport2/acme/isu/Workers
    format: csv
    username: isu
    password: env:WD_PASSWORD
    columns: { workerId: Worker ID, mail: Email }
    status: { column: Status, active: [Active, Leave], leave: [Leave], terminated: [Terminated] }`;
  assert.match(
    refusalMessage(base(source)),
    /sources\[0\]\.status\.leave: "Leave" is also listed in sources\[0\]\.status\.active/,
  );
});

test('successfactors: an explicit list that overlaps a default one is refused', () => {
  const source = `  - name: sf
    type: successfactors
    url: https://api4.successfactors.com/odata/v2
    auth: { user: callsign@ACME, password: env:SF_PASSWORD }
    statuses: { active: [A, T] }`;
  assert.match(
    refusalMessage(base(source)),
    /sources\[0\]\.statuses\.terminated: "T" is also listed in sources\[0\]\.statuses\.active/,
  );
});

test('distinct lists load', () => {
  const config = parseConfig(base(dropSource('')), '/srv/callsign.yaml');
  assert.equal(config.sources[0]?.type, 'hr-file');
});
