/**
 * `callsign numbers import` and `callsign numbers reconcile`: bringing existing assignments
 * into the inventory on first install, from a CSV or from the platforms themselves.
 */
import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

import type { PlatformNumber } from '../connectors/types.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { checkImportRows, readImportCsv } from '../core/number-import.ts';
import { formatReconcileReport, reconcileNumbers } from '../core/number-reconcile.ts';
import type { Engine } from '../engine/engine.ts';
import { ExitCode } from './exit-codes.ts';
import type { CliContext } from './main.ts';

interface Opts {
  config?: string;
  json?: boolean;
}

/** Person keys the import's `person` column is looked up by, before the config's own. */
const PERSON_KEYS = ['employeeId', 'mail'];

/** Registers `import` and `reconcile` under the `numbers` group. */
export function registerNumberSyncCommands(
  cmd: (name: string, help: string) => Command,
  ctx: CliContext,
  setCode: (code: number) => void,
): void {
  cmd('import', 'import existing assignments, reservations and blocks from a CSV')
    .requiredOption('--csv <file>', 'UTF-8 CSV with header pool,number,state,person,note')
    .option('--dry-run', 'check every row, import nothing')
    .option('--json', 'print as JSON')
    .action((o: Opts & { csv: string; dryRun?: boolean }) =>
      open(ctx, o, false, async (e) => {
        let bytes: Buffer;
        try {
          bytes = readFileSync(o.csv);
        } catch (err) {
          throw new CallsignError(
            ErrorCode.Config,
            `${o.csv}: cannot read (${(err as Error).message})`,
          );
        }
        const records = readImportCsv(bytes, o.csv);
        const keys = [...new Set([...PERSON_KEYS, ...e.config.correlation])];
        const { rows, problems } = await checkImportRows(records, {
          pools: e.config.pools,
          personKeys: keys,
          findPeople: async (key, value) =>
            (await e.store.findPeopleByKey(key, value)).map((p) => p.id),
          number: async (pool, value) =>
            (await e.store.searchNumbers({ pool, prefix: value })).find((n) => n.value === value),
        });
        const imported =
          o.dryRun || rows.length === 0
            ? 0
            : await e.store.importNumbers(rows, ctx.actor, e.clock());
        if (problems.length > 0) setCode(ExitCode.Partial);
        const result = { valid: rows.length, imported, dryRun: o.dryRun === true, problems };
        if (o.json) return result;
        for (const p of problems) ctx.out(`line ${p.line}, field ${p.field}: ${p.message}`);
        const verb = o.dryRun ? 'would import' : `imported ${imported} changed of`;
        ctx.out(`${verb} ${rows.length} valid rows; ${problems.length} rejected`);
        return undefined;
      }),
    );

  cmd('reconcile', "compare the inventory with each platform's own numbers")
    .option('--adopt', 'hold numbers a platform uses but that are free here, for review')
    .option('--json', 'print as JSON')
    .action((o: Opts & { adopt?: boolean }) =>
      open(ctx, o, true, async (e) => {
        const platforms: { target: string; numbers: PlatformNumber[] }[] = [];
        for (const target of e.targets.values()) {
          if (target.listNumbers === undefined) continue;
          const numbers: PlatformNumber[] = [];
          for await (const n of target.listNumbers()) numbers.push(n);
          platforms.push({ target: target.name, numbers });
        }
        const report = reconcileNumbers(await e.store.listNumbers(), platforms);
        const adopted: string[] = [];
        if (o.adopt) {
          for (const u of report.unknownHere) {
            // Only a number free here is held; never assigned: a person decides whose it is.
            if (u.pool === undefined || (u.state !== 'available' && u.state !== 'quarantined')) {
              continue;
            }
            const reason = `in use on ${u.target} by ${u.owner ?? 'unknown'}: adopted for review`;
            await e.store.holdNumber(u.pool, u.value, reason, ctx.actor);
            u.state = 'held';
            adopted.push(`${u.pool}:${u.value}`);
          }
        }
        const differs =
          report.unknownHere.length + report.missingThere.length + report.duplicates.length > 0;
        if (differs) setCode(ExitCode.Partial);
        if (o.json) return { ...report, adopted };
        for (const line of formatReconcileReport(report)) ctx.out(line);
        if (o.adopt) ctx.out(`held for review: ${adopted.length}`);
        return undefined;
      }),
    );
}

async function open(
  ctx: CliContext,
  opts: Opts,
  connectors: boolean,
  fn: (engine: Engine) => Promise<unknown>,
): Promise<void> {
  const engine = await ctx.open({ config: opts.config, connectors });
  try {
    const result = await fn(engine);
    if (opts.json && result !== undefined) ctx.out(JSON.stringify(result, null, 2));
  } finally {
    await engine.close();
  }
}
