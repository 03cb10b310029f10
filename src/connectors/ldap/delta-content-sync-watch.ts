/**
 * A doorbell for the daemon: a Content Sync search in refreshAndPersist mode that stays open
 * and calls `onChange` as soon as syncprov reports a change under the base and filter. It
 * carries no data: the daemon then reads the changes with the refreshOnly reader and its
 * cursor, so a missed or doubled ring costs at most one early poll, never a lost change.
 *
 * A dropped connection is reopened after a pause (with a ring, since changes may have happened
 * meanwhile); a server that does not offer Content Sync ends the watch, and polling goes on.
 *
 * Every entry message after the refresh rings, whatever its DN: an entry moved out of the base
 * comes as a delete under its new DN. slapd sends that delete only when the bind account may
 * read the entry at its new place; when it may not, nothing arrives and the move waits for
 * the next poll (README, Known limits).
 */
import type { Logger } from 'pino';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { toCallsignError } from '../../core/errors.ts';
import { isObjectGuid } from './entry-mapper.ts';
import { LdapResultError, type SyncConnection } from './sync-client/connection.ts';
import { openSyncSession, syncSearch } from './sync-client/session.ts';

export interface ContentSyncWatchOptions {
  config: LdapSourceConfig;
  /** The bind password; never logged. */
  password: string;
  onChange: () => void;
  signal: AbortSignal;
  log?: Logger | undefined;
  /** First pause before reconnecting; doubles up to a minute. */
  retryMs?: number;
}

/** True when the configuration lets the change feed use Content Sync on this directory. */
export function mayUseContentSync(config: Pick<LdapSourceConfig, 'delta' | 'idAttribute'>) {
  return (
    config.delta === 'content-sync' ||
    (config.delta === 'auto' && !isObjectGuid(config.idAttribute))
  );
}

/** Result codes that mean the server will not run a Sync search at all. */
const UNSUPPORTED = new Set([
  12, // unavailableCriticalExtension: no syncprov on this database
  50, // insufficientAccessRights
  53, // unwillingToPerform
]);

/** Watches until the signal aborts or the server turns out not to support Content Sync. */
export async function watchContentSync(options: ContentSyncWatchOptions): Promise<void> {
  const { config, signal, log } = options;
  const first = options.retryMs ?? 5000;
  let pause = first;
  let connected = false;
  while (!signal.aborted) {
    let connection: SyncConnection | undefined;
    try {
      connection = await openSyncSession(config, options.password);
      for await (const ring of persist(connection, config, signal)) {
        if (ring === 'ready') {
          if (connected) options.onChange();
          connected = true;
          pause = first;
          log?.debug({ source: config.name }, 'content sync watch listening');
        } else options.onChange();
      }
    } catch (err) {
      if (signal.aborted) break;
      if (err instanceof LdapResultError && UNSUPPORTED.has(err.code)) {
        const reason = err.message;
        log?.info(
          { source: config.name, code: err.code, reason },
          'content sync watch not offered',
        );
        return;
      }
      const e = toCallsignError(err);
      log?.warn({ source: config.name, code: e.code, err: e.message }, 'content sync watch lost');
    } finally {
      connection?.close();
    }
    await pauseFor(pause, signal);
    pause = Math.min(pause * 2, 60_000);
  }
}

/**
 * Yields `ready` once the refresh stage is over, then `change` for every change reported.
 * The refresh lists every entry (names only): those are the present state, not changes.
 */
async function* persist(
  connection: SyncConnection,
  config: LdapSourceConfig,
  signal: AbortSignal,
): AsyncGenerator<'ready' | 'change'> {
  const filter = config.filter.trim().startsWith('(') ? config.filter.trim() : `(${config.filter})`;
  const events = syncSearch(connection, {
    baseDn: config.baseDn,
    filter,
    attributes: ['1.1'],
    mode: 'refreshAndPersist',
    signal,
  });
  let refreshing = true;
  for await (const event of events) {
    if (event.kind === 'info') {
      const { info } = event;
      const done = info.kind === 'refreshDelete' || info.kind === 'refreshPresent';
      if (refreshing && done && info.refreshDone) {
        refreshing = false;
        yield 'ready';
      } else if (!refreshing && info.kind === 'syncIdSet' && info.refreshDeletes) yield 'change';
    } else if (event.kind === 'entry' && !refreshing) {
      yield 'change';
    } else if (event.kind === 'done') {
      throw new Error('Connection closed: the server ended the persistent search');
    }
  }
}

function pauseFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
