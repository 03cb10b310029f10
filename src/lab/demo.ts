/**
 * `npm run demo`: the main job end to end on the embedded default. Starts a real OpenLDAP and a
 * real Kamailio on loopback, runs plan and sync on the SQLite store, proves a new extension with
 * a real SIP REGISTER and call, then disables a person in the directory and shows the extension
 * removed, the REGISTER refused and the number in quarantine. Exits 0 when every step held.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino from 'pino';

import { printReport } from '../cli/report.ts';
import { loadConfig } from '../core/config.ts';
import { openEngine } from '../engine/engine.ts';
import { reconcile } from '../engine/reconcile.ts';
import { startKamailio } from './kamailio.ts';
import { labConfig } from './lab-config.ts';
import { call, register } from './sipp.ts';
import { generateLabPeople, startSlapd, type LabPerson } from './slapd.ts';

const dir = resolve(process.env.CALLSIGN_DEMO_DIR ?? '.callsign/demo');
const say = (line = '') => process.stdout.write(line + '\n');
const step = (title: string) => say(`\n=== ${title} ===\n`);

async function main(): Promise<number> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const people: LabPerson[] = [
    ...generateLabPeople(6),
    {
      ...generateLabPeople(1, { first: 7 })[0]!,
      uid: 'jdoe',
      cn: 'Doe, John',
      rdn: 'cn',
      employeeType: 'employee',
      l: 'nyc',
    },
  ];

  step('Starting a real OpenLDAP and a real Kamailio on loopback');
  const password = randomBytes(12).toString('hex');
  const slapd = await startSlapd({ dir: join(dir, 'ldap'), people, servicePassword: password });
  const kamailio = await startKamailio({ dir: join(dir, 'kamailio') });
  say(`OpenLDAP ${slapd.url} (${people.length} people under ${slapd.peopleDn})`);
  say(`Kamailio sip:${kamailio.domain} on 127.0.0.1:${kamailio.sipPort}, RPC ${kamailio.rpcUrl}`);

  try {
    process.env.CALLSIGN_DEMO_LDAP_PASSWORD = password;
    const configPath = join(dir, 'callsign.yaml');
    writeFileSync(
      configPath,
      labConfig({
        store: 'sqlite:./callsign.db',
        ldap: { url: slapd.url, serviceDn: slapd.serviceDn, peopleDn: slapd.peopleDn },
        passwordEnv: 'CALLSIGN_DEMO_LDAP_PASSWORD',
        kamailio: { dbPath: kamailio.dbPath, domain: kamailio.domain, rpcUrl: kamailio.rpcUrl },
      }),
    );
    say(`Configuration: ${configPath}; store: ${join(dir, 'callsign.db')} (SQLite)`);

    const log = pino({ level: process.env.CALLSIGN_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    const engine = await openEngine(loadConfig(configPath), { log, actor: 'demo' });
    const failures: string[] = [];
    const check = (ok: boolean, what: string) => {
      say(`${ok ? 'OK  ' : 'FAIL'} ${what}`);
      if (!ok) failures.push(what);
    };

    try {
      step('callsign plan (dry run)');
      printReport(await reconcile(engine, { mode: 'plan', actor: 'demo' }), say);

      step('callsign sync');
      const first = await reconcile(engine, { mode: 'sync', actor: 'demo' });
      printReport(first, say);
      check(first.state === 'finished', `sync finished (state ${first.state})`);

      const cred = first.credentials.find((c) => c.resource.includes('/sip-subscriber/'));
      if (!cred) throw new Error('the sync handed out no SIP credentials');
      const extension = cred.resource.split('/').pop()!;
      const did = (await engine.store.numbersOf(cred.personId)).find((n) => n.kind === 'did');
      const sip = { sipPort: kamailio.sipPort, domain: kamailio.domain };

      step(`Proof: ${cred.label} registers extension ${extension} with the secret shown once`);
      const reg = await register({ ...sip, user: extension, password: cred.secret });
      check(reg.ok, `REGISTER ${extension} -> ${reg.status ?? 'no answer'}`);
      if (did) {
        const rang = await call({
          ...sip,
          fromUser: 'caller',
          to: did.value,
          callee: { user: extension, password: cred.secret },
        });
        check(rang.ok, `a call to DID ${did.value} reaches extension ${extension}`);
      }
      const person = people.find((p) => p.cn === cred.label)!;
      const phone = (await slapd.people.readPerson(person.uid, ['telephoneNumber']))
        .telephoneNumber;
      check(Boolean(phone?.length), `telephoneNumber written back to the directory: ${phone?.[0]}`);

      step(`${cred.label} is disabled in the directory; callsign sync`);
      await slapd.people.disablePerson(person.uid);
      const second = await reconcile(engine, { mode: 'sync', actor: 'demo' });
      printReport(second, say);
      check(second.state === 'finished', `sync finished (state ${second.state})`);
      const after = await register({ ...sip, user: extension, password: cred.secret });
      check(after.status === 401, `REGISTER ${extension} after leaving -> ${after.status}`);
      const numbers = await engine.store.listNumbers();
      const resting = numbers.filter((n) => n.state === 'quarantined');
      check(
        resting.some((n) => n.value === extension),
        `numbers in quarantine: ${resting.map(untilDay).join(', ')}`,
      );
      const cleared = (await slapd.people.readPerson(person.uid, ['telephoneNumber']))
        .telephoneNumber;
      check(!cleared?.length, 'telephoneNumber cleared in the directory');
    } finally {
      await engine.close();
    }

    step(failures.length === 0 ? 'Demo complete: every step held' : 'Demo FAILED');
    for (const f of failures) say(`  failed: ${f}`);
    say(`Inspect it: npx callsign status -c ${configPath} (servers are stopped now)`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    await kamailio.stop();
    await slapd.stop();
  }
}

function untilDay(n: { value: string; availableAt?: string }): string {
  return `${n.value} until ${n.availableAt?.slice(0, 10)}`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
