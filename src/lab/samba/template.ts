/**
 * A provisioned Samba AD domain, cached. `samba-tool domain provision` takes over ten seconds,
 * so one provisioned folder is kept under the temporary folder, keyed by the Samba version, and
 * every lab domain controller starts from a copy of it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a provisioned domain is; stored beside it as callsign.json. */
export interface SambaDomain {
  realm: string;
  /** NetBIOS domain name. */
  domain: string;
  baseDn: string;
  adminPassword: string;
  /** The folder the template was provisioned in; smb.conf names it and is rewritten on copy. */
  builtIn: string;
}

export interface SambaTools {
  samba: string;
  sambaTool: string;
}

/**
 * Copies the cached template (building it first if needed) into dir, fixing its paths.
 * Resolves the domain and the template's folder.
 */
export async function copyTemplate(
  tools: SambaTools,
  dir: string,
): Promise<{ domain: SambaDomain; template: string }> {
  const template = await ensureTemplate(tools);
  const domain = readDomain(template);
  mkdirSync(dir, { recursive: true });
  cpSync(template, dir, { recursive: true });
  const conf = join(dir, 'etc', 'smb.conf');
  const text = readFileSync(conf, 'utf8').replaceAll(domain.builtIn, dir);
  writeFileSync(conf, text, { mode: 0o644 });
  return { domain, template };
}

/** Keeps the TLS keys Samba generated on a first start, so later copies skip that step. */
export function adoptTlsKeys(template: string, fromDir: string): void {
  const target = join(template, 'private', 'tls');
  const source = join(fromDir, 'private', 'tls');
  if (existsSync(target) || !existsSync(join(source, 'key.pem'))) return;
  try {
    cpSync(source, target, { recursive: true });
  } catch {
    // Only a speed-up: the next copy generates its own keys.
  }
}

/** Runs a program to completion; resolves its stdout; its stderr goes into the error. */
export function run(file: string, args: string[], timeout = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout);
      else {
        const output = `${stderr}`.trim() || `${stdout}`.trim() || err.message;
        reject(new Error(`${file} ${args.join(' ')} failed: ${output}`));
      }
    });
  });
}

const REALM = 'CALLSIGN.TEST';
const DOMAIN = 'CALLSIGN';

async function ensureTemplate(tools: SambaTools): Promise<string> {
  const version = (await run(tools.samba, ['--version'])).trim();
  const key = version.replace(/[^A-Za-z0-9.+-]+/g, '_');
  const template = join(tmpdir(), `callsign-samba-template-${key}`);
  if (existsSync(join(template, 'callsign.json'))) return template;

  // Built beside its final place and renamed into it, so a run killed half way leaves no
  // half-provisioned template behind, and two runs racing both end up with a whole one.
  const building = `${template}.build-${process.pid}-${randomBytes(3).toString('hex')}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  try {
    await provision(tools, building);
    renameSync(building, template);
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    if (existsSync(join(template, 'callsign.json'))) return template;
    throw err;
  }
  return template;
}

async function provision(tools: SambaTools, dir: string): Promise<void> {
  // Letters, digits and symbols from each class, as AD's default complexity rule requires.
  const adminPassword = `Cs-${randomBytes(9).toString('base64url')}-9a`;
  await run(tools.sambaTool, [
    'domain',
    'provision',
    `--targetdir=${dir}`,
    `--realm=${REALM}`,
    `--domain=${DOMAIN}`,
    '--server-role=dc',
    '--dns-backend=NONE',
    `--adminpass=${adminPassword}`,
    '--option=interfaces=lo',
    '--option=bind interfaces only=yes',
  ]);
  for (const sub of ['run', 'log']) mkdirSync(join(dir, sub), { recursive: true });

  const conf = join(dir, 'etc', 'smb.conf');
  writeFileSync(conf, labSettings(readFileSync(conf, 'utf8'), dir));
  const baseDn = REALM.split('.')
    .map((part) => `DC=${part.toLowerCase()}`)
    .join(',');
  const domain: SambaDomain = { realm: REALM, domain: DOMAIN, baseDn, adminPassword, builtIn: dir };
  writeFileSync(join(dir, 'callsign.json'), JSON.stringify(domain), { mode: 0o600 });
}

/**
 * Only the LDAP service (no SMB, Kerberos or DNS ports taken on the host), simple binds over
 * plain LDAP (tests bind with a password on loopback), and pid and log files in the folder.
 */
function labSettings(conf: string, dir: string): string {
  const settings = [
    '\tserver services = ldap',
    '\tldap server require strong auth = no',
    `\tpid directory = ${dir}/run`,
    `\tlog file = ${dir}/log/log.%m`,
  ];
  const kept = conf
    .split('\n')
    .filter((line) => !/^\s*(server services|log file|pid directory)\s*=/.test(line));
  const global = kept.findIndex((line) => line.trim() === '[global]');
  kept.splice(global + 1, 0, ...settings);
  return kept.join('\n');
}

function readDomain(template: string): SambaDomain {
  return JSON.parse(readFileSync(join(template, 'callsign.json'), 'utf8')) as SambaDomain;
}
