/**
 * HR systems (Workday, PeopleSoft, SAP) as scheduled exports: CSV or JSON files dropped in a
 * folder. A full read takes the newest file, maps each row by the source's configuration and
 * accounts for every faulty row in `problems` (held, field dropped, normalised, kept). A file
 * that cannot be read as a whole (header, encoding, syntax) throws, so the engine treats the
 * source as unread and nobody is taken for gone. See README.md beside this file.
 */
import type { Logger } from 'pino';

import type { HrFileSourceConfig } from '../../core/config-types.ts';
import type { Snapshot } from '../../core/model.ts';
import type { SourceCapabilities, SourceConnector } from '../types.ts';
import { settleRows } from './hr-batch.ts';
import { chooseFile, readCsv, readJson, type RawRow } from './hr-read.ts';
import { rowMapper, type MappedRow } from './hr-rows.ts';

export interface HrFileSourceOptions {
  log?: Logger;
}

export class HrFileSource implements SourceConnector {
  readonly name: string;
  readonly kind = 'hr-file';
  readonly capabilities: SourceCapabilities = { delta: false, writeBack: false };
  readonly #config: HrFileSourceConfig;
  readonly #log: Logger | undefined;

  constructor(config: HrFileSourceConfig, options: HrFileSourceOptions = {}) {
    this.name = config.name;
    this.#config = config;
    this.#log = options.log;
  }

  async readAll(signal?: AbortSignal): Promise<Snapshot> {
    const config = this.#config;
    const { file, format } = await chooseFile(config.path, config.format);
    const rows: AsyncIterable<RawRow> =
      format === 'csv' ? readCsv(file, requiredColumns(config), signal) : readJson(file);
    const map = rowMapper(config);
    const mapped: MappedRow[] = [];
    for await (const row of rows) mapped.push(map(row));

    const personKey =
      config.keys?.personKey === undefined
        ? undefined
        : Object.entries(config.columns).find(([, c]) => c === config.keys?.personKey)?.[0];
    const snapshot = settleRows(mapped, {
      source: config.name,
      managers: config.manager !== undefined,
      ...(personKey === undefined ? {} : { personKey }),
    });
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
