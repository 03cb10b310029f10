/**
 * HR exports read over HTTPS (`type: hr-https`): a Workday custom report served as a web
 * service (RaaS, CSV or JSON) or a PeopleSoft query run through Query Access Services (REST
 * ExecuteQuery, JSON). Rows go through the same mapping and checks as an export in a drop
 * folder (hr-rows.ts, hr-batch.ts). Anything that leaves the export partial (an HTTP error, a
 * cut body, silence past the timeout, more rows than PeopleSoft was allowed to answer) throws,
 * so the engine treats the source as unread and nobody is de-provisioned.
 */
import { readFileSync } from 'node:fs';

import type { Logger } from 'pino';

import type { HrHttpsSourceConfig } from '../../core/config-hr-https.ts';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Snapshot } from '../../core/model.ts';
import type { SourceCapabilities, SourceConnector } from '../types.ts';
import { snapshotOfRows } from './hr-batch.ts';
import { requiredColumns } from './hr-file-source.ts';
import { getFeed, type FeedGet } from './hr-https-get.ts';
import { csvRows, jsonRows } from './hr-https-read.ts';
import type { RawRow } from './hr-read.ts';

export interface HrHttpsSourceOptions {
  /** The resolved password of `username`. */
  password: string;
  log?: Logger;
}

export class HrHttpsSource implements SourceConnector {
  readonly name: string;
  readonly kind = 'hr-https';
  readonly capabilities: SourceCapabilities = { delta: false, writeBack: false };
  readonly #config: HrHttpsSourceConfig;
  readonly #options: HrHttpsSourceOptions;
  readonly #ca: string | undefined;

  constructor(config: HrHttpsSourceConfig, options: HrHttpsSourceOptions) {
    this.name = config.name;
    this.#config = config;
    this.#options = options;
    this.#ca = config.tlsCa === undefined ? undefined : readCa(config.name, config.tlsCa);
  }

  async readAll(signal?: AbortSignal): Promise<Snapshot> {
    const config = this.#config;
    const label = `source ${config.name}`;
    const request = feedRequest(config, this.#options.password, this.#ca, label);
    const body = await getFeed(request, signal);
    let rows: AsyncIterable<RawRow>;
    if (config.feed === 'peoplesoft-qas') {
      rows = capped(jsonRows(body, label, 'data.query.rows', ['attr:rownumber']), config, label);
    } else if (config.format === 'csv') {
      rows = csvRows(body, label, requiredColumns({ ...config, type: 'hr-file', path: '' }));
    } else {
      rows = jsonRows(body, label, 'Report_Entry');
    }
    try {
      const { snapshot, mapped } = await snapshotOfRows(config, rows);
      this.#options.log?.info(
        {
          feed: config.feed,
          rows: mapped.length,
          records: snapshot.records.length,
          held: mapped.length - snapshot.records.length,
          problems: snapshot.problems.length,
        },
        'hr feed read',
      );
      return snapshot;
    } finally {
      body.destroy();
    }
  }

  async close(): Promise<void> {
    // Each read opens and ends its own connection.
  }
}

/** The GET of the export: RaaS takes `format`, QAS the owner, query, output and row cap. */
export function feedRequest(
  config: HrHttpsSourceConfig,
  password: string,
  ca: string | undefined,
  label: string,
): FeedGet {
  let url: string;
  if (config.feed === 'peoplesoft-qas') {
    const path = [config.owner ?? 'PUBLIC', config.query ?? '', 'JSON', 'NONFILE']
      .map(encodeURIComponent)
      .join('/');
    // One row past the cap tells a complete answer of exactly maxRows from a cut one.
    const query = new URLSearchParams({
      isconnectedquery: 'N',
      maxrows: String(config.maxRows + 1),
      json_resp: 'true',
    });
    url = `${config.url}/${path}?${query}`;
  } else {
    url = `${config.url}?format=${config.format}`;
  }
  const accept = config.format === 'csv' ? 'text/csv' : 'application/json';
  return {
    label,
    url,
    username: config.username,
    password,
    ...(ca === undefined ? {} : { ca }),
    timeoutMs: config.timeoutMs,
    accept,
  };
}

/** Refuses the read when PeopleSoft answered more rows than `maxRows`: the rest were cut. */
async function* capped(
  rows: AsyncIterable<RawRow>,
  config: HrHttpsSourceConfig,
  label: string,
): AsyncGenerator<RawRow> {
  let n = 0;
  for await (const row of rows) {
    if (++n > config.maxRows) {
      const msg =
        `${label}: query ${config.query} has more than maxRows (${config.maxRows}) rows; ` +
        'raise maxRows; read incomplete, nothing read';
      throw new CallsignError('incomplete', msg, { details: { maxRows: config.maxRows } });
    }
    yield row;
  }
}

function readCa(name: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CallsignError(ErrorCode.Config, `sources.${name}.tlsCa: ${reason}`);
  }
}
