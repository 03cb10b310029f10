/**
 * HR systems (Workday, PeopleSoft, SAP) as scheduled exports: CSV or JSON files dropped in a
 * folder. A full read takes the newest file, maps each row by the source's configuration and
 * accounts for every faulty row in `problems` (held, field dropped, normalised, kept). A file
 * that cannot be read as a whole (header, encoding, syntax) throws, so the engine treats the
 * source as unread and nobody is taken for gone. See README.md beside this file.
 */
import type { Logger } from 'pino';

import type { HrFileSourceConfig } from '../../core/config-types.ts';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Snapshot } from '../../core/model.ts';
import type { SourceCapabilities, SourceConnector, WriteBackValues } from '../types.ts';
import { WorkdayWriteBack, type WorkerFacts } from '../workday/workday-writeback.ts';
import { snapshotOfRows } from './hr-batch.ts';
import { chooseFile, readCsv, readJson, type RawRow } from './hr-read.ts';

export interface HrFileSourceOptions {
  log?: Logger;
  /** The resolved `workday.password`; with it and `workday`, the source writes back. */
  workdayPassword?: string;
  clock?: () => Date;
}

export class HrFileSource implements SourceConnector {
  readonly name: string;
  readonly kind = 'hr-file';
  readonly capabilities: SourceCapabilities;
  readonly #config: HrFileSourceConfig;
  readonly #log: Logger | undefined;
  readonly #workday: WorkdayWriteBack | undefined;
  /** Hire date and worker type by worker id, from the last full read (for write-back). */
  #facts: Map<string, WorkerFacts> | undefined;

  constructor(config: HrFileSourceConfig, options: HrFileSourceOptions = {}) {
    this.name = config.name;
    this.#config = config;
    this.#log = options.log;
    if (config.workday !== undefined && options.workdayPassword !== undefined) {
      this.#workday = new WorkdayWriteBack(config.workday, {
        password: options.workdayPassword,
        worker: (id) => this.#factsOf(id),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.log === undefined ? {} : { log: options.log }),
      });
    }
    this.capabilities = { delta: false, writeBack: this.#workday !== undefined };
  }

  /** Writes numbers to Workday; a pre-hire throws a retryable `waiting` error. */
  async writeBack(record: { externalId: string }, values: WriteBackValues): Promise<void> {
    if (this.#workday === undefined) {
      throw new CallsignError(ErrorCode.Config, `source ${this.name}: no workday: block`);
    }
    await this.#workday.write(record.externalId, values);
  }

  async #factsOf(workerId: string): Promise<WorkerFacts | undefined> {
    // After a restart the engine may run a journaled write-back before any read.
    if (this.#facts === undefined) await this.readAll();
    return this.#facts?.get(workerId);
  }

  async readAll(signal?: AbortSignal): Promise<Snapshot> {
    const config = this.#config;
    const { file, format } = await chooseFile(config.path, config.format);
    const rows: AsyncIterable<RawRow> =
      format === 'csv' ? readCsv(file, requiredColumns(config), signal) : readJson(file);
    const { snapshot, mapped } = await snapshotOfRows(config, rows);
    this.#facts = new Map(
      snapshot.records.map((r) => [
        r.externalId,
        { hireDate: str(r.attributes.hireDate), workerType: str(r.attributes.workerType) },
      ]),
    );
    this.#log?.info(
      {
        file,
        rows: mapped.length,
        records: snapshot.records.length,
        held: mapped.length - snapshot.records.length,
        problems: snapshot.problems.length,
      },
      'hr export read',
    );
    return snapshot;
  }

  async close(): Promise<void> {
    // Nothing is kept open between reads.
  }
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Every column the configuration names: a CSV header must have them all. */
export function requiredColumns(config: HrFileSourceConfig): string[] {
  const columns = [
    ...Object.values(config.columns),
    config.keys?.personKey,
    config.status?.column,
    config.dates?.hire,
    config.dates?.termination,
    config.workerType?.column,
    config.country?.column,
    config.phone?.column,
    config.manager?.column,
  ];
  return [...new Set(columns.filter((c): c is string => c !== undefined))];
}
