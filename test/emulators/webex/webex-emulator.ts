/**
 * The Webex People API for tests, on 127.0.0.1 and a free port: bearer tokens, the person
 * resource under /v1/people with the write rules in webex-people.ts, error bodies shaped as
 * Webex's (`message`, `errors[].description`, `trackingId`), paging with an RFC 5988 `Link`
 * header (rel="next"), and on demand: HTTP 429 with `Retry-After`, latency, and a create that
 * is committed but answered with an error (the case the Create a Person guide warns about).
 * It is test code only: the product never talks to it except in tests.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import { ECBN_PATH, WebexEcbn } from './webex-ecbn.ts';
import {
  present,
  type StoredPerson,
  type WebexLicence,
  type WebexLocation,
  WebexFault,
  WebexOrg,
} from './webex-people.ts';

export interface WebexEmulatorOptions {
  /** Bearer tokens accepted; default `['good-token']`. */
  tokens?: string[];
  orgId?: string;
  locations?: WebexLocation[];
  licences?: WebexLicence[];
}

/** One request as the emulator saw it. */
export interface SeenWebexRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export const DEFAULT_LOCATIONS: WebexLocation[] = [
  { id: 'LOC-NYC', name: 'New York' },
  { id: 'LOC-LON', name: 'London' },
];
export const DEFAULT_LICENCES: WebexLicence[] = [
  { id: 'LIC-MSG', name: 'Messaging', calling: false },
  { id: 'LIC-CALL', name: 'Webex Calling - Professional', calling: true },
];

export class WebexEmulator {
  readonly org: WebexOrg;
  readonly requests: SeenWebexRequest[] = [];
  /** Milliseconds to wait before answering any request. */
  latencyMs = 0;
  /** The next N requests answer 429 with `Retry-After: retryAfterSeconds`. */
  throttle = { count: 0, retryAfterSeconds: 3 };
  /** The next N creates store the person, then answer `status` (500 by default). */
  failAfterCreate = { count: 0, status: 500 };
  /** Largest page served, whatever `max` asks. */
  maxPage = 1000;
  /** Person emergency callback numbers (webex-ecbn.ts). */
  readonly ecbn = new WebexEcbn();
  readonly #tokens: Set<string>;
  #server: http.Server | https.Server | undefined;

  constructor(options: WebexEmulatorOptions = {}) {
    this.org = new WebexOrg(options.orgId ?? 'ORG-1', {
      locations: options.locations ?? DEFAULT_LOCATIONS,
      licences: options.licences ?? DEFAULT_LICENCES,
    });
    this.#tokens = new Set(options.tokens ?? ['good-token']);
  }

