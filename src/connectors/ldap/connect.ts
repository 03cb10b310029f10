/**
 * Opens a bound LDAP connection with the source's transport security: ldaps:// or StartTLS,
 * verified against the configured CA (or the system's). A certificate that does not verify is
 * an error that names the certificate; nothing ever falls back to plain text.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

import { Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { toLdapCallsignError } from './ldap-errors.ts';
import { attachTap, PagingTap } from './paged-search.ts';

export type LdapConnectConfig = Pick<
  LdapSourceConfig,
  'url' | 'timeoutMs' | 'tlsCa' | 'startTls' | 'bindDn'
>;

/**
 * A new client, bound as the configured account. The client uses its socket once: ldapts would
 * otherwise reopen a dropped connection on the next call, unbound and (after StartTLS) in plain
 * text; here that call fails as unavailable, and the caller opens a new client.
 */
export async function connectLdap(config: LdapConnectConfig, password: string): Promise<Client> {
  const { url, timeoutMs, tlsCa, startTls, bindDn } = config;
  const ca = readCa(tlsCa, url);
  const secure = url.toLowerCase().startsWith('ldaps:');
  const once = singleUse();
  const tap = new PagingTap();
  const tapped = tapSockets(tap);
  const client = new Client({
    url,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
    ...(secure ? { tlsOptions: ca === undefined ? {} : { ca } } : {}),
    createConnection: tapped(once(netConnect)),
    // StartTLS wraps the socket already opened, so its factory is not single-use.
    createSecureConnection: tapped(secure ? once(tlsConnect) : tlsConnect),
  });
  attachTap(client, tap);

  let step = secure ? 'TLS connection' : 'connection';
  try {
    if (startTls === true && !secure) {
      step = 'StartTLS';
      await client.startTLS(ca === undefined ? {} : { ca });
    }
    step = 'bind';
    await client.bind(bindDn, password);
    return client;
  } catch (err) {
    await client.unbind().catch(() => undefined);
    const tls = certificateError(err, url, step);
    throw tls ?? toLdapCallsignError(err, { action: 'bind', url, dn: bindDn });
  }
}

/** Node's codes for a server certificate that does not verify (not for a dropped socket). */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * An untrusted server certificate is reported as `auth`: retrying cannot help, and an admin
 * reads it as "the server failed to prove who it is" (wrong tlsCa, wrong host name).
 */
function certificateError(err: unknown, url: string, step: string): CallsignError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !CERTIFICATE_CODES.has(code)) return undefined;
  const reason = (err as Error).message;
  const message =
    `TLS certificate of ${url} was not accepted during ${step} (${code}: ${reason}); ` +
    'check tlsCa and that the certificate names this host';
  return new CallsignError(ErrorCode.Auth, message, {
    cause: err,
    details: { url, tlsCode: code },
  });
}

function readCa(file: string | undefined, url: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    const reason = (err as Error).message;
    const message = `Cannot read tlsCa '${file}' for ${url}: ${reason}`;
    const details = { url, tlsCa: file };
    throw new CallsignError(ErrorCode.Config, message, { cause: err, details });
  }
}

/**
 * Wraps socket factories so that the paging tap sees the bytes ldapts reads. A plain socket
 * that StartTLS later wraps stops feeding the tap once encrypted: TLS socket data is LDAP again.
 */
function tapSockets(tap: PagingTap) {
  return <F extends (...args: never[]) => Socket>(factory: F): F =>
    ((...args: Parameters<F>) => {
      const socket = factory(...args);
      tap.socket = socket;
      socket.on('data', (chunk: Buffer) => {
        if (!upgraded.has(socket)) tap.onData(chunk);
      });
      const wrapped = (args[0] as { socket?: Socket } | undefined)?.socket;
      if (wrapped !== undefined) upgraded.add(wrapped);
      return socket;
    }) as F;
}

const upgraded = new WeakSet<Socket>();

/**
 * Wraps socket factories so that only the first call opens a connection; later calls give a
 * socket that fails at once with "Connection closed", which ldapts reports to the pending call.
 */
function singleUse() {
  let used = false;
  return <F extends (...args: never[]) => Socket>(factory: F): F =>
    ((...args: Parameters<F>) => {
      if (!used) {
        used = true;
        return factory(...args);
      }
      const socket = new Socket();
      const error = new Error('Connection closed: this client does not reconnect');
      process.nextTick(() => socket.destroy(error));
      return socket;
    }) as F;
}
