/**
 * SIPp (Debian's `sip-tester`) against the lab Kamailio: a REGISTER with digest auth proves an
 * extension's credentials, a call through the proxy to a registered SIPp callee proves that an
 * extension or its DID reaches the extension. Scenario files are in src/lab/kamailio/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeUdpPort, waitUdpBound } from './kamailio/ports.ts';

export interface RegisterOptions {
  sipPort: number;
  domain: string;
  user: string;
  password: string;
  /** Seconds the registration lasts. Default 300. */
  expires?: number;
  /** UDP port SIPp sends from, which becomes the registered contact. Default: a free one. */
  localPort?: number;
  timeoutMs?: number;
}

export interface RegisterResult {
  /** The registrar answered 200. */
  ok: boolean;
  /** Final status of the authenticated REGISTER (200, 401, 403); absent when none came. */
  status?: number;
}

/** REGISTERs `user@domain` at the lab Kamailio on 127.0.0.1:sipPort. */
export async function register(options: RegisterOptions): Promise<RegisterResult> {
  const { domain, user, password } = checkFields({
    domain: options.domain,
    user: options.user,
    password: options.password,
  });
  const expires = options.expires ?? 300;
  const row = [user, credentials(user, password), domain, String(expires)];

  const run = await runSipp({
    scenario: 'register.xml',
    args: [`127.0.0.1:${options.sipPort}`],
    csvRow: row,
    localPort: options.localPort ?? (await freeUdpPort()),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const statuses = [...run.log.matchAll(/status=SIP\/2\.0 (\d{3})/g)].map((m) => Number(m[1]));
  const status = statuses.at(-1);
  return { ok: status === 200, ...(status === undefined ? {} : { status }) };
}

export interface CallOptions {
  sipPort: number;
  domain: string;
  /** The caller. Without a password the call comes from outside the domain (no auth). */
  fromUser: string;
  fromPassword?: string;
  /** Number dialled: an extension or a DID (E.164 with +). */
  to: string;
  /** The extension that should ring; a SIPp registers as it and answers. */
  callee: { user: string; password: string };
  timeoutMs?: number;
}

export interface CallResult {
  /** The call was answered by the callee and hung up cleanly. */
  ok: boolean;
  /** Request-URI of the INVITE the callee received. */
  reached?: string;
  /** The proxy's failure status when the call did not connect (404, 403, 407…). */
  status?: number;
  /** Set when the callee could not register (its REGISTER status). */
  calleeRegisterStatus?: number;
}

/** Registers a SIPp callee as `callee.user`, then calls `to` through the proxy. */
export async function call(options: CallOptions): Promise<CallResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { domain, fromUser, to } = checkFields({
    domain: options.domain,
    fromUser: options.fromUser,
    to: options.to,
  });
  const calleePort = await freeUdpPort();
  const registered = await register({
    ...options.callee,
    sipPort: options.sipPort,
    domain,
    localPort: calleePort,
    expires: 60,
    timeoutMs,
  });
  if (!registered.ok) {
    return { ok: false, ...pick('calleeRegisterStatus', registered.status) };
  }

  const callee = startSipp({ scenario: 'uas.xml', args: [], localPort: calleePort, timeoutMs });
  try {
    if (!(await waitUdpBound(calleePort, 3000))) return { ok: false };
    const auth =
      options.fromPassword === undefined
        ? 'X-Callsign-Auth: none'
        : credentials(fromUser, checkFields({ fromPassword: options.fromPassword }).fromPassword);
    const fromDomain = options.fromPassword === undefined ? OUTSIDE_DOMAIN : domain;
    const caller = await runSipp({
      scenario: 'caller.xml',
      args: [`127.0.0.1:${options.sipPort}`],
      csvRow: [fromUser, fromDomain, auth, to, domain],
      localPort: await freeUdpPort(),
      timeoutMs,
    });
    // A call that failed at the proxy never reaches the callee: do not wait out its timeout.
    if (caller.code !== 0) await callee.kill();
    const answered = await callee.done;
    const reached = /invite=(\S+)/.exec(answered.log)?.[1];
    const status = /received 'SIP\/2\.0 (\d{3})/.exec(caller.output)?.[1];
    return {
      ok: caller.code === 0 && answered.code === 0,
      ...pick('reached', reached),
      ...pick('status', status === undefined ? undefined : Number(status)),
    };
  } finally {
    await callee.kill();
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** From domain of an unauthenticated caller: an outside party, as over a trunk. */
const OUTSIDE_DOMAIN = 'outside.invalid';
const SCENARIOS = fileURLToPath(new URL('./kamailio/', import.meta.url));

interface SippRun {
  code: number;
  /** Lines written by the scenario's <log> actions. */
  log: string;
  /** Tail of SIPp's own screen output, which names an unexpected message. */
  output: string;
}

interface SippOptions {
  scenario: string;
  args: string[];
  csvRow?: string[];
  localPort: number;
  timeoutMs: number;
}

async function runSipp(options: SippOptions): Promise<SippRun> {
  const run = startSipp(options);
  try {
    return await run.done;
  } finally {
    await run.kill();
  }
}

/** Starts one SIPp for one call in its own temporary folder; `done` settles when it exits. */
function startSipp(options: SippOptions): { done: Promise<SippRun>; kill(): Promise<void> } {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  let killed = false;

  const done = (async () => {
    dir = await mkdtemp(join(tmpdir(), 'callsign-sipp-'));
    const logFile = join(dir, 'actions.log');
    const args = [
      ...options.args,
      ...['-sf', join(SCENARIOS, options.scenario), '-m', '1', '-t', 'u1', '-nostdin'],
      ...['-i', '127.0.0.1', '-p', String(options.localPort)],
      ...['-trace_logs', '-log_file', logFile],
      ...['-timeout', `${Math.ceil(options.timeoutMs / 1000)}s`, '-timeout_error'],
    ];
    if (options.csvRow !== undefined) {
      const csv = join(dir, 'fields.csv');
      await writeFile(csv, `SEQUENTIAL\n${options.csvRow.join(';')}\n`, { mode: 0o600 });
      args.push('-inf', csv);
    }

    if (killed) return { code: -1, log: '', output: 'killed before start' };
    const proc = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    // SIPp's own -timeout should end it; this is the backstop if it hangs.
    const backstop = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs + 3000);
    const code = await new Promise<number>((resolve, reject) => {
      proc.once('error', reject);
      proc.once('close', (exit) => resolve(exit ?? -1));
    }).finally(() => clearTimeout(backstop));
    const log = await readFile(logFile, 'utf8').catch(() => '');
    return { code, log, output };
  })();

  const kill = async () => {
    killed = true;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
    await done.catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  };
  return { done, kill };
}

/** The injection file is `;`-separated and SIPp parses keywords in it, so refuse such text. */
function checkFields<T extends Record<string, string>>(fields: T): T {
  for (const [name, value] of Object.entries(fields)) {
    if (!/^[^\s;[\]]+$/.test(value)) {
      // The value is not shown: it may be a password.
      throw new Error(`SIPp field '${name}' is empty or has whitespace, ';', '[' or ']'`);
    }
  }
  return fields;
}

function credentials(user: string, password: string): string {
  return `[authentication username=${user} password=${password}]`;
}

function pick<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
