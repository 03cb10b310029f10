import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import pino, { type Logger } from 'pino';

import { exampleConfig, loadConfig } from '../core/config.ts';
import { CallsignError } from '../core/errors.ts';
import { openEngine, type Engine } from '../engine/engine.ts';
import { ExitCode } from './exit-codes.ts';
import { registerAdminCommands } from './admin-commands.ts';
import { registerCredentialsCommand } from './credentials-command.ts';
import { registerNumbersCommands } from './numbers-commands.ts';
import { registerRunCommands } from './run-commands.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerTokenCommands } from './token-commands.ts';
import { registerWebhooksCommands } from './webhooks-commands.ts';
import { registerNotifyCommands } from './notify-commands.ts';

/** Shared by every command: where the configuration is and how to open the engine. */
export interface CliContext {
  log: Logger;
  actor: string;
  out: (line: string) => void;
  err: (line: string) => void;
  /**
   * Opens the engine for the command's `--config`; closed by the caller. `syncPools` applies
   * the configured pool definitions to the store first (default false).
   */
  open(options: {
    config?: string;
    connectors?: boolean;
    existing?: boolean;
    syncPools?: boolean;
  }): Promise<Engine>;
}

/** Runs the CLI; returns the exit code (see exit-codes.ts and the README's table). */
export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  const level = process.env.CALLSIGN_LOG_LEVEL ?? (argv.includes('--verbose') ? 'info' : 'warn');
  const log = pino(
    { level, redact: ['password', '*.password', 'secret', '*.secret'] },
    pino.destination(2),
  );
  const ctx: CliContext = {
    log,
    actor: `cli:${safeUser()}`,
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    open: async ({ config, connectors, existing, syncPools }) => {
      const global = program.opts<{ config?: string }>().config;
      const path = resolve(config ?? global ?? process.env.CALLSIGN_CONFIG ?? 'callsign.yaml');
      // Only the commands that change the inventory or run syncs apply the pool definitions
      // (they ask for it); looking (plan, status, audit, people…) leaves the store as it is.
      const options = {
        log,
        actor: ctx.actor,
        connectors,
        existingStore: existing,
        syncPools: syncPools === true,
      };
      return openEngine(loadConfig(path), options);
    },
  };

  const program = new Command('callsign')
    .description('Telecom provisioning: people in, extensions, numbers and phones out')
    .version(packageVersion(), '--version', 'print the version')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml or $CALLSIGN_CONFIG)')
    .option('--verbose', 'log progress details to stderr')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('init')
    .description('write a commented example configuration')
    .argument('[file]', 'where to write it', 'callsign.yaml')
    .option('--force', 'overwrite an existing file')
    .action((file: string, opts: { force?: boolean }) => {
      if (existsSync(file) && !opts.force) {
        throw new CallsignError('config', `${file} exists; use --force to overwrite it`);
      }
      mkdirSync(dirname(resolve(file)), { recursive: true });
      writeFileSync(file, exampleConfig());
      ctx.out(`wrote ${file}: edit it, then run 'callsign plan -c ${file}'`);
    });

  let code: number = ExitCode.Ok;
  const setCode = (c: number) => {
    code = Math.max(code, c);
  };
  registerRunCommands(program, ctx, setCode);
  registerAdminCommands(program, ctx, setCode);
  registerCredentialsCommand(program, ctx);
  registerNumbersCommands(program, ctx, setCode);
  registerServeCommand(program, ctx);
  registerTokenCommands(program, ctx);
  registerWebhooksCommands(program, ctx);
  registerNotifyCommands(program, ctx);

  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    return reportError(err, ctx);
  }
}

function reportError(err: unknown, ctx: CliContext): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  if (err instanceof CallsignError) {
    ctx.err(`callsign: ${err.message}`);
    // An ambiguous name on the command line (two people match it): the operator must say which.
    if (err.code === 'config' || err.code === 'ambiguous') return ExitCode.Usage;
    if (err.code === 'state' && err.details.runId) return ExitCode.Braked;
    if (err.code === 'not_found' || err.code === 'state') return ExitCode.NotFound;
    if (err.code === 'unavailable' && err.details.store) return ExitCode.Store;
    return ExitCode.Internal;
  }
  ctx.err(`callsign: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
  ctx.log.error({ err }, 'unexpected error');
  return ExitCode.Internal;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * `callsign numbers list | head` closes stdout early: stop quietly instead of crashing on EPIPE.
 * The listener is added even when the stream has others: a stream piped into stdout (tsx's
 * loader does it) adds its own, which removes itself on the first error and re-throws it when
 * no other listener is left. Added once per stream, however often `main` runs.
 */
const quieted = new WeakSet<NodeJS.WriteStream>();
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (quieted.has(stream)) continue;
    quieted.add(stream);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
