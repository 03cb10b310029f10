/**
 * One AXL endpoint: POSTs envelopes with Basic auth, keeps the session cookie Unified CM hands
 * out (JSESSIONIDSSO) so later requests skip the password check, keeps connections alive, and
 * backs off when a write meets HTTP 503 (the change-notification queue is deep: nothing was
 * committed, so the same request can be sent again). Writes are paced to the target's
 * `ratePerSecond` (axl-pace.ts); with a customer schema, each request is validated before it
 * goes (axl-schema-check.ts). A certificate the client does not trust fails at once, naming
 * the target; an https:// URL is never retried over plain HTTP.
 */
import http from 'node:http';
import https from 'node:https';

import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { tlsTrustProblem } from '../target-config.ts';
import { type AxlCallContext, faultError, notXmlError, statusError } from './axl-faults.ts';
import { isAxlWrite, WritePacer } from './axl-pace.ts';
import type { AxlSchemaCheck } from './axl-schema-check.ts';
import {
  type AxlNode,
  buildEnvelope,
  buildOperation,
  parseResponse,
  soapAction,
} from './axl-xml.ts';

export interface AxlClientOptions {
  /** Connector name, for messages. */
  target: string;
  /** `https://host:8443/axl/`. */
  url: string;
  version: string;
  username: string;
  password: string;
  /** PEM text of the CA for the server's certificate. */
  ca?: string;
  timeoutMs: number;
  /** Sockets kept open to the publisher. */
  maxSockets: number;
  /** Tries of a write that meets 503 before `throttled` goes to the engine; default 4. */
  busyAttempts?: number;
  /** First wait after a 503, doubled each time; default 500 ms. */
  busyBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** AXL writes started per second (reads are not limited); absent means unlimited. */
  writesPerSecond?: number;
  /** The customer's AXL schema: every request is validated against it before it is sent. */
  schema?: AxlSchemaCheck;
}

/** What one call names, for errors: the record and the references it makes. */
export type AxlCallSubject = Omit<AxlCallContext, 'target' | 'operation'>;

