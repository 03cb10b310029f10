/**
 * `npm run bench`: every benchmark, one after another, with the targets beside the
 * measured figures. Figures are reported, not asserted: a slow machine prints a slow figure.
 */
import { benchAllocation } from './allocation.ts';
import { benchCisco } from './cisco.ts';
import { benchDelta } from './delta.ts';
import { benchDirectory } from './directory.ts';
import { benchExecutor } from './executor.ts';
import { benchHr } from './hr.ts';
import { benchLatency } from './latency.ts';
import { benchPlanning } from './planning.ts';
import { benchScim } from './scim.ts';

const rows: string[] = [];
const report = (name: string, figure: string, target: string) => {
  const row = `${name.padEnd(44)} ${figure.padEnd(28)} target ${target}`;
  rows.push(row);
  console.log(row);
};

const planning = await benchPlanning();
report(
  'planning, 100,000 people through 20 rules',
  `${Math.round(planning.peoplePerSecond)} people/s, ${Math.round(planning.peakRssMb)} MB`,
  '>= 20,000 people/s, < 600 MB',
);

// Peak memory per size shows whether it stays flat as the file grows (issue 7's target).
for (const hr of await benchHr()) {
  report(
    `HR export of ${hr.rows.toLocaleString('en-US')} rows read, checked, planned`,
    `${hr.rowsPerSecond} rows/s, ${hr.peakRssMb} MB (${hr.openRssMb} MB open)`,
    'rows/s and peak RSS printed; RSS flat as the file grows',
  );
}

const executor = await benchExecutor();
report(
  'journal + run ops on a null target (SQLite)',
  `${Math.round(executor.opsPerSecond)} ops/s`,
  '>= 2,000 ops/s',
);

const latency = await benchLatency();
report(
  `directory change to ops queued (poll ${latency.pollIntervalMs / 1000} s)`,
  `max ${latency.maxMs} ms (${latency.samplesMs.join(', ')})`,
  `<= ${latency.pollIntervalMs + 1000} ms`,
);

const scim = await benchScim();
report(
  'SCIM PATCH over HTTP, 1,000 users (SQLite)',
  `${scim.patchPerSecond} PATCH/s, p99 ${scim.p99Ms} ms`,
  '>= 500 PATCH/s, p99 < 50 ms',
);
report('SCIM create over HTTP (SQLite)', `${scim.createPerSecond} creates/s`, 'reported only');

const allocation = await benchAllocation();
report(
  '10,000 allocations, 8 allocators (SQLite)',
  `${allocation.sqlite.allocationsPerSecond} alloc/s, ${allocation.sqlite.duplicates} dup`,
  'zero duplicates',
);
report(
  '10,000 allocations, 8 processes (PostgreSQL)',
  allocation.postgres === undefined
    ? `skipped: ${allocation.postgresSkipped}`
    : `${allocation.postgres.allocationsPerSecond} alloc/s, ${allocation.postgres.duplicates} dup`,
  'zero duplicates',
);

const directory = await benchDirectory();
report(
  `full read + correlation, ${directory.entries} entries`,
  `${directory.callsignMs} ms, ${directory.ratio}x ldapsearch (${directory.ldapsearchMs} ms)`,
  '<= 1.5x ldapsearch',
);

const delta = await benchDelta();
report(
  `delta of ${delta.changes} changes to ops journaled (${delta.mechanism})`,
  `${delta.totalMs} ms (read ${delta.readMs}, plan ${delta.planMs})`,
  '< 2000 ms',
);

const cisco = await benchCisco();
report(
  `Cisco on-boarding, ${cisco.people} people at 10 AXL writes/s`,
  `${cisco.elapsedSeconds} s for ${cisco.axlWrites} writes, ${cisco.ratio}x, ` +
    `peak ${cisco.maxWritesInOneSecond}/s`,
  `<= 1.1x writes/10 (${cisco.allowedSeconds} s)`,
);

console.log('\n' + rows.join('\n'));
