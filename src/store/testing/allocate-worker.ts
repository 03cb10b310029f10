/**
 * Child process for the multi-process allocation test: opens the store, says `ready`, waits for
 * `go` on stdin so that every worker starts at once, allocates one number for each of its
 * people (several at a time) and prints one JSON line per allocation.
 *
 * Usage: node --import tsx allocate-worker.ts URL POOL PERSON_PREFIX COUNT NOW_ISO [LANES]
 */
import { once } from 'node:events';

import { openStore } from '../open.ts';

const [url, pool, prefix, countText, nowText] = process.argv.slice(2);
if (url === undefined || pool === undefined || prefix === undefined || nowText === undefined) {
  throw new Error('usage: allocate-worker.ts URL POOL PERSON_PREFIX COUNT NOW_ISO');
}
const count = Number(countText);
const now = new Date(nowText);
// Allocations in flight at once in this process (the benchmark runs one per process).
const PARALLEL = Number(process.argv[7] ?? 4);

const store = await openStore(url, { poolSize: PARALLEL });
process.stdout.write('ready\n');
await once(process.stdin, 'data');

let next = 0;
async function lane(): Promise<void> {
  while (next < count) {
    const personId = `${prefix}-${next++}`;
    const held = await store.allocateNumber(pool, personId, now, `test:${prefix}`);
    process.stdout.write(`${JSON.stringify({ personId, value: held.value })}\n`);
  }
}
await Promise.all(Array.from({ length: PARALLEL }, lane));

await store.close();
process.stdin.destroy();
