/**
 * The read-only Callsign extension's data: the person a SCIM user is correlated to (through the
 * source link `source:userId`), the numbers they hold and their SIP accounts.
 */
import type { Store } from '../store/types.ts';
import type { TelecomView } from './representation.ts';

/** Looks up a SCIM user's telecom resources in the Callsign store. */
export function telecomFromStore(
  store: Pick<Store, 'findPersonBySourceLink' | 'numbersOf' | 'listLinks'>,
  source: string,
): (userId: string) => Promise<TelecomView | undefined> {
  return async (userId) => {
    const person = await store.findPersonBySourceLink(source, userId);
    if (person === undefined) return undefined;
    const numbers = await store.numbersOf(person.id);
    const links = await store.listLinks(person.id);
    const view: TelecomView = {
      personId: person.id,
      sipAccounts: links
        .filter((l) => l.type === 'sip-subscriber')
        .map((l) => `${l.target}/${l.key}`),
    };
    const extension = numbers.find((n) => n.kind === 'extension')?.value;
    const did = numbers.find((n) => n.kind === 'did')?.value;
    if (extension !== undefined) view.extension = extension;
    if (did !== undefined) view.did = did;
    return view;
  };
}
