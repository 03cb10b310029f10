/**
 * Test harness: a real slapd (and optionally a real Kamailio) on loopback, a configuration for
 * them and an opened engine. Tests swap the Kamailio target for a NullTarget when they need to
 * count target calls.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';

import { NullTarget } from '../src/connectors/null/null-target.ts';
import { loadConfig } from '../src/core/config.ts';
import { openEngine, type Engine } from '../src/engine/engine.ts';
import { startKamailio, type LabKamailio } from '../src/lab/kamailio.ts';
import { labConfig, type LabConfigOptions } from '../src/lab/lab-config.ts';
import { findSlapd, startSlapd, type LabPerson, type SlapdLab } from '../src/lab/slapd.ts';
import { checkSystemDeps } from '../src/lab/system-deps.ts';

export interface Lab {
  dir: string;
  slapd: SlapdLab;
  kamailio?: LabKamailio;
  configPath: string;
  /** Set when the lab uses a NullTarget as `pbx`. */
  nullTarget?: NullTarget;
  open(): Promise<Engine>;
  stop(): Promise<void>;
}

/** Why the lab cannot run here, or undefined. With CI=true a missing server is an error. */
export function labUnavailable(needs: { kamailio: boolean }): string | undefined {
  const missing = checkSystemDeps().missing.filter(
    (m) => needs.kamailio || !['kamailio', 'sipp', 'db_sqlite.so'].includes(m.binary),
  );
  if (missing.length === 0 && findSlapd()) return undefined;
  const reason = `not installed: ${missing.map((m) => m.pkg).join(', ') || 'slapd'}`;
  if (process.env.CI === 'true') throw new Error(`lab servers required when CI=true; ${reason}`);
  return `${reason} (run scripts/install-system-deps.sh as root)`;
}

export async function startLab(options: {
  people: LabPerson[];
  store: string;
  kamailio: boolean;
  safety?: LabConfigOptions['safety'];
  leaseSeconds?: number;
}): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'callsign-lab-'));
  const password = randomBytes(9).toString('hex');
  const envName = `CALLSIGN_TEST_LDAP_${randomBytes(4).toString('hex').toUpperCase()}`;
  process.env[envName] = password;

  const slapd = await startSlapd({ people: options.people, servicePassword: password });
  const kamailio = options.kamailio ? await startKamailio({}) : undefined;
  const configPath = join(dir, 'callsign.yaml');
  writeFileSync(
    configPath,
    labConfig({
      store: options.store,
      ldap: { url: slapd.url, serviceDn: slapd.serviceDn, peopleDn: slapd.peopleDn },
      passwordEnv: envName,
      kamailio: kamailio
        ? { dbPath: kamailio.dbPath, domain: kamailio.domain, rpcUrl: kamailio.rpcUrl }
        : null,
      safety: options.safety,
      leaseSeconds: options.leaseSeconds,
    }),
  );

  const nullTarget = kamailio ? undefined : new NullTarget({ name: 'pbx', concurrency: 8 });
  const log = pino({ level: process.env.CALLSIGN_TEST_LOG ?? 'silent' });
  return {
    dir,
    slapd,
    kamailio,
    configPath,
    nullTarget,
    open: async () => {
      const engine = await openEngine(loadConfig(configPath), { log, actor: 'test' });
      if (nullTarget) engine.targets.set('pbx', nullTarget);
      return engine;
    },
    stop: async () => {
      await kamailio?.stop();
      await slapd.stop();
      delete process.env[envName];
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
