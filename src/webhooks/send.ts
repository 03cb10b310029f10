/**
 * One HTTP attempt of one delivery, classified: delivered (2xx), retry (network error,
 * timeout, 408, 429, 5xx; with the Retry-After the receiver asked for), or failed at once (any
 * other status: the receiver refused the request and sending it again cannot change that).
 * Redirects are not followed: a signed request must not travel to a host the configuration did
 * not name.
 */
import { signatureHeader } from './signature.ts';

/** What `sendDelivery` needs; `fetch` is injectable for tests that need no network. */
export interface SendRequest {
  url: string;
  secret: string;
  eventType: string;
  deliveryId: string;
  body: string;
  timeoutMs: number;
  now: Date;
  fetch?: typeof fetch;
}

export type SendResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status?: number; error: string; retryAfterMs?: number }
  | { kind: 'failed'; status: number; error: string };

/** Largest Retry-After honoured; a receiver asking for more is retried after this. */
export const MAX_RETRY_AFTER_MS = 6 * 60 * 60 * 1000;

/** POSTs the body once; never throws. */
export async function sendDelivery(req: SendRequest): Promise<SendResult> {
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': 'Callsign-Webhooks/1',
    'Callsign-Event': req.eventType,
    'Callsign-Delivery': req.deliveryId,
    'Callsign-Signature': signatureHeader(req.secret, req.body, req.now),
  };
  let response: Response;
  try {
    response = await (req.fetch ?? fetch)(req.url, {
      method: 'POST',
      headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    return { kind: 'retry', error: networkError(err, req.timeoutMs) };
  }
  // The answer's body is not needed; reading it frees the connection for the next delivery.
  await response.arrayBuffer().catch(() => undefined);

  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), req.now);
    return { kind: 'retry', status, error: `HTTP ${status}`, retryAfterMs };
  }
  const reason = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return { kind: 'failed', status, error: `HTTP ${status}${reason}` };
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now.getTime();
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** A short reason without the URL: a URL may carry a token in its path or query. */
function networkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return `no answer within ${timeoutMs} ms`;
  }
  const code = e?.cause?.code;
  return typeof code === 'string' ? `network error ${code}` : 'network error';
}
