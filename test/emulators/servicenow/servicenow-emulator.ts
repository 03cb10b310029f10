/**
 * A ServiceNow Table API (`/api/now/table/{table}[/{sys_id}]`) for tests, on 127.0.0.1 and a
 * free port. GET lists page with sysparm_limit and sysparm_offset and answer X-Total-Count and
 * a Link header (first, prev, next, last); PATCH checks reference fields are sys_ids (display
 * values only with sysparm_input_display_value=true) and appends work_notes to the journal, so
 * a duplicated note shows. Errors come as `{"error":{"message","detail"},"status":"failure"}`.
 * Tests steer it: 429 with Retry-After for the next requests, commit-then-drop for the next
 * writes. Test code only: the product talks to it only in tests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { REFERENCES, SnDb, SnFault, type Row } from './sn-db.ts';

export interface SnSeenRequest {
  method: string;
  path: string;
  status: number;
  body?: Record<string, unknown>;
}

export class ServiceNowEmulator {
  readonly db: SnDb;
  readonly requests: SnSeenRequest[] = [];
  /** The next N requests answer 429 without running. */
  throttleRequests = 0;
  retryAfterSeconds = 1;
  /** The next N writes are committed, then the connection is cut before the answer. */
  dropWriteAnswers = 0;
  /** Writes this picks are committed, then the connection is cut before the answer. */
  dropWrite: ((table: string, body: Record<string, unknown>) => boolean) | undefined;
  readonly #accounts: { user: string; password: string }[];
  readonly #tokens: string[];
  #server: http.Server | undefined;
  #origin = '';

  constructor(
    options: {
      accounts?: { user: string; password: string }[];
      tokens?: string[];
      clock?: () => Date;
    } = {},
  ) {
    this.#accounts = options.accounts ?? [{ user: 'callsign', password: 'secret' }];
    this.#tokens = options.tokens ?? [];
    this.db = new SnDb(options.clock ?? (() => new Date()));
  }

  /** Starts listening; returns the instance URL (`http://127.0.0.1:PORT`). */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.#origin;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((ok) => (this.#server ? this.#server.close(() => ok()) : ok()));
  }

  /** Seeds a catalog request: a requested item and its task in the group, state Open. */
  addRequest(options: { item: string; requestedFor: string; group: string; variables?: Row }): {
    ritm: Row;
    task: Row;
  } {
    const ritm = this.db.insert('sc_req_item', {
      number: this.db.nextNumber('RITM'),
      cat_item: options.item,
      requested_for: options.requestedFor,
    });
    this.db.variables.set(ritm.sys_id!, { ...options.variables });
    const task = this.db.insert('sc_task', {
      number: this.db.nextNumber('SCTASK'),
      request_item: ritm.sys_id!,
      assignment_group: options.group,
      state: '1',
      active: 'true',
    });
    return { ritm, task };
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#origin);
    const seen: SnSeenRequest = { method: req.method ?? '', path: url.pathname, status: 0 };
    this.requests.push(seen);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      seen.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const fail = (f: SnFault, headers: Record<string, string> = {}) =>
      send(
        f.status,
        { error: { message: f.message, detail: f.detail }, status: 'failure' },
        headers,
      );

    if (!this.#authorised(req.headers.authorization)) {
      return fail(
        new SnFault(401, 'User Not Authenticated', 'Required to provide Auth information'),
      );
    }
    if (this.throttleRequests > 0) {
      this.throttleRequests--;
      const retry = { 'retry-after': String(this.retryAfterSeconds) };
      return fail(new SnFault(429, 'Too Many Requests', 'Rate limit exceeded'), retry);
    }
    const m = /^\/api\/now\/table\/([a-z_0-9]+)(?:\/([0-9a-f]{32}|[^/]+))?$/.exec(url.pathname);
    if (m === null)
      return fail(new SnFault(400, 'Requested URI does not represent any resource', ''));
    const [, table, sysId] = m as unknown as [string, string, string | undefined];

    try {
      if (req.method === 'GET' && sysId === undefined) {
        return this.#list(table, url, send);
      }
      if (req.method === 'GET') {
        const row = this.db.get(table, sysId!);
        if (!row) throw notFound();
        return send(200, { result: this.#render(table, row, url.searchParams) });
      }
      if (req.method === 'PATCH' || req.method === 'PUT') {
        const body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
        seen.body = body;
        const row = this.#patch(table, sysId ?? '', body, url.searchParams);
        const drop = this.dropWrite?.(table, body) === true;
        if (this.dropWriteAnswers > 0 || drop) {
          if (!drop) this.dropWriteAnswers--;
          seen.status = -1;
          req.socket.destroy();
          return;
        }
        return send(200, { result: this.#render(table, row, url.searchParams) });
      }
      return fail(new SnFault(405, 'Method not Supported', `${req.method} is not supported`));
    } catch (err) {
      if (err instanceof SnFault) return fail(err);
      if (err instanceof SyntaxError)
        return fail(new SnFault(400, 'Exception while reading request', err.message));
      throw err;
    }
  }

  #list(
    table: string,
    url: URL,
    send: (s: number, b: unknown, h?: Record<string, string>) => void,
  ) {
    const params = url.searchParams;
    const rows = this.db.query(table, params.get('sysparm_query') ?? '');
    const limit = Math.max(1, Number(params.get('sysparm_limit') ?? 10000));
    const offset = Math.max(0, Number(params.get('sysparm_offset') ?? 0));
    const page = rows.slice(offset, offset + limit);
    const link = (at: number, rel: string) => {
      const p = new URLSearchParams(params);
      p.set('sysparm_offset', String(at));
      p.set('sysparm_limit', String(limit));
      return `<${this.#origin}${url.pathname}?${p}>;rel="${rel}"`;
    };
    const links = [link(0, 'first')];
    if (offset > 0) links.push(link(Math.max(0, offset - limit), 'prev'));
    if (offset + limit < rows.length) links.push(link(offset + limit, 'next'));
    links.push(link(Math.max(0, Math.floor((rows.length - 1) / limit) * limit), 'last'));
    const result = page.map((r) => this.#render(table, r, params));
    send(200, { result }, { 'x-total-count': String(rows.length), link: links.join(',') });
  }

  #patch(table: string, sysId: string, body: Record<string, unknown>, params: URLSearchParams) {
    const row = this.db.get(table, sysId);
    if (!row) throw notFound();
    const byDisplay = params.get('sysparm_input_display_value') === 'true';
    // Everything is checked before anything is written: a refused PATCH changes nothing.
    const changes: Row = {};
    for (const [field, raw] of Object.entries(body)) {
      if (field === 'work_notes' || field.startsWith('sys_')) continue;
      changes[field] = this.db.reference(table, field, String(raw ?? ''), byDisplay);
    }
    Object.assign(row, changes);
    if (['3', '4', '7'].includes(row.state ?? '')) row.active = 'false';
    if (typeof body.work_notes === 'string' && body.work_notes !== '') {
      const seq = String(this.db.tables.get('sys_journal_field')!.size + 1);
      this.db.insert('sys_journal_field', {
        element_id: sysId,
        element: 'work_notes',
        name: table,
        value: body.work_notes,
        sys_created_by: this.#accounts[0]?.user ?? 'admin',
        seq,
      });
    }
    row.sys_updated_on = this.db.now();
    row.sys_mod_count = String(Number(row.sys_mod_count ?? 0) + 1);
    return row;
  }

  #render(table: string, row: Row, params: URLSearchParams): Record<string, unknown> {
    const mode = params.get('sysparm_display_value') ?? 'false';
    const fields = params
      .get('sysparm_fields')
      ?.split(',')
      .filter((f) => f !== '');
    const links = params.get('sysparm_exclude_reference_link') !== 'true';
    const out: Record<string, unknown> = {};
    for (const field of fields ?? this.db.fieldsOf(table, row)) {
      const value = this.db.render(table, row, field, mode);
      const refTable = REFERENCES[table]?.[field];
      // Without sysparm_exclude_reference_link a reference comes as { link, value }.
      out[field] =
        refTable !== undefined && links && mode === 'false' && value !== ''
          ? { link: `${this.#origin}/api/now/table/${refTable}/${String(value)}`, value }
          : value;
    }
    return out;
  }

  #authorised(header: string | undefined): boolean {
    if (header?.startsWith('Bearer ')) return this.#tokens.includes(header.slice(7));
    if (!header?.startsWith('Basic ')) return false;
    const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    return this.#accounts.some((a) => a.user === user && a.password === rest.join(':'));
  }
}

function notFound(): SnFault {
  return new SnFault(
    404,
    'No Record found',
    "Record doesn't exist or ACL restricts the record retrieval",
  );
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((ok, ko) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', ko);
  });
}
