/**
 * One HTTP exchange for the Webex client, over node:https (node:http only when the configured
 * URL says so). It exists instead of the global fetch for one reason: a private CA (`tlsCa`,
 * for a TLS-inspecting proxy or a test server) can be trusted per target, which fetch offers
 * only through a separately installed dispatcher. There is no fallback: an https:// URL is
 * only ever spoken to in TLS.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

export function httpExchange(
  url: URL,
  init: {
    method: string;
    headers: Record<string, string>;
    body?: string;
    timeoutMs: number;
    /** PEM of the CA to trust instead of the system's. */
    ca?: string;
  },
): Promise<HttpAnswer> {
  const tls = url.protocol === 'https:';
  const options: https.RequestOptions = {
    method: init.method,
    headers: {
      ...init.headers,
      ...(init.body === undefined ? {} : { 'Content-Length': Buffer.byteLength(init.body) }),
    },
    ...(tls && init.ca !== undefined ? { ca: init.ca } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (tls ? https.request : http.request)(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const headers = res.headers;
        resolve({
          status: res.statusCode ?? 0,
          headers: {
            get: (name) => {
              const value = headers[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
            },
          },
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.setTimeout(init.timeoutMs, () => {
      req.destroy(new Error(`no answer within ${init.timeoutMs} ms`));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
