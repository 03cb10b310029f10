/**
 * LDAP directories (OpenLDAP, Active Directory) as a source of people, and the place numbers
 * are written back to. Reads are always paged (RFC 2696): AD and tuned OpenLDAP servers cap
 * plain searches at 1,000 entries, and a capped read must never pass for a complete one.
 */
import { Attribute, Change, Client } from 'ldapts';
import type { Logger } from 'pino';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { RecordProblem, SourceRecord, Snapshot } from '../../core/model.ts';
import type {
  ChangeBatch,
  SourceCapabilities,
  SourceConnector,
  WriteBackValues,
} from '../types.ts';
import { connectLdap } from './connect.ts';
import { chooseMechanism, deltaReaders } from './delta.ts';
import './delta-readers.ts';
import { isObjectGuid, mapEntry, requestedAttributes, type RawEntry } from './entry-mapper.ts';
import { equalityFilter } from './filter.ts';
import { personGroups, readGroupGraph, readRangedValues, type GroupGraph } from './groups.ts';
import { guidToBytes } from './guid.ts';
import { isConnectionError, toLdapCallsignError } from './ldap-errors.ts';
import { formatForAttribute, type DirectoryFlavor } from './write-format.ts';

export interface LdapSourceOptions {
  /** The bind password, already resolved from its secret reference. Never logged. */
  password: string;
  log?: Logger;
  /** Called after each page of a read: progress display, and tests that cut a read short. */
  onPage?: (page: { number: number; entries: number }) => void | Promise<void>;
}

/** A SourceConnector over one LDAP directory. */
export class LdapSource implements SourceConnector {
  readonly name: string;
  readonly kind = 'ldap';
  readonly capabilities: SourceCapabilities;

  readonly #config: LdapSourceConfig;
  readonly #password: string;
  readonly #log: Logger | undefined;
  readonly #onPage: LdapSourceOptions['onPage'];
  readonly #flavor: DirectoryFlavor;
  #writeClient: Promise<Client> | undefined;

  constructor(config: LdapSourceConfig, options: LdapSourceOptions) {
    this.name = config.name;
    this.#config = config;
    this.#password = options.password;
    this.#log = options.log;
    this.#onPage = options.onPage;
    this.#flavor = isObjectGuid(config.idAttribute) ? 'ad' : 'openldap';
    this.capabilities = { delta: config.delta !== 'none', writeBack: true };
  }

  /**
   * Reads every entry under baseDn matching the filter, page by page on a new connection.
   * Throws CallsignError when nothing could be read (bind refused, server unreachable, first
   * page refused). Once a page has arrived, a later failure (size or time limit, dropped
   * connection) yields `complete: false` with the failure in `problems`.
   */
  async readAll(signal?: AbortSignal): Promise<Snapshot> {
    signal?.throwIfAborted();
    const { baseDn, url } = this.#config;
    const started = Date.now();
    const records: SourceRecord[] = [];
    const problems: RecordProblem[] = [];
    let pages = 0;
    let complete = true;

    const client = await this.#connect();
    try {
      let graph: GroupGraph | undefined;
      try {
        graph = await this.#groupGraph(client);
      } catch (err) {
        // People without their groups would look like movers to every group rule: read none.
        return this.#groupReadFailed(err);
      }
      for await (const page of this.#pages(client)) {
        pages++;
        for (const entry of page) {
          const raw = await this.#expandMemberOf(client, entry as RawEntry);
          this.#collect(raw, records, problems, graph);
        }
        await this.#onPage?.({ number: pages, entries: page.length });
        signal?.throwIfAborted();
      }
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const error = toLdapCallsignError(err, { action: 'search', url, dn: baseDn });
      if (pages === 0) throw error;

      complete = false;
      const entries = records.length;
      const message = `Read stopped after ${pages} pages and ${entries} entries: ${error.message}`;
      problems.push({ source: this.name, record: baseDn, message });
      this.#log?.warn({ source: this.name, pages, entries, err: error }, 'ldap read cut short');
    } finally {
      await client.unbind().catch(() => undefined);
    }

    const ms = Date.now() - started;
    const summary = { source: this.name, entries: records.length, pages, complete, ms };
    this.#log?.info({ ...summary, problems: problems.length }, 'ldap read finished');
    return { source: this.name, records, complete, problems };
  }

