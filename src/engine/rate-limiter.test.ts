import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pino } from 'pino';

import { backoffDelay } from './backoff.ts';
import { EngineEvents } from './events.ts';
import { TokenBucket } from './rate-limiter.ts';

const at = (ms: number) => new Date(Date.parse('2030-01-01T00:00:00Z') + ms);

test('a token bucket allows its burst, then the rate', () => {
  const bucket = new TokenBucket(50, at(0));
  assert.equal(bucket.capacity, 5);
  assert.equal(bucket.available(at(0)), 5);
  bucket.take(5, at(0));
  assert.equal(bucket.available(at(0)), 0);
  assert.equal(bucket.waitMs(at(0)), 20);
  assert.equal(bucket.available(at(20)), 1);
  assert.equal(bucket.available(at(10_000)), 5, 'never more than the burst');
});

test('Retry-After empties the bucket until the named time', () => {
  const bucket = new TokenBucket(undefined, at(0));
  assert.equal(bucket.available(at(0)), Infinity);
  bucket.pauseUntil(at(3000));
  assert.equal(bucket.available(at(2999)), 0);
  assert.equal(bucket.waitMs(at(1000)), 2000);
  assert.equal(bucket.available(at(3000)), Infinity);

  const limited = new TokenBucket(10, at(0));
  limited.pauseUntil(at(1000));
  assert.equal(limited.available(at(1000)), 0, 'restarts empty');
  assert.equal(limited.available(at(1100)), 1);
});

test('backoff grows exponentially within its cap, with jitter in the upper half', () => {
  const low = { baseMs: 100, maxMs: 1000, random: () => 0 };
  const high = { ...low, random: () => 0.999 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => backoffDelay(n, low)),
    [50, 100, 200, 400, 500],
  );
  assert.deepEqual(
    [1, 2, 5].map((n) => backoffDelay(n, high)),
    [100, 200, 1000],
  );
});

test('a listener that throws or rejects is logged and the others still run', async () => {
  const lines: string[] = [];
  const log = pino({}, { write: (line: string) => void lines.push(line) });
  const events = new EngineEvents({ log });
  const seen: string[] = [];
  events.on('target:paused', () => {
    throw new Error('boom');
  });
  events.on('target:paused', async () => Promise.reject(new Error('later')));
  const off = events.on('target:paused', (e) => void seen.push(e.target));

  events.emit('target:paused', { target: 'kamailio', until: at(0) });
  off();
  events.emit('target:paused', { target: 'other', until: at(0) });
  await new Promise((resolve) => setImmediate(resolve));

  assert.deepEqual(seen, ['kamailio']);
  assert.equal(lines.filter((l) => l.includes('event listener failed')).length, 4);
});
