/**
 * The Cisco end-to-end lab: the CUCM, Unity Connection, UCCX and UCCE emulators on loopback, an
 * HR drop folder as the people source, and a configuration with three personas (knowledge
 * worker, UCCX agent, UCCE agent) on two sites. UCCX learns agents from the CUCM emulator's
 * end users with an IPCC extension, after a delay, the way UCCX's own sync reads Unified CM;
 * Callsign only ever talks to the published APIs. Test code only.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';

import { loadConfig } from '../../src/core/config.ts';
import { openEngine, type Engine } from '../../src/engine/engine.ts';
import { reconcile, type RunReport } from '../../src/engine/reconcile.ts';
import { defaultReferences } from '../emulators/cucm/axl-db.ts';
import { CucmEmulator } from '../emulators/cucm/cucm-emulator.ts';
import { CucEmulator } from '../emulators/cuc/cuc-emulator.ts';
import { UcceEmulator } from '../emulators/ucce/ucce-emulator.ts';
import { UccxEmulator } from '../emulators/uccx/uccx-emulator.ts';
import { ciscoConfig } from './cisco-config.ts';

/** One HR row: the columns the configuration maps. */
export interface Worker {
  id: string;
  status: 'Active' | 'Terminated';
  userid: string;
  first: string;
  last: string;
  site: 'nyc' | 'sfo';
  role: 'knowledge' | 'uccx' | 'ucce' | 'direct';
  /** The manager's user id (their e-mail goes in the HR `Manager` column). */
  manager?: string;
}

/** One request as an emulator saw it, in the order requests reached any emulator. */
export interface Seen {
  system: 'cucm' | 'cuc' | 'uccx' | 'ucce';
  /** `removeUser` (AXL) or `PUT resource/ana` (REST); read late, like the status. */
  what(): string;
  /** Read when the answer has gone out: the object is the emulator's own record. */
  status(): number;
}

export interface CiscoLab {
  engine: Engine;
  /** Every request to every emulator, in arrival order. */
  timeline: Seen[];
  cucm: CucmEmulator;
  cuc: CucEmulator;
  uccx: UccxEmulator;
  ucce: UcceEmulator;
  /** Writes the HR export (atomically: a dot file renamed into place). */
  drop(workers: Worker[]): Promise<void>;
  /** One `sync`, as the CLI runs it. */
  sync(): Promise<RunReport>;
  stop(): Promise<void>;
}

/** How long UCCX takes to see a CUCM user's IPCC extension (and its removal). */
export const UCCX_SYNC_MS = 400;

/**
 * Starts the lab; the store is a SQLite file in the lab's folder unless `store` names one. A
 * `clock` is the engine's (tests of day-long waits move it).
 */
export async function startCiscoLab(
  options: { store?: string; clock?: () => Date } = {},
): Promise<CiscoLab> {
  const dir = await mkdtemp(join(tmpdir(), 'callsign-cisco-'));
  await mkdir(join(dir, 'drop'));
  const passwordEnv = `CALLSIGN_TEST_CISCO_${randomBytes(4).toString('hex').toUpperCase()}`;
  const password = randomBytes(9).toString('hex');
  process.env[passwordEnv] = password;
  const accounts = [{ username: 'callsign', password }];

  const references = defaultReferences();
  for (const pool of ['DP_NYC', 'DP_SFO']) references.devicePoolName!.add(pool);
  references.callingSearchSpaceName!.add('Forward_CSS');
  const cucm = new CucmEmulator({ accounts, references });
  const cuc = new CucEmulator({ accounts });
  const ucce = new UcceEmulator({ accounts });
  const uccx = new UccxEmulator({
    accounts,
    cucm: {
      syncDelayMs: UCCX_SYNC_MS,
      users: () =>
        [...cucm.db.users].map(([userID, u]) => ({
          userID,
          extension: u.ipccExtension?.pattern ?? '',
          firstName: u.fields.firstName ?? '',
          lastName: u.fields.lastName ?? userID,
        })),
    },
  });
  const urls = {
    cucm: await cucm.start(),
    cuc: await cuc.start(),
    uccx: await uccx.start(),
    ucce: await ucce.start(),
  };
  const timeline: Seen[] = [];
  record(cucm.requests, (r) =>
    timeline.push({ system: 'cucm', what: () => r.operation, status: () => r.status }),
  );
  record(cuc.requests, (r) =>
    timeline.push({ system: 'cuc', what: () => `${r.method} ${r.path}`, status: () => r.status }),
  );
  for (const [system, emu] of [
    ['uccx', uccx],
    ['ucce', ucce],
  ] as const) {
    record(emu.requests, (r) =>
      timeline.push({ system, what: () => `${r.method} ${r.path}`, status: () => r.status }),
    );
  }
  for (const team of ['Team_NYC', 'Team_SFO']) uccx.add('team', team);
  for (const skill of ['Sales', 'Support']) uccx.add('skill', skill);
  uccx.add('resourceGroup', 'RG_Agents');
  for (const group of ['SG_Sales', 'SG_Support']) ucce.addSkillGroup(group);
  for (const team of ['AT_NYC', 'AT_SFO']) ucce.addAgentTeam(team);

  const file = join(dir, 'callsign.yaml');
  await writeFile(
    file,
    ciscoConfig({
      store: options.store ?? 'sqlite:./callsign.db',
      urls,
      username: 'callsign',
      passwordEnv,
    }),
  );
  const log = pino({ level: process.env.CALLSIGN_TEST_LOG ?? 'silent' });
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const engine = await openEngine(loadConfig(file), { log, actor: 'test', ...clock });

  return {
    engine,
    timeline,
    cucm,
    cuc,
    uccx,
    ucce,
    drop: async (workers) => {
      const temp = join(dir, 'drop', '.workers.csv');
      await writeFile(temp, hrCsv(workers));
      await rename(temp, join(dir, 'drop', 'workers.csv'));
    },
    sync: () => reconcile(engine, { mode: 'sync', actor: 'test' }),
    stop: async () => {
      await engine.close();
      await Promise.all([cucm.stop(), cuc.stop(), uccx.stop(), ucce.stop()]);
      delete process.env[passwordEnv];
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Calls `seen` with each request an emulator logs, as it logs it. */
function record<T>(requests: T[], seen: (request: T) => void): void {
  const push = requests.push.bind(requests);
  requests.push = (...items: T[]) => {
    for (const item of items) seen(item);
    return push(...items);
  };
}

const HEADER = 'Worker ID,Status,User,Email,First,Last,Name,Site,Role,Manager';

function hrCsv(workers: Worker[]): string {
  const rows = workers.map((w) =>
    [
      w.id,
      w.status,
      w.userid,
      `${w.userid}@example.org`,
      w.first,
      w.last,
      `${w.first} ${w.last}`,
      w.site,
      w.role,
      w.manager === undefined ? '' : `${w.manager}@example.org`,
    ].join(','),
  );
  return [HEADER, ...rows].map((r) => `${r}\r\n`).join('');
}
