/**
 * The HR export connector on fixtures made here, one row per kind of fault the real exports
 * carry: every row is emitted or accounted for in `problems`, with exact counts; files that
 * cannot be read as a whole (header, encoding) throw naming the file and the place.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { CallsignError } from '../../core/errors.ts';
import { compileDateFormat } from './dates.ts';
import { HrFileSource } from './hr-file-source.ts';
import { HR_HEADER, hrConfig, hrCsv } from './test-kit.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callsign-hr-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Worker ID,Status,Type,Email,First,Last,Hire Date,Termination Date,Country,Phone,Manager */
const FAULTY = [
  'W1,Active,Regular,w1@example.org,Ann,One,2024-01-10,,US,201-555-0123,',
  'W2,Active,Regular,w2@example.org,Bea,Two,2024-01-10,,UK,0121 234 5678,W1', // UK → GB
  'W3,Active,Regular,w3@example.org,Cal,Three,2024-01-10,,FR,201-555-0123,W1', // phone ≠ FR
  'W4,Active,Regular,w4a@example.org,Dee,Four,2024-01-10,,US,,W1', // id twice
  'W4,Active,Contractor,w4b@example.org,Dan,Four,2024-02-10,,US,,W1',
  'W5,Active,Regular,w5@example.org,Eve,Five,2024-01-10,,US,,W99', // unknown manager
  'W6,Active,Regular,w6@example.org,Fay,Six,2024-01-10,,US,,W6', // manages themself
  'W7,Active,Regular,w7@example.org,Gus,Seven,03/15/2025,,US,,W1', // date format
  'W8,Pending,Regular,w8@example.org,Hal,Eight,2024-01-10,,US,,W1', // unknown status
  'W9,Active,Regular,w9@example.org,Ida,Nine,2024-01-10,,US,,W1,extra', // field count
  ',Active,Regular,nobody@example.org,No,Id,2024-01-10,,US,,W1', // no worker id
  'W10,Active,Vendor,w10@example.org,Jo,Ten,2024-01-10,,US,,W1', // unmapped worker type
  'C11,Terminated,Contractor,w11@example.org,Kim,Eleven,2023-01-01,2025-02-28,US,,W1',
  'W11,Active,Regular,W11@example.org ,Kim,Eleven,2025-03-01,,US,,W1', // converted
  'W12,Leave,Regular,w12@example.org,Lou,Twelve,2024-01-10,,US,,W1',
  'W13,Terminated,Regular,w13@example.org,Max,Thirteen,2024-01-10,2025-04-30,US,,W1',
  'W14,Terminated,Regular,w14@example.org,Ned,Fourteen,2024-01-10,,US,,W1',
  'W15,Active,Intern,w15@example.org,Ola,Fifteen,2025-06-10,,DE,030 123456,W1',
];

test('every faulty row is held, trimmed or noted, with exact counts; nothing else is lost', async () => {
  const file = join(dir, 'faulty.csv');
  await writeFile(file, hrCsv(FAULTY));
  const snap = await new HrFileSource(hrConfig(file)).readAll();
  assert.equal(snap.complete, true);

  const by = (outcome: string) => snap.problems.filter((p) => p.outcome === outcome);
  assert.equal(by('held').length, 6, 'W4 twice, W7 date, W8 status, W9 fields, no id');
  assert.equal(by('dropped').length, 2, 'W3 phone, W10 worker type');
  assert.equal(by('normalised').length, 1, 'W2 country');
  assert.equal(by('kept').length, 2, 'W5 unknown manager, W6 own manager');
  assert.equal(by('superseded').length, 1, 'C11 by W11');
  assert.equal(snap.problems.length, 12);
  assert.ok(
    snap.problems.every(
      (p) => (/^line \d+/.test(p.record) && p.field !== undefined) || p.message.includes('fields'),
    ),
    JSON.stringify(snap.problems),
  );

  // Accounting: rows emitted + rows held or superseded = rows in the file.
  const fated = new Set(
    snap.problems
      .filter((p) => p.outcome === 'held' || p.outcome === 'superseded')
      .map((p) => p.record),
  );
  assert.equal(snap.records.length, 11);
  assert.equal(snap.records.length + fated.size, FAULTY.length);
  assert.deepEqual([...(snap.heldIds ?? [])].sort(), ['W4', 'W7', 'W8', 'W9']);

  const rec = (id: string) => snap.records.find((r) => r.externalId === id)!.attributes;
  const problem = (id: string, field: string) =>
    snap.problems.find((p) => p.record.endsWith(`(worker ${id})`) && p.field === field);
  assert.equal(rec('W1').phone, '+12015550123');
  assert.equal(rec('W2').country, 'GB');
  assert.equal(rec('W2').phone, '+441212345678', 'the GB phone is checked against GB');
  assert.equal(problem('W2', 'country')?.severity, 'info');
  assert.equal(rec('W3').phone, null);
  assert.match(problem('W3', 'phone')!.message, /does not fit|not a valid/);
  assert.equal(problem('W3', 'phone')!.record, 'line 4 (worker W3)');
  assert.match(problem('W7', 'hireDate')!.message, /03\/15\/2025.*YYYY-MM-DD.*held/);
  assert.equal(
    problem('W4', 'workerId')!.message,
    'worker id W4 is on 2 rows (line 5, line 6); all held',
  );
  assert.equal(rec('W5').managerId, 'W99', 'a dangling manager is kept as given');
  assert.equal(rec('W10').workerType, null);
  assert.equal(rec('W15').workerType, 'intern');
  assert.equal(rec('W15').phone, '+4930123456');

  // Lifecycle inputs: provisioning starts 3 days early; terminations on their date.
  assert.equal(rec('W15').hireDate, '2025-06-10');
  assert.equal(rec('W15').startDate, '2025-06-07');
  assert.equal(rec('W12').onLeave, true);
  const state = (id: string) => snap.records.find((r) => r.externalId === id)!.state;
  assert.equal(state('W12'), 'active', 'leave of absence keeps resources');
  assert.equal(state('W13'), 'active', 'a dated termination is left to the lifecycle');
  assert.equal(rec('W13').endDate, '2025-04-30');
  assert.equal(state('W14'), 'disabled', 'a termination without date is at once');
  assert.equal(
    snap.records.some((r) => r.externalId === 'C11'),
    false,
  );
});

