/**
 * `callsign people credentials <person>`: hands a person's generated secrets (SIP passwords,
 * PINs) to an administrator once. Under `callsign serve` joiners come from SCIM, HR push and the
 * poll loop, with no report to show a new secret in; without a `credentials` mail rule this is
 * how the secret reaches its owner. Each secret is revealed once, marked handed out and the
 * hand-out audited; the secret itself is written to stdout only, never logged.
 */
import type { Command } from 'commander';

import { CallsignError } from '../core/errors.ts';
import { takeCredentialsOf } from '../engine/credentials.ts';
import type { CliContext } from './main.ts';

export function registerCredentialsCommand(program: Command, ctx: CliContext): void {
  const people =
    program.commands.find((c) => c.name() === 'people') ??
    program.command('people').description('people and their automation flags');
  people
    .command('credentials')
    .description(
      "reveal a person's new secrets once (SIP passwords, PINs) and mark them handed out",
    )
    .argument('<person>', 'person id')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { config?: string; json?: boolean }) => {
      const engine = await ctx.open({ config: opts.config, connectors: false, existing: true });
      try {
        if (!(await engine.store.getPerson(id))) {
          throw new CallsignError('not_found', `person ${id} does not exist`);
        }
        const taken = await takeCredentialsOf(engine, id, ctx.actor);
        if (taken.length === 0) {
          throw new CallsignError(
            'not_found',
            `person ${id} has no secret waiting to be handed out (already handed out or mailed)`,
          );
        }
        if (opts.json) {
          ctx.out(JSON.stringify(taken, null, 2));
          return;
        }
        ctx.out('New credentials (shown this once; hand them to their owner now):');
        for (const c of taken) ctx.out(`  ${c.label}  ${c.resource}  ${c.secret}`);
      } finally {
        await engine.close();
      }
    });
}