  /**
   * Starts listening; returns the base URL (`http://127.0.0.1:PORT`). With `tls` (PEM
   * certificate and key, e.g. from src/lab/test-ca.ts) it serves HTTPS only: `https://…`.
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
    return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests seen with this method (`POST` → 2). */
  count(method: string): number {
    return this.requests.filter((r) => r.method === method).length;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const query = Object.fromEntries(url.searchParams);
    const seen: SeenWebexRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query,
      status: 0,
    };
    this.requests.push(seen);
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      seen.status = status;
      const text = body === undefined ? '' : JSON.stringify(body);
      const type = body === undefined ? {} : { 'Content-Type': 'application/json' };
      res.writeHead(status, { ...type, TrackingID: trackingId(), ...headers }).end(text);
    };

    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (token === undefined || !this.#tokens.has(token)) {
      const msg =
        'The request requires a valid access token set in the Authorization request header.';
      return answer(401, errorBody(msg, [msg]));
    }
    if (this.throttle.count > 0) {
      this.throttle.count -= 1;
      const retry = { 'Retry-After': String(this.throttle.retryAfterSeconds) };
      return answer(429, errorBody('Too Many Requests', ['Too Many Requests']), retry);
    }

    try {
      const result = this.#route(req.method ?? '', url, raw);
      if (result.fail !== undefined) return answer(result.fail, errorBody(failText, [failText]));
      return answer(result.status, result.body, result.headers);
    } catch (err) {
      if (!(err instanceof WebexFault)) throw err;
      return answer(err.status, errorBody(err.message, err.descriptions));
    }
  }

  #route(method: string, url: URL, raw: string): RouteResult {
    const callingData = url.searchParams.get('callingData') === 'true';
    const show = (p: StoredPerson) => present(p, callingData);
    const id = /^\/v1\/people\/([^/]+)$/.exec(url.pathname)?.[1];

    const ecbn = ECBN_PATH.exec(url.pathname)?.[1];
    if (ecbn !== undefined) {
      const body = method === 'PUT' ? parseJson(raw) : undefined;
      return this.ecbn.route(method, this.org.people.get(decodeURIComponent(ecbn)), body);
    }
    if (url.pathname === '/v1/people' && method === 'GET') return this.#list(url, show);
    if (url.pathname === '/v1/people' && method === 'POST') {
      const person = this.org.create(parseJson(raw));
      if (this.failAfterCreate.count > 0) {
        this.failAfterCreate.count -= 1;
        return { status: 0, fail: this.failAfterCreate.status };
      }
      return { status: 200, body: show(person) };
    }
    if (id === undefined) throw new WebexFault(404, `No resource at ${url.pathname}.`);

    const current = this.org.people.get(decodeURIComponent(id));
    if (method === 'GET') {
      if (current === undefined) throw new WebexFault(404, 'Person not found.');
      return { status: 200, body: show(current) };
    }
    if (method === 'PUT')
      return { status: 200, body: show(this.org.replace(decodeURIComponent(id), parseJson(raw))) };
    if (method === 'DELETE') {
      if (current === undefined) throw new WebexFault(404, 'Person not found.');
      this.org.people.delete(current.id);
      return { status: 204 };
    }
    throw new WebexFault(405, `Method ${method} is not allowed on ${url.pathname}.`);
  }

  /** GET /v1/people: filters, then a page of `max` after the cursor, with Link rel="next". */
  #list(url: URL, show: (p: StoredPerson) => unknown): RouteResult {
    const q = url.searchParams;
    const orgId = q.get('orgId');
    if (orgId !== null && orgId !== this.org.orgId) {
      throw new WebexFault(403, `Not authorized to list people in organization ${orgId}.`);
    }
    const max = Number(q.get('max') ?? '100');
    if (!Number.isInteger(max) || max < 1)
      throw new WebexFault(400, `max: '${q.get('max')}' is not a positive integer.`);
    const email = q.get('email')?.toLowerCase();
    const locationId = q.get('locationId');
    const ids = q.get('id')?.split(',');

    const all = [...this.org.people.values()].filter(
      (p) =>
        (email === undefined || p.emails.some((e) => e.toLowerCase() === email)) &&
        (locationId === null || p.locationId === locationId) &&
        (ids === undefined || ids.includes(p.id)),
    );
    const start = q.has('cursor')
      ? Number(Buffer.from(q.get('cursor')!, 'base64url').toString())
      : 0;
    const size = Math.min(max, this.maxPage);
    const page = all.slice(start, start + size);
    const headers: Record<string, string> = {};
    if (start + size < all.length) {
      const next = new URL(url);
      next.searchParams.set('cursor', Buffer.from(String(start + size)).toString('base64url'));
      headers.Link = `<${next.toString()}>; rel="next"`;
    }
    return { status: 200, body: { items: page.map(show) }, headers };
  }
}

interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** The change was made but the answer is this error status. */
  fail?: number;
}

const failText = 'An unexpected error occurred while processing your request.';

function errorBody(message: string, descriptions: string[]) {
  return {
    message,
    errors: descriptions.map((description) => ({ description })),
    trackingId: trackingId(),
  };
}

function trackingId(): string {
  return `ROUTER_${randomUUID()}`;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new WebexFault(400, 'The request body is not valid JSON.');
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
