/**
 * A worker process for the crash test: `node --import tsx src/engine/testing/crash-worker.ts
 * <storeUrl> <effectsFile>`. It runs the executor against a FileTarget until the queue is idle
 * and prints its counts; the parent kills it with SIGKILL at random moments. Knobs come from
 * environment variables so the command line stays the one the test documents.
 */
import { openStore } from '../../store/open.ts';
import { Executor } from '../executor.ts';
import { FileTarget } from './file-target.ts';

const [storeUrl, effectsFile] = process.argv.slice(2);
if (storeUrl === undefined || effectsFile === undefined) {
  process.stderr.write('usage: crash-worker.ts <storeUrl> <effectsFile>\n');
  process.exit(2);
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const store = await openStore(storeUrl);
const target = new FileTarget({
  name: 'file',
  file: effectsFile,
  concurrency: env('CRASH_CONCURRENCY', 4),
  timeoutRate: env('CRASH_TIMEOUT_RATE', 0.05),
  resetAfterCommitRate: env('CRASH_RESET_RATE', 0.02),
  latencyMs: env('CRASH_LATENCY_MS', 2),
});
const executor = new Executor({
  store,
  targets: new Map([['file', target]]),
  owner: `crash-worker:${process.pid}`,
  leaseMs: env('CRASH_LEASE_MS', 1500),
  maxAttempts: 1000,
  backoffBaseMs: 10,
  backoffMaxMs: 100,
  secrets: undefined,
  pollMs: 200,
});

process.stdout.write('ready\n');
const stats = await executor.runUntilIdle();
await store.close();
process.stdout.write(`${JSON.stringify(stats)}\n`);
