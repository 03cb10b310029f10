/**
 * The emulator's organisation: people, locations and licences, and the checks the Webex People
 * API documents for a write (developer.webex.com, People: Create a Person, Update a Person).
 * Pure data and rules, no HTTP: webex-emulator.ts turns a `WebexFault` into a status and body.
 */
import { randomUUID } from 'node:crypto';

export interface WebexLocation {
  id: string;
  name: string;
}

export interface WebexLicence {
  id: string;
  name: string;
  /** A Webex Calling licence: a person needs one for an extension or a number. */
  calling: boolean;
}

export interface PhoneNumber {
  type: string;
  value: string;
}

/** A person as stored; `extension` and `locationId` are Webex Calling data. */
export interface StoredPerson {
  id: string;
  emails: string[];
  displayName?: string;
  firstName?: string;
  lastName?: string;
  title?: string;
  department?: string;
  avatar?: string;
  phoneNumbers: PhoneNumber[];
  extension?: string;
  locationId?: string;
  licenses: string[];
  roles: string[];
  orgId: string;
  created: string;
}

/** A refused request: HTTP status, message and the error descriptions Webex lists. */
export class WebexFault extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly descriptions: string[] = [message],
  ) {
    super(message);
  }
}

/** Body fields a client may write. */
const WRITABLE = new Set([
  'emails',
  'phoneNumbers',
  'extension',
  'locationId',
  'displayName',
  'firstName',
  'lastName',
  'title',
  'department',
  'avatar',
  'orgId',
  'roles',
  'licenses',
]);
/** Fields Webex answers with and ignores on a write (a GET-then-PUT sends them back). */
const READ_ONLY = new Set([
  'id',
  'created',
  'lastModified',
  'lastActivity',
  'status',
  'invitePending',
  'loginEnabled',
  'type',
  'sipAddresses',
  'nickName',
  'timezone',
]);
const PHONE_TYPES = new Set(['work', 'mobile', 'fax']);

export class WebexOrg {
  readonly people = new Map<string, StoredPerson>();
  readonly locations: Map<string, WebexLocation>;
  readonly licences: Map<string, WebexLicence>;

  constructor(
    readonly orgId: string,
    options: { locations: WebexLocation[]; licences: WebexLicence[] },
  ) {
    this.locations = new Map(options.locations.map((l) => [l.id, l]));
    this.licences = new Map(options.licences.map((l) => [l.id, l]));
  }

  byEmail(email: string): StoredPerson | undefined {
    const wanted = email.toLowerCase();
    return [...this.people.values()].find((p) => p.emails.some((e) => e.toLowerCase() === wanted));
  }

  /** POST /v1/people: a new person from a whole body. */
  create(body: unknown): StoredPerson {
    const fields = this.#check(body, undefined);
    const person: StoredPerson = {
      ...fields,
      id: personId(),
      orgId: this.orgId,
      created: new Date().toISOString(),
    };
    this.people.set(person.id, person);
    return person;
  }

  /** PUT /v1/people/{id}: the body replaces the person; what it leaves out is cleared. */
  replace(id: string, body: unknown): StoredPerson {
    const current = this.people.get(id);
    if (current === undefined) throw new WebexFault(404, 'Person not found.');
    const fields = this.#check(body, current);
    const person: StoredPerson = { ...fields, id, orgId: this.orgId, created: current.created };
    this.people.set(id, person);
    return person;
  }

