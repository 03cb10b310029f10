/**
 * A throwaway Kamailio for tests and the demo: its own SQLite database built from Debian's
 * schema scripts, its own small config (src/lab/kamailio/kamailio.cfg), on 127.0.0.1 at a free
 * high port, stopped by PID.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { freeSipPort } from './kamailio/ports.ts';

export interface LabKamailio {
  /** The SQLite file Kamailio reads (KamailioTargetConfig.database). */
  dbPath: string;
  domain: string;
  sipPort: number;
  /** JSON-RPC over HTTP on the SIP TCP port. */
  rpcUrl: string;
  pid: number;
  /** Stops Kamailio (SIGTERM, then SIGKILL after 5 s) and removes a folder it created. */
  stop(): Promise<void>;
}

export interface StartKamailioOptions {
  /** Folder for config, database and log; a new temporary one (removed on stop) by default. */
  dir?: string;
  /** Default: a free port on 127.0.0.1 for both UDP and TCP. */
  sipPort?: number;
  /** SIP domain of subscribers and aliases. Default `callsign.test`. */
  domain?: string;
}

/** Starts a lab Kamailio and resolves once it answers JSON-RPC `core.version`. */
export async function startKamailio(options: StartKamailioOptions = {}): Promise<LabKamailio> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'callsign-kamailio-')));
  await mkdir(dir, { recursive: true });
  const domain = options.domain ?? 'callsign.test';
  const sipPort = options.sipPort ?? (await freeSipPort());
  const dbPath = join(dir, 'kamailio.db');
  const cfgPath = join(dir, 'kamailio.cfg');

  if (!existsSync(dbPath)) await createDatabase(dbPath);
  await writeFile(cfgPath, await renderConfig({ dbPath, domain, sipPort }));
  await checkConfig(cfgPath);

  const child = spawn(KAMAILIO, ['-f', cfgPath, '-DD', '-E', '-Y', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log = captureLog(child, join(dir, 'kamailio.log'));
  const rpcUrl = `http://127.0.0.1:${sipPort}/RPC`;
  const stop = async () => {
    await stopChild(child);
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilAnswering(rpcUrl, child, log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dbPath, domain, sipPort, rpcUrl, pid: child.pid ?? -1, stop };
}

const KAMAILIO = 'kamailio';
const SCHEMA_DIR = '/usr/share/kamailio/db_sqlite';
/** The tables the config uses: version, subscriber, location(+attrs), dbaliases. */
const SCHEMA_SCRIPTS = ['standard', 'auth_db', 'usrloc', 'alias_db'];
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const execFileAsync = promisify(execFile);

async function createDatabase(dbPath: string): Promise<void> {
  const db = new Database(dbPath);
  try {
    // WAL lets Kamailio read while Callsign writes; db_sqlite sets no busy timeout of its own.
    db.pragma('journal_mode = WAL');
    for (const name of SCHEMA_SCRIPTS) {
      db.exec(await readFile(join(SCHEMA_DIR, `${name}-create.sql`), 'utf8'));
    }
    // Kamailio 5.x dropped `rpid` from `subscriber`; auth_db can still load it as a
    // credential, and the connector keeps the display name there.
    db.exec('ALTER TABLE subscriber ADD COLUMN rpid VARCHAR(128) DEFAULT NULL');
  } finally {
    db.close();
  }
}

async function renderConfig(values: { dbPath: string; domain: string; sipPort: number }) {
  if (!/^[A-Za-z0-9.-]+$/.test(values.domain)) {
    throw new Error(`Lab Kamailio domain '${values.domain}' is not a plain host name`);
  }
  const template = await readFile(new URL('./kamailio/kamailio.cfg', import.meta.url), 'utf8');
  return template
    .replaceAll('@@PORT@@', String(values.sipPort))
    .replaceAll('@@DOMAIN@@', values.domain)
    .replaceAll('@@DB@@', values.dbPath);
}

async function checkConfig(cfgPath: string): Promise<void> {
  try {
    await execFileAsync(KAMAILIO, ['-f', cfgPath, '-c'], { timeout: 10_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`Kamailio refused config ${cfgPath}: ${lastLines(stderr, 8)}`, {
      cause: err,
    });
  }
}

interface LogTail {
  text(): string;
}

function captureLog(child: ChildProcess, file: string): LogTail {
  const out = createWriteStream(file, { flags: 'a' });
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    out.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  });
  child.once('exit', () => out.end());
  return { text: () => tail };
}

async function waitUntilAnswering(rpcUrl: string, child: ChildProcess, log: LogTail) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Kamailio exited while starting: ${lastLines(log.text(), 8)}`);
    }
    try {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        body: JSON.stringify({ jsonrpc: '2.0', method: 'core.version', id: 1 }),
        signal: AbortSignal.timeout(1000),
      });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Kamailio did not answer ${rpcUrl} within ${READY_TIMEOUT_MS} ms`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join(' | ');
}
