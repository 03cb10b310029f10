/**
 * Mail notifications: `startNotifications` wires the parts for `callsign serve` and
 * `callsign run` (the feed journals messages in the store's outbox before any SMTP connection,
 * the dispatcher sends them with retries), and `notifierOf` gives one-shot commands the same
 * parts without a background loop. The SMTP password is resolved here and goes nowhere but
 * the SMTP AUTH exchange; logs name the message, the event and the recipient kind.
 */
import { dirname } from 'node:path';

import type { NotificationsConfig } from '../core/config-notify.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { resolveSecret } from '../core/secrets.ts';
import type { Engine } from '../engine/engine.ts';
import type { EngineEvents } from '../engine/events.ts';
import { NotifyDispatcher, type NotifyDispatcherOptions, type SecretSource } from './dispatcher.ts';
import { NotifyFeed } from './feed.ts';
import { notifyOutboxOf, type NotifyOutbox } from './outbox.ts';
import { smtpSender, type MailSender } from './smtp.ts';
import { webhookOutboxOf } from '../webhooks/outbox.ts';

export interface NotifierOptions {
  /** Replaces the SMTP sender (tests). */
  send?: MailSender;
  dispatch?: Pick<NotifyDispatcherOptions, 'pollMs' | 'backoff' | 'random'>;
}

/** The parts over one engine: outbox, feed and a dispatcher (not started). */
export interface Notifier {
  config: NotificationsConfig;
  outbox: NotifyOutbox;
  feed: NotifyFeed;
  dispatcher: NotifyDispatcher;
}

export interface StartNotificationsOptions extends NotifierOptions {
  /** The executor's events to follow (`operation:failed`). */
  events?: EngineEvents;
  /** How often runs and pools are scanned; default 5000 ms. */
  scanMs?: number;
}

export interface RunningNotifications extends Notifier {
  stop(): Promise<void>;
}

/** The notifier of `engine.config.notifications`; undefined when none is configured. */
export function notifierOf(engine: Engine, options: NotifierOptions = {}): Notifier | undefined {
  const config = engine.config.notifications;
  if (config === undefined) return undefined;

  const send = options.send ?? smtpSender(config.smtp, smtpPassword(config, engine.config.file));
  const outbox = notifyOutboxOf(engine.store);
  const log = engine.log.child({ component: 'notify' });
  const dispatcher = new NotifyDispatcher({
    outbox,
    config,
    send,
    secrets: vaultSource(engine),
    log,
    clock: engine.clock,
    ...options.dispatch,
  });
  const feed = new NotifyFeed({
    store: engine.store,
    outbox,
    config,
    correlation: engine.config.correlation,
    clock: engine.clock,
    log,
    onEnqueued: () => dispatcher.wake(),
    // Rules may name webhooks: their deliveries go through the webhook outbox and dispatcher.
    ...(config.rules.some((r) => (r.webhooks ?? []).length > 0)
      ? { webhooks: webhookOutboxOf(engine.store) }
      : {}),
  });
  return { config, outbox, feed, dispatcher };
}

/** Starts scanning and sending in the background; undefined when nothing is configured. */
export function startNotifications(engine: Engine, options: StartNotificationsOptions = {}) {
  const notifier = notifierOf(engine, options);
  if (notifier === undefined) return undefined;
  const { feed, dispatcher } = notifier;
  const log = engine.log.child({ component: 'notify' });

  const detach = options.events === undefined ? () => undefined : feed.attach(options.events);
  const scan = async () => {
    try {
      await feed.scanRuns();
      await feed.checkPools();
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'notify scan failed');
    }
  };
  const scanning = setInterval(() => void scan(), options.scanMs ?? 5000);
  void scan();
  dispatcher.start();
  log.info({ rules: notifier.config.rules.length }, 'notifications started');

  const stop = async () => {
    clearInterval(scanning);
    detach();
    await scan();
    await dispatcher.stop();
  };
  return { ...notifier, stop } satisfies RunningNotifications;
}

/** The vault as the dispatcher sees it: a secret is readable until it was handed out. */
export function vaultSource(engine: Pick<Engine, 'store' | 'vault'>): SecretSource {
  return {
    async undelivered(ref) {
      const stored = await engine.store.getSecret(ref);
      if (stored === undefined || stored.deliveredAt !== undefined) return undefined;
      return engine.vault.reveal(ref);
    },
    markDelivered: (ref, at) => engine.store.markSecretDelivered(ref, at),
  };
}

function smtpPassword(config: NotificationsConfig, file: string): string | undefined {
  if (config.smtp.password === undefined) return undefined;
  try {
    return resolveSecret(config.smtp.password, dirname(file));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CallsignError(
      ErrorCode.Config,
      `notifications.smtp.password: cannot read it: ${reason}`,
      { cause: err, details: { field: 'notifications.smtp.password' } },
    );
  }
}
