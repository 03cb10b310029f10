/**
 * Changes to lab people while the server runs, made as the rootdn over LDAP (ldapts): what a
 * directory administrator does between two Callsign runs.
 */
import type { ChildProcess } from 'node:child_process';

import { Attribute, Change, Client } from 'ldapts';

import { equalityFilter } from '../../connectors/ldap/filter.ts';
import { labPersonAttributes, labPersonDn, type LabPerson } from './person-entry.ts';

/** How to reach the lab as admin. */
export interface LabConnection {
  url: string;
  adminDn: string;
  adminPassword: string;
  peopleDn: string;
}

/** Attribute changes: a value or values replace the attribute; null removes it. */
export type LabChanges = Record<string, string | string[] | null>;

/** Runtime helpers over one lab directory. People are found by uid. */
export class LabDirectory {
  readonly #connection: LabConnection;

  constructor(connection: LabConnection) {
    this.#connection = connection;
  }

  /** Adds a person; returns their DN. */
  async addPerson(person: LabPerson): Promise<string> {
    const dn = labPersonDn(person, this.#connection.peopleDn);
    const attributes = Object.entries(labPersonAttributes(person)).map(([type, value]) =>
      Buffer.isBuffer(value)
        ? new Attribute({ type, values: [value] })
        : new Attribute({ type, values: Array.isArray(value) ? value : [value] }),
    );
    await this.#withAdmin((client) => client.add(dn, attributes));
    return dn;
  }

  /** Replaces or removes attributes of the person with this uid. */
  async modifyPerson(uid: string, changes: LabChanges): Promise<void> {
    const dn = await this.personDn(uid);
    const list = Object.entries(changes).map(([type, value]) => {
      const values = value === null ? [] : Array.isArray(value) ? value : [value];
      return new Change({ operation: 'replace', modification: new Attribute({ type, values }) });
    });
    await this.#withAdmin((client) => client.modify(dn, list));
  }

  /** Sets the ACCOUNTDISABLE bit (2) of userAccountControl, as AD does. */
  async disablePerson(uid: string): Promise<void> {
    const uac = await this.#userAccountControl(uid);
    await this.modifyPerson(uid, { userAccountControl: String(uac | 2) });
  }

  /** Clears the ACCOUNTDISABLE bit. */
  async enablePerson(uid: string): Promise<void> {
    const uac = await this.#userAccountControl(uid);
    await this.modifyPerson(uid, { userAccountControl: String(uac & ~2) });
  }

  async deletePerson(uid: string): Promise<void> {
    const dn = await this.personDn(uid);
    await this.#withAdmin((client) => client.del(dn));
  }

  /** The DN of the person with this uid, as the server spells it. */
  async personDn(uid: string): Promise<string> {
    const entry = await this.#find(uid, ['1.1']);
    return entry.dn;
  }

  /** Reads attributes of a person (as the admin, so no limits or ACLs apply). */
  async readPerson(uid: string, attributes: string[]): Promise<Record<string, string[]>> {
    const entry = await this.#find(uid, attributes);
    const out: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (key === 'dn') continue;
      const list = Array.isArray(value) ? value : [value];
      out[key] = list.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
    }
    return out;
  }

  /** Polls with an admin bind until it succeeds, the process exits, or time runs out. */
  async waitUntilAnswering(child: ChildProcess, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) return false;
      try {
        await this.#withAdmin(async () => undefined, 500);
        return true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return false;
  }

  async #userAccountControl(uid: string): Promise<number> {
    const entry = await this.#find(uid, ['userAccountControl']);
    const raw = entry.userAccountControl;
    return Number(Array.isArray(raw) ? (raw[0] ?? 512) : (raw ?? 512));
  }

  async #find(uid: string, attributes: string[]) {
    const { searchEntries } = await this.#withAdmin((client) =>
      client.search(this.#connection.peopleDn, {
        scope: 'sub',
        filter: equalityFilter('uid', uid),
        attributes,
      }),
    );
    const entry = searchEntries[0];
    if (entry === undefined) throw new Error(`No lab person with uid '${uid}'`);
    return entry;
  }

  async #withAdmin<T>(work: (client: Client) => Promise<T>, timeoutMs = 10_000): Promise<T> {
    const { url, adminDn, adminPassword } = this.#connection;
    const client = new Client({ url, connectTimeout: timeoutMs, timeout: timeoutMs });
    try {
      await client.bind(adminDn, adminPassword);
      return await work(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}
