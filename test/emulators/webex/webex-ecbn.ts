/**
 * A person's emergency callback number (ECBN) as Webex Calling's person settings publish it
 * (developer.webex.com, User Call Settings: "Get a Person's Emergency Callback Number" and
 * "Update a Person's Emergency Callback Number", `/v1/telephony/config/people/{personId}/
 * emergencyCallbackNumber`). The callback is chosen, not typed: the person's own direct line
 * (`DIRECT_LINE`), the location's ECBN (`LOCATION_ECBN`) or another member's number
 * (`LOCATION_MEMBER_NUMBER` with `locationMemberId`); `elinEnabled` lets their devices send an
 * ELIN. Pure data and rules like webex-people.ts: the emulator answers a `WebexFault` with its
 * status.
 */
import { WebexFault, type StoredPerson } from './webex-people.ts';

const SELECTIONS = ['DIRECT_LINE', 'LOCATION_ECBN', 'LOCATION_MEMBER_NUMBER'] as const;
type Selection = (typeof SELECTIONS)[number];

interface PersonEcbn {
  selected: Selection;
  locationMemberId?: string;
  elinEnabled: boolean;
  elinForWebexAppEnabled: boolean;
}

/** Path of the person ECBN resource; the capture is the person id. */
export const ECBN_PATH = /^\/v1\/telephony\/config\/people\/([^/]+)\/emergencyCallbackNumber$/;

export class WebexEcbn {
  /** The location's own ECBN, by location id (set by tests: Control Hub sets it). */
  readonly locationEcbn = new Map<string, string>();
  readonly #byPerson = new Map<string, PersonEcbn>();

  /** GET or PUT for one person; `undefined` person answers 404 as Webex does. */
  route(method: string, person: StoredPerson | undefined, body: unknown) {
    if (person === undefined) throw new WebexFault(404, 'Person not found.');
    if (method === 'GET') return { status: 200, body: this.#show(person) };
    if (method !== 'PUT') throw new WebexFault(405, `Method ${method} is not allowed.`);
    this.#byPerson.set(person.id, this.#check(person, body));
    return { status: 204 };
  }

  /** What a test reads back. */
  of(personId: string): PersonEcbn | undefined {
    return this.#byPerson.get(personId);
  }

  #show(person: StoredPerson) {
    const own = this.#byPerson.get(person.id) ?? defaults();
    const direct = person.phoneNumbers.find((p) => p.type === 'work')?.value;
    const location =
      person.locationId === undefined ? undefined : this.locationEcbn.get(person.locationId);
    const names = { firstName: person.firstName ?? '', lastName: person.lastName ?? '' };
    const info = (phoneNumber: string | undefined, level: string) => ({
      ...(phoneNumber === undefined ? {} : { phoneNumber }),
      ...names,
      effectiveLevel: phoneNumber === undefined ? 'LOCATION_NUMBER' : level,
      effectiveValue: phoneNumber ?? '',
      quality: phoneNumber === undefined ? 'NOT_RECOMMENDED' : 'RECOMMENDED',
    });
    return {
      selected: own.selected,
      directLineInfo: info(direct, 'DIRECT_LINE'),
      locationECBNInfo: info(location, 'LOCATION_ECBN'),
      ...(own.locationMemberId === undefined
        ? {}
        : { locationMemberInfo: { memberId: own.locationMemberId, ...names } }),
      elinEnabled: own.elinEnabled,
      elinForWebexAppEnabled: own.elinForWebexAppEnabled,
    };
  }

  #check(person: StoredPerson, raw: unknown): PersonEcbn {
    if (typeof raw !== 'object' || raw === null)
      throw new WebexFault(400, 'Body must be an object.');
    const b = raw as Record<string, unknown>;
    const selected = b.selected as Selection;
    if (!SELECTIONS.includes(selected)) {
      throw new WebexFault(
        400,
        `selected: '${String(b.selected)}' is not one of ${SELECTIONS.join(', ')}.`,
      );
    }
    if (selected === 'LOCATION_MEMBER_NUMBER' && typeof b.locationMemberId !== 'string') {
      throw new WebexFault(
        400,
        'locationMemberId is required when selected is LOCATION_MEMBER_NUMBER.',
      );
    }
    if (selected === 'DIRECT_LINE' && !person.phoneNumbers.some((p) => p.type === 'work')) {
      throw new WebexFault(
        400,
        'The person has no direct line to use as emergency callback number.',
      );
    }
    const current = this.#byPerson.get(person.id) ?? defaults();
    return {
      selected,
      ...(selected === 'LOCATION_MEMBER_NUMBER'
        ? { locationMemberId: b.locationMemberId as string }
        : {}),
      elinEnabled: typeof b.elinEnabled === 'boolean' ? b.elinEnabled : current.elinEnabled,
      elinForWebexAppEnabled:
        typeof b.elinForWebexAppEnabled === 'boolean'
          ? b.elinForWebexAppEnabled
          : current.elinForWebexAppEnabled,
    };
  }
}

function defaults(): PersonEcbn {
  return { selected: 'DIRECT_LINE', elinEnabled: false, elinForWebexAppEnabled: false };
}
