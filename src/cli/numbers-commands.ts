/**
 * `callsign numbers …`: the number inventory for operators. Every command works on the store
 * alone (no source or target is opened); numbers are typed as people write them and stored in
 * the pool's canonical form (E.164 for DIDs, parsed in the pool's region).
 */
import { writeFileSync } from 'node:fs';

import type { Command } from 'commander';

import type { PoolConfig } from '../core/config-types.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { formatInventoryReport } from '../core/inventory-report.ts';
import { parsePhone } from '../core/phone.ts';
import type { Engine } from '../engine/engine.ts';
import { exportNumbersCsv, poolReports } from '../engine/number-inventory.ts';
import { releaseRefusal } from '../engine/number-release.ts';
import { NUMBER_STATES } from '../store/number-queries.ts';
import type { NumberQuery, NumberRecord, NumberState, Store } from '../store/types.ts';
import type { CliContext } from './main.ts';
import { registerPinCommands } from './number-pin-commands.ts';
import { findPerson } from './person-lookup.ts';
import { registerNumberSyncCommands } from './number-sync-commands.ts';

interface Common {
  config?: string;
  json?: boolean;
}

const DAY_MS = 86_400_000;

interface Filters extends Common {
  pool?: string;
  state?: string;
  person?: string;
  prefix?: string;
}

/** Registers the `numbers` command group. */
export function registerNumbersCommands(
  program: Command,
  ctx: CliContext,
  setCode: (code: number) => void = () => {},
): void {
  const run = (opts: Common, fn: (engine: Engine) => Promise<unknown>) => withEngine(ctx, opts, fn);
  const numbers = program.command('numbers').description('the number inventory');
  const cmd = (name: string, help: string) =>
    numbers
      .command(name)
      .description(help)
      .option('-c, --config <file>', 'configuration file (default callsign.yaml)');
  const target = (c: Command) =>
    c.argument('<pool>', 'pool name').argument('<number>', 'the number as people write it');

  for (const [name, help] of [
    ['list', 'numbers and their state'],
    ['search', 'numbers by pool, state, person or leading digits'],
  ] as const) {
    cmd(name, help)
      .option('--pool <name>', 'only this pool')
      .option('--state <state>', `only this state (${NUMBER_STATES.join(', ')})`)
      .option('--person <id>', 'only numbers of this person (id, worker id or mail)')
      .option('--prefix <chars>', 'only numbers starting with these characters (+1212, 20)')
      .option('--json', 'print as JSON')
      .action((opts: Filters) =>
        run(opts, async ({ store, config }) => {
          const person =
            opts.person === undefined
              ? undefined
              : await filterPerson(store, config.correlation, opts.person);
          const list = await store.searchNumbers(query({ ...opts, person }));
          if (opts.json) return list;
          for (const n of list) ctx.out(describe(n) + extras(n, config.pools));
          return undefined;
        }),
      );
  }

  target(cmd('reserve', 'keep a free number aside, optionally for one person'))
    .option('--for <person>', 'the person it is kept for (id, worker id or mail); gets it first')
    .option('--until <time>', 'when the reservation lapses (ISO 8601, e.g. 2030-06-30)')
    .option('--days <n>', 'lapses after this many days')
    .option('--note <text>', 'why it is reserved')
    .action(
      (
        p: string,
        v: string,
        o: Common & { for?: string; until?: string; days?: string; note?: string },
      ) =>
        run(o, async ({ store, config, clock }) => {
          const now = clock();
          const value = canonical(config.pools, p, v);
          const until = lapse(o, now);
          const personId =
            o.for === undefined
              ? undefined
              : (await findPerson(store, config.correlation, o.for)).person.id;
          await store.reserveNumber(p, value, { until, note: o.note, personId, now }, ctx.actor);
          const forWhom = personId === undefined ? '' : ` for ${personId}`;
          ctx.out(
            `number ${value} in pool ${p}: reserved${forWhom}` +
              (until === undefined ? '' : ` until ${until.toISOString()}`),
          );
        }),
    );

  for (const [name, help, method, done] of [
    ['unreserve', 'make a reserved number available again', 'unreserveNumber', 'unreserved'],
    [
      'block',
      'never give this number to anyone (refused while assigned)',
      'blockNumber',
      'blocked',
    ],
    ['unblock', 'make a blocked number available again', 'unblockNumber', 'unblocked'],
  ] as const) {
    target(cmd(name, help))
      .requiredOption('--reason <text>', 'why, for the audit')
      .action((p: string, v: string, o: Common & { reason: string }) =>
        run(o, async ({ store, config }) => {
          const value = canonical(config.pools, p, v);
          await store[method](p, value, o.reason, ctx.actor);
          ctx.out(`number ${value} in pool ${p}: ${done}`);
        }),
      );
  }

  target(
    cmd(
      'release',
      'quarantine the number of someone who no longer needs it (refused while it is in use)',
    ),
  )
    .requiredOption('--reason <text>', 'why, for the audit')
    .action((p: string, v: string, o: Common & { reason: string }) =>
      run(o, async ({ store, config, clock }) => {
        const value = canonical(config.pools, p, v);
        const row = await findNumber(store, p, value);
        if (row === undefined) throw notInPool(p, value);
        if (row.state !== 'assigned') {
          throw new CallsignError(
            ErrorCode.State,
            `Cannot release number '${value}' in pool '${p}': it is ${row.state}, not assigned`,
            { details: { pool: p, value, state: row.state } },
          );
        }
        const refusal = await releaseRefusal(store, p, value);
        if (refusal !== undefined) throw refusal;
        await store.releaseNumber(p, value, clock(), ctx.actor, o.reason);
        const after = await findNumber(store, p, value);
        ctx.out(
          `number ${value} in pool ${p}: released from ${row.personId}, ` +
            `quarantined until ${after?.availableAt}`,
        );
      }),
    );

  target(cmd('move', 'give an assigned number to another person'))
    .argument('<person>', 'the person who gets it: id, worker id or mail')
    .requiredOption('--reason <text>', 'why, for the audit')
    .action((p: string, v: string, text: string, o: Common & { reason: string }) =>
      run(o, async ({ store, config }) => {
        const value = canonical(config.pools, p, v);
        const { person } = await findPerson(store, config.correlation, text);
        await store.moveNumber(p, value, person.id, ctx.actor, o.reason);
        ctx.out(`number ${value} in pool ${p}: moved to ${person.id}`);
      }),
    );

  registerPinCommands({ target, cmd, run, canonical }, ctx);
  registerReportCommands(cmd, run, ctx);
  registerNumberSyncCommands(cmd, ctx, setCode);
}

