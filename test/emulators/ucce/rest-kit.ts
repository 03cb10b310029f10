/**
 * What the UCCX and UCCE emulators share: an HTTP server on 127.0.0.1 and a free port, Basic
 * auth, XML bodies in and out, the `apiErrors/apiError` refusal both Cisco APIs answer, latency
 * and throttling on demand, and a log of requests. Test code only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

export type Node = Record<string, unknown>;

/** One request as the emulator saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  status: number;
  body?: string;
}

/** A refusal the handler throws; answered as HTTP `status` with apiErrors. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    readonly errorData: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}) => Reply;

export interface RestEmulatorOptions {
  /** Path prefix, `/adminapi` or `/unifiedconfig/config`. */
  prefix: string;
  accounts?: { username: string; password: string }[];
}

export class RestEmulator {
  readonly requests: SeenRequest[] = [];
  /** Milliseconds to wait before answering any request. */
  latencyMs = 0;
  /** The next N requests answer 503 with `Retry-After: 1` without running. */
  throttleNext = 0;
  /** The next N requests answer 200 with an HTML page. */
  notXmlAnswers = 0;
  base = '';
  readonly #options: RestEmulatorOptions;
  readonly #handler: Handler;
  #server: http.Server | undefined;

  constructor(options: RestEmulatorOptions, handler: Handler) {
    this.#options = options;
    this.#handler = handler;
  }

  /** Starts listening; returns the API base URL (`http://127.0.0.1:PORT/adminapi`). */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    const port = (server.address() as AddressInfo).port;
    this.base = `http://127.0.0.1:${port}${this.#options.prefix}`;
    return this.base;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests seen with this method whose path starts with `prefix` (`PUT`, `resource/`). */
  count(method: string, prefix = ''): number {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const prefix = `${this.#options.prefix}/`;
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : '';
    const seen: SeenRequest = { method, path, status: 0, ...(body === '' ? {} : { body }) };
    this.requests.push(seen);
    const send = (reply: Reply) => {
      seen.status = reply.status;
      const type = reply.body?.startsWith('<html') ? 'text/html' : 'application/xml';
      res.writeHead(reply.status, { 'Content-Type': type, ...reply.headers });
      res.end(reply.body ?? '');
    };

    if (!this.#authorized(req.headers.authorization)) {
      return send({ status: 401, body: '<html><body>Unauthorized</body></html>' });
    }
    if (this.throttleNext > 0) {
      this.throttleNext -= 1;
      return send({ status: 503, headers: { 'Retry-After': '1' }, body: '' });
    }
    if (this.notXmlAnswers > 0) {
      this.notXmlAnswers -= 1;
      return send({ status: 200, body: '<html><body>Please log in<br></body></html>' });
    }
    if (path === '') return send(apiErrors(404, 'notFound', '', 'No such resource'));
    try {
      send(this.#handler({ method, path, query: url.searchParams, body }));
    } catch (err) {
      if (!(err instanceof ApiRefusal)) throw err;
      send(apiErrors(err.status, err.errorType, err.errorData, err.message));
    }
  }

  #authorized(header: string | undefined): boolean {
    const basic = /^Basic (.+)$/.exec(header ?? '')?.[1];
    if (basic === undefined) return false;
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const accounts = this.#options.accounts ?? [{ username: 'admin', password: 'secret' }];
    return accounts.some(
      (a) => a.username === decoded.slice(0, colon) && a.password === decoded.slice(colon + 1),
    );
  }
}

/** The apiErrors document both APIs answer a refused request with. */
export function apiErrors(status: number, type: string, data: string, message: string): Reply {
  const body = xml({
    apiErrors: { apiError: { errorData: data, errorMessage: message, errorType: type } },
  });
  return { status, body };
}

/** Parses a request body; refuses one that is not XML or has another root. */
export function parseBody(body: string, root: string): Node {
  if (body.trim() === '' || XMLValidator.validate(body) !== true) {
    throw new ApiRefusal(400, 'invalidInput.malformed', '', 'The request body is not valid XML');
  }
  const doc = parser.parse(body) as Node;
  const node = doc[root];
  if (node === undefined) {
    const found = Object.keys(doc).filter((k) => k !== '?xml');
    const msg = `Expected <${root}>, found <${found.join(', ')}>`;
    throw new ApiRefusal(400, 'invalidInput.malformed', root, msg);
  }
  return typeof node === 'object' && node !== null ? (node as Node) : {};
}

/** Refuses elements the API does not define for this item. */
export function refuseUnknown(node: Node, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(node)) {
    if (key.startsWith('@_') || key === '#text' || allowed.includes(key)) continue;
    throw new ApiRefusal(
      400,
      'invalidInput.unknownElement',
      key,
      `Unknown element ${key} in ${where}`,
    );
  }
}

/** The text of a child, '' for an empty one, undefined when absent. */
export function text(node: unknown, name: string): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const value = (node as Node)[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const inner = (value as Node)['#text'];
    return typeof inner === 'string' ? inner : '';
  }
  return String(value);
}

/** Repeated children as a list. */
export function items(node: unknown, name: string): Node[] {
  if (typeof node !== 'object' || node === null) return [];
  const value = (node as Node)[name];
  const all = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return all.map((v) => (typeof v === 'object' && v !== null ? (v as Node) : {}));
}

export function xml(doc: Node): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>${builder.build(doc)}`;
}

/** The id at the end of a refURL (`…/skill/2` → `2`). */
export function idOfRef(ref: string | undefined): string | undefined {
  return ref === undefined ? undefined : /\/(\w+)\/?$/.exec(ref.trim())?.[1];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
});
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
