import { CallsignError } from '../core/errors.ts';
import { linkCarries } from '../core/link-number.ts';
import type { Engine } from './engine.ts';

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
    // The person's own resource carrying it (their number given back) is no conflict.
    if (users.length > 0) {
      const own = (await engine.store.listLinks(personId)).filter((l) => linkCarries(l, got.value));
      users.splice(0, users.length, ...users.filter((t) => !own.some((l) => l.target === t)));
    }
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
