/**
 * A real, throwaway OpenLDAP for tests and the demo. cn=config is built offline with slapadd,
 * the server listens on a free loopback port, and it is stopped by its PID. A service account
 * (not the rootdn) reads people and writes phone attributes, so size limits and ACLs apply as
 * they do for Callsign in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  checkSuffix,
  configLdif,
  dataLdif,
  type LabGroup,
  type LabLayout,
  type LabTls,
} from './slapd/config.ts';
import { LabDirectory } from './slapd/lab-directory.ts';
import { runTool } from './slapd/run-tool.ts';
import type { LabPerson } from './slapd/person-entry.ts';

export type { LabPerson } from './slapd/person-entry.ts';
export type { LabGroup } from './slapd/config.ts';
export { generateLabPeople } from './slapd/people.ts';
export { LabDirectory } from './slapd/lab-directory.ts';

export interface StartSlapdOptions {
  /** Folder for config, data and pid file; a new temporary one (removed on stop) if absent. */
  dir?: string;
  /** Loopback port; a free one if absent. */
  port?: number;
  /** Default `dc=example,dc=com`. */
  suffix?: string;
  people?: LabPerson[];
  /** AD-like limits: non-paged searches by anyone but the rootdn stop at 1,000 entries. */
  adLimits?: boolean;
  /** Attributes under People the service account may write; default `telephoneNumber`. */
  writableAttributes?: string[];
  /** Fixed service account password (a demo config, a restart); random if absent. */
  servicePassword?: string;
  /** Server certificate and key (PEM): StartTLS on the ldap:// port, and an ldaps:// port. */
  tls?: LabTls;
  /** Loopback port for ldaps:// (with `tls`); a free one if absent. */
  tlsPort?: number;
  /** Groups under `ou=Groups,<suffix>` (groupOfNames), readable by the service account. */
  groups?: LabGroup[];
  /** The memberof overlay, for groups added over LDAP after start (see LabLayout). */
  memberOf?: boolean;
}

/** A running lab server. */
export interface SlapdLab {
  url: string;
  /** `ldaps://127.0.0.1:PORT/` when started with `tls`. */
  ldapsUrl?: string;
  suffix: string;
  adminDn: string;
  adminPassword: string;
  /** The account Callsign should bind as. */
  serviceDn: string;
  servicePassword: string;
  peopleDn: string;
  /** PID of the current slapd process (changes on restart). */
  readonly pid: number;
  dir: string;
  /** Changes people at runtime as the admin: add, modify, disable, enable, delete by uid. */
  people: LabDirectory;
  /** Kills the server with SIGKILL, as a crash would; config and data stay for `restart`. */
  kill(): Promise<void>;
  /** Starts slapd again on the same ports, config and data; resolves once it answers. */
  restart(): Promise<void>;
  /** Stops the server (SIGTERM, SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface SlapdTools {
  slapd: string;
  slapadd: string;
  schemaDir: string;
  /** Folder of back_mdb/syncprov modules; absent when they are built into slapd. */
  modulePath?: string;
}

/** Finds slapd, slapadd and the schema folder; undefined when OpenLDAP is not installed. */
export function findSlapd(): SlapdTools | undefined {
  const binDirs = ['/usr/sbin', '/usr/local/sbin', '/usr/libexec', '/usr/local/libexec'];
  const pathDirs = (process.env.PATH ?? '').split(':').filter((d) => d !== '');
  const binDir = [...binDirs, ...pathDirs].find(
    (d) => existsSync(join(d, 'slapd')) && existsSync(join(d, 'slapadd')),
  );
  const schemaDir = SCHEMA_DIRS.find((d) => existsSync(join(d, 'inetorgperson.ldif')));
  if (binDir === undefined || schemaDir === undefined) return undefined;

  const modulePath = MODULE_DIRS.find((d) => readdirSafe(d).some((f) => f.startsWith('back_mdb')));
  const tools: SlapdTools = {
    slapd: join(binDir, 'slapd'),
    slapadd: join(binDir, 'slapadd'),
    schemaDir,
  };
  if (modulePath !== undefined) tools.modulePath = modulePath;
  return tools;
}

