import { setTimeout as sleep } from 'node:timers/promises';

import { toCallsignError } from '../core/errors.ts';
import { ServiceNowSource } from '../connectors/servicenow/servicenow-source.ts';
import { TicketDesk } from '../connectors/servicenow/ticket-desk.ts';
import { ChangeFeed } from './change-feed.ts';
import type { Engine } from './engine.ts';
import type { EngineEvents } from './events.ts';
import { reconcile, type RunReport } from './reconcile.ts';

/**
 * `callsign run`: every interval, applies what the change feeds report (or reads in full when a
 * source has no feed, its cursor is lost, or its periodic full read is due), until SIGINT or
 * SIGTERM. While a run waits at the
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
    /** Passed to every run's executor (webhooks, metrics). */
    events?: EngineEvents;
  },
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  options.signal?.addEventListener('abort', onSignal);
  const { log, store } = engine;
  const feed = new ChangeFeed(engine);
  // Ticket queues (ServiceNow) are polled beside the directories: each task is picked up,
  // planned and run, and the task updated with the outcome.
  const desks = [...engine.sources.values()]
    .filter((s): s is ServiceNowSource => s instanceof ServiceNowSource)
    .map((source) => new TicketDesk(engine, source, { events: options.events }));
  // Sources that announce their changes (LDAP Content Sync) cut the wait between polls short.
  let wake = new AbortController();
  for (const source of engine.sources.values()) source.watch?.(() => wake.abort(), stop.signal);

  try {
    while (!stop.signal.aborted) {
      const waiting = (await store.listRuns(20)).find((r) => r.state === 'braked');
      if (waiting) {
        log.warn({ runId: waiting.id }, 'run waits for approval; polling paused');
      } else {
        try {
          const next = await feed.next();
          const changes = next.mode === 'delta' ? next.changes : undefined;
          const report = await reconcile(engine, {
            mode: 'sync',
            actor: options.actor,
            changes,
            events: options.events,
          });
          // A braked or short run keeps the old cursor: its changes are read again next time.
          if (report.state !== 'braked' && report.sources.every((s) => s.complete)) {
            await next.commit();
          }
          if (report.plans.length > 0 || report.state !== 'finished') options.onReport(report);
        } catch (err) {
          const e = toCallsignError(err);
          log.error({ code: e.code, err: e.message }, 'poll failed');
        }
        for (const desk of desks) {
          try {
            const desked = await desk.poll(stop.signal);
            if (desked.read > 0 || desked.closed.length > 0) log.info(desked, 'tickets polled');
          } catch (err) {
            const e = toCallsignError(err);
            log.error({ code: e.code, err: e.message }, 'ticket poll failed');
          }
        }
      }
      const until = AbortSignal.any([stop.signal, wake.signal]);
      await sleep(options.intervalMs, undefined, { signal: until }).catch(() => undefined);
      // A change announced during the run above has already ended this wait: none is lost.
      if (wake.signal.aborted) wake = new AbortController();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
