/**
 * Webhooks: signed HTTP notifications of run and operation events, for in-house applications
 * that follow what Callsign does. `startWebhooks` wires the parts for `callsign serve` (and
 * `callsign run`): the event feed journals events in the store's outbox before any HTTP call,
 * the dispatcher POSTs them to each webhook in order, retrying with backoff, and the outbox is
 * the delivery log (`callsign webhooks deliveries`, GET /api/v1/webhooks/deliveries).
 *
 * Each POST carries the JSON body `{ id, type, occurredAt, data }` and the headers
 * `Content-Type: application/json`, `Callsign-Event: <type>`, `Callsign-Delivery: <delivery id>`
 * and `Callsign-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` made
 * with the webhook's secret; `signature.ts` says how a receiver verifies it. A 2xx answer is a
 * delivery; network errors, timeouts, 408, 429 and 5xx are retried (Retry-After honoured) up to
 * `maxAttempts`; any other status fails the delivery at once. Secrets are resolved here and go
 * nowhere but the HMAC: logs name the webhook and the delivery, never the secret or the URL.
 */
import { dirname } from 'node:path';

import type { WebhookConfig } from '../core/config-types.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { resolveSecret } from '../core/secrets.ts';
import type { Engine } from '../engine/engine.ts';
import type { EngineEvents } from '../engine/events.ts';
import { WebhookDispatcher, type DispatcherOptions, type ResolvedWebhook } from './dispatcher.ts';
import { WebhookEventFeed } from './event-feed.ts';
import { webhookOutboxOf, type WebhookOutbox } from './outbox.ts';

export interface StartWebhooksOptions {
  /** The executor's events to follow (operation events); without them only run events. */
  events?: EngineEvents;
  /** How often run states are scanned; default 2000 ms. */
  scanMs?: number;
  /** Dispatcher tuning (tests: fast backoff, injected fetch). */
  dispatch?: Pick<DispatcherOptions, 'pollMs' | 'backoff' | 'random' | 'fetch'>;
}

/** The running webhook service; `stop` lets an attempt in flight finish. */
export interface RunningWebhooks {
  outbox: WebhookOutbox;
  feed: WebhookEventFeed;
  dispatcher: WebhookDispatcher;
  stop(): Promise<void>;
}

/** Starts the webhooks of `engine.config.webhooks`; undefined when none is configured. */
export function startWebhooks(engine: Engine, options: StartWebhooksOptions = {}) {
  const configured = engine.config.webhooks ?? [];
  if (configured.length === 0) return undefined;

  const webhooks = resolveWebhooks(configured, dirname(engine.config.file));
  const outbox = webhookOutboxOf(engine.store);
  const log = engine.log.child({ component: 'webhooks' });
  const dispatcher = new WebhookDispatcher({
    outbox,
    webhooks,
    log,
    clock: engine.clock,
    ...options.dispatch,
  });
  const feed = new WebhookEventFeed({
    store: engine.store,
    outbox,
    webhooks,
    clock: engine.clock,
    log,
    onEnqueued: () => dispatcher.wake(),
  });

  const detach = options.events === undefined ? () => undefined : feed.attach(options.events);
  const scan = () =>
    feed
      .scanRuns()
      .catch((err: Error) => log.warn({ err: err.message }, 'webhook run scan failed'));
  const scanning = setInterval(scan, options.scanMs ?? 2000);
  void scan();
  dispatcher.start();
  log.info({ webhooks: webhooks.map((w) => w.name) }, 'webhooks started');

  const stop = async () => {
    clearInterval(scanning);
    detach();
    // A last scan announces runs that settled while the service was stopping.
    await scan();
    await dispatcher.stop();
  };
  return { outbox, feed, dispatcher, stop } satisfies RunningWebhooks;
}

/** Resolves each webhook's secret reference; errors name the webhook and the reference only. */
export function resolveWebhooks(
  configured: readonly WebhookConfig[],
  baseDir: string,
): ResolvedWebhook[] {
  return configured.map((w) => {
    let secret: string;
    try {
      secret = resolveSecret(w.secret, baseDir);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new CallsignError(
        ErrorCode.Config,
        `Webhook '${w.name}': cannot read its secret: ${reason}`,
        { cause: err, details: { webhook: w.name, field: 'secret' } },
      );
    }
    return { ...w, secret };
  });
}

/** `webhooks redeliver` and its API twin: the delivery back to pending, and an audit row. */
export async function redeliver(engine: Engine, id: string, actor: string) {
  const now = engine.clock();
  const record = await webhookOutboxOf(engine.store).redeliver(id, now);
  await engine.store.audit({
    at: now.toISOString(),
    actor,
    action: 'webhook.redelivered',
    subject: `webhook-delivery:${id}`,
    after: { webhook: record.webhook, eventId: record.eventId, type: record.type },
  });
  return record;
}
