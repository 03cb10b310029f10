/**
 * The AXL write pacer on a virtual clock: writes asked for together leave one interval apart,
 * no window of a second (plus the margin) ever holds more than the limit, timers that fire late
 * do not add up over a run, and reads are not writes; then the Unified CM target against the
 * emulator: writes held to `ratePerSecond`, reads not held back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CucmEmulator } from '../../../test/emulators/cucm/cucm-emulator.ts';
import { isAxlWrite, WritePacer } from './axl-pace.ts';
import { CucmTarget } from './cucm-target.ts';

function virtualClock(lateness: () => number) {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms + lateness();
    },
  };
}

async function send(pacer: WritePacer, count: number, now: () => number): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: count }, async () => {
      const sent = await pacer.turn();
      times.push(now());
      sent();
    }),
  );
  return times;
}

function mostInWindow(times: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

test('writes asked for together leave evenly spaced, ten to a second', async () => {
  const clock = virtualClock(() => 0);
  const times = await send(new WritePacer(10, clock), 50, clock.now);
  assert.equal(times.length, 50);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  assert.ok(Math.min(...gaps) >= 100, `smallest gap ${Math.min(...gaps)}`);
  assert.equal(mostInWindow(times, 1000), 10);
  // 49 intervals of 103 ms: the 3% margin and nothing more.
  assert.ok(times.at(-1)! <= 49 * 103 + 1, `last write at ${times.at(-1)}`);
});

test('late timers neither add up nor let eleven writes into one second', async () => {
  let n = 0;
  // Every seventh timer fires 40 ms late.
  const clock = virtualClock(() => (++n % 7 === 0 ? 40 : 0));
  const times = await send(new WritePacer(10, clock), 100, clock.now);
  assert.ok(mostInWindow(times, 1000) <= 10, `most in a second: ${mostInWindow(times, 1000)}`);
  // Counting each gap from the late moment would cost about 14 × 40 ms; planned slots do not.
  const planned = 99 * 103;
  assert.ok(times.at(-1)! <= planned + 60, `last write at ${times.at(-1)}, planned ${planned}`);
});

test('reads are not writes', () => {
  for (const op of ['addLine', 'updateUser', 'removePhone', 'applyPhone', 'resetPhone']) {
    assert.equal(isAxlWrite(op), true, op);
  }
  for (const op of ['getLine', 'listPhone', 'executeSQLQuery', 'getUser', 'address']) {
    assert.equal(isAxlWrite(op), false, op);
  }
});

test('the Unified CM target paces its writes, not its reads, at ratePerSecond', async () => {
  const emu = new CucmEmulator();
  const url = await emu.start();
  emu.writeLimitPerSecond = 20;
  const target = new CucmTarget(
    {
      name: 'cucm1',
      type: 'cucm',
      url,
      version: '14.0',
      username: 'axladmin',
      password: 'env:CUCM_PASSWORD',
      concurrency: 8,
      ratePerSecond: 20,
    },
    { password: 'secret', busy: { busyBaseMs: 50 } },
  );
  try {
    // The executor sees no rate: the limit is on AXL writes, kept by the client.
    assert.deepEqual(target.pace, { concurrency: 8 });
    const keys = Array.from({ length: 30 }, (_, i) => `80${String(i).padStart(2, '0')}`);
    const started = performance.now();
    const made = await Promise.all(
      keys.map((k) =>
        target.apply({ action: 'create', type: 'cucm-line', key: k, attributes: {} }),
      ),
    );
    const writeMs = performance.now() - started;
    assert.ok(made.every((r) => r.outcome === 'created'));
    // 30 writes at 20 per second: at least 29 intervals of 50 ms.
    assert.ok(writeMs >= 29 * 50, `30 writes took ${Math.round(writeMs)} ms`);

    const readStarted = performance.now();
    await Promise.all(keys.map((k) => target.read('cucm-line', k)));
    const readMs = performance.now() - readStarted;
    assert.ok(readMs < writeMs / 2, `30 reads took ${Math.round(readMs)} ms`);
  } finally {
    await target.close();
    await emu.stop();
  }
});
