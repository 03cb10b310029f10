/**
 * PeopleSoft Query Access Services, REST ExecuteQuery, on 127.0.0.1:0 over HTTPS:
 * GET /PSIGW/RESTListeningConnector/NODE/ExecuteQuery.v1/OWNER/QUERY/JSON/NONFILE
 *     ?isconnectedquery=N&maxrows=N&json_resp=true
 * with basic auth. The answer is `{"status":"success","data":{"query":{"numrows":N,
 * "queryname":Q,"rows":[{"attr:rownumber":1,...}]}}}`; at most `maxrows` rows are answered
 * (the service cuts silently, as PeopleSoft does), so a client must ask for one more than it
 * accepts to notice. `cutNext` closes the connection mid-body.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import type { TestCa } from '../../../src/lab/test-ca.ts';

export interface QasEmulatorOptions {
  ca: TestCa;
  node: string;
  username: string;
  password: string;
  /** Query name → its rows (owner PUBLIC). */
  queries: Record<string, () => Record<string, string>[]>;
}

export interface QasEmulator {
  /** `https://127.0.0.1:PORT/PSIGW/RESTListeningConnector/NODE/ExecuteQuery.v1` */
  url: string;
  requests: { path: string; maxrows: string | null; authorized: boolean }[];
  cutNext: (bytes: number) => void;
  close: () => Promise<void>;
}

export async function startQasEmulator(options: QasEmulatorOptions): Promise<QasEmulator> {
  const base = `/PSIGW/RESTListeningConnector/${options.node}/ExecuteQuery.v1`;
  const requests: QasEmulator['requests'] = [];
  let cut: number | undefined;
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const authorized = req.headers.authorization === expected;
    requests.push({ path: url.pathname, maxrows: url.searchParams.get('maxrows'), authorized });
    if (!authorized) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="PSIGW"' }).end();
      return;
    }
    const parts = url.pathname.startsWith(`${base}/`)
      ? url.pathname
          .slice(base.length + 1)
          .split('/')
          .map(decodeURIComponent)
      : [];
    const [owner, query, type, format] = parts;
    const rowsOf = query === undefined ? undefined : options.queries[query];
    if (parts.length !== 4 || owner?.toUpperCase() !== 'PUBLIC' || rowsOf === undefined) {
      const message = `Query ${query ?? ''} does not exist or is not accessible`;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', data: { message } }));
      return;
    }
    const maxrows = Number(url.searchParams.get('maxrows'));
    if (type !== 'JSON' || format !== 'NONFILE' || url.searchParams.get('json_resp') !== 'true') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('only JSON/NONFILE emulated');
      return;
    }
    if (!Number.isInteger(maxrows) || maxrows < 0) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('MaxRow is required');
      return;
    }
    // MaxRow 0 is "no limit" in Query; any other value cuts the answer there.
    const all = rowsOf();
    const rows = maxrows === 0 ? all : all.slice(0, maxrows);
    const body = JSON.stringify({
      status: 'success',
      data: {
        query: {
          numrows: rows.length,
          queryname: query,
          rows: rows.map((r, i) => ({ 'attr:rownumber': i + 1, ...r })),
        },
      },
    });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    if (cut !== undefined) {
      const socket = res.socket;
      // Destroyed once the part is out, so the client sees headers and a short body.
      res.write(Buffer.from(body).subarray(0, cut), () => socket?.destroy());
      cut = undefined;
      return;
    }
    res.end(body);
  };

  const server: Server = createServer(
    { cert: readFileSync(options.ca.certFile), key: readFileSync(options.ca.keyFile) },
    handle,
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}${base}`,
    requests,
    cutNext: (bytes) => (cut = bytes),
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
