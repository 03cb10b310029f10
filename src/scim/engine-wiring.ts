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
 * configuration the service stores users but plans nothing. Changes are planned one request at
 * a time: reconcile reads and writes people, so two at once could both create one person.
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

  let queue: Promise<unknown> = Promise.resolve();
  deps.onChange = (records: SourceRecord[], { actor }) => {
    const run = queue.then(() =>
      reconcile(engine, {
        mode: 'sync',
        actor,
        execute: false,
        changes: [{ source, records, problems: [] }],
      }),
    );
    queue = run.catch(() => undefined);
    return run.then(() => undefined);
  };
  return deps;
}