/** Builds and starts a lab slapd; resolves once it answers a bind. */
export async function startSlapd(options: StartSlapdOptions = {}): Promise<SlapdLab> {
  const tools = findSlapd();
  if (tools === undefined) {
    throw new Error('OpenLDAP slapd is not installed (looked for slapd and slapadd in /usr/sbin)');
  }
  const suffix = options.suffix ?? 'dc=example,dc=com';
  checkSuffix(suffix);

  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'callsign-slapd-'));
  const layout = prepare(dir, suffix, options, tools);
  try {
    await runTool(tools.slapadd, ['-n', '0', '-F', `${dir}/slapd.d`, '-l', `${dir}/config.ldif`]);
    const data = ['-q', '-n', '1', '-F', `${dir}/slapd.d`, '-l', `${dir}/data.ldif`];
    await runTool(tools.slapadd, data);
    const ports = { port: options.port, tlsPort: options.tlsPort };
    return await launch(layout, tools.slapd, { ...ports, ownDir });
  } catch (err) {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

const SCHEMA_DIRS = ['/etc/ldap/schema', '/etc/openldap/schema', '/usr/local/etc/openldap/schema'];
const MODULE_DIRS = [
  '/usr/lib/ldap',
  '/usr/lib64/openldap',
  '/usr/lib/openldap',
  '/usr/libexec/openldap',
  '/usr/local/libexec/openldap',
];

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function prepare(dir: string, suffix: string, options: StartSlapdOptions, tools: SlapdTools) {
  if (readdirSafe(join(dir, 'slapd.d')).length > 0) {
    throw new Error(`Lab folder ${dir} already holds a slapd configuration`);
  }
  mkdirSync(join(dir, 'slapd.d'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });

  const layout: LabLayout = {
    dir,
    suffix,
    adminDn: `cn=admin,${suffix}`,
    adminPassword: randomBytes(12).toString('hex'),
    serviceDn: `cn=callsign,ou=Services,${suffix}`,
    servicePassword: options.servicePassword ?? randomBytes(12).toString('hex'),
    peopleDn: `ou=People,${suffix}`,
    adLimits: options.adLimits ?? false,
    writableAttributes: options.writableAttributes ?? ['telephoneNumber'],
    schemaDir: tools.schemaDir,
  };
  if (options.tls !== undefined) layout.tls = options.tls;
  if (options.groups !== undefined) layout.groups = options.groups;
  if (options.memberOf === true) layout.memberOf = true;
  if (tools.modulePath !== undefined) layout.modulePath = tools.modulePath;
  writeFileSync(join(dir, 'config.ldif'), configLdif(layout), { mode: 0o600 });
  writeFileSync(join(dir, 'data.ldif'), dataLdif(layout, options.people ?? []), { mode: 0o600 });
  return layout;
}

interface LaunchOptions {
  port: number | undefined;
  tlsPort: number | undefined;
  ownDir: boolean;
}

interface Running {
  child: ChildProcess;
  url: string;
  ldapsUrl: string | undefined;
  directory: LabDirectory;
}

async function launch(layout: LabLayout, slapd: string, options: LaunchOptions) {
  const running = await spawnSlapd(layout, slapd, options);
  return handle(layout, slapd, running, options.ownDir);
}

async function spawnSlapd(
  layout: LabLayout,
  slapd: string,
  options: LaunchOptions,
): Promise<Running> {
  // A port picked free can be taken before slapd binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const url = `ldap://127.0.0.1:${port}/`;
    const tlsPort = layout.tls === undefined ? undefined : (options.tlsPort ?? (await freePort()));
    const ldapsUrl = tlsPort === undefined ? undefined : `ldaps://127.0.0.1:${tlsPort}/`;
    const listen = ldapsUrl === undefined ? url : `${url} ${ldapsUrl}`;
    const child = spawn(slapd, ['-d', '0', '-F', `${layout.dir}/slapd.d`, '-h', listen], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const stderr = collectTail(child);
    const directory = new LabDirectory({ ...layout, url });
    const ready = await directory.waitUntilAnswering(child, 10_000);
    if (ready) return { child, url, ldapsUrl, directory };

    await stopChild(child);
    const fixed = options.port !== undefined || options.tlsPort !== undefined;
    if (fixed || attempt >= 3) {
      if (options.ownDir) rmSync(layout.dir, { recursive: true, force: true });
      throw new Error(`slapd did not start on ${listen}: ${stderr().trim() || 'no output'}`);
    }
  }
}

function handle(layout: LabLayout, slapd: string, first: Running, ownDir: boolean): SlapdLab {
  let { child } = first;
  // If the test process exits without stop(), the server must not outlive it.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const port = Number(new URL(first.url).port);
  const tlsPort = first.ldapsUrl === undefined ? undefined : Number(new URL(first.ldapsUrl).port);

  const lab: SlapdLab = {
    url: first.url,
    suffix: layout.suffix,
    adminDn: layout.adminDn,
    adminPassword: layout.adminPassword,
    serviceDn: layout.serviceDn,
    servicePassword: layout.servicePassword,
    peopleDn: layout.peopleDn,
    get pid() {
      return child.pid!;
    },
    dir: layout.dir,
    people: first.directory,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    restart: async () => {
      await stopChild(child);
      // Keep the folder even when it is ours: it holds the data being restarted.
      ({ child } = await spawnSlapd(layout, slapd, { port, tlsPort, ownDir: false }));
    },
    stop: async () => {
      process.removeListener('exit', onExit);
      await stopChild(child);
      if (ownDir) rmSync(layout.dir, { recursive: true, force: true });
    },
  };
  if (first.ldapsUrl !== undefined) lab.ldapsUrl = first.ldapsUrl;
  return lab;
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function collectTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
  });
  return () => tail;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
