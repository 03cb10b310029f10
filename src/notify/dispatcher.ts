/**
 * Sends the mail outbox: due messages one at a time, each claimed with a lease so two processes
 * on one PostgreSQL never send it twice at once. A 4xx reply or an unreachable server puts the
 * message back with backoff until `maxAttempts`; a 5xx reply fails it at once. Messages are
 * independent: one refused message never holds back the others, and an outbox or SMTP fault
 * never reaches the engine. A credentials message takes its secret from the vault only now,
 * and marks it handed out only once the server accepted the message.
 */
import type { Logger } from 'pino';

import type { NotificationsConfig } from '../core/config-notify.ts';
import { backoffDelay } from '../engine/backoff.ts';
import type { NotifyOutbox, PendingMessage } from './outbox.ts';
import { renderMessage } from './render.ts';
import type { MailSender, SmtpResult } from './smtp.ts';

/** Where credentials messages find their secret; the engine's vault and store provide it. */
export interface SecretSource {
  /** The plain secret if it exists and was never handed out. */
  undelivered(ref: string): Promise<string | undefined>;
  markDelivered(ref: string, at: Date): Promise<void>;
}

export interface NotifyDispatcherOptions {
  outbox: NotifyOutbox;
  config: Pick<NotificationsConfig, 'templates' | 'maxAttempts'>;
  send: MailSender;
  secrets: SecretSource;
  log: Logger;
  clock?: () => Date;
  /** Longest idle sleep before the loop looks at the outbox again; default 1000. */
  pollMs?: number;
  /** Backoff between attempts; default 5 s doubling up to 30 min, with jitter. */
  backoff?: { baseMs: number; maxMs: number };
  random?: () => number;
}

export type SendOutcome = 'sent' | 'retry' | 'failed' | 'busy';

export interface NotifyDrainCounts {
  sent: number;
  retried: number;
  failed: number;
}

export const NOTIFY_DISPATCH_DEFAULTS = {
  pollMs: 1000,
  backoff: { baseMs: 5000, maxMs: 30 * 60 * 1000 },
  leaseMs: 5 * 60 * 1000,
} as const;

export class NotifyDispatcher {
  readonly #o: NotifyDispatcherOptions;
  readonly #clock: () => Date;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: NotifyDispatcherOptions) {
    this.#o = options;
    this.#clock = options.clock ?? (() => new Date());
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops the loop; a message in flight is finished and recorded first. */
  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#loop;
  }

  wake(): void {
    this.#wake?.();
  }

  /** Sends every due message once; messages that must wait stay for later. */
  async drain(): Promise<NotifyDrainCounts> {
    const counts: NotifyDrainCounts = { sent: 0, retried: 0, failed: 0 };
    const seen = new Set<string>();
    for (;;) {
      const due = (await this.#o.outbox.due(this.#clock())).filter((m) => !seen.has(m.id));
      if (due.length === 0) return counts;
      for (const message of due) {
        seen.add(message.id);
        const outcome = await this.sendOne(message);
        if (outcome === 'sent') counts.sent += 1;
        else if (outcome === 'retry') counts.retried += 1;
        else if (outcome === 'failed') counts.failed += 1;
      }
    }
  }

  /** One attempt at one message; `busy` when another sender holds it. */
  async sendOne(message: PendingMessage): Promise<SendOutcome> {
    const now = this.#clock();
    const leaseMs = NOTIFY_DISPATCH_DEFAULTS.leaseMs;
    if (!(await this.#o.outbox.claim(message.id, now, leaseMs))) return 'busy';

    const attempt = message.attempts + 1;
    let result: SmtpResult;
    try {
      result = await this.#attempt(message);
    } catch (err) {
      // Rendering or the vault failed: no retry will change a template or bring a secret back.
      result = { kind: 'failed', error: err instanceof Error ? err.message : String(err) };
    }
    return this.#record(message, attempt, result);
  }

  async #attempt(message: PendingMessage): Promise<SmtpResult> {
    const template = this.#o.config.templates[message.template];
    if (template === undefined) {
      return { kind: 'failed', error: `template '${message.template}' is no longer configured` };
    }
    if (message.address === undefined) return { kind: 'failed', error: 'no address' };

    let vars = message.vars;
    if (message.secretRef !== undefined) {
      const secret = await this.#o.secrets.undelivered(message.secretRef);
      if (secret === undefined) {
        return { kind: 'failed', error: 'the secret was handed out already or removed' };
      }
      vars = { ...vars, secret: { ...vars.secret, value: secret } };
    }
    const rendered = renderMessage(message.template, template, vars);
    const result = await this.#o.send({ to: message.address, ...rendered });
    if (result.kind === 'sent' && message.secretRef !== undefined) {
      await this.#o.secrets.markDelivered(message.secretRef, this.#clock());
    }
    return result;
  }

  async #record(message: PendingMessage, attempt: number, result: SmtpResult) {
    const at = this.#clock();
    const fields = {
      messageId: message.id,
      event: message.event,
      recipient: message.recipient,
      attempt,
      code: result.kind === 'sent' ? undefined : result.code,
    };
    const { outbox, log } = this.#o;

    if (result.kind === 'sent') {
      await outbox.record(message.id, { state: 'sent', at, code: result.code });
      log.info(fields, 'notification sent');
      return 'sent' as const;
    }
    if (result.kind === 'retry' && attempt < this.#o.config.maxAttempts) {
      const backoff = this.#o.backoff ?? NOTIFY_DISPATCH_DEFAULTS.backoff;
      const waitMs = backoffDelay(attempt, { ...backoff, random: this.#o.random });
      const nextAttemptAt = new Date(at.getTime() + waitMs);
      await outbox.record(message.id, {
        state: 'pending',
        at,
        nextAttemptAt,
        code: result.code,
        error: result.error,
      });
      log.warn({ ...fields, err: result.error, waitMs }, 'notification will retry');
      return 'retry' as const;
    }
    await outbox.record(message.id, {
      state: 'failed',
      at,
      code: result.code,
      error: result.error,
    });
    log.error({ ...fields, err: result.error }, 'notification failed');
    return 'failed' as const;
  }

  async #run(): Promise<void> {
    const pollMs = this.#o.pollMs ?? NOTIFY_DISPATCH_DEFAULTS.pollMs;
    while (this.#running) {
      let waitMs = pollMs;
      try {
        await this.drain();
        const next = await this.#o.outbox.nextDue();
        if (next !== undefined) waitMs = Math.max(0, Math.min(pollMs, +next - +this.#clock()));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.#o.log.warn({ err: message }, 'notification outbox unreachable');
      }
      await this.#sleep(Math.max(waitMs, 50));
    }
  }

  #sleep(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }
}
