import type { Command } from 'commander';

import { startServer } from '../api/server.ts';
import { CallsignError } from '../core/errors.ts';
import { warnIfSecretsReachNobody } from '../engine/credentials.ts';
import type { Engine } from '../engine/engine.ts';
import { scimDepsForEngine } from '../scim/engine-wiring.ts';
import { createScimHandler } from '../scim/scim-handler.ts';
import type { CliContext } from './main.ts';
import { printReport } from './report.ts';

/** serve: the REST API, SCIM, health and metrics, with the executor and the poll loop. */
export function registerServeCommand(program: Command, ctx: CliContext) {
  program
    .command('serve')
    .description('serve the API and SCIM, run journaled operations and poll the sources')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--no-poll', 'do not poll the sources; only run what the API and SCIM journal')
    .option('--listen <address>', 'HOST:PORT, overriding api.listen')
    .action(async (opts: { config?: string; poll: boolean; listen?: string }) => {
      const engine = await ctx.open({ config: opts.config, syncPools: true });
      try {
        warnIfSecretsReachNobody(engine, ctx.err);
        const server = await startServer(engine, {
          poll: opts.poll,
          api: opts.listen ? parseListen(opts.listen) : undefined,
          scim: scimService,
          onReport: (report) => printReport(report, ctx.out),
        });
        ctx.err(`callsign: serving on ${server.url} (stop with Ctrl-C)`);
        await untilSignal();
        ctx.err('callsign: stopping: finishing operations in flight');
        await server.stop();
      } finally {
        await engine.close();
      }
    });
}

function parseListen(text: string) {
  const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):)?(\d{1,5})$/.exec(text);
  if (!match || Number(match[3]) > 65535) {
    throw new CallsignError('config', `--listen: '${text}' is not HOST:PORT`);
  }
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port: Number(match[3]) };
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/** The SCIM service on the engine; the executor is woken once a change is journaled. */
function scimService({ engine, onQueued }: { engine: Engine; onQueued: () => void }) {
  const deps = scimDepsForEngine(engine);
  const onChange = deps.onChange;
  if (onChange) {
    deps.onChange = async (records, context) => {
      await onChange(records, context);
      onQueued();
    };
  }
  return createScimHandler(deps);
}
