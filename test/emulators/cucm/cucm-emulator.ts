/**
 * A Unified CM AXL endpoint for tests, on 127.0.0.1 and a free port. It checks what Unified CM
 * checks before an operation runs (Basic auth or the session cookie, the AXL role, SOAPAction
 * and namespace naming the same supported version, the schema), then runs the operation on its
 * in-memory database. Tests steer it: latency, HTTP 503 for the next writes, commit-then-drop
 * for the next writes (the answer is lost after the change is made), a non-XML answer.
 * It is test code only: the product never talks to it except in tests.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

import { AxlDb, AxlFault, type ReferenceTables } from './axl-db.ts';
import { HANDLERS } from './axl-ops.ts';
import { MOBILITY_HANDLERS } from './axl-ops-mobility.ts';
import { AXL_OPERATIONS, AXL_VERSIONS, isWrite, unknownElement } from './axl-schema.ts';

export interface EmulatorAccount {
  username: string;
  password: string;
  /** Has the Standard AXL API Access role; false answers 403. */
  axl?: boolean;
}

export interface CucmEmulatorOptions {
  accounts?: EmulatorAccount[];
  references?: ReferenceTables;
}

/** One request as the emulator saw it. */
export interface SeenRequest {
  operation: string;
  version: string;
  status: number;
  /** How the caller authenticated. */
  auth: 'basic' | 'cookie' | 'none';
}

export class CucmEmulator {
  readonly db: AxlDb;
  readonly requests: SeenRequest[] = [];
  /** Milliseconds to wait before answering any request. */
  latencyMs = 0;
  /** The next N writes answer HTTP 503 without running. */
  throttleWrites = 0;
  /** The next N writes run, then the connection is cut before the answer. */
  dropWriteAnswers = 0;
  /** The next N requests answer 200 with a text/html page. */
  notXmlAnswers = 0;
  /** Requests this picks (by operation and parsed body) answer 200 with a text/html page. */
  notXmlWhen: ((operation: string, body: Record<string, unknown>) => boolean) | undefined;
  /**
   * Writes allowed in any 1 s window; one more answers 503 without running, as Unified CM's
   * write throttle does. Undefined: no limit.
   */
  writeLimitPerSecond: number | undefined;
  /** Arrival times (ms, monotonic) of every write request, throttled or not. */
  readonly writeArrivals: number[] = [];
  /** Arrival times of the writes that were let through, for the limit's window. */
  readonly #accepted: number[] = [];
  readonly #accounts: EmulatorAccount[];
  readonly #sessions = new Set<string>();
  #server: http.Server | https.Server | undefined;

  constructor(options: CucmEmulatorOptions = {}) {
    this.db = new AxlDb(options.references);
    this.#accounts = options.accounts ?? [{ username: 'axladmin', password: 'secret' }];
  }