/** The largest answer read; AXL itself caps one response at 8 MB. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export class AxlClient {
  readonly #options: AxlClientOptions;
  readonly #url: URL;
  readonly #agent: http.Agent;
  readonly #pacer: WritePacer | undefined;
  #cookie: string | undefined;
  /** Requests sent with the password rather than the session cookie (for tests). */
  basicAuthRequests = 0;

  constructor(options: AxlClientOptions) {
    this.#options = options;
    this.#url = new URL(options.url);
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    const ca = options.ca === undefined ? {} : { ca: options.ca };
    this.#agent =
      this.#url.protocol === 'https:'
        ? new https.Agent({ ...agentOptions, ...ca })
        : new http.Agent(agentOptions);
    const rate = options.writesPerSecond;
    this.#pacer = rate !== undefined && rate > 0 ? new WritePacer(rate) : undefined;
  }

  /** Runs one operation and returns its response element's children. */
  async call(operation: string, body: AxlNode, subject: AxlCallSubject): Promise<AxlNode> {
    const ctx: AxlCallContext = { target: this.#options.target, operation, ...subject };
    const attempts = this.#options.busyAttempts ?? 4;
    const base = this.#options.busyBaseMs ?? 500;
    const schema = this.#options.schema;
    if (schema !== undefined) {
      schema.check(ctx, buildOperation(this.#options.version, operation, body));
    }
    const write = isAxlWrite(operation);
    for (let attempt = 1; ; attempt += 1) {
      // A retried write is another write: it waits for a turn of its own.
      const sent = write ? await this.#pacer?.turn() : undefined;
      try {
        const envelope = buildEnvelope(this.#options.version, operation, body);
        return await this.#once(ctx, envelope, sent);
      } catch (err) {
        const busy = err instanceof CallsignError && err.code === ErrorCode.Throttled;
        const wait = Math.min(base * 2 ** (attempt - 1), 30_000);
        if (!busy) throw err;
        if (attempt >= attempts) {
          throw new CallsignError(err.code, err.message, {
            details: err.details,
            retryAfterMs: wait,
          });
        }
        await (this.#options.sleep ?? delay)(wait);
      }
    }
  }

  close(): void {
    this.#agent.destroy();
    this.#options.schema?.close();
  }

  async #once(ctx: AxlCallContext, envelope: string, sent?: () => void): Promise<AxlNode> {
    const withCookie = this.#cookie !== undefined;
    const answer = await this.#post(ctx, envelope, sent);
    if (answer.status === 401 && withCookie) {
      // The session ended (30 minutes idle, or a restart): log in again once.
      this.#cookie = undefined;
      return this.#once(ctx, envelope, sent);
    }
    if (answer.status !== 200 && answer.status !== 500) throw statusError(ctx, answer.status);

    const parsed = parseResponse(answer.text);
    if (parsed.kind === 'not-xml') {
      if (answer.status === 500) throw statusError(ctx, 500);
      throw notXmlError(ctx, { ...answer, reason: parsed.reason });
    }
    if (parsed.kind === 'fault') throw faultError(ctx, parsed);
    if (parsed.operation !== ctx.operation) {
      const reason = `answer is for ${parsed.operation}`;
      throw notXmlError(ctx, { ...answer, reason });
    }
    return parsed.body;
  }

  #post(
    ctx: AxlCallContext,
    envelope: string,
    sent?: () => void,
  ): Promise<{ status: number; contentType: string; text: string }> {
    const payload = Buffer.from(envelope, 'utf8');
    const headers: Record<string, string> = {
      'Content-Type': 'text/xml; charset=utf-8',
      'Content-Length': String(payload.length),
      SOAPAction: soapAction(this.#options.version, ctx.operation),
    };
    if (this.#cookie !== undefined) headers.Cookie = this.#cookie;
    else {
      const pair = `${this.#options.username}:${this.#options.password}`;
      headers.Authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
      this.basicAuthRequests += 1;
    }

    const send = this.#url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = send(this.#url, { method: 'POST', headers, agent: this.#agent }, (res) => {
        this.#keepCookie(res.headers['set-cookie']);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('response larger than 16 MB'));
          else chunks.push(chunk);
        });
        res.on('error', (err) => reject(unreachable(ctx, err)));
        res.on('end', () => {
          const contentType = String(res.headers['content-type'] ?? '');
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, contentType, text });
        });
      });
      req.setTimeout(this.#options.timeoutMs, () => {
        req.destroy(new Error(`no answer within ${this.#options.timeoutMs} ms`));
      });
      req.on('error', (err) => reject(unreachable(ctx, err)));
      if (sent !== undefined) req.on('finish', sent);
      req.end(payload);
    });
  }

  #keepCookie(setCookie: string[] | undefined): void {
    const pairs = (setCookie ?? [])
      .map((c) => c.split(';')[0]!.trim())
      .filter((c) => /^JSESSIONID(SSO)?=/.test(c));
    if (pairs.length > 0) this.#cookie = pairs.join('; ');
  }
}

function unreachable(ctx: AxlCallContext, err: Error): CallsignError {
  const tls = tlsTrustProblem(err);
  if (tls !== undefined) {
    // Nothing was sent: the handshake failed before the request. A retry cannot help.
    const msg = `Unified CM '${ctx.target}' (${ctx.operation}): ${tls}`;
    return new CallsignError(ErrorCode.Auth, msg, {
      cause: err,
      retryable: false,
      details: { target: ctx.target, operation: ctx.operation, tls: true },
    });
  }
  // A write may have been committed before the answer was lost: the retry reads first.
  const msg = `Unified CM '${ctx.target}' did not answer ${ctx.operation}: ${err.message}`;
  return new CallsignError(ErrorCode.Unavailable, msg, {
    cause: err,
    details: { target: ctx.target, operation: ctx.operation },
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
