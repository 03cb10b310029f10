/**
 * Cisco on-boarding at the platform's write limit: N knowledge workers (default 1,000; set
 * CALLSIGN_BENCH_CISCO_PEOPLE for fewer), each a Unified CM end user, line and Jabber softphone
 * (CSF) and a Unity Connection mailbox. The plan is made by the planner from one rule and one
 * profile, journaled on a temporary SQLite store and run by the executor, as `callsign sync`
 * does, against the AXL and CUPI emulators with 20 ms latency. The Unified CM target is
 * configured for 10 AXL writes per second, and the emulator refuses (503) any write past 10 in
 * a 1 s window, so an overrun shows. Expected: elapsed within 10% of writes / 10 seconds.
 *
 * Run alone: node --import tsx bench/cisco.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fork } from 'node:child_process';

import { CucTarget } from '../src/connectors/cuc/cuc-target.ts';
import { CucmTarget } from '../src/connectors/cucm/cucm-target.ts';
import type { TargetConnector } from '../src/connectors/types.ts';
import type { ProfileConfig, RuleConfig } from '../src/core/config-types.ts';
import { classify } from '../src/core/lifecycle.ts';
import type { Person, PlannedOperation } from '../src/core/model.ts';
import { compileProfiles, planPerson } from '../src/core/planner.ts';
import { compileRules } from '../src/core/rules.ts';
import { Executor } from '../src/engine/executor.ts';
import { openStore } from '../src/store/open.ts';
import type { AxlStats, EmulatorSettings } from './cisco-emulators.ts';

const WRITES_PER_SECOND = 10;
const LATENCY_MS = 20;

export interface CiscoBenchResult {
  people: number;
  operations: number;
  axlWrites: number;
  axlReads: number;
  /** Writes the emulator refused with 503 (an overrun of the limit). */
  throttled: number;
  elapsedSeconds: number;
  allowedSeconds: number;
  ratio: number;
  maxWritesInOneSecond: number;
  withinTenPercent: boolean;
}

