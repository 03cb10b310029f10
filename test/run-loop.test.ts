/**
 * `callsign run` in-process on a real directory: a hire added while it runs is provisioned at
 * the next poll, a person disabled is de-provisioned, and quiet polls record no runs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { runForever } from '../src/engine/daemon.ts';
import type { Engine } from '../src/engine/engine.ts';
import { generateLabPeople } from '../src/lab/slapd.ts';
import { labUnavailable, startLab, type Lab } from './lab.ts';

const skip = labUnavailable({ kamailio: false });
const people = generateLabPeople(5).map((p) => ({ ...p, employeeType: 'employee' }));
let lab: Lab;

before(async () => {
  if (skip) return;
  lab = await startLab({ people, store: 'sqlite:./callsign.db', kamailio: false });
});
after(async () => {
  await lab?.stop();
});

async function until(check: () => Promise<boolean>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const subscribers = () =>
  [...lab.nullTarget!.resources.keys()].filter((k) => k.startsWith('sip-subscriber/')).length;

test(
  'hires and leavers are applied while it runs; quiet polls leave no runs',
  { skip },
  async () => {
    const engine: Engine = await lab.open();
    const stop = new AbortController();
    const loop = runForever(engine, {
      intervalMs: 300,
      actor: 'poll',
      onReport: () => undefined,
      signal: stop.signal,
    });
    try {
      await until(async () => subscribers() === 5, 'the first five');

      const hire = { ...generateLabPeople(1, { first: 40 })[0]!, employeeType: 'employee' };
      await lab.slapd.people.addPerson(hire);
      await until(async () => subscribers() === 6, 'the new hire');

      await lab.slapd.people.disablePerson(people[0]!.uid);
      await until(async () => subscribers() === 5, 'the leaver removed');
      await until(async () => (await engine.store.countOpen()) === 0, 'the queue to drain');

      const runs = (await engine.store.listRuns(100)).length;
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal((await engine.store.listRuns(100)).length, runs, 'quiet polls record no run');
    } finally {
      stop.abort();
      await loop;
      await engine.close();
    }
  },
);
