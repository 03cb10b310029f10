/**
 * The Debian packages Callsign's lab servers need (slapd, ldap-utils, kamailio with SQLite
 * modules, sip-tester), checked from Node and installed through scripts/install-system-deps.sh
 * so that a fresh machine and CI take the same path.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { CallsignError, ErrorCode } from '../core/errors.ts';

export interface MissingDep {
  pkg: string;
  /**
   * The program (or Kamailio module file, or absolute data file) whose absence shows the
   * package is missing.
   */
  binary: string;
}

export interface CheckSystemDepsOptions {
  /** Where programs are looked for; default `$PATH` plus /usr/sbin and /sbin. */
  path?: string;
  /** Where Kamailio modules are looked for; default /usr/lib/{arch}/kamailio/modules. */
  moduleDirs?: string[];
}

/** The packages whose program or module file is absent. */
export function checkSystemDeps(options: CheckSystemDepsOptions = {}): { missing: MissingDep[] } {
  const pathDirs = (options.path ?? defaultPath()).split(delimiter).filter((d) => d !== '');
  const moduleDirs = options.moduleDirs ?? defaultModuleDirs();
  const missing: MissingDep[] = [];

  for (const dep of SYSTEM_DEPS) {
    const dirs = dep.module ? moduleDirs : pathDirs;
    const found = isAbsolute(dep.binary)
      ? existsSync(dep.binary)
      : dirs.some((dir) => existsSync(join(dir, dep.binary)));
    if (!found) {
      missing.push({ pkg: dep.pkg, binary: dep.binary });
    }
  }
  return { missing };
}

export interface EnsureSystemDepsOptions extends CheckSystemDepsOptions {
  /** Run the install script when something is missing (it installs only as root). */
  install: boolean;
  log: Logger;
}

/**
 * Resolves when every package is present, installing through the script when allowed.
 * Throws CallsignError(config) naming the missing packages otherwise.
 */
export async function ensureSystemDeps(options: EnsureSystemDepsOptions): Promise<void> {
  const before = checkSystemDeps(options);
  if (before.missing.length === 0) return;

  const packages = before.missing.map((m) => m.pkg);
  if (!options.install) {
    throw missingError(packages, 'run scripts/install-system-deps.sh as root');
  }

  options.log.info({ packages, script: INSTALL_SCRIPT }, 'installing system packages');
  const code = await runScript(options);
  const after = checkSystemDeps(options);
  if (code !== 0 || after.missing.length > 0) {
    const still = after.missing.map((m) => m.pkg);
    throw missingError(still.length > 0 ? still : packages, `install script exited ${code}`);
  }
  options.log.info({ packages }, 'system packages installed');
}

/** Path of the install script, for messages and for callers that run it themselves. */
export const INSTALL_SCRIPT = fileURLToPath(
  new URL('../../scripts/install-system-deps.sh', import.meta.url),
);

const SYSTEM_DEPS: readonly { pkg: string; binary: string; module?: true }[] = [
  { pkg: 'slapd', binary: 'slapd' },
  { pkg: 'ldap-utils', binary: 'ldapsearch' },
  { pkg: 'kamailio', binary: 'kamailio' },
  { pkg: 'kamailio-sqlite-modules', binary: 'db_sqlite.so', module: true },
  { pkg: 'sip-tester', binary: 'sipp' },
  // samba-ad-dc depends on samba-dsdb-modules and winbind; provisioning templates are apart.
  { pkg: 'samba-ad-dc', binary: 'samba' },
  { pkg: 'samba-common-bin', binary: 'samba-tool' },
  { pkg: 'samba-ad-provision', binary: '/usr/share/samba/setup/provision.ldif' },
  { pkg: 'winbind', binary: 'winbindd' },
];

function defaultPath(): string {
  // slapd and kamailio live in /usr/sbin, which a non-root PATH often lacks.
  return [process.env.PATH ?? '', '/usr/sbin', '/sbin'].join(delimiter);
}

function defaultModuleDirs(): string[] {
  const arches = existsSync('/usr/lib') ? readdirSync('/usr/lib') : [];
  return [
    ...arches.map((arch) => join('/usr/lib', arch, 'kamailio', 'modules')),
    '/usr/lib/kamailio/modules',
  ];
}

function missingError(packages: string[], hint: string): CallsignError {
  return new CallsignError(
    ErrorCode.Config,
    `Debian packages missing: ${packages.join(', ')} (${hint})`,
    { details: { packages } },
  );
}

function runScript(options: EnsureSystemDepsOptions): Promise<number> {
  const env = { ...process.env };
  if (options.path !== undefined) env.CALLSIGN_DEPS_PATH = options.path;
  if (options.moduleDirs !== undefined) {
    env.CALLSIGN_DEPS_MODULE_DIRS = options.moduleDirs.join(':');
  }

  return new Promise((resolve, reject) => {
    const child = spawn('bash', [INSTALL_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (level: 'info' | 'warn') => (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') options.log[level]({ line }, 'install script output');
      }
    };
    child.stdout.on('data', forward('info'));
    child.stderr.on('data', forward('warn'));
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
}
