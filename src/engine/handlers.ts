import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { SourceConnector, TargetChange, TargetResult } from '../connectors/types.ts';
import type { Store } from '../store/types.ts';

/** Applies a change on a pseudo-target: the number inventory or a source's write-back. */
export type OperationHandler = (
  change: TargetChange,
  context?: { actor?: string },
) => Promise<TargetResult>;

/** The pseudo-target that owns number release, so it is ordered after the deletes using it. */
export const INVENTORY_TARGET = 'inventory';

/**
 * `inventory/number` operations. Assignment happens at planning time (allocation is atomic in
 * the store); the journaled operation is the release, which sends the number to quarantine
 * only once every resource that used it is gone.
 */
export function inventoryHandler(options: {
  store: Store;
  clock: () => Date;
  /** Audited when the operation's run names no actor (the engine's own). */
  actor: string;
}): OperationHandler {
  return async (change, context) => {
    const split = change.key.indexOf(':');
    const pool = change.key.slice(0, split);
    const value = change.key.slice(split + 1);
    if (split <= 0 || value === '') {
      throw new CallsignError(ErrorCode.BadRecord, `inventory/number: bad key '${change.key}'`);
    }
    if (change.action !== 'delete') return { externalId: change.key, outcome: 'noop' };

    // The release is audited as whoever caused the run (an API token, SCIM, the poll loop), not
    // as the process that happens to execute it.
    const actor = context?.actor ?? options.actor;
    await options.store.releaseNumber(pool, value, options.clock(), actor);
    return { externalId: change.key, outcome: 'deleted' };
  };
}

/**
 * `<source>/writeback` operations: writes the person's numbers to the directory entry the
 * source read them from. Deleting clears the attributes; an entry that is gone needs no clearing.
 */
export function writeBackHandler(options: {
  store: Store;
  source: SourceConnector;
}): OperationHandler {
  const { store, source } = options;
  return async (change) => {
    const person = await store.findPersonBySourceLink(source.name, change.key);
    const link = person?.sourceLinks.find(
      (l) => l.source === source.name && l.externalId === change.key,
    );
    const values: Record<string, string | null> = {};
    for (const [name, value] of Object.entries(change.attributes)) {
      // An empty value is a number taken away: the attribute is cleared, not written as ''.
      values[name] = change.action === 'delete' || value === '' ? null : value;
    }

    try {
      await source.writeBack!({ externalId: change.key, dn: link?.dn }, values);
    } catch (err) {
      if (change.action === 'delete' && err instanceof CallsignError && err.code === 'not_found') {
        return { externalId: change.key, outcome: 'noop' };
      }
      throw err;
    }
    const outcome =
      change.action === 'create' ? 'created' : change.action === 'update' ? 'updated' : 'deleted';
    return { externalId: change.key, outcome };
  };
}
