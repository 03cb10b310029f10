import { setTimeout as sleep } from 'node:timers/promises';

import { toCallsignError } from '../core/errors.ts';
import type { Engine } from './engine.ts';
import { reconcile, type RunReport } from './reconcile.ts';

/**
 * `callsign run`: reconciles every interval until SIGINT or SIGTERM. While a run waits at the
 * safety brake, no new run starts: the administrator decides first. A failing poll is logged
 * and tried again at the next interval; it never de-provisions anyone (see reconcile).
 */
export async function runForever(
  engine: Engine,
  options: {
    intervalMs: number;
    actor: string;
    onReport: (report: RunReport) => void;
    signal?: AbortSignal;
  },
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  options.signal?.addEventListener('abort', onSignal);
  const { log, store } = engine;

  try {
    while (!stop.signal.aborted) {
      const waiting = (await store.listRuns(20)).find((r) => r.state === 'braked');
      if (waiting) {
        log.warn({ runId: waiting.id }, 'run waits for approval; polling paused');
      } else {
        try {
          options.onReport(await reconcile(engine, { mode: 'sync', actor: options.actor }));
        } catch (err) {
          const e = toCallsignError(err);
          log.error({ code: e.code, err: e.message }, 'poll failed');
        }
      }
      await sleep(options.intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
