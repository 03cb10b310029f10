/**
 * A real Samba 4 Active Directory domain controller for tests: real objectGUID, uSNChanged,
 * userAccountControl, DirSync and tombstones. Only its LDAP service runs, on loopback, on AD's
 * fixed ports (389, 636, 3268), so one runs at a time. Needs root and the samba-ad-dc packages
 * (scripts/install-system-deps.sh); `sambaUnavailable()` says why a test must skip.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  claimPorts,
  portTaken,
  removeMarker,
  stopSamba,
  waitForLdap,
  writeMarker,
} from './samba/process.ts';
import { adoptTlsKeys, copyTemplate, run, type SambaTools } from './samba/template.ts';

export interface StartSambaDcOptions {
  /** Folder for the domain's databases, config, pid and logs; a temporary one if absent. */
  dir?: string;
  /** Server certificate, key and CA (PEM) for ldaps:// on 636, instead of Samba's own. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

/** A running lab domain controller. */
export interface SambaDc {
  url: 'ldap://127.0.0.1:389';
  ldapsUrl: 'ldaps://127.0.0.1:636';
  /** Kerberos realm, e.g. CALLSIGN.TEST. */
  realm: string;
  /** The domain naming context, e.g. DC=callsign,DC=test. */
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  /** CN=Users under the domain. */
  usersDn: string;
  pid: number;
  dir: string;
  /**
   * Runs samba-tool with this DC's smb.conf (`-s`), so user/group commands act on its local
   * sam.ldb unless args give `-H`; resolves stdout.
   */
  tool(args: string[]): Promise<string>;
  /** Stops the DC (stdin EOF, then SIGTERM, SIGKILL) and removes a temporary folder. */
  stop(): Promise<void>;
}

/** Why no lab DC can run here (not root, packages missing), or undefined when it can. */
export function sambaUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the Samba AD DC needs root (it binds ports 389/636)';
  if (findSamba() === undefined) {
    return 'samba-ad-dc is not installed (run scripts/install-system-deps.sh as root)';
  }
  return undefined;
}

/** Provisions (from a cached template) and starts a DC; resolves once LDAP answers a bind. */
export async function startSambaDc(options: StartSambaDcOptions = {}): Promise<SambaDc> {
  const reason = sambaUnavailable();
  if (reason !== undefined) throw new Error(`Cannot start a Samba DC: ${reason}`);
  const tools = findSamba()!;

  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'callsign-samba-dc-'));
  try {
    await claimPorts(dir);
    for (const port of PORTS) {
      if (await portTaken(port)) {
        throw new Error(`Cannot start a Samba DC: 127.0.0.1:${port} is in use by another server`);
      }
    }
    const { domain, template } = await copyTemplate(tools, dir);
    const conf = join(dir, 'etc', 'smb.conf');
    if (options.tls !== undefined) useTlsFiles(conf, dir, options.tls);
    const out = openSync(join(dir, 'log', 'samba.out'), 'a');
    // Interactive mode keeps samba in the foreground and ends it when its stdin closes, so the
    // DC dies with the test process even when that is killed. Its own process group lets
    // stop() end the workers too.
    const child = spawn(tools.samba, ['-s', conf, '-i'], {
      stdio: ['pipe', out, out],
      detached: true,
    });
    closeSync(out);
    writeMarker(child.pid!, dir);

    const adminDn = `CN=Administrator,CN=Users,${domain.baseDn}`;
    const url = 'ldap://127.0.0.1:389' as const;
    try {
      await waitForLdap(child, { url, dn: adminDn, password: domain.adminPassword }, 60_000);
    } catch (err) {
      await stopSamba(child);
      throw new Error(`${(err as Error).message} (log: ${join(dir, 'log')})`);
    }
    adoptTlsKeys(template, dir);

    const onExit = () => child.kill('SIGKILL');
    process.once('exit', onExit);
    return {
      url,
      ldapsUrl: 'ldaps://127.0.0.1:636',
      realm: domain.realm,
      baseDn: domain.baseDn,
      adminDn,
      adminPassword: domain.adminPassword,
      usersDn: `CN=Users,${domain.baseDn}`,
      pid: child.pid!,
      dir,
      tool: (args) => run(tools.sambaTool, [...args, '-s', conf], 60_000),
      stop: async () => {
        process.removeListener('exit', onExit);
        await stopSamba(child);
        removeMarker();
        if (ownDir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    removeMarker();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

const PORTS = [389, 636, 3268];

/**
 * Points the DC's TLS at the given certificate and key. Samba refuses a key file others can
 * read, so the key is copied into the DC's folder with mode 0600.
 */
function useTlsFiles(conf: string, dir: string, tls: NonNullable<StartSambaDcOptions['tls']>) {
  const keyFile = join(dir, 'private', 'lab-tls.key');
  copyFileSync(tls.keyFile, keyFile);
  chmodSync(keyFile, 0o600);
  const settings = [
    '\ttls enabled = yes',
    `\ttls keyfile = ${keyFile}`,
    `\ttls certfile = ${tls.certFile}`,
    `\ttls cafile = ${tls.caFile}`,
  ];
  const text = readFileSync(conf, 'utf8').replace(/^\[global\]\s*$/m, (g) =>
    [g, ...settings].join('\n'),
  );
  writeFileSync(conf, text, { mode: 0o644 });
}

function findSamba(): SambaTools | undefined {
  const dirs = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];
  const pathDirs = (process.env.PATH ?? '').split(':').filter((d) => d !== '');
  const find = (name: string) =>
    [...dirs, ...pathDirs].map((d) => join(d, name)).find((file) => existsSync(file));
  const samba = find('samba');
  const sambaTool = find('samba-tool');
  // Provisioning needs the templates from samba-ad-provision.
  const templates = existsSync('/usr/share/samba/setup/provision.ldif');
  if (samba === undefined || sambaTool === undefined || !templates) return undefined;
  return { samba, sambaTool };
}