/** `report` and `export`: read-only views of the whole inventory. */
function registerReportCommands(
  cmd: (name: string, help: string) => Command,
  run: (opts: Common, fn: (engine: Engine) => Promise<unknown>) => Promise<void>,
  ctx: CliContext,
): void {
  cmd('report', 'utilisation per pool, when each runs out, and which are low on stock')
    .option('--window <days>', 'hiring rate over the last this many days', '30')
    .option('--low-stock <percent>', 'flag pools with less than this percent free', '10')
    .option('--json', 'print as JSON')
    .action((o: Common & { window: string; lowStock: string }) =>
      run(o, async (engine) => {
        const windowDays = positive('--window', o.window);
        const lowStockPercent = positive('--low-stock', o.lowStock);
        const reports = await poolReports(engine, { windowDays, lowStockPercent });
        for (const r of reports.filter((x) => x.lowStock)) {
          ctx.log.warn(
            { pool: r.pool, free: r.free, freePercent: r.freePercent },
            'pool low on stock',
          );
        }
        if (o.json) return reports;
        for (const line of formatInventoryReport(reports)) ctx.out(line);
        return undefined;
      }),
    );

  cmd('export', 'write the inventory as CSV, safe to open in a spreadsheet')
    .requiredOption('--out <file>', 'the CSV file to write')
    .option('--pool <name>', 'only this pool')
    .option('--state <state>', 'only this state')
    .action((o: Filters & { out: string }) =>
      run(o, async (engine) => {
        const { csv, count } = await exportNumbersCsv(engine, query(o));
        writeFileSync(o.out, csv);
        ctx.out(`wrote ${count} numbers to ${o.out}`);
      }),
    );
}

async function withEngine(
  ctx: CliContext,
  opts: Common,
  fn: (engine: Engine) => Promise<unknown>,
): Promise<void> {
  // The inventory commands work on the configured pools: their definitions are applied first.
  const engine = await ctx.open({ config: opts.config, connectors: false, syncPools: true });
  try {
    const result = await fn(engine);
    if (opts.json && result !== undefined) ctx.out(JSON.stringify(result, null, 2));
  } finally {
    await engine.close();
  }
}

