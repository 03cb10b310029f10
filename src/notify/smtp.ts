/**
 * One SMTP submission through nodemailer, and what its failure means for a retry. RFC 5321
 * §4.2.1: a 4yz reply is a transient negative completion (the same command may succeed later),
 * a 5yz reply is permanent. No reply at all (refused, reset, timed out) is retried too. A TLS
 * failure (wrong CA, wrong name) is permanent: it needs an administrator, not time.
 */
import { readFileSync } from 'node:fs';

import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';

import type { SmtpConfig } from '../core/config-notify.ts';

/** One message to send. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/** How a submission ended. */
export type SmtpResult =
  | { kind: 'sent'; code?: number; messageId?: string }
  | { kind: 'retry' | 'failed'; code?: number; error: string };

/** Sends a message; resolves with the outcome, never throws for an SMTP failure. */
export type MailSender = (mail: OutgoingMail) => Promise<SmtpResult>;

/** A sender over the configured server; `password` is the resolved secret. */
export function smtpSender(smtp: SmtpConfig, password: string | undefined): MailSender {
  const transport: Transporter = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.security === 'tls',
    requireTLS: smtp.security === 'starttls',
    ignoreTLS: smtp.security === 'none',
    ...(smtp.user === undefined ? {} : { auth: { user: smtp.user, pass: password ?? '' } }),
    tls: {
      ...(smtp.tlsCa === undefined ? {} : { ca: readFileSync(smtp.tlsCa) }),
      minVersion: 'TLSv1.2',
    },
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
  });

  return async (mail) => {
    try {
      const info = await transport.sendMail({
        from: smtp.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
      });
      return { kind: 'sent', code: replyCode(info.response), messageId: info.messageId };
    } catch (err) {
      return classify(err);
    }
  };
}

const UNREACHABLE = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Translates a nodemailer error into retry or failed, keeping the server's reply code. */
export function classify(err: unknown): SmtpResult {
  const e = (err ?? {}) as { code?: string; responseCode?: number; message?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  // nodemailer's message quotes the server's reply, which never holds our password.
  const error = `${e.code ?? 'error'}: ${firstLine(e.message ?? String(err))}`;

  if (code !== undefined) {
    return { kind: code >= 400 && code < 500 ? 'retry' : 'failed', code, error };
  }
  if (e.code === 'ETLS') return { kind: 'failed', error };
  // Certificate errors surface as socket errors with an OpenSSL reason.
  if (/certificate|self[- ]signed|altnames/i.test(error)) return { kind: 'failed', error };
  if (e.code !== undefined && UNREACHABLE.has(e.code)) return { kind: 'retry', error };
  return { kind: 'retry', error };
}

function replyCode(response: string | undefined): number | undefined {
  const match = /^(\d{3})/.exec(response ?? '');
  return match === null ? undefined : Number(match[1]);
}

function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, 300);
}
