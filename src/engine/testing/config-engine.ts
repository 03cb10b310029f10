/**
 * An engine as `callsign` opens it, for tests that go through the configuration: the text is
 * written to callsign.yaml in a fresh folder (so the SQLite store and the secret key land
 * there), the engine opens on it with a null `pbx` target, and both go away after the test.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';

import { NullTarget } from '../../connectors/null/null-target.ts';
import { parseConfig } from '../../core/config.ts';
import { openEngine, type Engine } from '../engine.ts';

export interface ConfigEngineOptions {
  /** The configuration text. */
  config: string;
  /** Start of the temporary folder's name. */
  prefix: string;
  clock?: () => Date;
  /** Concurrency of the `pbx` null target; 2 unless given. */
  concurrency?: number;
}

export interface ConfigEngine {
  dir: string;
  /** The engine the test works with; `restart` replaces it. */
  readonly engine: Engine;
  /** The `pbx` target every engine of the fixture writes to. */
  pbx: NullTarget;
  /** One more engine on the same configuration and store, read again now; the caller closes it. */
  open(): Promise<Engine>;
  /** Closes the engine and opens a new one on the same store, as a restart would. */
  restart(): Promise<Engine>;
}

/**
 * Runs `body` against an engine opened on `options.config`, then closes it and removes its
 * folder.
 */
export async function withConfigEngine(
  options: ConfigEngineOptions,
  body: (fixture: ConfigEngine) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), options.prefix));
  const file = join(dir, 'callsign.yaml');
  const pbx = new NullTarget({ name: 'pbx', concurrency: options.concurrency ?? 2 });
  const open = async () => {
    const engine = await openEngine(parseConfig(options.config, file), {
      log: pino({ level: 'silent' }),
      actor: 'test',
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    engine.targets.set('pbx', pbx);
    return engine;
  };

  let current: Engine | undefined;
  try {
    await writeFile(file, options.config);
    current = await open();
    const restart = async () => {
      const closing = current;
      current = undefined;
      await closing?.close();
      current = await open();
      return current;
    };
    await body({
      dir,
      pbx,
      open,
      restart,
      get engine() {
        return current!;
      },
    });
  } finally {
    await current?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
