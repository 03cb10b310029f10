/**
 * `callsign numbers import` and `callsign numbers reconcile`: bringing existing assignments
 * into the inventory on first install, from a CSV or from the platforms themselves.
 */
import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import { formatReconcileReport } from '../core/number-reconcile.ts';
import type { Engine } from '../engine/engine.ts';
import { importNumbersCsv, reconcileInventory } from '../engine/number-inventory.ts';
import { ExitCode } from './exit-codes.ts';
import type { CliContext } from './main.ts';

interface Opts {
  config?: string;
  json?: boolean;
}

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
        const outcome = await importNumbersCsv(e, {
          bytes,
          file: o.csv,
          dryRun: o.dryRun === true,
          actor: ctx.actor,
        });
        const { valid, imported, problems } = outcome;
        if (problems.length > 0) setCode(ExitCode.Partial);
        const result = { valid, imported, dryRun: o.dryRun === true, problems };
        if (o.json) return result;
        for (const p of problems) ctx.out(`line ${p.line}, field ${p.field}: ${p.message}`);
        const verb = o.dryRun ? 'would import' : `imported ${imported} changed of`;
        ctx.out(`${verb} ${valid} valid rows; ${problems.length} rejected`);
        return undefined;
      }),
    );

  cmd('reconcile', "compare the inventory with each platform's own numbers")
    .option('--adopt', 'hold numbers a platform uses but that are free here, for review')
    .option('--json', 'print as JSON')
    .action((o: Opts & { adopt?: boolean }) =>
      open(ctx, o, true, async (e) => {
        const { adopted, ...report } = await reconcileInventory(e, {
          adopt: o.adopt === true,
          actor: ctx.actor,
        });
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
  const engine = await ctx.open({ config: opts.config, connectors, syncPools: true });
  try {
    const result = await fn(engine);
    if (opts.json && result !== undefined) ctx.out(JSON.stringify(result, null, 2));
  } finally {
    await engine.close();
  }
}