/** The stored form of a typed number: E.164 for a DID pool, the digits for extensions. */
function canonical(pools: readonly PoolConfig[], poolName: string, input: string): string {
  const pool = pools.find((p) => p.name === poolName);
  if (pool === undefined) {
    const known = pools.map((p) => p.name).join(', ') || 'none';
    throw new CallsignError(
      ErrorCode.NotFound,
      `Pool '${poolName}' is not configured (pools: ${known})`,
      { details: { pool: poolName } },
    );
  }
  if (pool.kind === 'extension') return input.trim();

  const parsed = parsePhone(input, pool.region);
  if (!parsed.ok) throw usage(`number '${input}' for pool '${poolName}': ${parsed.problem}`);
  if (parsed.phone.extension !== undefined) {
    throw usage(`number '${input}' for pool '${poolName}': a DID carries no extension`);
  }
  return parsed.phone.e164;
}

function query(opts: Filters): NumberQuery {
  if (opts.state !== undefined && !(NUMBER_STATES as readonly string[]).includes(opts.state)) {
    throw usage(`--state ${opts.state}: must be one of ${NUMBER_STATES.join(', ')}`);
  }
  return {
    pool: opts.pool,
    state: opts.state as NumberState | undefined,
    personId: opts.person,
    prefix: opts.prefix,
  };
}

function lapse(o: { until?: string; days?: string }, now: Date): Date | undefined {
  if (o.until !== undefined && o.days !== undefined) {
    throw usage('give --until or --days, not both');
  }
  if (o.days !== undefined) return new Date(now.getTime() + positive('--days', o.days) * DAY_MS);
  if (o.until === undefined) return undefined;
  const t = Date.parse(o.until);
  if (Number.isNaN(t)) throw usage(`--until ${o.until}: not a date (use 2030-06-30 or ISO 8601)`);
  // A time already past is a wrong value on the command line (usage), not a state of the number.
  if (t <= now.getTime()) throw usage(`--until ${o.until}: that time has passed`);
  return new Date(t);
}

function positive(option: string, text: string): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw usage(`${option} ${text}: must be a number above 0`);
  return n;
}

function describe(n: NumberRecord): string {
  const person = n.personId === undefined ? '' : `  ${n.personId}`;
  const until = n.availableAt === undefined ? '' : `  until ${n.availableAt}`;
  const note = n.note === undefined ? '' : `  (${n.note})`;
  const outside = n.outOfRange ? '  out of range' : '';
  return `${n.pool}  ${n.value}  ${n.state}${person}${until}${note}${outside}`;
}

/** Forward, pin and emergency data (the number's own, else its site's, marked so). */
function extras(n: NumberRecord, pools: readonly PoolConfig[]): string {
  const parts: string[] = [];
  if (n.forward !== undefined) {
    const ext = n.forward.extension === undefined ? '' : ` (${n.forward.extension})`;
    parts.push(`forwards to ${n.forward.to}${ext} [${n.forward.via}]`);
  }
  if (n.pinnedTo !== undefined) parts.push(`pinned to ${n.pinnedTo}`);
  const site = pools.find((p) => p.name === n.pool)?.emergency;
  const e = n.emergency ?? site;
  if (e !== undefined) {
    const fields = [e.location, e.elin && `ELIN ${e.elin}`, e.callback && `callback ${e.callback}`];
    const whose = n.emergency === undefined ? ' (site)' : '';
    parts.push(`emergency${whose}: ${fields.filter(Boolean).join(', ')}`);
  }
  return parts.map((p) => `  ${p}`).join('');
}

async function findNumber(store: Store, pool: string, value: string) {
  const found = await store.searchNumbers({ pool, prefix: value });
  return found.find((n) => n.value === value);
}

function notInPool(pool: string, value: string): CallsignError {
  return new CallsignError(ErrorCode.NotFound, `Number '${value}' is not in pool '${pool}'`, {
    details: { pool, value },
  });
}

/** A bad argument: the CLI maps `config` errors to the usage exit code. */
function usage(message: string): CallsignError {
  return new CallsignError(ErrorCode.Config, message);
}

/** A filter may name someone no longer known (numbers keep the id of who held them). */
async function filterPerson(store: Store, correlation: readonly string[], text: string) {
  try {
    return (await findPerson(store, correlation, text)).person.id;
  } catch (err) {
    if (err instanceof CallsignError && err.code === ErrorCode.NotFound) return text;
    throw err;
  }
}
