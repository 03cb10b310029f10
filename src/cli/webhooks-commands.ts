/**
 * `callsign webhooks deliveries [--failed]` and `callsign webhooks redeliver <id>`: the webhook
 * delivery log and its one operator action. A redelivery is sent by the dispatcher of the
 * running `callsign serve` (or `callsign run`), not by this command.
 */
import type { Command } from 'commander';

import { CallsignError } from '../core/errors.ts';
import type { Engine } from '../engine/engine.ts';
import { webhookOutboxOf, type DeliveryRecord } from '../webhooks/outbox.ts';
import { redeliver } from '../webhooks/webhooks.ts';
import type { CliContext } from './main.ts';

interface Common {
  config?: string;
  json?: boolean;
}

/** webhooks deliveries|redeliver. */
export function registerWebhooksCommands(program: Command, ctx: CliContext) {
  const withEngine = async (opts: Common, fn: (engine: Engine) => Promise<void>) => {
    const engine = await ctx.open({ config: opts.config, connectors: false, existing: true });
    try {
      await fn(engine);
    } finally {
      await engine.close();
    }
  };
  const webhooks = program.command('webhooks').description('signed event notifications');

  webhooks
    .command('deliveries')
    .description('the delivery log, newest first: state, attempts, last status and error')
    .option('--failed', 'only deliveries that failed for good')
    .option('--webhook <name>', "only this webhook's")
    .option('--limit <n>', 'at most this many (default 50)')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print as JSON')
    .action((opts: Common & { failed?: boolean; webhook?: string; limit?: string }) =>
      withEngine(opts, async (engine) => {
        const limit = Number(opts.limit ?? 50);
        if (!Number.isInteger(limit) || limit < 1) {
          throw new CallsignError('config', `--limit: '${opts.limit}' is not a positive integer`);
        }
        const list = await webhookOutboxOf(engine.store).list({
          failed: opts.failed,
          webhook: opts.webhook,
          limit,
        });
        if (opts.json) return ctx.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return ctx.out('no deliveries');
        for (const d of list) ctx.out(line(d));
      }),
    );

  webhooks
    .command('redeliver')
    .description('send a delivered or failed delivery again, with the same event body')
    .argument('<id>', 'delivery id (from `webhooks deliveries`)')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print as JSON')
    .action((id: string, opts: Common) =>
      withEngine(opts, async (engine) => {
        const record = await redeliver(engine, id, ctx.actor);
        if (opts.json) return ctx.out(JSON.stringify(record, null, 2));
        ctx.out(`delivery ${id} (${record.type} to '${record.webhook}') is pending again`);
      }),
    );
}

function line(d: DeliveryRecord): string {
  const status = d.lastStatus === undefined ? '' : `  HTTP ${d.lastStatus}`;
  const error = d.lastError === undefined || d.state === 'delivered' ? '' : `  ${d.lastError}`;
  const when = d.deliveredAt ?? d.updatedAt;
  return (
    `${d.id}  ${d.webhook}  ${d.type}  ${d.state}  attempts ${d.attempts}` +
    `${status}  ${when}${error}`
  );
}