test('a header without a mapped column: nothing read, the column and header named', async () => {
  const file = join(dir, 'header.csv');
  const header = HR_HEADER.replace('Country', 'Land');
  await writeFile(file, hrCsv(FAULTY.slice(0, 2), header));
  await assert.rejects(new HrFileSource(hrConfig(file)).readAll(), (err: CallsignError) => {
    assert.equal(err.code, 'bad_record');
    assert.match(err.message, /column "Country" not in the header; header found: Worker ID,.*Land/);
    assert.match(err.message, /nothing read/);
    return true;
  });
});

test('a broken encoding names the file, byte offset and line; nothing read', async () => {
  const file = join(dir, 'latin1.csv');
  const good = Buffer.from(hrCsv(FAULTY.slice(0, 2)));
  const bad = Buffer.from(
    'W3,Active,Regular,w3@example.org,Ren\xe9,X,2024-01-10,,FR,,W1\r\n',
    'latin1',
  );
  await writeFile(file, Buffer.concat([good, bad]));
  const offset = good.length + bad.indexOf(0xe9);
  await assert.rejects(new HrFileSource(hrConfig(file)).readAll(), (err: CallsignError) => {
    assert.equal(err.code, 'bad_record');
    assert.ok(err.message.startsWith(file), err.message);
    assert.match(err.message, new RegExp(`invalid UTF-8 at byte ${offset} \\(line 4\\)`));
    assert.equal(err.details.byteOffset, offset);
    return true;
  });
});

test('a folder: the newest export is read; JSON with a Workday Report_Entry list', async () => {
  const drop = join(dir, 'drop');
  await mkdir(drop);
  await writeFile(join(drop, 'old.csv'), hrCsv(FAULTY.slice(0, 1)));
  await utimes(join(drop, 'old.csv'), new Date('2025-01-01'), new Date('2025-01-01'));
  const entry = {
    'Worker ID': 'J1',
    Status: 'Active',
    Type: 'Regular',
    Email: 'j1@example.org',
    First: 'Jo',
    Last: 'Json',
    'Hire Date': '2024-05-01',
    Country: 'UK',
    Phone: null,
    Manager: 'J1',
    Extra: { nested: true },
  };
  await writeFile(join(drop, 'new.json'), JSON.stringify({ Report_Entry: [entry] }));
  await writeFile(join(drop, '.partial.csv'), 'not read');
  const snap = await new HrFileSource(hrConfig(drop)).readAll();
  assert.deepEqual(
    snap.records.map((r) => r.externalId),
    ['J1'],
  );
  assert.equal(snap.records[0]!.attributes.country, 'GB');
  assert.deepEqual(snap.problems.map((p) => `${p.record}/${p.field}/${p.outcome}`).sort(), [
    'entry 1 (worker J1)/Extra/dropped',
    'entry 1 (worker J1)/country/normalised',
    'entry 1 (worker J1)/managerId/kept',
  ]);
});

test('dates: the configured format only, and only days that exist', () => {
  const us = compileDateFormat('MM/DD/YYYY');
  assert.equal(us('03/15/2025'), '2025-03-15');
  assert.equal(us('2025-03-15'), undefined);
  assert.equal(us('02/29/2025'), undefined);
  assert.equal(us('02/29/2024'), '2024-02-29');
  assert.equal(compileDateFormat('D.M.YYYY')('1.4.2025'), '2025-04-01');
  assert.equal(compileDateFormat('YYYY-MM-DD')('2025-04-31'), undefined);
});

test('UTF-8 split across chunks at any byte decodes whole; a cut-off end is refused', async () => {
  const { Utf8Stream } = await import('./utf8.ts');
  const bytes = Buffer.from('\ufeffRenée, € and 𝄞\n', 'utf8');
  for (let cut = 0; cut <= bytes.length; cut++) {
    const stream = new Utf8Stream();
    const text = stream.decode(bytes.subarray(0, cut)) + stream.decode(bytes.subarray(cut));
    stream.end();
    assert.equal(text, 'Renée, € and 𝄞\n', `cut at ${cut}`);
  }
  const cutOff = new Utf8Stream();
  cutOff.decode(bytes.subarray(0, bytes.length - 2));
  assert.throws(() => cutOff.end(), /ends inside a character/);
});
