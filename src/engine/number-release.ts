/**
 * When `numbers release` must refuse. Releasing puts a number in quarantine, the step a leaver's
 * number takes once their resources are gone. Done to a number its holder still needs, it goes
 * wrong: the next sync hands it back to the same person (their own quarantined number), the
 * platform check finds their live resource, and their quarantine date is lost. So a number
 * stays with an active person the engine still plans for, and with anyone whose resources on a
 * platform still carry it; the operator moves it or removes the need instead.
 */
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { linkCarries } from '../core/link-number.ts';
import type { Store } from '../store/types.ts';

/** Why releasing this number must be refused (shared by the CLI and the API), or undefined. */
export async function releaseRefusal(
  store: Store,
  pool: string,
  value: string,
): Promise<CallsignError | undefined> {
  const found = await store.searchNumbers({ pool, value });
  const row = found.find((n) => n.value === value);
  if (row === undefined || row.state !== 'assigned' || row.personId === undefined) {
    return undefined;
  }
  const person = await store.getPerson(row.personId);
  if (person === undefined) return undefined;
  const what = `Cannot release number '${row.value}' in pool '${row.pool}'`;
  const details = { pool: row.pool, value: row.value, personId: person.id };
  const move = `'callsign numbers move ${row.pool} ${row.value} <person>'`;

  const carriers = (await store.listLinks(person.id)).filter((l) => linkCarries(l, row.value));
  if (carriers.length > 0) {
    const used = carriers.map((l) => `${l.target}/${l.type} ${l.key}`).join(', ');
    return new CallsignError(
      ErrorCode.State,
      `${what}: person ${person.id} still uses it (${used}). Give it to someone else with ` +
        `${move}, or remove the person's need for it (rules, 'callsign people exclude'); the ` +
        'sync then removes the resources and quarantines the number',
      { details },
    );
  }
  if (person.status === 'active' && !person.excluded) {
    return new CallsignError(
      ErrorCode.State,
      `${what}: person ${person.id} is active and the next sync would give it back to them. ` +
        `Give it to someone else with ${move}, or remove the person's need for it`,
      { details },
    );
  }
  return undefined;
}
