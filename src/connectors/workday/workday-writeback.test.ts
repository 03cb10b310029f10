/**
 * Workday write-back through the HR source against the SOAP emulator: the number is split into
 * Workday's parts after the hire date, a pre-hire is held with `waiting`, faults map to
 * rejected (naming the field), not_found, auth and unavailable.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { CallsignError } from '../../core/errors.ts';
import { HrFileSource } from '../hr/hr-file-source.ts';
import { hrConfig, hrCsv } from '../hr/test-kit.ts';
import {
  startWorkdayEmulator,
  type WorkdayEmulator,
} from '../../../test/emulators/workday/workday-emulator.ts';

const ROWS = [
  'W1,Active,Regular,w1@example.org,Ann,One,2025-01-10,,US,,',
  'W2,Active,Regular,w2@example.org,Bea,Two,2025-03-01,,US,,',
  'C3,Active,Contractor,c3@example.org,Cal,Three,2025-01-10,,US,,',
];
const NOW = new Date('2025-02-01T09:00:00Z');

let dir: string;
let wd: WorkdayEmulator;
let file: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callsign-wd-'));
  file = join(dir, 'workers.csv');
  await writeFile(file, hrCsv(ROWS));
  wd = await startWorkdayEmulator({
    username: 'isu@acme',
    password: 's3cr<e>t&',
    workers: ['W1', 'W2', 'C3'],
    requireCountry: true,
  });
});
after(async () => {
  await wd.close();
  await rm(dir, { recursive: true, force: true });
});

function source(password = 's3cr<e>t&'): HrFileSource {
  const config = {
    ...hrConfig(file),
    writeBack: { workPhone: 'did' as const },
    workday: { url: wd.url, username: 'isu@acme', password: 'env:UNUSED', version: 'v42.0' },
  };
  return new HrFileSource(config, { workdayPassword: password, clock: () => NOW });
}

test('after the hire date the number is stored split into Workday parts', async () => {
  const hr = source();
  assert.equal(hr.capabilities.writeBack, true);
  await hr.writeBack({ externalId: 'W1' }, { workPhone: '+19085550100;ext=123' });
  const phone = wd.phones.get('W1');
  assert.deepEqual(phone, {
    idType: 'Employee_ID',
    countryIso3: 'USA',
    countryCode: '1',
    areaCode: '908',
    number: '5550100',
    extension: '123',
    usage: 'WORK',
    primary: true,
    effectiveDate: '2025-02-01',
  });
});

test('a contractor is referenced by Contingent_Worker_ID; a UK number keeps its area', async () => {
  await source().writeBack({ externalId: 'C3' }, { workPhone: '+442079460958' });
  const phone = wd.phones.get('C3');
  assert.equal(phone?.idType, 'Contingent_Worker_ID');
  assert.equal(phone?.countryIso3, 'GBR');
  assert.equal(phone?.areaCode, '20');
  assert.equal(phone?.number, '79460958');
  assert.equal(phone?.extension, undefined);
});

test('a pre-hire is held with a retryable waiting error naming the hire date', async () => {
  await assert.rejects(
    source().writeBack({ externalId: 'W2' }, { workPhone: '+19085550101' }),
    (err: CallsignError) => {
      assert.equal(err.code, 'waiting');
      assert.equal(err.retryable, true);
      assert.match(err.message, /W2.*2025-03-01/);
      return true;
    },
  );
  assert.equal(wd.phones.has('W2'), false);
});

test('a SOAP validation fault is rejected naming the field', async () => {
  // Thailand has no alpha-3 in the connector's table, so Country_ISO_Code is left out.
  await assert.rejects(
    source().writeBack({ externalId: 'W1' }, { workPhone: '+6621234567' }),
    (err: CallsignError) => {
      assert.equal(err.code, 'rejected');
      assert.equal(err.details.field, 'Country_ISO_Code');
      assert.match(err.message, /W1 \(Country_ISO_Code\)/);
      return true;
    },
  );
});

test('bad credentials map to auth; a 500 to retryable unavailable', async () => {
  await assert.rejects(
    source('wrong').writeBack({ externalId: 'W1' }, { workPhone: '+19085550100' }),
    (err: CallsignError) => err.code === 'auth' && !err.retryable,
  );
  wd.failNext();
  await assert.rejects(
    source().writeBack({ externalId: 'W1' }, { workPhone: '+19085550100' }),
    (err: CallsignError) => err.code === 'unavailable' && err.retryable,
  );
});

test('an unknown worker is not_found, so a clearing delete can settle as noop', async () => {
  await writeFile(file, hrCsv([...ROWS, 'W9,Active,Regular,w9@example.org,X,Y,2025-01-01,,US,,']));
  await assert.rejects(
    source().writeBack({ externalId: 'W9' }, { workPhone: '+19085550100' }),
    (err: CallsignError) => err.code === 'not_found' && /W9/.test(err.message),
  );
});
