/**
 * A Unity Connection CUPI endpoint (`/vmrest/users…`) for tests, on 127.0.0.1 and a free port.
 * It checks what Connection checks before a request runs (Basic auth, the administrator role,
 * `Accept` and `Content-Type`, the fields of the body), then runs it on its in-memory database
 * and answers in CUPI's JSON: lists as `{"@total": "N", "User": …}` where one match is an
 * object and several are an array, errors as `{"errors": {"code", "message"}}`. Tests steer it:
 * latency, HTTP 503 for the next requests, commit-then-drop for the next writes, a non-JSON
 * answer. It is test code only: the product never talks to it except in tests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { CucDb, CupiFault, SUMMARY_FIELDS, WRITABLE_FIELDS } from './cuc-db.ts';

export interface CucAccount {
  username: string;
  password: string;
  /** Holds an administrator role that may use CUPI; false answers 403. */
  admin?: boolean;
}

export interface CucEmulatorOptions {
  accounts?: CucAccount[];
}

/** One request as the emulator saw it. */
export interface CucSeenRequest {
  method: string;
  path: string;
  status: number;
  /** The parsed JSON body of a POST or PUT, when it was one. */
  body?: Record<string, unknown>;
}

export class CucEmulator {
  readonly db = new CucDb();
  readonly requests: CucSeenRequest[] = [];
  /** Milliseconds to wait before answering any request. */
  latencyMs = 0;
  /** The next N requests answer HTTP 503 without running. */
  throttleRequests = 0;
  /** Seconds put in `Retry-After` on a 503; absent when undefined. */
  retryAfterSeconds: number | undefined;
  /** The next N writes run, then the connection is cut before the answer. */
  dropWriteAnswers = 0;
  /** The next N requests answer 200 with an HTML page. */
  notJsonAnswers = 0;
  readonly #accounts: CucAccount[];
  #server: http.Server | undefined;
  #origin = '';

  constructor(options: CucEmulatorOptions = {}) {
    this.#accounts = options.accounts ?? [{ username: 'cupiadmin', password: 'secret' }];
  }

  /** Starts listening; returns the CUPI base URL (`http://127.0.0.1:PORT/vmrest`). */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return `${this.#origin}/vmrest`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests by method and path pattern (`POST`, /^\/vmrest\/users$/). */
  count(method: string, path?: RegExp): number {
    return this.requests.filter((r) => r.method === method && (path?.test(r.path) ?? true)).length;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const url = new URL(req.url ?? '/', this.#origin);
    const method = req.method ?? 'GET';
    const seen: CucSeenRequest = { method, path: url.pathname, status: 0 };
    this.requests.push(seen);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      seen.status = status;
      res.writeHead(status, headers).end(body);
    };
    const json = (status: number, value: unknown) =>
      send(status, JSON.stringify(value), { 'Content-Type': JSON_TYPE });

    const auth = this.#authenticate(req);
    if (auth !== 200) return send(auth, page(`HTTP Status ${auth}`), { 'Content-Type': HTML });
    if (this.throttleRequests > 0) {
      this.throttleRequests -= 1;
      const retry = this.retryAfterSeconds;
      const headers: Record<string, string> =
        retry === undefined ? {} : { 'Retry-After': String(retry) };
      return send(503, page('Service Unavailable'), { 'Content-Type': HTML, ...headers });
    }
    if (this.notJsonAnswers > 0) {
      this.notJsonAnswers -= 1;
      return send(200, page('Cisco Unity Connection Administration'), { 'Content-Type': HTML });
    }
    if (!String(req.headers.accept ?? '').includes('application/json')) {
      // Connection answers XML unless the caller asks for JSON.
      return send(200, '<?xml version="1.0"?><Users total="0"/>', { 'Content-Type': XML });
    }

    const write = method === 'POST' || method === 'PUT' || method === 'DELETE';
    try {
      const body = method === 'POST' || method === 'PUT' ? parseBody(req, raw) : undefined;
      if (body !== undefined) seen.body = body;
      const answer = this.#route(method, url, body);
      if (write && this.dropWriteAnswers > 0) {
        this.dropWriteAnswers -= 1;
        seen.status = -1;
        res.destroy();
        return;
      }
      if (answer.status === 201) {
        return send(201, answer.location ?? '', {
          Location: `${this.#origin}${answer.location ?? ''}`,
          'Content-Type': 'text/plain',
        });
      }
      if (answer.value === undefined) return send(answer.status, '');
      return json(answer.status, answer.value);
    } catch (err) {
      if (!(err instanceof CupiFault)) throw err;
      return json(err.status, { errors: { code: err.code, message: err.message } });
    }
  }