  #check(
    body: unknown,
    current: StoredPerson | undefined,
  ): Omit<StoredPerson, 'id' | 'created' | 'orgId'> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new WebexFault(400, 'The request body must be a JSON object.');
    }
    const b = body as Record<string, unknown>;
    const unknown = Object.keys(b).filter((k) => !WRITABLE.has(k) && !READ_ONLY.has(k));
    if (unknown.length > 0) throw new WebexFault(400, `Unrecognized field '${unknown[0]}'.`);
    if (b.orgId !== undefined && b.orgId !== this.orgId) {
      throw new WebexFault(
        403,
        `Not authorized to manage people in organization ${String(b.orgId)}.`,
      );
    }

    const emails = strings(b.emails, 'emails');
    if (emails.length !== 1)
      throw new WebexFault(400, 'emails: exactly one email address is required.');
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(emails[0]!)) {
      throw new WebexFault(400, `emails: '${emails[0]}' is not a valid email address.`);
    }
    const holder = this.byEmail(emails[0]!);
    if (holder !== undefined && holder.id !== current?.id) {
      throw new WebexFault(409, `A person with email ${emails[0]} already exists.`);
    }

    const names = {
      displayName: optString(b.displayName, 'displayName'),
      firstName: optString(b.firstName, 'firstName'),
      lastName: optString(b.lastName, 'lastName'),
    };
    if (Object.values(names).every((v) => v === undefined || v === '')) {
      throw new WebexFault(400, 'One of displayName, firstName or lastName is required.');
    }

    const licenses = strings(b.licenses, 'licenses');
    for (const id of licenses) {
      if (!this.licences.has(id))
        throw new WebexFault(400, `License ${id} is not valid for this organization.`);
    }
    const calling = licenses.some((id) => this.licences.get(id)?.calling === true);
    const calls = this.#calling(b, calling, current);

    return {
      emails,
      ...dropEmpty(names),
      ...dropEmpty({
        title: optString(b.title, 'title'),
        department: optString(b.department, 'department'),
        avatar: optString(b.avatar, 'avatar'),
      }),
      ...calls,
      licenses,
      roles: strings(b.roles, 'roles'),
    };
  }

  /** Calling data: needs a calling licence and a location; numbers are unique in the org. */
  #calling(b: Record<string, unknown>, licensed: boolean, current: StoredPerson | undefined) {
    const phones = phoneNumbers(b.phoneNumbers);
    const extension = optString(b.extension, 'extension');
    const locationId = optString(b.locationId, 'locationId');
    const work = phones.filter((p) => p.type === 'work');
    const wantsCalling = work.length > 0 || (extension ?? '') !== '' || (locationId ?? '') !== '';

    if (wantsCalling && !licensed) {
      throw new WebexFault(
        400,
        'A Webex Calling license is required for phoneNumbers, extension or locationId.',
      );
    }
    if (licensed && (locationId ?? '') === '') {
      throw new WebexFault(400, 'locationId is required for a Webex Calling user.');
    }
    if (licensed && work.length === 0 && (extension ?? '') === '') {
      throw new WebexFault(400, 'A Webex Calling user needs phoneNumbers or extension.');
    }
    if (locationId !== undefined && locationId !== '' && !this.locations.has(locationId)) {
      throw new WebexFault(400, `Location ${locationId} not found.`, [
        `locationId: location ${locationId} does not exist`,
      ]);
    }
    if (
      current?.locationId !== undefined &&
      locationId !== undefined &&
      locationId !== current.locationId
    ) {
      throw new WebexFault(400, 'locationId cannot be changed for an existing Webex Calling user.');
    }
    if (extension !== undefined && extension !== '' && !/^\d{2,10}$/.test(extension)) {
      throw new WebexFault(400, `extension: '${extension}' must be 2 to 10 digits.`);
    }
    for (const p of work) {
      if (!/^\+[1-9]\d{6,14}$/.test(p.value)) {
        throw new WebexFault(400, `phoneNumbers: '${p.value}' is not an E.164 number.`);
      }
    }
    this.#unique({ work, extension, locationId, self: current?.id });

    const out: Pick<StoredPerson, 'phoneNumbers' | 'extension' | 'locationId'> = {
      phoneNumbers: phones,
    };
    if (extension !== undefined && extension !== '') out.extension = extension;
    if (locationId !== undefined && locationId !== '') out.locationId = locationId;
    return out;
  }

  #unique(w: { work: PhoneNumber[]; extension?: string; locationId?: string; self?: string }) {
    for (const other of this.people.values()) {
      if (other.id === w.self) continue;
      const taken = w.work.find((p) =>
        other.phoneNumbers.some((o) => o.type === 'work' && o.value === p.value),
      );
      if (taken !== undefined) {
        throw new WebexFault(
          409,
          `Phone number ${taken.value} is already assigned to another user.`,
        );
      }
      if (
        w.extension !== undefined &&
        w.extension !== '' &&
        other.extension === w.extension &&
        other.locationId === w.locationId
      ) {
        throw new WebexFault(
          409,
          `Extension ${w.extension} is already in use in location ${w.locationId}.`,
        );
      }
    }
  }
}

/** The person as the API answers: calling data only when `callingData=true`. */
export function present(person: StoredPerson, callingData: boolean): Record<string, unknown> {
  const { extension, locationId, phoneNumbers, ...rest } = person;
  const phones = callingData ? [...phoneNumbers] : phoneNumbers.filter((p) => p.type !== 'work');
  if (callingData && extension !== undefined)
    phones.push({ type: 'work_extension', value: extension });
  return {
    ...rest,
    phoneNumbers: phones,
    ...(callingData && extension !== undefined ? { extension } : {}),
    ...(callingData && locationId !== undefined ? { locationId } : {}),
    type: 'person',
    status: 'unknown',
  };
}

function personId(): string {
  return Buffer.from(`ciscospark://us/PEOPLE/${randomUUID()}`).toString('base64url');
}

function strings(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new WebexFault(400, `${field} must be an array of strings.`);
  }
  return value as string[];
}

function optString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new WebexFault(400, `${field} must be a string.`);
  return value;
}

function phoneNumbers(value: unknown): PhoneNumber[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new WebexFault(400, 'phoneNumbers must be an array.');
  const out: PhoneNumber[] = [];
  for (const item of value as unknown[]) {
    const p = item as Partial<PhoneNumber> | null;
    if (typeof p?.type !== 'string' || typeof p.value !== 'string') {
      throw new WebexFault(400, 'phoneNumbers entries need type and value.');
    }
    // Derived from `extension`; a GET-then-PUT sends it back unchanged.
    if (p.type === 'work_extension') continue;
    if (!PHONE_TYPES.has(p.type))
      throw new WebexFault(400, `phoneNumbers: type '${p.type}' is not valid.`);
    out.push({ type: p.type, value: p.value });
  }
  return out;
}

function dropEmpty<T extends Record<string, string | undefined>>(
  o: T,
): Partial<Record<keyof T, string>> {
  const out: Partial<Record<keyof T, string>> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== '') out[k as keyof T] = v;
  return out;
}