export async function benchCisco(people = peopleCount()): Promise<CiscoBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'callsign-bench-cisco-'));
  const store = await openStore(`sqlite:${join(dir, 'bench.db')}`);
  const emulators = await startEmulators({
    latencyMs: LATENCY_MS,
    writeLimitPerSecond: WRITES_PER_SECOND,
  });
  const targets = new Map<string, TargetConnector>();

  try {
    const { axlUrl, cupiUrl } = emulators;
    targets.set(
      'cucm',
      new CucmTarget(
        {
          name: 'cucm',
          type: 'cucm',
          url: axlUrl,
          version: '14.0',
          username: 'axladmin',
          password: 'env:UNUSED',
          concurrency: 8,
          ratePerSecond: WRITES_PER_SECOND,
        },
        { password: 'secret' },
      ),
    );
    targets.set(
      'cuc',
      new CucTarget(
        {
          name: 'cuc',
          type: 'cuc',
          url: cupiUrl,
          username: 'cupiadmin',
          password: 'env:UNUSED',
          templateAlias: 'voicemailusertemplate',
          concurrency: 4,
        },
        { password: 'secret' },
      ),
    );
    const executor = new Executor({
      store,
      targets,
      maxAttempts: 5,
      backoffBaseMs: 200,
      backoffMaxMs: 2000,
      secrets: undefined,
    });
    await store.createRun({
      id: 'bench',
      kind: 'sync',
      state: 'running',
      actor: 'bench',
      summary: {},
    });

    const operations = plan(people);
    const started = performance.now();
    await store.journal('bench', operations, 'pending');
    const stats = await executor.runUntilIdle({ runId: 'bench' });
    const elapsedSeconds = (performance.now() - started) / 1000;

    const axl = await emulators.stats();
    if (stats.done !== operations.length || axl.phones !== people) {
      throw new Error(
        `Benchmark ran ${stats.done} of ${operations.length} operations ` +
          `(${stats.failed} failed, ${axl.phones} phones)`,
      );
    }
    const allowedSeconds = axl.writesDone / WRITES_PER_SECOND;
    const ratio = elapsedSeconds / allowedSeconds;
    return {
      people,
      operations: operations.length,
      axlWrites: axl.writesDone,
      axlReads: axl.reads,
      throttled: axl.writesThrottled,
      elapsedSeconds: round(elapsedSeconds),
      allowedSeconds: round(allowedSeconds),
      ratio: round(ratio),
      maxWritesInOneSecond: axl.maxWritesInOneSecond,
      withinTenPercent: ratio <= 1.1,
    };
  } finally {
    for (const target of targets.values()) await target.close();
    await emulators.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The emulators in their own process (see cisco-emulators.ts). */
async function startEmulators(settings: EmulatorSettings) {
  const child = fork(new URL('./cisco-emulators.ts', import.meta.url), [JSON.stringify(settings)], {
    execArgv: ['--import', 'tsx'],
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      child.once('message', (m) => resolve(m as T));
      child.once('error', reject);
    });
  const urls = await next<{ axlUrl: string; cupiUrl: string }>();
  return {
    ...urls,
    stats: () => {
      const answer = next<AxlStats>();
      child.send('stats');
      return answer;
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

/** The count from CALLSIGN_BENCH_CISCO_PEOPLE, or 1,000. */
function peopleCount(): number {
  const raw = process.env.CALLSIGN_BENCH_CISCO_PEOPLE;
  const n = raw === undefined || raw === '' ? 1000 : Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`CALLSIGN_BENCH_CISCO_PEOPLE must be a positive integer, not '${raw}'`);
  }
  return n;
}

const RULES: RuleConfig[] = [
  { name: 'knowledge-worker', when: 'true', profile: 'knowledge-worker', numbers: {} },
];

const attr = (value: string) => ({ value, mode: 'enforce' as const });
const PROFILES: Record<string, ProfileConfig> = {
  'knowledge-worker': {
    name: 'knowledge-worker',
    resources: [
      {
        target: 'cucm',
        type: 'cucm-user',
        key: '{{person.userid}}',
        dependsOn: [],
        secret: false,
        attributes: {
          firstName: attr('{{person.givenName}}'),
          lastName: attr('{{person.sn}}'),
          mailid: attr('{{person.mail}}'),
        },
      },
      {
        target: 'cucm',
        type: 'cucm-line',
        key: '{{person.extension}}@Internal_PT',
        dependsOn: [],
        secret: false,
        attributes: {
          description: attr('{{person.displayName}}'),
          alertingName: attr('{{person.displayName}}'),
        },
      },
      {
        target: 'cucm',
        type: 'cucm-phone',
        key: 'CSF{{person.userid | upper}}',
        dependsOn: ['cucm-user', 'cucm-line'],
        secret: false,
        attributes: {
          product: attr('Cisco Unified Client Services Framework'),
          devicePoolName: attr('Default'),
          ownerUserName: attr('{{person.userid}}'),
          line1: attr('{{person.extension}}@Internal_PT'),
        },
      },
      {
        target: 'cuc',
        type: 'cuc-mailbox',
        key: '{{person.userid}}',
        dependsOn: ['cucm-line'],
        secret: false,
        attributes: {
          firstName: attr('{{person.givenName}}'),
          lastName: attr('{{person.sn}}'),
          displayName: attr('{{person.displayName}}'),
          dtmfAccessId: attr('{{person.extension}}'),
          emailAddress: attr('{{person.mail}}'),
        },
      },
    ],
  },
};

/** Joiners through the rules and the planner, as a sync plans them. */
function plan(count: number): PlannedOperation[] {
  const rules = compileRules({ rules: RULES, pools: [], profiles: PROFILES });
  const profiles = compileProfiles(PROFILES);
  const now = new Date();
  const operations: PlannedOperation[] = [];
  for (let i = 0; i < count; i++) {
    const person = worker(i);
    const lifecycle = classify({ person, hasResources: false, now });
    const decision = rules.decide(person, lifecycle);
    const planned = planPerson({ person, decision, numbers: [], links: [], profiles });
    if (planned.problems.length > 0 || planned.operations.length !== 4) {
      throw new Error(`bench plan for ${person.id}: ${JSON.stringify(planned.problems)}`);
    }
    operations.push(...planned.operations);
  }
  return operations;
}

function worker(i: number): Person {
  const userid = `kw${String(i).padStart(5, '0')}`;
  return {
    id: `p${i}`,
    status: 'active',
    excluded: false,
    pinned: false,
    sourceLinks: [{ source: 'hr', externalId: userid }],
    attributes: {
      userid,
      givenName: 'Worker',
      sn: `Number ${i}`,
      displayName: `Worker Number ${i}`,
      mail: `${userid}@example.com`,
      extension: String(200_000 + i),
    },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchCisco();
  const from = process.env.CALLSIGN_BENCH_CISCO_PEOPLE ? 'CALLSIGN_BENCH_CISCO_PEOPLE' : 'default';
  console.log(`cisco: ${r.people} people (${from}), ${r.operations} operations`);
  console.log(
    `AXL writes ${r.axlWrites} (reads ${r.axlReads}, refused with 503: ${r.throttled}); ` +
      `elapsed ${r.elapsedSeconds} s; allowed by ${WRITES_PER_SECOND} writes/s ` +
      `${r.allowedSeconds} s; ratio ${r.ratio}; most writes in any 1 s at the emulator ` +
      `${r.maxWritesInOneSecond}; within 10%: ${r.withinTenPercent ? 'yes' : 'no'}`,
  );
  console.log(JSON.stringify({ bench: 'cisco', ...r }));
}
