import type { Command } from 'commander';

import { CallsignError } from '../core/errors.ts';
import type { Engine } from '../engine/engine.ts';
import type { OperationState } from '../store/types.ts';
import type { CliContext } from './main.ts';
import { findPerson } from './person-lookup.ts';

interface Common {
  config?: string;
  json?: boolean;
}

/** status, audit, ops, people: commands that read or adjust the store only. */
export function registerAdminCommands(
  program: Command,
  ctx: CliContext,
  _setCode: (c: number) => void,
) {
  const withStore = async (opts: Common, fn: (engine: Engine) => Promise<unknown>) => {
    const engine = await ctx.open({ config: opts.config, connectors: false, existing: true });
    try {
      const result = await fn(engine);
      if (opts.json && result !== undefined) ctx.out(JSON.stringify(result, null, 2));
    } finally {
      await engine.close();
    }
  };
  const common = (cmd: Command) =>
    cmd.option('-c, --config <file>', 'configuration file (default callsign.yaml)');

  common(program.command('status').description('recent runs, open operations and pool usage'))
    .option('--json', 'print as JSON')
    .action((opts: Common) =>
      withStore(opts, async ({ store }) => {
        const runs = await store.listRuns(10);
        const failed = await store.listOperations({ state: ['failed'] });
        const open = await store.countOpen();
        const numbers = await store.listNumbers();
        const pools: Record<string, Record<string, number>> = {};
        for (const n of numbers) {
          const p = (pools[n.pool] ??= {});
          p[n.state] = (p[n.state] ?? 0) + 1;
        }
        if (opts.json) return { runs, openOperations: open, failedOperations: failed, pools };

        ctx.out(runs.length === 0 ? 'Recent runs: none yet' : 'Recent runs:');
        for (const r of runs)
          ctx.out(`  ${r.id}  ${r.kind}  ${r.state}  ${r.startedAt}  by ${r.actor}`);
        ctx.out(`Open operations: ${open}; failed, waiting for an operator: ${failed.length}`);
        for (const op of failed) {
          ctx.out(
            `  ${op.id}  ${op.action} ${op.target}/${op.type} ${op.key}: ${op.lastError?.message}`,
          );
        }
        ctx.out('Pools:');
        for (const [name, states] of Object.entries(pools)) {
          const parts = Object.entries(states).map(([s, n]) => `${s} ${n}`);
          ctx.out(`  ${name}: ${parts.join(', ')}`);
        }
        return undefined;
      }),
    );

  common(program.command('audit').description('who or what changed what, newest first'))
    .option('--person <id>', 'only this person')
    .option('--run <id>', 'only this run')
    .option('--action <name>', 'only this action, e.g. operation.done')
    .option('--limit <n>', 'at most this many entries', '50')
    .option('--json', 'print as JSON')
    .action((opts: Common & { person?: string; run?: string; action?: string; limit: string }) =>
      withStore(opts, async ({ store }) => {
        const entries = await store.queryAudit({
          personId: opts.person,
          runId: opts.run,
          action: opts.action,
          limit: positiveInt(opts.limit, '--limit'),
          newestFirst: true,
        });
        if (opts.json) return entries;
        for (const e of entries) {
          const change = e.after === undefined ? '' : ` ${JSON.stringify(e.after)}`;
          ctx.out(`${e.at}  ${e.actor}  ${e.action}  ${e.subject}${change}`);
        }
        return undefined;
      }),
    );

  const ops = program.command('ops').description('list failed operations and act on them');
  common(ops.command('list').description('operations by state (default: failed)'))
    .option('--state <states>', 'comma-separated states', 'failed')
    .option('--run <id>', 'only this run')
    .option('--json', 'print as JSON')
    .action((opts: Common & { state: string; run?: string }) =>
      withStore(opts, async ({ store }) => {
        const state = opts.state.split(',') as OperationState[];
        const list = await store.listOperations({ state, runId: opts.run });
        if (opts.json) return list;
        for (const op of list) {
          const error = op.lastError ? `  ${op.lastError.code}: ${op.lastError.message}` : '';
          ctx.out(`${op.id}  ${op.state}  ${op.action} ${op.target}/${op.type} ${op.key}${error}`);
        }
        return undefined;
      }),
    );
  for (const [verb, state, help] of [
    ['retry', 'pending', 'run a failed operation again'],
    ['skip', 'skipped', "give up on it; the person's later operations go on"],
    ['cancel', 'cancelled', 'cancel it (and leave it visible in the journal)'],
  ] as const) {
    common(ops.command(verb).description(help).argument('<operation>', 'operation id')).action(
      (id: string, opts: Common) =>
        withStore(opts, async ({ store }) => {
          const op = await store.getOperation(id);
          if (!op) throw new CallsignError('not_found', `operation ${id} does not exist`);
          if (op.state !== 'failed' && !(verb === 'cancel' && op.state === 'pending')) {
            throw new CallsignError('state', `operation ${id} is ${op.state}, not failed`);
          }
          const result = await store.setOperationState(id, state, ctx.actor);
          if (result.reason !== undefined) {
            throw new CallsignError(
              'state',
              `operation ${id} was not retried: cancelled as ${result.reason}`,
              { details: { operationId: id } },
            );
          }
          ctx.out(
            `operation ${id}: ${op.state} -> ${state}` +
              (verb === 'retry' ? '; it runs at the next sync' : ''),
          );
        }),
    );
  }

  const people = program.command('people').description('people and their automation flags');
  common(people.command('list').description('every person Callsign knows'))
    .option('--json', 'print as JSON')
    .action((opts: Common) =>
      withStore(opts, async ({ store }) => {
        const list = await store.listPeople();
        if (opts.json) return list;
        for (const p of list) {
          const flags = [p.excluded && 'excluded', p.pinned && 'pinned'].filter(Boolean).join(',');
          const name = p.attributes.displayName ?? p.attributes.mail ?? '';
          ctx.out(`${p.id}  ${p.status}  ${name}${flags ? `  [${flags}]` : ''}`);
        }
        return undefined;
      }),
    );
  const personArg = 'person id, worker id or mail';
  common(people.command('show').description('a person, their resources and numbers (JSON)'))
    .argument('<person>', personArg)
    .option('--json', 'the output is JSON in any case')
    .action((text: string, opts: Common) =>
      withStore({ ...opts, json: true }, async ({ store, config }) => {
        const { person, matchedBy } = await findPerson(store, config.correlation, text);
        const id = person.id;
        const numbers = await store.numbersOf(id);
        return { matchedBy, person, links: await store.listLinks(id), numbers };
      }),
    );
  for (const [verb, flags, help] of [
    ['exclude', { excluded: true }, 'leave this person out of automation entirely'],
    ['include', { excluded: false }, 'bring an excluded person back into automation'],
    ['pin', { pinned: true }, "keep this person's resources as they are; rules leave them alone"],
    ['unpin', { pinned: false }, 'let rules manage this person again'],
  ] as const) {
    const done = { exclude: 'excluded', include: 'included', pin: 'pinned', unpin: 'unpinned' }[
      verb
    ];
    common(people.command(verb).description(help).argument('<person>', personArg))
      .requiredOption('--reason <text>', 'why, for the audit')
      .action((text: string, opts: Common & { reason: string }) =>
        withStore(opts, async ({ store, config }) => {
          const { person, matchedBy } = await findPerson(store, config.correlation, text);
          await store.setPersonFlags(person.id, flags, ctx.actor, opts.reason);
          const how = matchedBy === 'id' ? '' : ` (${matchedBy} ${text})`;
          ctx.out(`person ${person.id}${how}: ${done}`);
        }),
      );
  }
}

/** Parses a count given on the command line; anything else is a usage error (exit 2). */
export function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    throw new CallsignError('config', `${flag}: '${text}' is not a positive whole number`);
  }
  return n;
}
