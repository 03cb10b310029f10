/**
 * The lab domain controller's process: a marker file naming the running one (so a run killed
 * before its stop() does not block the fixed LDAP ports for the next), and waiting for LDAP.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from 'ldapts';

/** Where the running lab DC's pid and folder are noted. */
export const MARKER = join(tmpdir(), 'callsign-samba-dc.json');

export function writeMarker(pid: number, dir: string): void {
  writeFileSync(MARKER, JSON.stringify({ pid, dir }));
}

export function removeMarker(pid: number): void {
  if (readMarker()?.pid === pid) rmSync(MARKER, { force: true });
}

/**
 * Stops a lab DC left by an earlier run (found by the marker), if it is still a samba process,
 * and removes its folder when it was a temporary one. Resolves when it is gone.
 */
export async function stopLeftover(): Promise<void> {
  const marker = readMarker();
  if (marker === undefined) return;
  if (isSamba(marker.pid)) {
    signal(marker.pid, 'SIGTERM');
    if (!(await exited(marker.pid, 5_000))) {
      signal(marker.pid, 'SIGKILL');
      await exited(marker.pid, 5_000);
    }
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

/** Closes samba's stdin (it exits on EOF), then SIGTERM and SIGKILL if it lingers. */
export async function stopSamba(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const steps: NodeJS.Signals[] = ['SIGTERM', 'SIGKILL'];
  for (const step of steps) {
    const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 5_000));
    if ((await Promise.race([done, timer])) !== 'late') return;
    child.kill(step);
  }
  await done;
}

function readMarker(): { pid: number; dir: string } | undefined {
  try {
    const value = JSON.parse(readFileSync(MARKER, 'utf8')) as { pid?: unknown; dir?: unknown };
    if (typeof value.pid === 'number' && typeof value.dir === 'string') {
      return { pid: value.pid, dir: value.dir };
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