  /**
   * Starts listening; returns the AXL URL (`http://127.0.0.1:PORT/axl/`). With `tls` (PEM
   * certificate and key, e.g. from src/lab/test-ca.ts) it serves HTTPS only, as Unified CM does
   * on 8443, and the URL is `https://…`.
   */
  async start(options: { tls?: { cert: string; key: string } } = {}): Promise<string> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.#handle(req, res).catch(() => res.destroy());
    };
    const server =
      options.tls === undefined
        ? http.createServer(handler)
        : https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    const scheme = options.tls === undefined ? 'http' : 'https';
    return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}/axl/`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Operations the emulator ran or refused, by name (`addLine` → 2). */
  count(operation: string): number {
    return this.requests.filter((r) => r.operation === operation).length;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const arrived = performance.now();
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const seen: SeenRequest = { operation: '', version: '', status: 0, auth: 'none' };
    this.requests.push(seen);
    const answer = (status: number, body: string, type = 'text/xml; charset=utf-8') => {
      seen.status = status;
      res.writeHead(status, { 'Content-Type': type }).end(body);
    };

    if (req.method !== 'POST' || req.url !== '/axl/') return answer(404, page('Not Found'), HTML);
    const auth = this.#authenticate(req, res);
    seen.auth = auth.how;
    if (auth.status !== 200) return answer(auth.status, page(`HTTP ${auth.status}`), HTML);
    if (this.notXmlAnswers > 0) {
      this.notXmlAnswers -= 1;
      return answer(200, '<html><body>Please log in<br></body></html>', HTML);
    }

    const action = /^"?CUCM:DB ver=(\d+\.\d+) (\w+)"?$/.exec(String(req.headers.soapaction));
    const request = parseRequest(raw);
    seen.operation = request?.operation ?? action?.[2] ?? '';
    seen.version = action?.[1] ?? '';
    if (action === null) return answer(500, fault(undefined, 'SOAPAction header missing'));
    if (request === undefined) return answer(500, fault(undefined, 'Request is not SOAP XML'));
    const problem = versionProblem(action[1]!, action[2]!, request);
    if (problem !== undefined) return answer(500, fault(undefined, problem));

    if (this.notXmlWhen?.(request.operation, request.body) === true) {
      return answer(200, '<html><body>Service temporarily unavailable</body></html>', HTML);
    }
    const spec = AXL_OPERATIONS[request.operation];
    const handler = HANDLERS[request.operation] ?? MOBILITY_HANDLERS[request.operation];
    if (spec === undefined || handler === undefined) {
      return answer(500, fault(undefined, `Operation ${request.operation} is not supported`));
    }
    const unknown = unknownElement(request.body, spec);
    if (unknown !== undefined) {
      const msg =
        `cvc-complex-type.2.4.a: Invalid content was found starting with element ` +
        `'${unknown}' in ${request.operation}`;
      return answer(500, fault(undefined, msg));
    }

    const write = isWrite(request.operation);
    if (write) this.writeArrivals.push(arrived);
    if (write && (this.throttleWrites > 0 || this.#overLimit(arrived))) {
      if (this.throttleWrites > 0) this.throttleWrites -= 1;
      return answer(503, page('AXL change notification queue is full'), HTML);
    }
    // The window holds only writes made while a limit applies.
    if (write && this.writeLimitPerSecond !== undefined) this.#accepted.push(arrived);
    let result: unknown;
    try {
      result = handler(this.db, request.body);
    } catch (err) {
      if (!(err instanceof AxlFault)) throw err;
      return answer(500, fault(err.axlCode, err.message, request.operation));
    }
    if (write && this.dropWriteAnswers > 0) {
      this.dropWriteAnswers -= 1;
      seen.status = -1;
      res.destroy();
      return;
    }
    answer(200, response(request.version, request.operation, result));
  }

  #authenticate(req: http.IncomingMessage, res: http.ServerResponse) {
    const cookie = /JSESSIONIDSSO=([0-9a-f]+)/.exec(String(req.headers.cookie ?? ''))?.[1];
    if (cookie !== undefined && this.#sessions.has(cookie)) {
      return { status: 200, how: 'cookie' as const };
    }
    const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (basic === undefined) return { status: 401, how: 'none' as const };
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const account = this.#accounts.find(
      (a) => a.username === decoded.slice(0, colon) && a.password === decoded.slice(colon + 1),
    );
    if (account === undefined) return { status: 401, how: 'basic' as const };
    if (account.axl === false) return { status: 403, how: 'basic' as const };
    const session = randomBytes(16).toString('hex');
    this.#sessions.add(session);
    res.setHeader('Set-Cookie', `JSESSIONIDSSO=${session}; Path=/; Secure; HttpOnly`);
    return { status: 200, how: 'basic' as const };
  }

  /** The most write requests that arrived within any `windowMs` (default 1 s). */
  maxWritesInWindow(windowMs = 1000): number {
    const times = [...this.writeArrivals].sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= windowMs) j++;
      most = Math.max(most, i - j + 1);
    }
    return most;
  }

  #overLimit(at: number): boolean {
    const limit = this.writeLimitPerSecond;
    if (limit === undefined) {
      this.#accepted.length = 0;
      return false;
    }
    while (this.#accepted.length > 0 && at - this.#accepted[0]! >= 1000) this.#accepted.shift();
    return this.#accepted.length >= limit;
  }

  /** Changes an account's password, as an administrator rotating it would. */
  setPassword(username: string, password: string): void {
    const account = this.#accounts.find((a) => a.username === username);
    if (account === undefined) throw new Error(`no account ${username}`);
    account.password = password;
  }

  /** Forgets every session, as a restart or a 30-minute idle timeout would. */
  expireSessions(): void {
    this.#sessions.clear();
  }
}

const HTML = 'text/html; charset=utf-8';
const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const NS_PREFIX = 'http://www.cisco.com/AXL/API/';

interface ParsedRequest {
  operation: string;
  /** Version named by the operation element's namespace. */
  version: string;
  body: Record<string, unknown>;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
});
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });

function parseRequest(raw: string): ParsedRequest | undefined {
  if (XMLValidator.validate(raw) !== true) return undefined;
  const doc = parser.parse(raw) as Record<string, Record<string, unknown>>;
  const envKey = Object.keys(doc).find((k) => /(^|:)Envelope$/.test(k));
  const envelope = envKey === undefined ? undefined : doc[envKey];
  if (envelope === undefined) return undefined;
  const bodyKey = Object.keys(envelope).find((k) => /(^|:)Body$/.test(k));
  const body = bodyKey === undefined ? undefined : (envelope[bodyKey] as Record<string, unknown>);
  const opKey = Object.keys(body ?? {}).find((k) => !k.startsWith('@_'));
  if (body === undefined || opKey === undefined) return undefined;

  const [prefix, operation] = opKey.includes(':') ? opKey.split(':') : ['', opKey];
  const op = (body[opKey] ?? {}) as Record<string, unknown>;
  const attr = prefix === '' ? '@_xmlns' : `@_xmlns:${prefix}`;
  const ns = String(op[attr] ?? body[attr] ?? envelope[attr] ?? '');
  const content = typeof op === 'object' ? { ...op } : {};
  for (const key of Object.keys(content)) if (key.startsWith('@_')) delete content[key];
  const version = ns.startsWith(NS_PREFIX) ? ns.slice(NS_PREFIX.length) : '';
  return { operation: operation!, version, body: content };
}

function versionProblem(actionVersion: string, actionOp: string, request: ParsedRequest) {
  if (!(AXL_VERSIONS as readonly string[]).includes(actionVersion)) {
    return `AXL version ${actionVersion} is not supported`;
  }
  if (request.version !== actionVersion) {
    return (
      `Version mismatch: SOAPAction names ${actionVersion}, the request namespace ` +
      `names ${request.version || 'no AXL version'}`
    );
  }
  if (actionOp !== request.operation) {
    return `SOAPAction names ${actionOp} but the body holds ${request.operation}`;
  }
  return undefined;
}

function response(version: string, operation: string, result: unknown): string {
  return builder.build({
    'soapenv:Envelope': {
      '@_xmlns:soapenv': SOAP_ENV,
      'soapenv:Body': {
        [`ns:${operation}Response`]: { '@_xmlns:ns': NS_PREFIX + version, return: result },
      },
    },
  });
}

/** A SOAP 1.1 fault; with an AXL code, the detail carries axlError as Unified CM's does. */
function fault(code: number | undefined, message: string, operation?: string): string {
  const detail =
    code === undefined
      ? undefined
      : {
          axlError: { axlcode: String(code), axlmessage: message, request: operation ?? '' },
        };
  return builder.build({
    'soapenv:Envelope': {
      '@_xmlns:soapenv': SOAP_ENV,
      'soapenv:Body': {
        'soapenv:Fault': {
          faultcode: 'soapenv:Client',
          faultstring: message,
          ...(detail === undefined ? {} : { detail }),
        },
      },
    },
  });
}

function page(title: string): string {
  return `<html><head><title>${title}</title></head><body>${title}</body></html>`;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