  /**
   * Reads what changed since the cursor with the mechanism the configuration names, or the best
   * the server offers (`auto`). The cursor carries its mechanism: a cursor of another mechanism
   * (the configuration or the server changed) is treated as lost, so the engine reads in full.
   */
  async readChanges(cursor: string | undefined, signal?: AbortSignal): Promise<ChangeBatch> {
    signal?.throwIfAborted();
    const { url, baseDn } = this.#config;
    const client = await this.#connect();
    try {
      const controls = await this.#supportedControls(client);
      const mechanism = chooseMechanism(this.#config, { controls });
      const reader = mechanism === undefined ? undefined : deltaReaders.get(mechanism);
      if (reader === undefined) {
        const { delta } = this.#config;
        const message = `Source '${this.name}' has no change mechanism (delta: ${delta})`;
        throw new CallsignError(ErrorCode.Config, message, { details: { url } });
      }

      const prefix = `${reader.mechanism}:`;
      const own = cursor?.startsWith(prefix) ? cursor.slice(prefix.length) : undefined;
      const attributes = requestedAttributes(this.#config);
      const page = await reader.read({ client, config: this.#config, attributes, signal }, own);

      const records: SourceRecord[] = [];
      const problems: RecordProblem[] = [];
      const graph = page.entries.length > 0 ? await this.#groupGraph(client) : undefined;
      for (const entry of page.entries) {
        const raw = await this.#expandMemberOf(client, entry);
        this.#collect(raw, records, problems, graph);
      }
      for (const externalId of page.deleted) {
        records.push({ source: this.name, externalId, state: 'deleted', attributes: {} });
      }
      const complete = page.complete && (cursor === undefined || own !== undefined);
      if (!complete) {
        const message =
          `Changes since the last cursor could not all be read (${reader.mechanism}: cursor ` +
          'lost, refused or from another mechanism, or the read was cut); a full read is needed';
        problems.push({ source: this.name, record: baseDn, message });
      }
      return { records, problems, cursor: prefix + page.cursor, complete };
    } catch (err) {
      throw toLdapCallsignError(err, { action: 'search', url, dn: baseDn });
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /**
   * Replaces the given attributes on the record's entry in one modify; null removes the
   * attribute (no error when already absent). Values are canonical numbers, formatted for each
   * attribute's syntax. Without a DN the entry is found by its id attribute.
   */
  async writeBack(
    record: { externalId: string; dn?: string },
    values: WriteBackValues,
  ): Promise<void> {
    const attributes = Object.keys(values);
    if (attributes.length === 0) return;
    const dn = record.dn ?? record.externalId;
    const changes = attributes.map((name) => this.#change(name, values[name]!, dn));

    try {
      await this.#withWriteClient(async (client) => {
        const target = record.dn ?? (await this.#findDn(client, record.externalId));
        await client.modify(target, changes);
      });
    } catch (err) {
      const { url } = this.#config;
      throw toLdapCallsignError(err, { action: 'modify', url, dn, attributes });
    }
    this.#log?.debug({ source: this.name, dn, attributes }, 'ldap write-back done');
  }

  async close(): Promise<void> {
    const pending = this.#writeClient;
    this.#writeClient = undefined;
    if (pending === undefined) return;
    const client = await pending.catch(() => undefined);
    await client?.unbind().catch(() => undefined);
  }

  async *#pages(client: Client): AsyncGenerator<RawEntry[]> {
    const { baseDn, filter, pageSize, idAttribute } = this.#config;
    const attributes = requestedAttributes(this.#config);
    // Text comes as bytes so that values that are not UTF-8 are caught, not turned into U+FFFD.
    const binary = [...attributes, ...attributes.map((a) => a.toLowerCase())];
    // TODO: ldapts 8 ends a paged search at the first empty page even when the server sent a
    // cookie (AD can, on sparse filters); until it exposes the response control, such a read
    // could stop early. OpenLDAP does not send empty pages with a cookie.
    const pager = client.searchPaginated(baseDn, {
      scope: 'sub',
      filter,
      attributes,
      explicitBufferAttributes: binary,
      paged: { pageSize },
    });
    for await (const page of pager) yield page.searchEntries as RawEntry[];
  }

  #collect(
    entry: RawEntry,
    records: SourceRecord[],
    problems: RecordProblem[],
    graph: GroupGraph | undefined,
  ): void {
    const mapped = mapEntry(entry, this.#config);
    const groups = this.#config.groups;
    if (mapped.record !== undefined && groups !== undefined) {
      const memberOf = Object.entries(entry).find(([k]) => k.toLowerCase() === 'memberof')?.[1];
      const list = memberOf === undefined ? [] : Array.isArray(memberOf) ? memberOf : [memberOf];
      const dns = list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
      const names = personGroups({ dn: entry.dn, memberOf: dns, graph, config: groups });
      mapped.record.attributes[groups.attribute] = names;
    }
    if (mapped.record !== undefined) records.push(mapped.record);
    problems.push(...mapped.problems);
  }

  /** The group graph when memberships come from the groups' side (or nest); else undefined. */
  async #groupGraph(client: Client): Promise<GroupGraph | undefined> {
    const groups = this.#config.groups;
    if (groups === undefined || (groups.memberOf && !groups.nested)) return undefined;
    const started = Date.now();
    const baseDn = groups.baseDn ?? this.#config.baseDn;
    const { pageSize } = this.#config;
    const options = { baseDn, pageSize, ...(groups.filter ? { filter: groups.filter } : {}) };
    const graph = await readGroupGraph(client, options);
    const summary = { source: this.name, groups: graph.names.size, ms: Date.now() - started };
    this.#log?.debug(summary, 'ldap groups read');
    return graph;
  }

  /** AD hands out a long memberOf in ranges too; the entry gets all of it. */
  async #expandMemberOf(client: Client, entry: RawEntry): Promise<RawEntry> {
    if (this.#config.groups?.memberOf !== true) return entry;
    if (!Object.keys(entry).some((k) => k.toLowerCase().startsWith('memberof;range='))) {
      return entry;
    }
    return { ...entry, memberOf: await readRangedValues(client, entry, 'memberOf') };
  }

  #groupReadFailed(err: unknown): Snapshot {
    const baseDn = this.#config.groups?.baseDn ?? this.#config.baseDn;
    const { url } = this.#config;
    const error = toLdapCallsignError(err, { action: 'search', url, dn: baseDn });
    const message = `Groups could not be read, so no person was: ${error.message}`;
    this.#log?.warn({ source: this.name, err: error }, 'ldap group read failed');
    const problems = [{ source: this.name, record: baseDn, field: 'groups', message }];
    return { source: this.name, records: [], complete: false, problems };
  }

  #change(attribute: string, value: string | null, dn: string): Change {
    const kind = Object.keys(this.#config.writeBack).find(
      (name) => name.toLowerCase() === attribute.toLowerCase(),
    );
    if (kind === undefined) {
      throw new CallsignError(
        ErrorCode.Config,
        `Cannot write ${attribute} of '${dn}': source '${this.name}' has no write-back for it`,
        { details: { dn, attribute } },
      );
    }

    let values: string[] = [];
    if (value !== null) {
      try {
        values = [formatForAttribute(value, attribute, this.#flavor)];
      } catch (err) {
        const message = `Cannot write ${attribute} of '${dn}': ${(err as Error).message}`;
        throw new CallsignError(ErrorCode.BadRecord, message, { details: { dn, attribute } });
      }
    }
    // RFC 4511 §4.6: replace with no values removes the attribute, and is no error if absent.
    const modification = new Attribute({ type: attribute, values });
    return new Change({ operation: 'replace', modification });
  }

  async #findDn(client: Client, externalId: string): Promise<string> {
    const { baseDn, idAttribute } = this.#config;
    const value = isObjectGuid(idAttribute) ? guidToBytes(externalId) : externalId;
    if (value === undefined) {
      const message = `'${externalId}' is not a GUID; cannot find its entry by ${idAttribute}`;
      throw new CallsignError(ErrorCode.BadRecord, message, { details: { externalId } });
    }

    const { searchEntries } = await client.search(baseDn, {
      scope: 'sub',
      filter: equalityFilter(idAttribute, value),
      attributes: ['1.1'],
    });
    if (searchEntries.length === 1) return searchEntries[0]!.dn;
    const code = searchEntries.length === 0 ? ErrorCode.NotFound : ErrorCode.Ambiguous;
    const count = searchEntries.length;
    const message = `${count} entries under '${baseDn}' have ${idAttribute} ${externalId}`;
    throw new CallsignError(code, message, { details: { externalId, baseDn } });
  }

  /** Runs work on the shared write connection; a dropped connection gets one fresh retry. */
  async #withWriteClient(work: (client: Client) => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#writeConnection();
      try {
        await work(client);
        return;
      } catch (err) {
        if (!isConnectionError(err) || attempt >= 2) throw err;
        this.#writeClient = undefined;
        this.#log?.debug({ source: this.name }, 'ldap write connection dropped, reconnecting');
      }
    }
  }

  async #writeConnection(): Promise<Client> {
    const current = this.#writeClient === undefined ? undefined : await this.#writeClient;
    // ldapts reconnects a dropped socket without binding again: such a client would write as
    // anonymous, so it is replaced instead.
    if (current !== undefined && current.isConnected && current.isBound) return current;
    await current?.unbind().catch(() => undefined);

    const connecting = this.#connect();
    this.#writeClient = connecting;
    connecting.catch(() => {
      if (this.#writeClient === connecting) this.#writeClient = undefined;
    });
    return connecting;
  }

  /** The controls the server announces in its root DSE (supportedControl). */
  async #supportedControls(client: Client): Promise<string[]> {
    const { searchEntries } = await client.search('', {
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: ['supportedControl'],
    });
    const value = searchEntries[0]?.supportedControl;
    return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
  }

  /** A new client, bound as the configured account, over the configured TLS. */
  #connect(): Promise<Client> {
    return connectLdap(this.#config, this.#password);
  }
}
