/**
 * `callsign numbers pin|unpin|emergency`: an administrator pins a number to a person (they
 * always get it; nobody else does), or gives one number emergency data of its own instead of
 * its site's (its pool's `emergency`). Every change is audited with who asked.
 */
import type { Command } from 'commander';

import type { PoolConfig } from '../core/config-types.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { checkEmergency } from '../core/pool-leaver-config.ts';
import type { Engine } from '../engine/engine.ts';
import type { CliContext } from './main.ts';
import { findPerson } from './person-lookup.ts';

interface Common {
  config?: string;
  json?: boolean;
}

/** What numbers-commands.ts lends: its command maker, runner and number parser. */
export interface PinCommandKit {
  target: (c: Command) => Command;
  cmd: (name: string, help: string) => Command;
  run: (opts: Common, fn: (engine: Engine) => Promise<unknown>) => Promise<void>;
  canonical: (pools: readonly PoolConfig[], pool: string, input: string) => string;
}

/** Registers `pin`, `unpin` and `emergency` under `numbers`. */
export function registerPinCommands(kit: PinCommandKit, ctx: CliContext): void {
  const { target, cmd, run, canonical } = kit;

  target(cmd('pin', 'pin a number to a person: they always get it, nobody else does'))
    .argument('<person>', 'the person: id, worker id or mail (as `people show` takes)')
    .action((p: string, v: string, text: string, o: Common) =>
      run(o, async ({ store, config }) => {
        const value = canonical(config.pools, p, v);
        const { person } = await findPerson(store, config.correlation, text);
        await store.pinNumber(p, value, person.id, ctx.actor);
        ctx.out(`number ${value} in pool ${p}: pinned to ${person.id}`);
      }),
    );

  target(cmd('unpin', 'remove a pin; a number kept only by the pin becomes available'))
    .requiredOption('--reason <text>', 'why, for the audit')
    .action((p: string, v: string, o: Common & { reason: string }) =>
      run(o, async ({ store, config }) => {
        const value = canonical(config.pools, p, v);
        await store.unpinNumber(p, value, o.reason, ctx.actor);
        ctx.out(`number ${value} in pool ${p}: unpinned`);
      }),
    );

  target(cmd('emergency', "set this number's own emergency location and callback number"))
    .option('--location <text>', 'dispatchable location (street, floor, room)')
    .option('--elin <number>', 'emergency location identification number')
    .option('--callback <number>', 'emergency callback number')
    .option('--clear', "forget this number's own data: its site's applies again")
    .action((p: string, v: string, o: Common & EmergencyOptions) =>
      run(o, async ({ store, config }) => {
        const value = canonical(config.pools, p, v);
        const region = config.pools.find((x) => x.name === p)?.region;
        const emergency = o.clear === true ? null : parseEmergency(o, region);
        await store.setNumberEmergency(p, value, emergency, ctx.actor);
        ctx.out(
          emergency === null
            ? `number ${value} in pool ${p}: emergency data cleared (the site's applies)`
            : `number ${value} in pool ${p}: emergency data set`,
        );
      }),
    );
}

interface EmergencyOptions {
  location?: string;
  elin?: string;
  callback?: string;
  clear?: boolean;
}

function parseEmergency(o: EmergencyOptions, region: string | undefined) {
  const checked = checkEmergency(o, region);
  if ('emergency' in checked) return checked.emergency;
  const text = checked.problems.map((p) => `--${p.field}: ${p.message}`).join('; ');
  throw new CallsignError(ErrorCode.Config, text);
}
