/**
 * One CUPI endpoint (`https://host/vmrest`): JSON requests with Basic auth, `Accept` and
 * `Content-Type: application/json` (Connection answers XML to a caller that does not ask for
 * JSON), connections kept alive, and backoff when a request meets HTTP 503 (nothing ran, so the
 * same request can be sent again). Every answer is checked for the shape the call expects.
 */
import http from 'node:http';
import https from 'node:https';

import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { type CupiCallContext, notJsonError, parseErrorBody, statusError } from './cupi-errors.ts';

export interface CupiClientOptions {
  /** Connector name, for messages. */
  target: string;
  /** `https://host/vmrest` (a trailing slash is allowed). */
  url: string;
  username: string;
  password: string;
  /** PEM text of the CA for the server's certificate. */
  ca?: string;
  timeoutMs: number;
  maxSockets: number;
  /** Tries of a request that meets 503 before `throttled` goes to the engine; default 4. */
  busyAttempts?: number;
  /** First wait after a 503 without Retry-After, doubled each time; default 500 ms. */
  busyBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What one call is about, for errors; `expect` is the answer it needs. */
export interface CupiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below the base URL: `/users`, `/users/{id}/credential/pin`. */
  path: string;
  query?: Record<string, string>;
  body?: Record<string, string>;
  subject: string;
  templateAlias?: string;
  /** `json`: a JSON document; `created`: 201 with Location; `empty`: 200 or 204. */
  expect: 'json' | 'created' | 'empty';
}

export interface CupiAnswer {
  status: number;
  json?: unknown;
  /** The Location of a created object. */
  location?: string;
}

/** The largest answer read; a page of 2,000 users stays far below it. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export class CupiClient {
  readonly #options: CupiClientOptions;
  readonly #base: string;
  readonly #agent: http.Agent;
  readonly #https: boolean;

  constructor(options: CupiClientOptions) {
    this.#options = options;
    this.#base = options.url.replace(/\/+$/, '');
    this.#https = new URL(this.#base).protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    const ca = options.ca === undefined ? {} : { ca: options.ca };
    this.#agent = this.#https
      ? new https.Agent({ ...agentOptions, ...ca })
      : new http.Agent(agentOptions);
  }

  /** Runs one request, retrying on 503 with backoff. */
  async call(request: CupiRequest): Promise<CupiAnswer> {
    const ctx: CupiCallContext = {
      target: this.#options.target,
      request: `${request.method} /vmrest${request.path}`,
      subject: request.subject,
      ...(request.templateAlias === undefined ? {} : { templateAlias: request.templateAlias }),
    };
    const attempts = this.#options.busyAttempts ?? 4;
    const base = this.#options.busyBaseMs ?? 500;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#once(ctx, request);
      } catch (err) {
        if (!(err instanceof CallsignError) || err.code !== ErrorCode.Throttled) throw err;
        const wait = err.retryAfterMs ?? Math.min(base * 2 ** (attempt - 1), 30_000);
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
  }

  async #once(ctx: CupiCallContext, request: CupiRequest): Promise<CupiAnswer> {
    const answer = await this.#send(ctx, request);
    const isJson = /^application\/json/i.test(answer.contentType);
    if (answer.status < 200 || answer.status >= 300) {
      const error = isJson ? parseErrorBody(answer.text) : undefined;
      const retryAfterMs = retryAfter(answer.retryAfter);
      throw statusError(ctx, answer.status, {
        ...(error === undefined ? {} : { error }),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }

    if (request.expect === 'created') {
      if (answer.status !== 201 || answer.location === undefined) throw notJsonError(ctx, answer);
      return { status: answer.status, location: answer.location };
    }
    if (request.expect === 'empty') {
      if (answer.text.trim() !== '' && !isJson) throw notJsonError(ctx, answer);
      return { status: answer.status };
    }
    if (!isJson) throw notJsonError(ctx, answer);
    try {
      return { status: answer.status, json: JSON.parse(answer.text) };
    } catch {
      throw notJsonError(ctx, answer);
    }
  }

  #send(ctx: CupiCallContext, request: CupiRequest): Promise<RawAnswer> {
    const query = new URLSearchParams(request.query ?? {}).toString();
    const url = new URL(`${this.#base}${request.path}${query === '' ? '' : `?${query}`}`);
    const payload =
      request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), 'utf8');
    const pair = `${this.#options.username}:${this.#options.password}`;
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`,
    };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }

    const send = this.#https ? https.request : http.request;
    const options = { method: request.method, headers, agent: this.#agent };
    return new Promise((resolve, reject) => {
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('response larger than 16 MB'));
          else chunks.push(chunk);
        });
        res.on('error', (err) => reject(unreachable(ctx, err)));
        res.on('end', () => {
          const location = res.headers.location;
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
            ...(location === undefined ? {} : { location }),
            ...(res.headers['retry-after'] === undefined
              ? {}
              : { retryAfter: String(res.headers['retry-after']) }),
          });
        });
      });
      req.setTimeout(this.#options.timeoutMs, () => {
        req.destroy(new Error(`no answer within ${this.#options.timeoutMs} ms`));
      });
      req.on('error', (err) => reject(unreachable(ctx, err)));
      req.end(payload);
    });
  }
}

interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
  location?: string;
  retryAfter?: string;
}

/** `Retry-After` in seconds (the only form Connection sends) as milliseconds. */
function retryAfter(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

function unreachable(ctx: CupiCallContext, err: Error): CallsignError {
  // A write may have been committed before the answer was lost: the retry looks up first.
  const msg = `Unity Connection '${ctx.target}' did not answer ${ctx.request}: ${err.message}`;
  return new CallsignError(ErrorCode.Unavailable, msg, {
    cause: err,
    details: { target: ctx.target, request: ctx.request },
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
