/**
 * An XML REST client for Cisco's contact-center configuration APIs: the UCCE/PCCE
 * Configuration API (`/unifiedconfig/config`) and the UCCX Admin API (`/adminapi`). Both take
 * Basic auth, XML bodies, answer a create with 201 and `Location`, and refuse a request with
 * `apiErrors/apiError` (errorType, errorData, errorMessage). Failures leave as CallsignErrors
 * (see cisco-rest-errors.ts); a 404 on a read or delete is an answer, not an error.
 */
import http from 'node:http';
import https from 'node:https';

import type { ContactCenterTargetConfig } from '../../core/config-types.ts';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { readCa } from '../target-config.ts';
import { type RestCall, statusError } from './cisco-rest-errors.ts';
import { type XmlNode, buildXml, parseXml } from './cisco-xml.ts';

export interface CiscoRestOptions {
  /** Connector name, for messages. */
  target: string;
  /** `UCCE` or `UCCX`, for messages. */
  product: string;
  /** Base URL, e.g. `https://aw/unifiedconfig/config` or `https://uccx/adminapi`. */
  url: string;
  username: string;
  password: string;
  /** PEM text of the CA for the server's certificate. */
  ca?: string;
  timeoutMs: number;
  maxSockets: number;
}

/** What one call names, for errors: the record (`agent jdoe`). */
export interface CallSubject {
  subject: string;
}

/** The largest answer read. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The client of a UCCE or UCCX target, as its configuration describes it. */
export function contactCenterRest(
  config: ContactCenterTargetConfig,
  product: 'UCCE' | 'UCCX',
  password: string,
): CiscoRestClient {
  return new CiscoRestClient({
    target: config.name,
    product,
    url: config.url,
    username: config.username,
    password,
    ...(config.tlsCa === undefined ? {} : { ca: readCa(config) }),
    timeoutMs: config.timeoutMs ?? 30_000,
    maxSockets: config.concurrency,
  });
}

export class CiscoRestClient {
  readonly #options: CiscoRestOptions;
  readonly #base: URL;
  readonly #agent: http.Agent;

  constructor(options: CiscoRestOptions) {
    this.#options = options;
    this.#base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    const ca = options.ca === undefined ? {} : { ca: options.ca };
    this.#agent =
      this.#base.protocol === 'https:'
        ? new https.Agent({ ...agentOptions, ...ca })
        : new http.Agent(agentOptions);
  }

  /**
   * The path of a `refURL` or `Location` relative to the base (`agent/5001`). Servers answer
   * either an absolute URL or a path; both name the same item.
   */
  relative(ref: string): string {
    const path = new URL(ref, this.#base).pathname;
    const basePath = this.#base.pathname;
    return path.startsWith(basePath) ? path.slice(basePath.length) : path.replace(/^\/+/, '');
  }

  /**
   * The absolute URL of a path relative to the base
   * (`skill/2` → `https://uccx/adminapi/skill/2`).
   */
  url(path: string): string {
    return new URL(path, this.#base).toString();
  }

  /** GETs one document; null on 404. */
  async get(path: string, who: CallSubject): Promise<XmlNode | null> {
    const call = this.#call('GET', path, who);
    const answer = await this.#request(call);
    if (answer.status === 404) return null;
    if (answer.status !== 200) throw statusError(call, answer);
    return this.#document(call, answer);
  }

  /** POSTs a new item; returns the path of the `Location` it answers. */
  async create(path: string, root: string, body: XmlNode, who: CallSubject): Promise<string> {
    const call = this.#call('POST', path, who);
    const answer = await this.#request(call, buildXml(root, body));
    if (answer.status !== 201 && answer.status !== 200) throw statusError(call, answer);
    const location = answer.location;
    if (location === undefined || location === '') {
      const msg = `${this.#who()} created ${who.subject} but answered no Location`;
      throw new CallsignError(ErrorCode.Incomplete, msg, { details: this.#details(call) });
    }
    return this.relative(location);
  }

  /** PUTs a whole item. */
  async put(path: string, root: string, body: XmlNode, who: CallSubject): Promise<void> {
    const call = this.#call('PUT', path, who);
    const answer = await this.#request(call, buildXml(root, body));
    if (answer.status !== 200 && answer.status !== 204) throw statusError(call, answer);
  }

  /** DELETEs an item; false when it was already gone (404). */
  async delete(path: string, who: CallSubject): Promise<boolean> {
    const call = this.#call('DELETE', path, who);
    const answer = await this.#request(call);
    if (answer.status === 404) return false;
    if (answer.status !== 200 && answer.status !== 204) throw statusError(call, answer);
    return true;
  }

  close(): void {
    this.#agent.destroy();
  }

  #call(method: string, path: string, who: CallSubject): RestCall {
    const { target, product } = this.#options;
    return { target, product, method, path, subject: who.subject };
  }

  #who(): string {
    return `${this.#options.product} '${this.#options.target}'`;
  }

  #details(call: RestCall): Record<string, unknown> {
    return { target: call.target, method: call.method, path: call.path };
  }

  #document(call: RestCall, answer: Answer): XmlNode {
    const doc = parseXml(answer.text);
    if (doc !== undefined) return doc;
    const msg =
      `${this.#who()} answered ${call.method} ${call.path} with something that is not XML ` +
      `(HTTP ${answer.status}, ${answer.contentType || 'no content type'}); check the url`;
    throw new CallsignError(ErrorCode.Unavailable, msg, { details: this.#details(call) });
  }

  #request(call: RestCall, body?: string): Promise<Answer> {
    const url = new URL(call.path, this.#base);
    const pair = `${this.#options.username}:${this.#options.password}`;
    const headers: Record<string, string> = {
      Accept: 'application/xml',
      Authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`,
    };
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/xml; charset=utf-8';
      headers['Content-Length'] = String(payload.length);
    }
    const send = url.protocol === 'https:' ? https.request : http.request;
    const options = { method: call.method, headers, agent: this.#agent };
    return new Promise((resolve, reject) => {
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('response larger than 16 MB'));
          else chunks.push(chunk);
        });
        res.on('error', (err) => reject(this.#unreachable(call, err)));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
            ...(res.headers.location === undefined ? {} : { location: res.headers.location }),
            ...(res.headers['retry-after'] === undefined
              ? {}
              : { retryAfter: String(res.headers['retry-after']) }),
          });
        });
      });
      req.setTimeout(this.#options.timeoutMs, () => {
        req.destroy(new Error(`no answer within ${this.#options.timeoutMs} ms`));
      });
      req.on('error', (err) => reject(this.#unreachable(call, err)));
      req.end(payload);
    });
  }

  #unreachable(call: RestCall, err: Error): CallsignError {
    // A write may have been committed before the answer was lost: the retry reads first.
    const msg = `${this.#who()} did not answer ${call.method} ${call.path}: ${err.message}`;
    return new CallsignError(ErrorCode.Unavailable, msg, {
      cause: err,
      details: this.#details(call),
    });
  }
}

/** One HTTP answer. */
export interface Answer {
  status: number;
  contentType: string;
  text: string;
  location?: string;
  retryAfter?: string;
}
