/**
 * The emergency data a person's numbers carry into planning: the number's own (set with
 * `callsign numbers emergency`) else its pool's, the site's. Templates read it as
 * `emergency.location`, `emergency.elin` and `emergency.callback`, so a platform that takes it
 * (Webex's emergency callback number) gets it as a resource attribute, and a change of the
 * site's data updates those attributes on the next run.
 */
import type { CallsignConfig } from '../core/config-types.ts';
import type { HeldNumber } from '../core/model.ts';
import type { Store } from '../store/types.ts';

/**
 * Each number with its emergency data; `fresh` numbers (just allocated) are read from the
 * store.
 */
export async function withEmergency(
  config: Pick<CallsignConfig, 'pools'>,
  store: Pick<Store, 'searchNumbers'>,
  numbers: readonly HeldNumber[],
  fresh: ReadonlySet<HeldNumber> = new Set(),
): Promise<HeldNumber[]> {
  const out: HeldNumber[] = [];
  for (const number of numbers) {
    let own = number.emergency;
    if (own === undefined && fresh.has(number)) {
      const [row] = await store.searchNumbers({ pool: number.pool, value: number.value });
      own = row?.emergency;
    }
    const site = config.pools.find((p) => p.name === number.pool)?.emergency;
    const emergency = own ?? site;
    out.push(emergency === undefined ? number : { ...number, emergency });
  }
  return out;
}
