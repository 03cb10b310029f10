/**
 * Sends the outbox's deliveries: one loop per webhook, one delivery at a time, in event order.
 * A delivery that must wait (backoff, Retry-After) holds back the webhook's later ones, so a
 * receiver never sees `run.finished` before the operations of that run; a delivery that fails
 * for good lets the next one go. Delivery is at least once: a crash after the receiver answered
 * and before the answer was recorded sends that delivery again when its lease runs out.
 */
import type { Logger } from 'pino';

import { backoffDelay } from '../engine/backoff.ts';
import type { WebhookOutbox } from './outbox.ts';
import { sendDelivery, type SendResult } from './send.ts';

/** A webhook with its secret resolved; the secret never leaves this module and `send.ts`. */
export interface ResolvedWebhook {
  name: string;
  url: string;
  secret: string;
  /** Empty: every event type. */
  events: readonly string[];
  timeoutMs: number;
  maxAttempts: number;
}

export interface DispatcherOptions {
  outbox: WebhookOutbox;
  webhooks: readonly ResolvedWebhook[];
  log: Logger;
  clock?: () => Date;
  /** Longest sleep of an idle loop before it looks at the outbox again; default 1000. */
  pollMs?: number;
  /** Backoff between attempts; default 2 s doubling up to 30 min, with jitter. */
  backoff?: { baseMs: number; maxMs: number };
  /** Returns a number in [0, 1) for the jitter; injected by tests. */
  random?: () => number;
  fetch?: typeof fetch;
}

/** What one step of a webhook's loop did. */
export type StepResult =
  | { kind: 'idle' }
  | { kind: 'waiting'; waitMs: number }
  | { kind: 'sent'; deliveryId: string; outcome: 'delivered' | 'retry' | 'failed' };

/** Counts of `drain`. */
export interface DrainCounts {
  delivered: number;
  retried: number;
  failed: number;
}

export const DISPATCH_DEFAULTS = {
  pollMs: 1000,
  backoff: { baseMs: 2000, maxMs: 30 * 60 * 1000 },
} as const;

/** A lease outlives the attempt's timeout by this much before another sender may take over. */
const LEASE_SLACK_MS = 30_000;

export class WebhookDispatcher {
  readonly #o: DispatcherOptions;
  readonly #clock: () => Date;
  #running = false;
  #loops: Promise<void>[] = [];
  #sleepers = new Set<() => void>();

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Starts one background loop per webhook. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loops = this.#o.webhooks.map((webhook) => this.#loop(webhook));
  }

  /** Stops the loops; an attempt in flight finishes and is recorded first. */
  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  /** Ends the loops' sleep now: something was journaled. */
  wake(): void {
    for (const resolve of [...this.#sleepers]) resolve();
  }

  /** Sends every webhook's due deliveries, in order, until one must wait or none is left. */
  async drain(): Promise<DrainCounts> {
    const counts: DrainCounts = { delivered: 0, retried: 0, failed: 0 };
    for (const webhook of this.#o.webhooks) {
      for (;;) {
        const step = await this.step(webhook);
        if (step.kind !== 'sent') break;
        if (step.outcome === 'delivered') counts.delivered += 1;
        else if (step.outcome === 'retry') counts.retried += 1;
        else counts.failed += 1;
      }
    }
    return counts;
  }

  /** Sends the webhook's oldest pending delivery if it is due and free. */
  async step(webhook: ResolvedWebhook): Promise<StepResult> {
    const head = await this.#o.outbox.head(webhook.name);
    if (head === undefined) return { kind: 'idle' };

    const now = this.#clock();
    const free = head.lockedUntil === undefined ? 0 : Date.parse(head.lockedUntil);
    const waitMs = Math.max(Date.parse(head.nextAttemptAt), free) - now.getTime();
    if (waitMs > 0) return { kind: 'waiting', waitMs };
    const leaseMs = webhook.timeoutMs + LEASE_SLACK_MS;
    if (!(await this.#o.outbox.claim(head.id, now, leaseMs))) {
      return { kind: 'waiting', waitMs: 100 };
    }

    const result = await sendDelivery({
      url: webhook.url,
      secret: webhook.secret,
      eventType: head.type,
      deliveryId: head.id,
      body: head.body,
      timeoutMs: webhook.timeoutMs,
      now,
      fetch: this.#o.fetch,
    });
    const outcome = await this.#record(webhook, head.id, head.attempts + 1, result);
    return { kind: 'sent', deliveryId: head.id, outcome };
  }

  async #record(webhook: ResolvedWebhook, id: string, attempt: number, result: SendResult) {
    const at = this.#clock();
    const fields = { webhook: webhook.name, deliveryId: id, attempt };

    if (result.kind === 'delivered') {
      await this.#o.outbox.recordAttempt(id, { state: 'delivered', at, status: result.status });
      this.#o.log.info({ ...fields, status: result.status }, 'webhook delivered');
      return 'delivered' as const;
    }
    const status = result.status;
    if (result.kind === 'retry' && attempt < webhook.maxAttempts) {
      const backoff = this.#o.backoff ?? DISPATCH_DEFAULTS.backoff;
      const waitMs =
        result.retryAfterMs ?? backoffDelay(attempt, { ...backoff, random: this.#o.random });
      const nextAttemptAt = new Date(at.getTime() + waitMs);
      await this.#o.outbox.recordAttempt(id, {
        state: 'pending',
        at,
        nextAttemptAt,
        status,
        error: result.error,
      });
      this.#o.log.warn({ ...fields, status, err: result.error, waitMs }, 'webhook will retry');
      return 'retry' as const;
    }
    await this.#o.outbox.recordAttempt(id, { state: 'failed', at, status, error: result.error });
    this.#o.log.error({ ...fields, status, err: result.error }, 'webhook delivery failed');
    return 'failed' as const;
  }

  async #loop(webhook: ResolvedWebhook): Promise<void> {
    const pollMs = this.#o.pollMs ?? DISPATCH_DEFAULTS.pollMs;
    while (this.#running) {
      let step: StepResult;
      try {
        step = await this.step(webhook);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.#o.log.warn({ webhook: webhook.name, err: message }, 'webhook outbox unreachable');
        step = { kind: 'waiting', waitMs: pollMs };
      }
      if (step.kind === 'sent') continue;
      const waitMs = step.kind === 'waiting' ? Math.min(step.waitMs, pollMs) : pollMs;
      await this.#sleep(waitMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#sleepers.add(done);
    });
  }
}
