/**
 * Shared by the webhook tests: a fake clock, a logger whose lines are kept as text (to prove
 * no secret reaches them), operation records, and the dispatcher and feed on a store.
 */
import { Writable } from 'node:stream';

import pino, { type Logger } from 'pino';

import { EngineEvents } from '../engine/events.ts';
import type { OperationRecord, Store } from '../store/types.ts';
import { WebhookDispatcher, type ResolvedWebhook } from './dispatcher.ts';
import { WebhookEventFeed } from './event-feed.ts';
import { webhookOutboxOf, type WebhookOutbox } from './outbox.ts';

/** A clock that moves only when told to. */
export class FakeClock {
  #now: number;

  constructor(start = '2030-01-01T00:00:00.000Z') {
    this.#now = Date.parse(start);
  }

  readonly now = (): Date => new Date(this.#now);

  advance(ms: number): void {
    this.#now += ms;
  }
}

/** A pino logger at trace level whose output is kept in `text()`. */
export function capturingLogger(): { log: Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { log: pino({ level: 'trace' }, stream), text: () => chunks.join('') };
}

/** An operation record as the executor passes it to events. */
export function operation(id: string, patch: Partial<OperationRecord> = {}): OperationRecord {
  return {
    id,
    runId: 'run-1',
    personId: 'p-1',
    action: 'create',
    target: 'pbx',
    type: 'subscriber',
    key: '2001',
    attributes: { displayName: 'Ada' },
    after: [],
    reason: 'rule staff',
    seq: 1,
    state: 'done',
    attempts: 1,
    notBefore: '2030-01-01T00:00:00.000Z',
    fence: 1,
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    ...patch,
  };
}

/** A webhook with test defaults. */
export function webhook(name: string, url: string, patch: Partial<ResolvedWebhook> = {}) {
  return {
    name,
    url,
    secret: `whsec-${name}-s3cr3t`,
    events: [],
    timeoutMs: 2000,
    maxAttempts: 5,
    ...patch,
  } satisfies ResolvedWebhook;
}

/** Everything a test drives: events in, outbox, dispatcher (not started: call `drain`). */
export interface Harness {
  events: EngineEvents;
  outbox: WebhookOutbox;
  feed: WebhookEventFeed;
  dispatcher: WebhookDispatcher;
  clock: FakeClock;
  logText: () => string;
  detach: () => void;
}

/** Wires feed and dispatcher on a store; backoff 1 s doubling, jitter fixed at its floor. */
export function harness(store: Store, webhooks: ResolvedWebhook[], clock = new FakeClock()) {
  const { log, text } = capturingLogger();
  const outbox = webhookOutboxOf(store);
  const events = new EngineEvents({ log });
  const dispatcher = new WebhookDispatcher({
    outbox,
    webhooks,
    log,
    clock: clock.now,
    pollMs: 20,
    backoff: { baseMs: 1000, maxMs: 60_000 },
    random: () => 0,
  });
  const feed = new WebhookEventFeed({ store, outbox, webhooks, clock: clock.now, log });
  const detach = feed.attach(events);
  return { events, outbox, feed, dispatcher, clock, logText: text, detach } satisfies Harness;
}

/** Resolves once `check` is true, polling; fails after `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
