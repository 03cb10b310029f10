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
  ReadChangesOptions,
  SourceCapabilities,
  SourceConnector,
  WriteBackValues,
} from '../types.ts';
import { connectLdap } from './connect.ts';
import { chooseMechanism, deltaReaders } from './delta.ts';
import { mayUseContentSync, watchContentSync } from './delta-content-sync-watch.ts';
import './delta-readers.ts';
import { isObjectGuid, mapEntry, requestedAttributes, type RawEntry } from './entry-mapper.ts';
import { equalityFilter } from './filter.ts';
import {
  personGroups,
  readGroupGraph,
  readInChainMemberships,
  readRangedValues,
  type GroupGraph,
} from './groups.ts';
import { guidToBytes } from './guid.ts';
import { leanPagedSearch } from './lean-search.ts';
import { pagedSearch } from './paged-search.ts';
import { partitionFilters } from './partitions.ts';
import { isConnectionError, toLdapCallsignError } from './ldap-errors.ts';
import { formatForAttribute, type DirectoryFlavor } from './write-format.ts';

export interface LdapSourceOptions {
  /** The bind password, already resolved from its secret reference. Never logged. */
  password: string;
  log?: Logger;
  /** Called after each page of a read: progress display, and tests that cut a read short. */
  onPage?: (page: { number: number; entries: number }) => void | Promise<void>;
}

/** What the partitions of one full read add to. */
interface FullRead {
  records: SourceRecord[];
  problems: RecordProblem[];
  /** Pages read so far, over all partitions. */
  pages: number;
  /** DNs (lower-cased) already taken, when partitions may overlap. */
  seen: Set<string>;
  /** Why partitions failed; once one has, the others stop at their next page. */
  failures: unknown[];
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
   * Reads every entry under baseDn matching the filter, page by page; with `parallelReads`
   * above 1, as that many disjoint partitions on as many connections at once (partitions.ts).
   * Throws CallsignError when nothing could be read (bind refused, server unreachable, first
   * page refused). Once a page has arrived, a later failure in any partition (size or time
   * limit, dropped connection) yields `complete: false` with the failure in `problems`.
   */
  async readAll(signal?: AbortSignal): Promise<Snapshot> {
    signal?.throwIfAborted();
    const { baseDn, url, filter } = this.#config;
    const started = Date.now();
    const count = this.#config.parallelReads ?? 1;
    const filters = partitionFilters(filter, this.#config.partitionAttribute ?? 'cn', count);
    const read: FullRead = { records: [], problems: [], pages: 0, seen: new Set(), failures: [] };

    const clients = await this.#connectAll(filters.length);
    try {
      let graph: GroupGraph | undefined;
      try {
        graph = await this.#groupGraph(clients[0]!);
      } catch (err) {
        // People without their groups would look like movers to every group rule: read none.
        return this.#groupReadFailed(err);
      }
      await Promise.all(
        filters.map((f, i) =>
          this.#readPartition(clients[i]!, f, read, graph, signal).catch((err: unknown) => {
            read.failures.push(err);
          }),
        ),
      );
      if (signal?.aborted) throw signal.reason;
      const { failures } = read;
      if (failures.length > 0) {
        const error = toLdapCallsignError(failures[0], { action: 'search', url, dn: baseDn });
        if (read.pages === 0) throw error;
        this.#cutShort(read, error, failures.length);
      }
    } finally {
      await Promise.all(clients.map((c) => c.unbind().catch(() => undefined)));
    }

