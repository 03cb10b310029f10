/**
 * Full read and correlation of a large directory, against `ldapsearch` dumping the same entries
 * from the same server in the same run (issue: within 1.5 times). Both read as the service
 * account, paged with the same page size. They take turns for a few rounds and the medians are
 * compared, so that a burst of load from other processes does not decide the ratio.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

import { LdapSource } from '../src/connectors/ldap/ldap-source.ts';
import { correlate } from '../src/core/correlate.ts';
import { generateLabPeople, startSlapd } from '../src/lab/slapd.ts';

const ENTRIES = Number(process.env.CALLSIGN_BENCH_ENTRIES ?? 100_000);
const PAGE = 1000;
/** Connections Callsign reads with (`parallelReads`); ldapsearch always uses one. */
const PARALLEL = Number(process.env.CALLSIGN_BENCH_PARALLEL_READS ?? 1);
const ROUNDS = Number(process.env.CALLSIGN_BENCH_ROUNDS ?? 3);

export async function benchDirectory(): Promise<{
  entries: number;
  parallelReads: number;
  rounds: number;
  ldapsearchMs: number;
  callsignMs: number;
  ratio: number;
}> {
  const people = generateLabPeople(ENTRIES);
  const slapd = await startSlapd({ people, servicePassword: 'bench-password' });
  try {
    const ldapsearch: number[] = [];
    const callsign: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ldapsearch.push(dumpWithLdapsearch(slapd));
      callsign.push(await readWithCallsign(slapd));
    }
    const ldapsearchMs = median(ldapsearch);
    const callsignMs = median(callsign);
    return {
      entries: ENTRIES,
      parallelReads: PARALLEL,
      rounds: ROUNDS,
      ldapsearchMs: Math.round(ldapsearchMs),
      callsignMs: Math.round(callsignMs),
      ratio: Math.round((callsignMs / ldapsearchMs) * 100) / 100,
    };
  } finally {
    await slapd.stop();
  }
}

type Lab = Awaited<ReturnType<typeof startSlapd>>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function dumpWithLdapsearch(slapd: Lab): number {
  const started = performance.now();
  const dump = spawnSync(
    'ldapsearch',
    [
      '-x',
      '-LLL',
      '-H',
      slapd.url,
      '-D',
      slapd.serviceDn,
      '-w',
      slapd.servicePassword,
      '-b',
      slapd.peopleDn,
      '-E',
      `pr=${PAGE}/noprompt`,
      '(objectClass=inetOrgPerson)',
      'entryUUID',
      'employeeNumber',
      'givenName',
      'sn',
      'cn',
      'mail',
      'departmentNumber',
      'l',
      'title',
      'employeeType',
      'userAccountControl',
    ],
    { maxBuffer: 1 << 30 },
  );
  const ldapsearchMs = performance.now() - started;
  if (dump.status !== 0) throw new Error(`ldapsearch failed: ${dump.stderr}`);
  return ldapsearchMs;
}

async function readWithCallsign(slapd: Lab): Promise<number> {
  const source = new LdapSource(
    {
      name: 'bench',
      type: 'ldap',
      url: slapd.url,
      bindDn: slapd.serviceDn,
      password: 'env:UNUSED',
      baseDn: slapd.peopleDn,
      filter: '(objectClass=inetOrgPerson)',
      pageSize: PAGE,
      parallelReads: PARALLEL,
      idAttribute: 'entryUUID',
      attributes: {
        employeeId: 'employeeNumber',
        givenName: 'givenName',
        sn: 'sn',
        displayName: 'cn',
        mail: 'mail',
        department: 'departmentNumber',
        site: 'l',
        title: 'title',
        workerType: 'employeeType',
      },
      disabled: { userAccountControl: true },
      writeBack: {},
      timeoutMs: 60_000,
      delta: 'none',
      fullEverySeconds: 3600,
    },
    { password: slapd.servicePassword },
  );
  const begun = performance.now();
  const snapshot = await source.readAll();
  const matched = correlate({ records: snapshot.records, people: [], keys: ['employeeId'] });
  const callsignMs = performance.now() - begun;
  await source.close();
  if (!snapshot.complete || matched.matches.length !== ENTRIES) {
    throw new Error(`read ${snapshot.records.length} of ${ENTRIES}, complete ${snapshot.complete}`);
  }
  return callsignMs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify({ bench: 'directory', ...(await benchDirectory()) }));
}
