/**
 * ServiceNow as a source: catalog tasks assigned to Callsign's group. Tickets are requests, not
 * a roster, so the source is pushed like SCIM (the ticket desk polls and plans each batch); a
 * full read returns what the tickets last said about each person they named, kept in the store,
 * so a full reconciliation neither forgets nor removes them.
 */
import type { Logger } from 'pino';

import type { ServiceNowSourceConfig } from '../../core/config-servicenow.ts';
import type { Snapshot, SourceRecord } from '../../core/model.ts';
import type { SourceCapabilities, SourceConnector } from '../types.ts';
import { TableClient } from './table-client.ts';
import { readTasks, type TaskBatch } from './task-read.ts';

/** The store's small key-value state, where the roster and the desk's bookkeeping live. */
export interface StateStore {
  getState(key: string): Promise<string | undefined>;
  setState(key: string, value: string): Promise<void>;
}

export interface ServiceNowSourceOptions {
  /** The resolved secret: the password for basic auth, the token for bearer auth. */
  secret: string;
  state: StateStore;
  log: Logger;
}

export class ServiceNowSource implements SourceConnector {
  readonly name: string;
  readonly kind = 'servicenow';
  readonly capabilities: SourceCapabilities = { delta: false, writeBack: false, push: true };
  readonly config: ServiceNowSourceConfig;
  readonly client: TableClient;
  readonly #state: StateStore;
  readonly #log: Logger;

  constructor(config: ServiceNowSourceConfig, options: ServiceNowSourceOptions) {
    this.name = config.name;
    this.config = config;
    this.#state = options.state;
    this.#log = options.log;
    const authorization =
      'token' in config.auth
        ? `Bearer ${options.secret}`
        : `Basic ${Buffer.from(`${config.auth.user}:${options.secret}`).toString('base64')}`;
    this.client = new TableClient({
      url: config.url,
      authorization,
      timeoutMs: config.timeoutMs,
      pageSize: config.pageSize,
    });
  }

  /** The last record each ticket gave per person; complete, since the store holds them all. */
  async readAll(): Promise<Snapshot> {
    const roster = await this.#roster();
    return { source: this.name, records: Object.values(roster), complete: true, problems: [] };
  }

  /** Tasks updated at or after the cursor, with the records of their people. */
  async readTasks(cursor: string | undefined, signal?: AbortSignal): Promise<TaskBatch> {
    const batch = await readTasks(this.config, this.client, cursor, signal);
    this.#log.debug({ tasks: batch.tasks.length, cursor: batch.cursor }, 'servicenow tasks read');
    return batch;
  }

  /** Keeps the records a batch carried, once the run that planned them is journaled. */
  async remember(records: readonly SourceRecord[]): Promise<void> {
    if (records.length === 0) return;
    const roster = await this.#roster();
    for (const record of records) roster[record.externalId] = record;
    await this.#state.setState(this.#rosterKey(), JSON.stringify(roster));
  }

  async close(): Promise<void> {}

  async #roster(): Promise<Record<string, SourceRecord>> {
    const raw = await this.#state.getState(this.#rosterKey());
    return raw === undefined ? {} : (JSON.parse(raw) as Record<string, SourceRecord>);
  }

  #rosterKey(): string {
    return `servicenow:${this.name}:roster`;
  }
}
