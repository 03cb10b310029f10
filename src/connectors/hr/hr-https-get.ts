/**
 * One GET of an HR feed over HTTPS with basic auth, answering the body as a stream so that a
 * large export is never held whole. Silence longer than the timeout (connecting, or between two
 * pieces of the body) ends the read; an HTTP error answers a CallsignError naming the feed and
 * the status, never the credentials.
 */
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';

import { CallsignError, type ErrorCode } from '../../core/errors.ts';

export interface FeedGet {
  /** The feed's name in messages (`source workday`). */
  label: string;
  url: string;
  username: string;
  password: string;
  /** PEM text of the CA to trust instead of the system's. */
  ca?: string;
  timeoutMs: number;
  accept: string;
}

/** The answer's body, once the status says it is the export. */
export async function getFeed(get: FeedGet, signal?: AbortSignal): Promise<IncomingMessage> {
  const auth = Buffer.from(`${get.username}:${get.password}`).toString('base64');
  const res = await new Promise<IncomingMessage>((ok, fail) => {
    const req = request(get.url, {
      method: 'GET',
      headers: { authorization: `Basic ${auth}`, accept: get.accept },
      ...(get.ca === undefined ? {} : { ca: get.ca }),
      ...(signal === undefined ? {} : { signal }),
    });
    let answer: IncomingMessage | undefined;
    // The same idle limit keeps watching the socket while the body streams.
    req.setTimeout(get.timeoutMs, () => {
      const silence = new Error(`no data for ${get.timeoutMs} ms`);
      answer?.destroy(silence);
      req.destroy(silence);
    });
    req.on('response', (res: IncomingMessage) => {
      answer = res;
      ok(res);
    });
    req.on('error', (err) => {
      fail(
        new CallsignError('unavailable', `${get.label}: GET ${shown(get.url)}: ${err.message}`, {
          cause: err,
        }),
      );
    });
    req.end();
  });
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return res;
  const text = await head(res, 2048);
  throw new CallsignError(
    codeOf(status),
    `${get.label}: GET ${shown(get.url)} answered ${status}` +
      `${text === '' ? '' : `: ${text}`}; nothing read`,
    { details: { status } },
  );
}

/** The URL without its query (which holds no secret, but prompts can be long). */
function shown(url: string): string {
  return url.split('?')[0] ?? url;
}

function codeOf(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 429) return 'throttled';
  return status >= 500 ? 'unavailable' : 'rejected';
}

/** The first `max` bytes of an error body, on one line. */
async function head(res: IncomingMessage, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res) {
      parts.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= max) break;
    }
  } catch {
    // A broken error body still leaves the status to report.
  }
  res.destroy();
  return Buffer.concat(parts).subarray(0, max).toString('utf8').replace(/\s+/g, ' ').trim();
}
