import { CallsignError } from '../core/errors.ts';
import type { Engine } from './engine.ts';

/** What a dry run would give: the next free number not yet shown for someone else. */
export async function peekUnpromised(
  engine: Engine,
  promised: Map<string, string[]>,
  pool: string,
  personId: string,
) {
  const taken = promised.get(pool) ?? [];
  const got = await engine.store.peekNumber(pool, personId, engine.clock(), taken);
  if (got) {
    taken.push(got.value);
    promised.set(pool, taken);
  }
  return got;
}

/**
 * Allocates a number and asks every target whether it is really free (field case N3): one the
 * platform already uses is held for review, with the targets named, and the next is tried.
 * With `ownForward`, the person is rehired while their number of the pool still forwards: the
 * store gives that number back, and the platforms use it for the forward, so no check is made.
 */
export async function allocateFree(
  engine: Engine,
  pool: string,
  personId: string,
  actor: string,
  ownForward = false,
) {
  if (ownForward) return engine.store.allocateNumber(pool, personId, engine.clock(), actor);
  const checkers = [...engine.targets.values()].filter((t) => t.numberInUse);
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    const got = await engine.store.allocateNumber(pool, personId, engine.clock(), actor);
    const users: string[] = [];
    for (const target of checkers)
      if (await target.numberInUse!(got.value)) users.push(target.name);
    if (users.length === 0) return got;

    const reason = `already in use on ${users.join(', ')}: held for review`;
    await engine.store.holdNumber(pool, got.value, reason, actor);
    engine.log.warn({ pool, number: got.value, targets: users }, 'number in use on a platform');
  }
  throw new CallsignError(
    'exhausted',
    `Cannot allocate from pool '${pool}': ` +
      `${MAX_CONFLICTS} numbers in a row were in use on a platform`,
  );
}

const MAX_CONFLICTS = 20;
