/**
 * `callsign notify log [--failed]`, `callsign notify preview --template NAME --person ID` and
 * `callsign notify send`: the mail log, a template rendered with a real person, and one pass
 * over the outbox for setups without a running `serve` or `run`.
 */
import type { Command } from 'commander';

import { NOTIFY_EVENTS, type NotifyEvent } from '../core/config-notify.ts';
import { CallsignError } from '../core/errors.ts';
import type { Engine } from '../engine/engine.ts';
import { notifierOf } from '../notify/notify.ts';
import { notifyOutboxOf, type MessageRecord } from '../notify/outbox.ts';
import { previewTemplate } from '../notify/preview.ts';
import type { CliContext } from './main.ts';

interface Common {
  config?: string;
  json?: boolean;
}

/** notify log|preview|send. */
export function registerNotifyCommands(program: Command, ctx: CliContext) {
  const withEngine = async (opts: Common, fn: (engine: Engine) => Promise<void>) => {
    const engine = await ctx.open({ config: opts.config, connectors: false });
    try {
      await fn(engine);
    } finally {
      await engine.close();
    }
  };
  const notify = program.command('notify').description('mail notifications');

  notify
    .command('log')
    .description('messages, newest first: state, attempts, SMTP reply and error')
    .option('--failed', 'only messages that failed or were skipped')
    .option('--limit <n>', 'at most this many (default 50)')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print as JSON')
    .action((opts: Common & { failed?: boolean; limit?: string }) =>
      withEngine(opts, async (engine) => {
        const limit = Number(opts.limit ?? 50);
        if (!Number.isInteger(limit) || limit < 1) {
          throw new CallsignError('config', `--limit: '${opts.limit}' is not a positive integer`);
        }
        const list = await notifyOutboxOf(engine.store).list({ failed: opts.failed, limit });
        if (opts.json) return ctx.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return ctx.out('no messages');
        for (const m of list) ctx.out(line(m));
      }),
    );

  notify
    .command('preview')
    .description('render a template with a real person (secrets are masked)')
    .requiredOption('--template <name>', 'template name from notifications.templates')
    .option('--person <id>', 'person id or correlation value')
    .option('--event <event>', `event to render for: ${NOTIFY_EVENTS.join(', ')}`)
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print as JSON')
    .action((opts: Common & { template: string; person?: string; event?: string }) =>
      withEngine(opts, async (engine) => {
        const events: readonly string[] = NOTIFY_EVENTS;
        if (opts.event !== undefined && !events.includes(opts.event)) {
          throw new CallsignError(
            'config',
            `--event: '${opts.event}' is not one of ${NOTIFY_EVENTS.join(', ')}`,
          );
        }
        const shown = await previewTemplate(engine, {
          template: opts.template,
          person: opts.person,
          event: opts.event as NotifyEvent,
        });
        if (opts.json) return ctx.out(JSON.stringify(shown, null, 2));
        for (const note of shown.notes) ctx.out(`Note: ${note}`);
        if (shown.notes.length > 0) ctx.out('');
        ctx.out(`Subject: ${shown.subject}`);
        ctx.out('');
        ctx.out(shown.text);
      }),
    );

  notify
    .command('send')
    .description('send every message that is due now, once, and print the counts')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print as JSON')
    .action((opts: Common) =>
      withEngine(opts, async (engine) => {
        const notifier = notifierOf(engine);
        if (notifier === undefined) {
          throw new CallsignError('config', 'No notifications: section in the configuration');
        }
        const counts = await notifier.dispatcher.drain();
        if (opts.json) return ctx.out(JSON.stringify(counts));
        ctx.out(`sent ${counts.sent}, will retry ${counts.retried}, failed ${counts.failed}`);
      }),
    );
}

function line(m: MessageRecord): string {
  const to = m.address ?? '-';
  const code = m.lastCode === undefined ? '' : `  SMTP ${m.lastCode}`;
  const error = m.lastError === undefined || m.state === 'sent' ? '' : `  ${m.lastError}`;
  const when = m.sentAt ?? m.updatedAt;
  return (
    `${m.id}  ${m.event}  ${m.recipient} <${to}>  ${m.state}  attempts ${m.attempts}` +
    `${code}  ${when}${error}`
  );
}
