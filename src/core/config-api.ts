/**
 * The `api:` section: where `callsign serve` listens, TLS, and the request limits. Every field
 * has a default, so a configuration without the section serves on loopback without TLS.
 */
import { isAbsolute, resolve } from 'node:path';

import type { MapView } from './config-reader.ts';
import type { ApiConfig } from './config-types.ts';

const API_KEYS = ['listen', 'tls', 'maxBodyBytes', 'rateLimitPerMinute'] as const;

/** Defaults of the section, also used by code that builds a configuration by hand. */
export const API_DEFAULTS: ApiConfig = {
  host: '127.0.0.1',
  port: 8080,
  maxBodyBytes: 1024 * 1024,
  rateLimitPerMinute: 600,
};

/** Reads `api:`; problems go to the reader with their line. */
export function readApi(top: MapView, baseDir: string): ApiConfig {
  const view = top.map('api', API_KEYS);
  if (view === undefined) return { ...API_DEFAULTS };

  const { host, port } = readListen(view);
  const api: ApiConfig = {
    host,
    port,
    maxBodyBytes: view.num('maxBodyBytes', {
      default: API_DEFAULTS.maxBodyBytes,
      min: 1024,
      integer: true,
    }),
    rateLimitPerMinute: view.num('rateLimitPerMinute', {
      default: API_DEFAULTS.rateLimitPerMinute,
      min: 1,
      integer: true,
    }),
  };

  const tls = view.map('tls', ['cert', 'key']);
  if (tls !== undefined) {
    const cert = tls.str('cert', { required: true });
    const key = tls.str('key', { required: true });
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
    if (cert !== undefined && key !== undefined) api.tls = { cert: abs(cert), key: abs(key) };
  }
  return api;
}

/** `listen: 127.0.0.1:8080`, `[::1]:8443`, or a bare port. */
function readListen(view: MapView): { host: string; port: number } {
  const text = view.str('listen');
  if (text === undefined) return { host: API_DEFAULTS.host, port: API_DEFAULTS.port };

  const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):)?(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    view.problem('listen', `'${text}' is not HOST:PORT (e.g. 127.0.0.1:8080)`);
    return { host: API_DEFAULTS.host, port: API_DEFAULTS.port };
  }
  return { host: match[1] ?? match[2] ?? API_DEFAULTS.host, port };
}
