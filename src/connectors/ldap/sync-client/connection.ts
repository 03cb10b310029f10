/**
 * A minimal LDAP connection for Content Sync: one socket (ldap://, ldaps:// or StartTLS, never
 * falling back to plain text), requests written with ldapts's message classes, responses
 * decoded by messages.ts and handed out one at a time per message id. No reconnection: a
 * dropped socket fails the pending wait, and the caller opens a new connection.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

import { ExtendedRequest, UnbindRequest } from 'ldapts';

import { decodeMessage, splitFrames, type LdapResponse } from './messages.ts';

export interface SyncConnectionOptions {
  url: string;
  timeoutMs: number;
  /** CA certificates (PEM) that verify the server; the system's when absent. */
  ca?: Buffer;
  startTls?: boolean;
}

/** A result code the server returned, as an error carrying the numeric `code`. */
export class LdapResultError extends Error {
  constructor(
    readonly code: number,
    diagnostic: string,
  ) {
    super(diagnostic === '' ? `LDAP result code ${code}` : diagnostic);
    this.name = 'LdapResultError';
  }
}

const START_TLS_OID = '1.3.6.1.4.1.1466.20037';

export class SyncConnection {
  #socket: Socket | TLSSocket;
  #pending: Buffer = Buffer.alloc(0);
  #queue: LdapResponse[] = [];
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  #nextId = 1;
  readonly #timeoutMs: number;

  private constructor(socket: Socket, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#socket = socket;
    // A persistent search is silent for hours: keepalive notices a peer that vanished.
    socket.setKeepAlive(true, 60_000);
    this.#attach(socket);
  }

  /** Opens the transport the URL and options ask for; StartTLS is done before returning. */
  static async open(options: SyncConnectionOptions): Promise<SyncConnection> {
    const { host, port, secure } = parseUrl(options.url);
    const tls = tlsOptions(host, options.ca);
    const socket = secure
      ? await settle(tlsConnect({ ...tls, port }), 'secureConnect', options.timeoutMs)
      : await settle(netConnect({ host, port }), 'connect', options.timeoutMs);
    const connection = new SyncConnection(socket, options.timeoutMs);
    if (options.startTls === true && !secure) {
      try {
        await connection.#startTls(tls);
      } catch (err) {
        connection.close();
        throw err;
      }
    }
    return connection;
  }

  /** A fresh message id for the next request. */
  nextId(): number {
    return this.#nextId++;
  }

  send(message: { write(): Buffer }): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#socket.write(message.write());
  }

  /**
   * The next response to `messageId`. Fails when the socket drops, the server sends nothing
   * for timeoutMs (unless `idle` is false), or the signal aborts.
   */
  async next(messageId: number, signal?: AbortSignal, idle = true): Promise<LdapResponse> {
    for (;;) {
      const index = this.#queue.findIndex((r) => r.messageId === messageId);
      if (index >= 0) return this.#queue.splice(index, 1)[0]!;
      if (this.#failure !== undefined) throw this.#failure;
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const timer = idle
          ? setTimeout(() => this.#fail(new Error('Operation timed out')), this.#timeoutMs)
          : undefined;
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.#wake = undefined;
        };
        const onAbort = () => {
          done();
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#wake = () => {
          done();
          resolve();
        };
      });
    }
  }

  /** Sends an unbind (best effort) and closes the socket. */
  close(): void {
    if (this.#failure === undefined && !this.#socket.destroyed) {
      this.#socket.end(new UnbindRequest({ messageId: this.nextId() }).write());
    }
    this.#fail(new Error('Connection closed'));
    this.#socket.destroy();
  }

  async #startTls(options: ConnectionOptions): Promise<void> {
    const id = this.nextId();
    this.send(new ExtendedRequest({ messageId: id, oid: START_TLS_OID }));
    const response = await this.next(id);
    if (response.kind !== 'result' || response.result.resultCode !== 0) {
      const code = response.kind === 'result' ? response.result.resultCode : 2;
      const diagnostic = response.kind === 'result' ? response.result.diagnostic : '';
      throw new LdapResultError(code, `StartTLS refused: ${diagnostic || `result code ${code}`}`);
    }
    const plain = this.#socket;
    plain.removeAllListeners('data');
    const secure = tlsConnect({ ...options, socket: plain });
    this.#socket = secure;
    this.#attach(secure);
    await settle(secure, 'secureConnect', this.#timeoutMs);
  }

  #attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('Connection closed by the server')));
  }

  #receive(chunk: Buffer): void {
    try {
      const { frames, rest } = splitFrames(Buffer.concat([this.#pending, chunk]));
      this.#pending = rest;
      for (const frame of frames) {
        const response = decodeMessage(frame);
        if (response.kind === 'notice') {
          const why = response.result.diagnostic || `result code ${response.result.resultCode}`;
          this.#fail(new Error(`Connection closed: the server ended the session (${why})`));
          return;
        }
        this.#queue.push(response);
      }
    } catch (err) {
      this.#fail(err as Error);
      this.#socket.destroy();
      return;
    }
    this.#wake?.();
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    this.#wake?.();
  }
}

function parseUrl(url: string): { host: string; port: number; secure: boolean } {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'ldaps:';
  if (!secure && parsed.protocol !== 'ldap:')
    throw new Error(`'${url}' is not an ldap:// or ldaps:// URL`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? (secure ? 636 : 389) : Number(parsed.port);
  return { host, port, secure };
}

/** Verifies against the given CA (or the system's); SNI only for names, as RFC 6066 asks. */
function tlsOptions(host: string, ca: Buffer | undefined): ConnectionOptions {
  return {
    host,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ...(ca === undefined ? {} : { ca }),
  };
}

/** Resolves with the socket once `event` fires; rejects on error or timeout. */
function settle<S extends Socket>(socket: S, event: string, timeoutMs: number): Promise<S> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('Connection timeout'));
    }, timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
