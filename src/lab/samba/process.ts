/**
 * The lab domain controller's process: a marker file naming the running one (so a run killed
 * before its stop() does not block the fixed LDAP ports for the next), and waiting for LDAP.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from 'ldapts';

/** Where the running lab DC's pid and folder are noted. */
export const MARKER = join(tmpdir(), 'callsign-samba-dc.json');

/** Notes the started DC's pid in this process's claim. */
export function writeMarker(pid: number, dir: string): void {
  writeFileSync(MARKER, JSON.stringify({ pid, dir, owner: process.pid }));
}

/** Gives up this process's claim (after its DC stopped, or failed to start). */
export function removeMarker(): void {
  if (readMarker()?.owner === process.pid) rmSync(MARKER, { force: true });
}

/**
 * Claims the DC's fixed ports for this process: waits (up to waitMs) while another live
 * process's DC runs (test files run in parallel), stops a DC left by a process that died
 * (removing its temporary folder), then creates the marker exclusively.
 */
export async function claimPorts(dir: string, waitMs = 120_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const marker = readMarker();
    if (marker?.owner === process.pid) {
      throw new Error(`this process already runs a lab DC (pid ${marker.pid}); stop it first`);
    }
    if (marker !== undefined && isAlive(marker.owner)) {
      if (Date.now() > deadline) {
        throw new Error(`the lab DC of process ${marker.owner} is still in use`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    if (marker !== undefined) await clearLeftover(marker);
    try {
      const claim = JSON.stringify({ pid: 0, dir, owner: process.pid });
      writeFileSync(MARKER, claim, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

async function clearLeftover(marker: Marker): Promise<void> {
  if (marker.pid > 0 && isSamba(marker.pid)) {
    signal(marker.pid, 'SIGTERM');
    if (!(await exited(marker.pid, 5_000))) {
      signal(marker.pid, 'SIGKILL');
      await exited(marker.pid, 5_000);
    }
    await endGroup(marker.pid);
  }
  if (marker.dir.startsWith(join(tmpdir(), 'callsign-samba-dc-'))) {
    rmSync(marker.dir, { recursive: true, force: true });
  }
  rmSync(MARKER, { force: true });
}

/** True when something accepts connections on 127.0.0.1:port. */
export function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Resolves once a bind as the administrator succeeds; rejects when the process exits first or
 * the time runs out.
 */
export async function waitForLdap(
  child: ChildProcess,
  bind: { url: string; dn: string; password: string },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`samba exited (${child.exitCode ?? child.signalCode}) before LDAP answered`);
    }
    const client = new Client({ url: bind.url, timeout: 2_000, connectTimeout: 1_000 });
    try {
      await client.bind(bind.dn, bind.password);
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`samba LDAP did not answer in ${timeoutMs} ms: ${(err as Error).message}`);
      }
    } finally {
      await client.unbind().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/**
 * Closes samba's stdin (it exits on EOF), then SIGTERM and SIGKILL if it lingers; then ends any
 * worker left in its process group (spawned detached, so the group is its own), since workers
 * still writing would race the removal of the folder.
 */
export async function stopSamba(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end();
    const steps: NodeJS.Signals[] = ['SIGTERM', 'SIGKILL'];
    for (const step of steps) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), 5_000);
      });
      const outcome = await Promise.race([done, late]);
      clearTimeout(timer);
      if (outcome !== 'late') break;
      child.kill(step);
    }
    await done;
  }
  if (child.pid !== undefined) await endGroup(child.pid);
}

async function endGroup(leader: number): Promise<void> {
  for (const step of ['SIGTERM', 'SIGKILL'] as const) {
    signal(-leader, step);
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      if (!groupRuns(leader)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

interface Marker {
  pid: number;
  dir: string;
  owner: number;
}

function readMarker(): Marker | undefined {
  try {
    const text = readFileSync(MARKER, 'utf8');
    const { pid, dir, owner } = JSON.parse(text) as Partial<Record<keyof Marker, unknown>>;
    if (typeof pid === 'number' && typeof dir === 'string') {
      return { pid, dir, owner: typeof owner === 'number' ? owner : 0 };
    }
  } catch {
    // Absent or unreadable: nothing to stop.
  }
  return undefined;
}

function isSamba(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.includes('samba');
  } catch {
    return false;
  }
}

/**
 * True while a process of the group runs. Zombies do not count: the workers' parents die with
 * samba, and reaping the orphans is up to init, which may take a while.
 */
function groupRuns(group: number): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // After the command in parentheses: state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === group && state !== 'Z') return true;
    } catch {
      // Gone while scanning.
    }
  }
  return false;
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isSamba(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isSamba(pid);
}
