/**
 * A Workday custom report served as a web service (Reports as a Service) on 127.0.0.1:0 over
 * HTTPS: GET /ccx/service/customreport2/TENANT/OWNER/REPORT?format=csv|json with basic auth.
 * JSON is `{"Report_Entry":[...]}` with empty fields left out, as Workday writes it; CSV has a
 * header of the report's columns. The body is written entry by entry (chunked), so a large
 * report is never built whole here either. `cutNext` closes the connection mid-body, `stallNext`
 * stops sending, `failNext` answers an HTTP error.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import type { TestCa } from '../../../src/lab/test-ca.ts';

export type ReportRow = Record<string, string>;

export interface RaasEmulatorOptions {
  ca: TestCa;
  tenant: string;
  owner: string;
  report: string;
  username: string;
  password: string;
  /** The report's columns, in order (the CSV header). */
  columns: string[];
  /** The rows; called once per request so a test can serve millions without holding them. */
  rows: () => Iterable<ReportRow>;
}

export interface RaasEmulator {
  /** The report's URL, without `?format=`. */
  url: string;
  requests: { format: string | null; authorized: boolean }[];
  /** The next answer closes the connection after `bytes` bytes of body. */
  cutNext: (bytes: number) => void;
  /** The next answer sends `bytes` bytes of body, then nothing more. */
  stallNext: (bytes: number) => void;
  /** The next answer is this HTTP status. */
  failNext: (status: number) => void;
  close: () => Promise<void>;
}

export async function startRaasEmulator(options: RaasEmulatorOptions): Promise<RaasEmulator> {
  const path = `/ccx/service/customreport2/${options.tenant}/${options.owner}/${options.report}`;
  const requests: RaasEmulator['requests'] = [];
  let next: { kind: 'cut' | 'stall'; bytes: number } | { kind: 'fail'; status: number } | undefined;
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const authorized = req.headers.authorization === expected;
    requests.push({ format: url.searchParams.get('format'), authorized });
    if (!authorized) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="Workday"' }).end('Unauthorized');
      return;
    }
    if (url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Report not found');
      return;
    }
    const format = url.searchParams.get('format') ?? 'simplexml';
    if (format !== 'csv' && format !== 'json') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`format ${format} not served`);
      return;
    }
    const plan = next;
    next = undefined;
    if (plan?.kind === 'fail') {
      res.writeHead(plan.status, { 'content-type': 'text/plain' }).end('Internal error');
      return;
    }
    res.writeHead(200, {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json',
    });
    let sent = 0;
    const send = async (text: string) => {
      if (plan !== undefined && sent + Buffer.byteLength(text) > plan.bytes) {
        const part = Buffer.from(text).subarray(0, plan.bytes - sent);
        const socket = res.socket;
        res.write(part, () => (plan.kind === 'cut' ? socket?.destroy() : undefined));
        throw new Stop();
      }
      sent += Buffer.byteLength(text);
      if (!res.write(text)) await new Promise((ok) => res.once('drain', ok));
    };
    try {
      if (format === 'csv') {
        await send(`${options.columns.map(csvField).join(',')}\r\n`);
        for (const row of options.rows()) {
          await send(`${options.columns.map((c) => csvField(row[c] ?? '')).join(',')}\r\n`);
        }
      } else {
        await send('{"Report_Entry":[');
        let first = true;
        for (const row of options.rows()) {
          const entry = Object.fromEntries(Object.entries(row).filter(([, v]) => v !== ''));
          await send(`${first ? '' : ','}${JSON.stringify(entry)}`);
          first = false;
        }
        await send(']}');
      }
      res.end();
    } catch (err) {
      if (!(err instanceof Stop)) res.destroy();
    }
  };

  const server: Server = createServer(
    { cert: readFileSync(options.ca.certFile), key: readFileSync(options.ca.keyFile) },
    (req, res) => void handle(req, res),
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}${path}`,
    requests,
    cutNext: (bytes) => (next = { kind: 'cut', bytes }),
    stallNext: (bytes) => (next = { kind: 'stall', bytes }),
    failNext: (status) => (next = { kind: 'fail', status }),
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

class Stop extends Error {}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
