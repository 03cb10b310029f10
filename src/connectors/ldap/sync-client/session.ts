/**
 * A bound Content Sync session: connect with the source's transport security, simple bind as
 * the configured account (the password is sent once and never logged or kept), then Sync
 * searches whose responses come out as a stream of sync events.
 */
import { readFileSync } from 'node:fs';

import { AbandonRequest, BindRequest, FilterParser, SearchRequest } from 'ldapts';

import type { LdapSourceConfig } from '../../../core/config-types.ts';
import { CallsignError, ErrorCode } from '../../../core/errors.ts';
import { toLdapCallsignError } from '../ldap-errors.ts';
import { LdapResultError, SyncConnection } from './connection.ts';
import { Op, type LdapResponse } from './messages.ts';
import {
  decodeSyncDone,
  decodeSyncInfo,
  decodeSyncState,
  SyncOid,
  SyncRequestControl,
  type SyncInfo,
  type SyncMode,
  type SyncState,
} from './sync-controls.ts';

export type SessionConfig = Pick<
  LdapSourceConfig,
  'url' | 'timeoutMs' | 'tlsCa' | 'startTls' | 'bindDn'
>;

/** Opens and binds a connection; errors are CallsignErrors naming the URL and step. */
export async function openSyncSession(
  config: SessionConfig,
  password: string,
): Promise<SyncConnection> {
  const { url, timeoutMs, tlsCa, startTls, bindDn } = config;
  const ca = readCa(tlsCa, url);
  let connection: SyncConnection | undefined;
  try {
    connection = await SyncConnection.open({
      url,
      timeoutMs,
      ...(ca === undefined ? {} : { ca }),
      ...(startTls === true ? { startTls } : {}),
    });
    const id = connection.nextId();
    connection.send(new BindRequest({ messageId: id, dn: bindDn, password }));
    expectSuccess(await connection.next(id));
    return connection;
  } catch (err) {
    connection?.close();
    throw (
      certificateError(err, url) ?? toLdapCallsignError(err, { action: 'bind', url, dn: bindDn })
    );
  }
}

export interface SyncSearchRequest {
  baseDn: string;
  filter: string;
  attributes: string[];
  mode: SyncMode;
  cookie?: Buffer | undefined;
  signal?: AbortSignal | undefined;
}

export type SyncEvent =
  | {
      kind: 'entry';
      dn: string;
      attributes: Map<string, Buffer[]>;
      state: SyncState;
      uuid: Buffer;
      cookie?: Buffer;
    }
  | { kind: 'info'; info: SyncInfo }
  | { kind: 'done'; cookie?: Buffer; refreshDeletes: boolean };

/**
 * Runs one Sync search. Yields entries and syncInfo messages as they arrive and ends with
 * `done`. A result code other than success is thrown as LdapResultError (4096 is
 * e-syncRefreshRequired). Stopping early (or an abort) abandons the search on the server.
 */
export async function* syncSearch(
  connection: SyncConnection,
  request: SyncSearchRequest,
): AsyncGenerator<SyncEvent> {
  const id = connection.nextId();
  const control = new SyncRequestControl({ mode: request.mode, cookie: request.cookie });
  const search = new SearchRequest({
    messageId: id,
    baseDN: request.baseDn,
    scope: 'sub',
    filter: FilterParser.parseString(request.filter),
    attributes: request.attributes,
    sizeLimit: 0,
    timeLimit: 0,
    controls: [control],
  });
  connection.send(search);
  let finished = false;
  try {
    for (;;) {
      // A persistent search is quiet between changes: only the refresh phase has a deadline.
      const idle = request.mode === 'refreshOnly';
      const response = await connection.next(id, request.signal, idle);
      const event = toEvent(response);
      if (event === undefined) continue;
      if (event.kind === 'done') finished = true;
      yield event;
      if (finished) return;
    }
  } finally {
    if (!finished) {
      try {
        connection.send(new AbandonRequest({ messageId: connection.nextId(), abandonId: id }));
      } catch {
        // The connection is already gone; nothing left to abandon.
      }
    }
  }
}

function toEvent(response: LdapResponse): SyncEvent | undefined {
  switch (response.kind) {
    case 'entry': {
      const control = response.controls.find((c) => c.type === SyncOid.state);
      const dn = response.dn.toString('utf8');
      if (control === undefined) throw new Error(`Entry '${dn}' came without a Sync State control`);
      const { state, uuid, cookie } = decodeSyncState(control);
      const base = { kind: 'entry' as const, dn, attributes: response.attributes, state, uuid };
      return cookie === undefined ? base : { ...base, cookie };
    }
    case 'intermediate':
      if (response.name !== SyncOid.info || response.value === undefined) return undefined;
      return { kind: 'info', info: decodeSyncInfo(response.value) };
    case 'reference':
      // Referrals to other servers are not followed: the configured server is the source.
      return undefined;
    case 'result': {
      if (response.op !== Op.searchResultDone) throw new Error('Unexpected response to a search');
      expectSuccess(response);
      const control = response.controls.find((c) => c.type === SyncOid.done);
      return {
        kind: 'done',
        ...(control === undefined ? { refreshDeletes: false } : decodeSyncDone(control)),
      };
    }
    default:
      return undefined;
  }
}

function expectSuccess(response: LdapResponse): void {
  if (response.kind !== 'result') throw new Error('Expected an LDAP result');
  const { resultCode, diagnostic } = response.result;
  if (resultCode !== 0) throw new LdapResultError(resultCode, diagnostic);
}

function readCa(file: string | undefined, url: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    const message = `Cannot read tlsCa '${file}' for ${url}: ${(err as Error).message}`;
    throw new CallsignError(ErrorCode.Config, message, {
      cause: err,
      details: { url, tlsCa: file },
    });
  }
}

/** A server certificate that does not verify is `auth`: retrying cannot help. */
function certificateError(err: unknown, url: string): CallsignError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !/CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)/.test(code)) {
    return undefined;
  }
  const message =
    `TLS certificate of ${url} was not accepted (${code}: ${(err as Error).message}); ` +
    'check tlsCa and that the certificate names this host';
  return new CallsignError(ErrorCode.Auth, message, {
    cause: err,
    details: { url, tlsCode: code },
  });
}
