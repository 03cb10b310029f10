/**
 * A real SMTP server for the notification tests: smtp-server on 127.0.0.1, STARTTLS required
 * before AUTH PLAIN/LOGIN, with a certificate from src/lab/test-ca.ts. Received messages are
 * parsed with mailparser and kept; `refuse` makes chosen recipients get a 4xx or 5xx reply.
 */
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';

import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

import type { TestCa } from '../lab/test-ca.ts';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** The message as it came over the wire. */
  raw: string;
  user: string;
}

export interface TestSmtpOptions {
  ca: TestCa;
  user: string;
  password: string;
  /** Listen on this port (a restart on the same port); default any free port. */
  port?: number;
}

export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  /** Recipient address → SMTP reply code given at RCPT TO (451, 550…). */
  readonly refuse = new Map<string, number>();
  /** Recipient address → SMTP reply code given after DATA (the message was sent, then refused). */
  readonly refuseData = new Map<string, number>();
  readonly #o: TestSmtpOptions;
  #server: SMTPServer | undefined;
  #port = 0;

  constructor(options: TestSmtpOptions) {
    this.#o = options;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<this> {
    const server = new SMTPServer({
      secure: false,
      key: readFileSync(this.#o.ca.keyFile),
      cert: readFileSync(this.#o.ca.certFile),
      authMethods: ['PLAIN', 'LOGIN'],
      // AUTH only after STARTTLS: a client that skips TLS cannot log in at all.
      allowInsecureAuth: false,
      logger: false,
      disabledCommands: [],
      onAuth: (auth, _session, done) => {
        if (auth.username === this.#o.user && auth.password === this.#o.password) {
          return done(null, { user: auth.username });
        }
        return done(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, done) => {
        const code = this.refuse.get(address.address);
        if (code === undefined) return done();
        const text = code < 500 ? 'Mailbox busy, try later' : 'No such mailbox';
        return done(Object.assign(new Error(text), { responseCode: code }));
      },
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const refused = session.envelope.rcptTo
            .map((r) => this.refuseData.get(r.address))
            .find((code) => code !== undefined);
          if (refused !== undefined) {
            const text = refused < 500 ? 'Queue full, try later' : 'Message rejected by policy';
            return done(Object.assign(new Error(text), { responseCode: refused }));
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw).then(
            (mail) => {
              this.received.push({
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
                subject: mail.subject ?? '',
                text: mail.text ?? '',
                raw,
                user: String(session.user ?? ''),
              });
              done();
            },
            (err: Error) => done(err),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#o.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#port = (
      server as unknown as { server: { address(): AddressInfo } }
    ).server.address().port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