    const { records, problems, pages } = read;
    const complete = read.failures.length === 0;
    const ms = Date.now() - started;
    const summary = { source: this.name, entries: records.length, pages, complete, ms };
    this.#log?.info(
      { ...summary, partitions: filters.length, problems: problems.length },
      'ldap read finished',
    );
    return { source: this.name, records, complete, problems };
  }

  /**
   * Reads what changed since the cursor with the mechanism the configuration names, or the best
   * the server offers (`auto`). The cursor carries its mechanism: a cursor of another mechanism
   * (the configuration or the server changed) is treated as lost, so the engine reads in full.
   */
  async readChanges(
    cursor: string | undefined,
    signal?: AbortSignal,
    options: ReadChangesOptions = {},
  ): Promise<ChangeBatch> {
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
      const { knownIds } = options;
      const page = await reader.read(
        { client, config: this.#config, attributes, signal, password: this.#password, knownIds },
        own,
      );

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
   * Replaces the given attributes on the record's entry in one modify; null or '' removes the
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

  /** Calls `onChange` soon after a directory change, when Content Sync may be used. */
  watch(onChange: () => void, signal: AbortSignal): void {
    if (!mayUseContentSync(this.#config)) return;
    const log = this.#log;
    void watchContentSync({
      config: this.#config,
      password: this.#password,
      onChange,
      signal,
      log,
    });
  }

  async close(): Promise<void> {
    const pending = this.#writeClient;
    this.#writeClient = undefined;
    if (pending === undefined) return;
    const client = await pending.catch(() => undefined);
    await client?.unbind().catch(() => undefined);
  }

  /** Reads one partition into `read`; throws what its search throws. */
  async #readPartition(
    client: Client,
    filter: string,
    read: FullRead,
    graph: GroupGraph | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { baseDn, pageSize, idAttribute } = this.#config;
    const attributes = requestedAttributes(this.#config);
    // Both readers decode text as strict UTF-8 and hand bytes that are not UTF-8 over as a
    // Buffer, which the mapper reports; only a binary id is asked for as bytes outright.
    const binary = isObjectGuid(idAttribute) ? [idAttribute, idAttribute.toLowerCase()] : [];
    const options = { filter, attributes, explicitBufferAttributes: binary, pageSize };
    const deduplicate = (this.#config.parallelReads ?? 1) > 1;
    // Ranged memberOf values are fetched on the same connection, which the lean reader takes.
    const pages =
      this.#config.groups?.memberOf === true
        ? pagedSearch(client, baseDn, options)
        : leanPagedSearch(client, baseDn, {
            filter,
            attributes,
            binaryAttributes: binary,
            pageSize,
            timeoutMs: this.#config.timeoutMs,
          });

    for await (const page of pages) {
      // Another partition failed: the read is incomplete whatever this one adds.
      if (read.failures.length > 0) return;
      const number = ++read.pages;
      for (const entry of page) {
        if (deduplicate) {
          // An entry with two values of the partition attribute comes in two partitions.
          const key = entry.dn.toLowerCase();
          if (read.seen.has(key)) continue;
          read.seen.add(key);
        }
        const raw = await this.#expandMemberOf(client, entry);
        this.#collect(raw, read.records, read.problems, graph);
      }
      await this.#onPage?.({ number, entries: page.length });
      signal?.throwIfAborted();
    }
  }

  /** Marks the read incomplete: nobody may be de-provisioned for being absent from it. */
  #cutShort(read: FullRead, error: CallsignError, failed: number): void {
    const { pages } = read;
    const entries = read.records.length;
    const which = failed > 1 ? ` (${failed} partitions failed)` : '';
    const stopped = `Read stopped after ${pages} pages and ${entries} entries${which}`;
    const message = `${stopped}: ${error.message}`;
    read.problems.push({ source: this.name, record: this.#config.baseDn, message });
    this.#log?.warn({ source: this.name, pages, entries, err: error }, 'ldap read cut short');
  }

  /** One bound client per partition; none is left open when one cannot connect. */
  async #connectAll(count: number): Promise<Client[]> {
    const opened = await Promise.allSettled(Array.from({ length: count }, () => this.#connect()));
    const clients = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed === undefined) return clients;
    await Promise.all(clients.map((c) => c.unbind().catch(() => undefined)));
    throw (failed as PromiseRejectedResult).reason;
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
    if (groups.nested && this.#flavor === 'ad') {
      // The DC resolves nesting itself (LDAP_MATCHING_RULE_IN_CHAIN), across every depth.
      const { baseDn: peopleDn, filter } = this.#config;
      const scope = { baseDn: peopleDn, filter, pageSize, groups: graph.names.keys() };
      graph.inChain = await readInChainMemberships(client, scope);
    }
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
    // '' is a number taken away, like null: the attribute's values are removed.
    if (value !== null && value !== '') {
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
