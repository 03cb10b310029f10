import type { Command } from 'commander';

import { CallsignError, toCallsignError } from '../core/errors.ts';
import type { Engine } from '../engine/engine.ts';
import { approveRun, rejectRun } from '../engine/approval.ts';
import { warnIfSecretsReachNobody } from '../engine/credentials.ts';
import { EngineEvents } from '../engine/events.ts';
import { PoolWatch } from '../engine/pool-watch.ts';
import { startWebhooks } from '../webhooks/webhooks.ts';
import { startNotifications } from '../notify/notify.ts';
import { reconcile, type RunReport } from '../engine/reconcile.ts';
import { ExitCode } from './exit-codes.ts';
import type { CliContext } from './main.ts';
import { progressPrinter } from './progress.ts';
import { poolChangeLines, printReport } from './report.ts';

interface RunOptions {
  config?: string;
  json?: boolean;
}

/** plan, sync, run, approve, reject: the commands that read sources and change targets. */
export function registerRunCommands(
  program: Command,
  ctx: CliContext,
  setCode: (c: number) => void,
) {
  const withEngine = async (
    opts: RunOptions,
    fn: (engine: Engine) => Promise<void>,
    syncPools = true,
  ) => {
    const engine = await ctx.open({ config: opts.config, syncPools });
    try {
      await fn(engine);
    } finally {
      await engine.close();
    }
  };
  // Rejecting reaches no source or target: it must work while they are unreachable.
  const withStoreOnly = async (opts: RunOptions, fn: (engine: Engine) => Promise<void>) => {
    const engine = await ctx.open({ config: opts.config, connectors: false, existing: true });
    try {
      await fn(engine);
    } finally {
      await engine.close();
    }
  };
  const show = (report: RunReport, opts: RunOptions) => {
    if (opts.json) ctx.out(JSON.stringify(report, null, 2));
    else printReport(report, ctx.out);
    setCode(exitCodeOf(report));
  };

  program
    .command('plan')
    .description('dry run: read the sources and show what would change, per person; touch nothing')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print the plan as JSON')
    .action((opts: RunOptions) =>
      // The pool definitions are not applied: the plan reads the stored pools as they are.
      withEngine(
        opts,
        async (engine) => {
          const progress = progressPrinter(ctx.err);
          const report = await reconcile(engine, {
            mode: 'plan',
            actor: ctx.actor,
            onProgress: progress,
          });
          const pools = engine.unsyncedPools?.changes ?? [];
          if (opts.json) ctx.out(JSON.stringify({ ...report, poolChanges: pools }, null, 2));
          else {
            printReport(report, ctx.out);
            for (const line of poolChangeLines(pools)) ctx.out(line);
          }
          setCode(exitCodeOf(report));
        },
        false,
      ),
    );

  program
    .command('sync')
    .description('one reconciliation: read, plan, journal and run the operations')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print the run report as JSON')
    .action((opts: RunOptions) =>
      withEngine(opts, async (engine) => {
        const progress = progressPrinter(ctx.err);
        show(
          await reconcile(engine, { mode: 'sync', actor: ctx.actor, onProgress: progress }),
          opts,
        );
      }),
    );

  program
    .command('run')
    .description('keep running: poll the sources and apply changes until stopped (SIGINT/SIGTERM)')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print each run report as JSON')
    .option('--interval <seconds>', 'poll interval (default: engine.pollIntervalSeconds)')
    .action((opts: RunOptions & { interval?: string }) =>
      withEngine(opts, async (engine) => {
        const { runForever } = await import('../engine/daemon.ts');
        const seconds = Number(opts.interval ?? engine.config.engine.pollIntervalSeconds);
        if (!Number.isFinite(seconds) || seconds <= 0) {
          throw new CallsignError(
            'config',
            `--interval: '${opts.interval}' is not a positive number`,
          );
        }
        warnIfSecretsReachNobody(engine, ctx.err);
        const events = new EngineEvents({ log: ctx.log });
        const webhooks = startWebhooks(engine, { events });
        const notifications = startNotifications(engine, { events });
        // Allocations empty pools: each run is followed by a stock check (`pool:low` once).
        const { store, config, clock } = engine;
        const pools = new PoolWatch({ store, config, clock, events });
        const checkPools = () =>
          pools.check().catch((err: unknown) => {
            ctx.log.warn({ err: toCallsignError(err).message }, 'pool check failed');
          });
        await checkPools();
        try {
          await runForever(engine, {
            intervalMs: seconds * 1000,
            actor: 'poll',
            events,
            // A long run stopped by a signal exits 0: each report's outcome is in the log.
            onReport: (report) => {
              if (opts.json) ctx.out(JSON.stringify(report));
              else printReport(report, ctx.out);
              void checkPools();
            },
          });
        } finally {
          await webhooks?.stop();
          await notifications?.stop();
        }
      }),
    );

  program
    .command('approve')
    .description('let a run held by the safety brake go ahead')
    .argument('<run>', 'run id')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print the run report as JSON')
    .action((run: string, opts: RunOptions) =>
      withEngine(opts, async (engine) => {
        const progress = progressPrinter(ctx.err);
        show(
          await approveRun(engine, { runId: run, actor: ctx.actor, onProgress: progress }),
          opts,
        );
      }),
    );

  program
    .command('reject')
    .description('cancel the operations of a run held by the safety brake')
    .argument('<run>', 'run id')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .action((run: string, opts: RunOptions) =>
      withStoreOnly(opts, async (engine) => {
        const cancelled = await rejectRun(engine, { runId: run, actor: ctx.actor });
        ctx.out(`run ${run} rejected: ${cancelled} operations cancelled, nothing was changed`);
      }),
    );
}

export function exitCodeOf(report: RunReport): number {
  // An unreadable source comes first: whatever else happened, the run saw only part of the
  // people, and that is what the operator must fix.
  if (report.sources.some((s) => s.error !== undefined)) return ExitCode.SourceIncomplete;
  if (report.state === 'braked') return ExitCode.Braked;
  if (report.sources.some((s) => !s.complete)) return ExitCode.SourceIncomplete;
  if (report.state === 'failed' || report.problems.length > 0) return ExitCode.Partial;
  return ExitCode.Ok;
}
