import { toCallsignError } from '../core/errors.ts';
import type { Engine } from './engine.ts';
import type { ChangeSet } from './reconcile.ts';

/** What the next poll should do: a full read of every source, or apply these changes. */
export type NextRead =
  | { mode: 'full'; reason: string; commit: () => Promise<void> }
  | { mode: 'delta'; changes: ChangeSet[]; commit: () => Promise<void> };

/**
 * Decides between a full read and the change feeds, and keeps each source's cursor in the
 * store. Change feeds can miss or reorder events, so a full reconciliation still runs every
 * `fullEverySeconds`; a lost or refused cursor also falls back to a full read, which the safety
 * brake guards. Cursors are saved by `commit`, only after the run that used them succeeded, so
 * a crash replays changes instead of skipping them.
 */
export class ChangeFeed {
  readonly #engine: Engine;
  /** Sources whose change reading failed as unsupported: full reads only, until restart. */
  readonly #noDelta = new Set<string>();

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  async next(): Promise<NextRead> {
    const { store, clock, config } = this.#engine;
    // Push sources (SCIM) report their own changes: polling only needs the others' feeds.
    const sources = [...this.#engine.sources.values()].filter((s) => !s.capabilities.push);
    const feeds = sources.filter(
      (s) => s.capabilities.delta && s.readChanges && !this.#noDelta.has(s.name),
    );
    if (feeds.length === 0 || feeds.length < sources.length) {
      return { mode: 'full', reason: 'not every source has a change feed', commit: async () => {} };
    }

    const now = clock().getTime();
    const cursors = new Map<string, string>();
    let due: string | undefined;
    for (const source of feeds) {
      const cursor = await store.getState(`cursor:${source.name}`);
      const last = Number((await store.getState(`full:${source.name}`)) ?? 0);
      const conf = config.sources.find((c) => c.name === source.name);
      const every = conf?.type === 'ldap' ? conf.fullEverySeconds : 3600;
      if (cursor === undefined) due ??= `no cursor yet for ${source.name}`;
      else if (now - last >= every * 1000) due ??= `periodic full read of ${source.name}`;
      else cursors.set(source.name, cursor);
    }
    if (due !== undefined)
      return this.#full(
        feeds.map((s) => s.name),
        due,
      );

    const changes: ChangeSet[] = [];
    const next = new Map<string, string>();
    for (const source of feeds) {
      try {
        const knownIds = () => this.#knownIds(source.name);
        const batch = await source.readChanges!(cursors.get(source.name), undefined, { knownIds });
        if (!batch.complete)
          return this.#full(
            feeds.map((s) => s.name),
            `cursor of ${source.name} lost`,
          );
        changes.push({
          source: source.name,
          records: batch.records,
          problems: batch.problems ?? [],
        });
        next.set(source.name, batch.cursor);
      } catch (err) {
        const e = toCallsignError(err);
        if (e.code === 'config') this.#noDelta.add(source.name);
        this.#engine.log.warn(
          { source: source.name, code: e.code, err: e.message },
          'change feed failed',
        );
        return this.#full(
          feeds.map((s) => s.name),
          `change feed of ${source.name} failed`,
        );
      }
    }
    return { mode: 'delta', changes, commit: () => this.#save(next, false) };
  }

  /** The source's ids linked to people not already gone: what a feed may find deleted. */
  async #knownIds(source: string): Promise<string[]> {
    const people = await this.#engine.store.listPeople();
    return people
      .filter((p) => p.status !== 'deleted')
      .flatMap((p) => p.sourceLinks.filter((l) => l.source === source).map((l) => l.externalId));
  }

  /** Takes fresh cursors before the full read, so nothing written during it is missed. */
  async #full(names: string[], reason: string): Promise<NextRead> {
    const fresh = new Map<string, string>();
    for (const name of names) {
      const source = this.#engine.sources.get(name)!;
      try {
        fresh.set(name, (await source.readChanges!(undefined)).cursor);
      } catch (err) {
        const e = toCallsignError(err);
        if (e.code === 'config') this.#noDelta.add(name);
        this.#engine.log.warn({ source: name, code: e.code, err: e.message }, 'no cursor taken');
      }
    }
    return { mode: 'full', reason, commit: () => this.#save(fresh, true) };
  }

  async #save(cursors: Map<string, string>, full: boolean): Promise<void> {
    const { store, clock } = this.#engine;
    for (const [name, cursor] of cursors) {
      await store.setState(`cursor:${name}`, cursor);
      if (full) await store.setState(`full:${name}`, String(clock().getTime()));
    }
  }
}
