/**
 * What the Cisco emulators hold, read straight from their in-memory databases (never through
 * the connectors), and what the store says about a person's numbers: the facts each step of the
 * end-to-end tests asserts.
 */
import assert from 'node:assert/strict';

import type { RunReport } from '../../src/engine/reconcile.ts';
import type { CiscoLab } from './cisco-lab.ts';

export interface CucmState {
  /** `pattern@partition`, sorted. */
  lines: string[];
  users: Record<string, { primary: string; ipcc: string; devices: string[] }>;
  phones: Record<string, { devicePool: string; owner: string; lines: string[] }>;
}

export function cucmState(lab: CiscoLab): CucmState {
  const db = lab.cucm.db;
  const dirn = (d?: { pattern: string; partition: string }) =>
    d === undefined ? '' : `${d.pattern}@${d.partition}`;
  const users: CucmState['users'] = {};
  for (const [id, u] of db.users) {
    users[id] = {
      primary: dirn(u.primaryExtension),
      ipcc: dirn(u.ipccExtension),
      devices: [...u.associatedDevices],
    };
  }
  const phones: CucmState['phones'] = {};
  for (const [name, p] of db.phones) {
    phones[name] = {
      devicePool: p.fields.devicePoolName ?? '',
      owner: p.fields.ownerUserName ?? '',
      lines: p.lines.map((l) => `${l.index}:${l.pattern}@${l.partition}`),
    };
  }
  const lines = [...db.lines.values()]
    .map((l) => `${l.fields.pattern}@${l.fields.routePartitionName ?? ''}`)
    .sort();
  return { lines, users, phones };
}

/** Mailboxes by alias: extension and PIN. */
export function mailboxes(lab: CiscoLab): Record<string, { extension: string; pin?: string }> {
  const out: Record<string, { extension: string; pin?: string }> = {};
  for (const u of lab.cuc.db.users.values()) {
    const box: { extension: string; pin?: string } = { extension: u.fields.DtmfAccessId ?? '' };
    if (u.pin !== undefined) box.pin = u.pin;
    out[u.fields.Alias ?? ''] = box;
  }
  return out;
}

/** The person's id, by HR worker id. */
export async function personId(lab: CiscoLab, workerId: string): Promise<string> {
  const people = await lab.engine.store.listPeople();
  const person = people.find((p) => p.sourceLinks.some((l) => l.externalId === workerId));
  assert.ok(person, `person for worker ${workerId}`);
  return person.id;
}

/** Every number of the given pools with its state and holder: `2000 assigned`. */
export async function numberStates(
  lab: CiscoLab,
  pools: string[],
): Promise<Record<string, { state: string; personId?: string }>> {
  const out: Record<string, { state: string; personId?: string }> = {};
  for (const pool of pools) {
    for (const n of await lab.engine.store.listNumbers(pool)) {
      if (n.state === 'available') continue;
      out[n.value] = { state: n.state, ...(n.personId ? { personId: n.personId } : {}) };
    }
  }
  return out;
}

/** The run finished with nothing failed and no problem reported. */
export function assertClean(report: RunReport, step: string): void {
  const failed = JSON.stringify({ problems: report.problems, execution: report.execution });
  assert.equal(report.state, 'finished', `${step}: ${failed}`);
  assert.equal(report.problems.length, 0, `${step}: ${failed}`);
}

/** AXL operations that wrote, in the order the emulator ran them (refusals left out). */
export function axlWrites(lab: CiscoLab, from: number): string[] {
  return lab.cucm.requests
    .slice(from)
    .filter((r) => r.status === 200 && /^(add|update|remove)/.test(r.operation))
    .map((r) => r.operation);
}

/**
 * Writes that succeeded on any emulator since `from`, as `system what` in arrival order. Per
 * person the engine runs one operation at a time, so this is also the order they completed in.
 */
export function writesSince(lab: CiscoLab, from: number): string[] {
  return lab.timeline
    .slice(from)
    .filter((s) => s.status() >= 200 && s.status() < 300)
    .filter((s) =>
      s.system === 'cucm' ? /^(add|update|remove)/.test(s.what()) : !s.what().startsWith('GET'),
    )
    .map((s) => `${s.system} ${s.what()}`);
}

/** Waits for a condition the emulators reach on their own (UCCX's sync from CUCM). */
export async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Lines with a Call Forward All, by `pattern@partition`: its destination and search space. */
export function cucmForwards(lab: CiscoLab): Record<string, { destination: string; css: string }> {
  const out: Record<string, { destination: string; css: string }> = {};
  for (const line of lab.cucm.db.lines.values()) {
    const destination = line.forwards?.callForwardAll ?? '';
    if (destination === '') continue;
    const css = line.forwardCss?.callForwardAll ?? '';
    out[`${line.fields.pattern}@${line.fields.routePartitionName ?? ''}`] = { destination, css };
  }
  return out;
}
