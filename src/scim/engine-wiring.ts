/**
 * The SCIM service wired to an open engine: SCIM tables in the engine's store, records named
 * after the configured `type: scim` source, the telecom extension from the store, and every
 * change planned and journaled by `reconcile` (mode sync, execute false) before the response.
 */
import type { SourceRecord } from '../core/model.ts';
import type { Engine } from '../engine/engine.ts';
import { reconcile } from '../engine/reconcile.ts';
import type { ScimDeps } from './scim-handler.ts';
import { scimStoreOf } from './scim-store.ts';
import { telecomFromStore } from './telecom.ts';

/**
 * Dependencies of `createScimHandler` for an engine. Without a `type: scim` source in the
 * configuration the service stores users but plans nothing. Changes are planned one batch at a
 * time: reconcile reads and writes people, so two at once could both create one person.
 */
export function scimDepsForEngine(engine: Engine): ScimDeps {
  const config = engine.config.sources.find((s) => s.type === 'scim');
  const source = config?.name ?? 'scim';
  const deps: ScimDeps = {
    store: scimStoreOf(engine.store),
    source,
    telecom: telecomFromStore(engine.store, source),
    clock: engine.clock,
    log: engine.log.child({ component: 'scim' }),
  };
  if (config === undefined) return deps;
  if (config.type === 'scim' && Object.keys(config.attributes).length > 0) {
    deps.mapping = config.attributes;
  }

  deps.onChange = batchChanges(async (records, actor) => {
    await reconcile(engine, {
      mode: 'sync',
      actor,
      execute: false,
      changes: [{ source, records, problems: [] }],
    });
  });
  return deps;
}

/** Records of one batch at most: reconcile's fast path for linked records stops there. */
const MAX_BATCH = 64;

interface Waiting {
  records: SourceRecord[];
  actor: string;
  done: (err?: unknown) => void;
}

/**
 * Requests that arrive while a batch is being planned wait for the next one, which plans all of
 * theirs at once (same actor only, so the audit still says who asked). Each request still
 * answers only after the batch holding its records is journaled. A record named twice in a
 * batch is planned from its latest state.
 */
export function batchChanges(plan: (records: SourceRecord[], actor: string) => Promise<void>) {
  const waiting: Waiting[] = [];
  let draining = false;

  const drain = async () => {
    draining = true;
    while (waiting.length > 0) {
      const actor = waiting[0]!.actor;
      const batch: Waiting[] = [];
      let size = 0;
      for (let i = 0; i < waiting.length && size < MAX_BATCH;) {
        const item = waiting[i]!;
        if (item.actor !== actor) {
          i++;
          continue;
        }
        batch.push(item);
        size += item.records.length;
        waiting.splice(i, 1);
      }
      const latest = new Map<string, SourceRecord>();
      for (const item of batch) for (const r of item.records) latest.set(r.externalId, r);
      try {
        await plan([...latest.values()], actor);
        for (const item of batch) item.done();
      } catch (err) {
        for (const item of batch) item.done(err);
      }
    }
    draining = false;
  };

  return (records: SourceRecord[], { actor }: { actor: string }) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ records, actor, done: (err) => (err ? reject(err) : resolve()) });
      if (!draining) void drain();
    });
}
