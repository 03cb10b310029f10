/**
 * A webhook receiver for tests: a node:http server on 127.0.0.1 that records every request and
 * answers from a script (status and headers per request, then 200). It can be stopped and
 * started again on the same port, to play a receiver that is down for a while.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How to answer one request. */
export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
}

export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Answers for the next requests, in order; empty: 200. */
  readonly script: ScriptedAnswer[] = [];
  #server: Server | undefined;
  #port = 0;

  /** Listens on 127.0.0.1, on a free port the first time and the same port after a stop. */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const answer = this.script.shift() ?? { status: 200 };
        res.writeHead(answer.status, answer.headers).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Stops listening and drops open connections, so the next attempt finds nobody. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }
}
