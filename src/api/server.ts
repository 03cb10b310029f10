/**
 * `callsign serve` as a library: the HTTP(S) server, a background executor for journaled
 * operations, the run finaliser and (unless disabled) the poll loop. `stop` ends them in the
 * order that loses nothing: stop taking requests, stop polling, let operations in flight finish.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

import { serve, type ServerType } from '@hono/node-server';

import { API_DEFAULTS } from '../core/config-api.ts';
import type { ApiConfig } from '../core/config-types.ts';
import { CallsignError, ErrorCode, toCallsignError } from '../core/errors.ts';
import { storeUrl, type Engine } from '../engine/engine.ts';
import { EngineEvents } from '../engine/events.ts';
import { Executor } from '../engine/executor.ts';
import type { RunReport } from '../engine/reconcile.ts';
import { startWebhooks } from '../webhooks/webhooks.ts';
import { startNotifications } from '../notify/notify.ts';
import { createApp, type ScimHandler } from './app.ts';
import { MetricsRecorder } from './metrics.ts';
import { PoolWatch } from '../engine/pool-watch.ts';
import { finaliseRuns } from '../engine/run-finaliser.ts';
import { TokenStore } from './token-store.ts';

export interface StartServerOptions {
  /** Overrides `engine.config.api` (tests: port 0). */
  api?: Partial<ApiConfig>;
  /** Poll the sources every `engine.pollIntervalSeconds`; default true. */
  poll?: boolean;
  /** Builds the SCIM handler; absent: /scim/v2 is not served. */
  scim?: (deps: { engine: Engine; onQueued: () => void }) => ScimHandler;
  onReport?: (report: RunReport) => void;
  /** How often the run finaliser looks (default 2 s), and the age a run must reach first. */
  finalise?: { everyMs?: number; settleMs?: number };
  /** How often pools are checked for low stock (`pool:low`); default one minute. */
  poolCheckMs?: number;
  /** The lifecycle events (webhooks, notifications, pool:low); default a new emitter. */
  events?: EngineEvents;
}

export interface RunningServer {
  /** `http://127.0.0.1:PORT` or `https://…`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts everything `callsign serve` runs; the engine stays the caller's to close. */
export async function startServer(engine: Engine, o: StartServerOptions = {}) {
  const api: ApiConfig = { ...API_DEFAULTS, ...engine.config.api, ...o.api };
  const { log, store, config } = engine;
  // First: a webhook whose secret cannot be read stops the start before anything is opened.
  const events = o.events ?? new EngineEvents({ log });
  const webhooks = startWebhooks(engine, { events });
  const notifications = startNotifications(engine, { events });
  const tokens = TokenStore.open(storeUrl(config.store, dirname(config.file)), {
    clock: engine.clock,
    audit: (entry) => store.audit(entry),
  });

  const metrics = new MetricsRecorder(engine.clock);
  metrics.trackSources(engine);
  const executor = new Executor({
    store,
    targets: engine.targets,
    handlers: engine.handlers,
    clock: engine.clock,
    leaseMs: config.engine.leaseSeconds * 1000,
    maxAttempts: config.engine.maxAttempts,
    backoffBaseMs: config.engine.backoffBaseMs,
    backoffMaxMs: config.engine.backoffMaxMs,
    secrets: engine.vault,
    log,
    events,
  });
  const detach = metrics.attach(executor.events);
  executor.start();
  const onQueued = () => executor.wake();

  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const app = createApp({
    deps: { engine, tokens, onQueued, exclusive },
    api,
    openMetrics: isLoopback(api.host),
    metrics,
    log,
    scim: o.scim?.({ engine, onQueued }),
  });

  const server = await listen(app.fetch, api);
  const port = (server.address() as AddressInfo).port;
  const host = api.host.includes(':') ? `[${api.host}]` : api.host;
  const url = `${api.tls ? 'https' : 'http'}://${host}:${port}`;
  log.info({ url, poll: o.poll !== false }, 'serving');

  const pools = new PoolWatch({ store, config, clock: engine.clock, events });
  const checkPools = () => {
    pools
      .check()
      .catch((err) => log.warn({ err: toCallsignError(err).message }, 'pool check failed'));
  };
  checkPools();
  const poolTimer = setInterval(checkPools, o.poolCheckMs ?? 60_000);
  const finaliser = setInterval(() => {
    exclusive(() => finaliseRuns(engine, o.finalise?.settleMs))
      .then((closed) => {
        // A sync started from the API ends here: its allocations may have emptied a pool.
        if (closed > 0) checkPools();
      })
      .catch((err) => log.warn({ err: toCallsignError(err).message }, 'run finaliser failed'));
  }, o.finalise?.everyMs ?? 2000);
  const pollStop = new AbortController();
  const onReport = (report: RunReport) => {
    checkPools();
    o.onReport?.(report);
  };
  const polling =
    o.poll === false ? Promise.resolve() : startPolling(engine, pollStop.signal, onReport);

  const stop = async () => {
    clearInterval(finaliser);
    clearInterval(poolTimer);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    pollStop.abort();
    await polling;
    await executor.stop();
    await webhooks?.stop();
    await notifications?.stop();
    detach();
    await tokens.close();
  };
  return { url, port, stop } satisfies RunningServer;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function startPolling(
  engine: Engine,
  signal: AbortSignal,
  onReport: (report: RunReport) => void,
) {
  const { runForever } = await import('../engine/daemon.ts');
  await runForever(engine, {
    intervalMs: engine.config.engine.pollIntervalSeconds * 1000,
    actor: 'poll',
    signal,
    onReport,
  });
}

function listen(fetch: (req: Request) => Response | Promise<Response>, api: ApiConfig) {
  return new Promise<ServerType>((resolve, reject) => {
    const tls = api.tls ? tlsOptions(api.tls) : undefined;
    const server = serve(
      {
        fetch,
        port: api.port,
        hostname: api.host,
        ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}),
      },
      () => resolve(server),
    );
    server.once('error', (err) =>
      reject(
        new CallsignError(
          ErrorCode.Unavailable,
          `Cannot listen on ${api.host}:${api.port}: ${err.message}`,
          { cause: err },
        ),
      ),
    );
  });
}

function tlsOptions(tls: { cert: string; key: string }) {
  try {
    return { cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
  } catch (err) {
    throw new CallsignError(
      ErrorCode.Config,
      `api.tls: cannot read ${tls.cert} or ${tls.key}: ${(err as Error).message}`,
      { cause: err, details: { field: 'api.tls' } },
    );
  }
}