  #route(method: string, url: URL, body: Record<string, string> | undefined): Answer {
    const parts = url.pathname.split('/').filter((p) => p !== '');
    if (parts[0] !== 'vmrest' || parts[1] !== 'users') {
      throw new CupiFault(404, 'NOT_FOUND', `No resource at ${url.pathname}`);
    }
    const id = parts[2];
    if (id === undefined && method === 'GET') return { status: 200, value: this.#list(url) };
    if (id === undefined && method === 'POST') {
      const template = url.searchParams.get('templateAlias') ?? '';
      if (template === '') {
        throw new CupiFault(400, 'MISSING_PARAMETER', 'templateAlias is required');
      }
      const user = this.db.create(template, body ?? {});
      return { status: 201, location: user.fields.URI! };
    }
    if (id !== undefined && parts.length === 3) {
      if (method === 'GET') return { status: 200, value: { ...this.db.get(id).fields } };
      if (method === 'PUT') this.db.update(id, body ?? {});
      else if (method === 'DELETE') this.db.remove(id);
      if (method === 'PUT' || method === 'DELETE') return { status: 204 };
    }
    if (id !== undefined && parts[3] === 'credential' && parts[4] === 'pin' && method === 'PUT') {
      this.db.setPin(id, String(body?.Credentials ?? ''));
      return { status: 204 };
    }
    throw new CupiFault(405, 'METHOD_NOT_ALLOWED', `${method} ${url.pathname} is not supported`);
  }

  /** One page of users; `rowsPerPage` and `pageNumber` (from 1) as CUPI pages. */
  #list(url: URL): Record<string, unknown> {
    const matches = this.db.query(url.searchParams.get('query'));
    const rows = Number(url.searchParams.get('rowsPerPage') ?? '2000');
    const pageNumber = Number(url.searchParams.get('pageNumber') ?? '1');
    if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(pageNumber) || pageNumber < 1) {
      throw new CupiFault(400, 'INVALID_PARAMETER', 'rowsPerPage and pageNumber must be >= 1');
    }
    const page = matches.slice((pageNumber - 1) * rows, pageNumber * rows).map((u) => {
      const summary: Record<string, string> = {};
      for (const f of SUMMARY_FIELDS) if (u.fields[f] !== undefined) summary[f] = u.fields[f];
      return summary;
    });
    const total = { '@total': String(matches.length) };
    if (page.length === 0) return total;
    // CUPI's JSON comes from its XML: a single child is an object, not a one-element array.
    return { ...total, User: page.length === 1 ? page[0] : page };
  }

  #authenticate(req: http.IncomingMessage): number {
    const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (basic === undefined) return 401;
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const account = this.#accounts.find(
      (a) => a.username === decoded.slice(0, colon) && a.password === decoded.slice(colon + 1),
    );
    if (account === undefined) return 401;
    return account.admin === false ? 403 : 200;
  }
}

interface Answer {
  status: number;
  value?: unknown;
  location?: string;
}

const JSON_TYPE = 'application/json';
const HTML = 'text/html; charset=utf-8';
const XML = 'application/xml';

/** A POST or PUT body: JSON, an object of strings, only fields CUPI accepts. */
function parseBody(req: http.IncomingMessage, raw: string): Record<string, string> {
  if (!String(req.headers['content-type'] ?? '').startsWith(JSON_TYPE)) {
    throw new CupiFault(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new CupiFault(400, 'INVALID_PARAMETER', 'The request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CupiFault(400, 'INVALID_PARAMETER', 'The request body must be an object');
  }
  const out: Record<string, string> = {};
  const pin = /\/credential\/pin$/.test(req.url?.split('?')[0] ?? '');
  const allowed: readonly string[] = pin ? ['Credentials'] : WRITABLE_FIELDS;
  for (const [key, v] of Object.entries(value)) {
    if (!allowed.includes(key)) {
      throw new CupiFault(400, 'INVALID_PARAMETER', `Unknown or read-only field ${key}`);
    }
    if (typeof v !== 'string') {
      throw new CupiFault(400, 'INVALID_PARAMETER', `Field ${key} must be a string`);
    }
    out[key] = v;
  }
  return out;
}

function page(title: string): string {
  return `<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
