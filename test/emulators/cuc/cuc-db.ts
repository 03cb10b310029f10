/**
 * The in-memory side of the Unity Connection emulator: users (mailboxes) created from user
 * templates, their PINs, and CUPI's query language as far as Callsign uses it
 * (`(column is value)`, `(column startswith value)`). Alias and DtmfAccessId are unique, as
 * Connection enforces; aliases compare case-insensitively.
 */
import { randomUUID } from 'node:crypto';

/** One CUPI error as Connection reports it: a code and a message. */
export class CupiFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Fields a POST or PUT may carry. Everything else is refused, so a typo is not ignored. */
export const WRITABLE_FIELDS = [
  'Alias',
  'FirstName',
  'LastName',
  'DisplayName',
  'DtmfAccessId',
  'EmailAddress',
] as const;

/** Fields a list (`GET /vmrest/users`) answers with; a single GET answers every field. */
export const SUMMARY_FIELDS = [
  'URI',
  'ObjectId',
  'Alias',
  'FirstName',
  'LastName',
  'DisplayName',
  'DtmfAccessId',
] as const;

export interface CucUser {
  ObjectId: string;
  fields: Record<string, string>;
  /** Template the mailbox was made from. */
  template: string;
  /** The phone PIN; the emulator keeps it so tests can check it was set. */
  pin?: string;
}

export class CucDb {
  readonly users = new Map<string, CucUser>();
  /** Aliases of user templates that exist. */
  readonly templates = new Set<string>(['voicemailusertemplate']);
  /** Shortest PIN the credential policy accepts. */
  minPinLength = 6;
  /** Refuse trivial PINs: one digit repeated, a run up or down, the user's own extension. */
  trivialPinCheck = true;

  create(template: string, body: Record<string, string>): CucUser {
    if (!this.templates.has(template)) {
      throw new CupiFault(400, 'INVALID_PARAMETER', `Template ${template} not found`);
    }
    const alias = body.Alias ?? '';
    if (alias === '') throw new CupiFault(400, 'MISSING_PARAMETER', 'Alias is required');
    this.#checkUnique(body, undefined);

    const ObjectId = randomUUID();
    const fields: Record<string, string> = {
      URI: `/vmrest/users/${ObjectId}`,
      ObjectId,
      DisplayName: alias,
      FirstName: '',
      LastName: '',
      EmailAddress: '',
      ...body,
      IsVmEnrolled: 'false',
      TenantId: '',
      CosObjectId: 'cos-voicemail',
    };
    if (fields.DtmfAccessId === undefined) fields.DtmfAccessId = '';
    const user = { ObjectId, fields, template };
    this.users.set(ObjectId, user);
    return user;
  }

  update(id: string, body: Record<string, string>): void {
    const user = this.get(id);
    this.#checkUnique(body, id);
    Object.assign(user.fields, body);
  }

  remove(id: string): void {
    this.get(id);
    this.users.delete(id);
  }

  setPin(id: string, pin: string): void {
    const user = this.get(id);
    if (!/^\d+$/.test(pin)) {
      throw new CupiFault(400, 'INVALID_PARAMETER', 'PIN must contain digits only');
    }
    if (pin.length < this.minPinLength) {
      const msg = `PIN must be at least ${this.minPinLength} digits long`;
      throw new CupiFault(400, 'INVALID_PARAMETER', msg);
    }
    if (this.trivialPinCheck && trivial(pin, user.fields.DtmfAccessId ?? '')) {
      // Connection's authentication rule "Check for trivial passwords", on by default.
      throw new CupiFault(400, 'INVALID_PARAMETER', 'PIN is trivial and does not meet the policy');
    }
    user.pin = pin;
  }

  get(id: string): CucUser {
    const user = this.users.get(id);
    if (user === undefined) throw new CupiFault(404, 'NOT_FOUND', `User ${id} not found`);
    return user;
  }

  byAlias(alias: string): CucUser | undefined {
    const wanted = alias.toLowerCase();
    return [...this.users.values()].find((u) => u.fields.Alias?.toLowerCase() === wanted);
  }

  /** Users matching a CUPI query, in alias order (Connection sorts lists by alias). */
  query(query: string | null): CucUser[] {
    const all = [...this.users.values()].sort((a, b) =>
      (a.fields.Alias ?? '').localeCompare(b.fields.Alias ?? ''),
    );
    if (query === null) return all;
    const parsed = /^\((\w+) (is|startswith) (.*)\)$/i.exec(query);
    if (parsed === null) {
      throw new CupiFault(400, 'INVALID_PARAMETER', `Invalid query parameter: ${query}`);
    }
    const [, column, operator, value] = parsed;
    const field = WRITABLE_FIELDS.find((f) => f.toLowerCase() === column!.toLowerCase());
    if (field === undefined) {
      throw new CupiFault(400, 'INVALID_PARAMETER', `Invalid query column: ${column}`);
    }
    const want = value!.toLowerCase();
    return all.filter((u) => {
      const have = (u.fields[field] ?? '').toLowerCase();
      return operator!.toLowerCase() === 'is' ? have === want : have.startsWith(want);
    });
  }

  #checkUnique(body: Record<string, string>, self: string | undefined): void {
    const others = [...this.users.values()].filter((u) => u.ObjectId !== self);
    const alias = body.Alias?.toLowerCase();
    if (alias !== undefined && others.some((u) => u.fields.Alias?.toLowerCase() === alias)) {
      const msg = `Alias ${body.Alias} is already in use by another object`;
      throw new CupiFault(400, 'DUPLICATE_OBJECT', msg);
    }
    const ext = body.DtmfAccessId;
    if (ext !== undefined && ext !== '' && others.some((u) => u.fields.DtmfAccessId === ext)) {
      const msg = `DtmfAccessId ${ext} is already in use by another object in the partition`;
      throw new CupiFault(400, 'DUPLICATE_OBJECT', msg);
    }
  }
}

/** The trivial PINs the credential policy refuses. */
function trivial(pin: string, extension: string): boolean {
  if (pin === extension) return true;
  if (/^(\d)\1*$/.test(pin)) return true;
  const up = '01234567890123456789';
  const down = '98765432109876543210';
  return up.includes(pin) || down.includes(pin);
}
