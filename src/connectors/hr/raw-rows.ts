/**
 * Export content to rows, the same whether it comes from a file or an HTTPS body: CSV chunks
 * through csv-parse with the header checked first, and one JSON entry to one row. Callers name
 * their input and turn what broke the reading into their own error.
 */
import { parse } from 'csv-parse';

import { CallsignError } from '../../core/errors.ts';
import { Utf8Stream } from './utf8.ts';

/** One data row; `error` when the row is malformed as a whole (wrong number of fields). */
export interface RawRow {
  /** `line 12` (CSV, as a spreadsheet numbers it, header = line 1) or `entry 3` (JSON). */
  where: string;
  values: Record<string, string>;
  error?: string;
  /** Fields that were not plain values (JSON objects, lists): left out, named here. */
  dropped?: string[];
}

export interface CsvInput {
  /** Names the input in errors: the file, or the feed. */
  label: string;
  /** Columns that must all be in the header. */
  required: readonly string[];
  /** What the input is called when it has not even a header: `file`, `export`. */
  noun: string;
  /** Turns what broke the reading (chunks, UTF-8, CSV syntax) into the error thrown. */
  toError: (err: unknown) => CallsignError;
  /**
   * Aborts the chunks' producer when reading stops first (a refused header, a reader that
   * stops early). Errors after that abort are the reader's own doing and not reported, unless
   * `signal` (the caller's) asked for it.
   */
  stop?: AbortController;
  signal?: AbortSignal;
}

/** Rows of CSV content arriving in chunks, decoded as strict UTF-8. */
export async function* rowsOfCsv(
  chunks: AsyncIterable<Buffer>,
  input: CsvInput,
): AsyncGenerator<RawRow> {
  const parser = parse({ relax_column_count: true, skip_empty_lines: true, info: true });
  const decoder = new Utf8Stream();
  const { stop, signal } = input;
  const abort = () => stop?.abort();
  signal?.addEventListener('abort', abort, { once: true });
  let failure: unknown;
  let stopped = false;
  const feed = (async () => {
    for await (const chunk of chunks) {
      if (stopped || parser.destroyed) return;
      const text = decoder.decode(chunk);
      if (!parser.write(text)) await drained(parser);
    }
    decoder.end();
    parser.end();
  })().catch((err: unknown) => {
    const ownStop = stop?.signal.aborted === true && signal?.aborted !== true;
    if (!ownStop) failure ??= err;
    parser.destroy();
  });

  let header: string[] | undefined;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      if (header === undefined) {
        header = item.record.map((h) => h.trim());
        checkHeader(input.label, header, input.required);
        continue;
      }
      const row: RawRow = { where: `line ${item.info.lines}`, values: {} };
      header.forEach((name, i) => (row.values[name] = item.record[i] ?? ''));
      if (item.record.length !== header.length) {
        row.error = `has ${item.record.length} fields; the header has ${header.length}`;
      }
      yield row;
    }
  } catch (err) {
    failure ??= err;
  } finally {
    stopped = true;
    if (!parser.writableFinished) stop?.abort();
    parser.destroy();
    signal?.removeEventListener('abort', abort);
    await feed;
  }
  if (failure !== undefined) throw input.toError(failure);
  if (header === undefined) {
    throw new CallsignError('bad_record', `${input.label}: the ${input.noun} is empty`);
  }
}

/** The row of the `n`th JSON entry; keys in `skip` are bookkeeping of the service, not fields. */
export function jsonRow(entry: unknown, n: number, skip: readonly string[] = []): RawRow {
  const row: RawRow = { where: `entry ${n}`, values: {} };
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    row.error = 'is not an object';
    return row;
  }
  for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
    if (skip.includes(key)) continue;
    // JSON leaves out empty fields, so a missing key and null both read as empty.
    if (value === null || value === undefined) row.values[key] = '';
    else if (typeof value === 'object') (row.dropped ??= []).push(key);
    else row.values[key] = String(value);
  }
  return row;
}

/** Refuses a header without a required column, or with one column twice. */
export function checkHeader(label: string, header: string[], required: readonly string[]): void {
  const missing = [...new Set(required)].filter((c) => !header.includes(c));
  const twice = header.filter((h, i) => header.indexOf(h) !== i);
  if (missing.length === 0 && twice.length === 0) return;
  const found = header.join(', ');
  const what =
    missing.length > 0
      ? `column ${missing.map((m) => JSON.stringify(m)).join(', ')} not in the header`
      : `column ${JSON.stringify(twice[0])} appears twice in the header`;
  throw new CallsignError('bad_record', `${label}: ${what}; header found: ${found}; nothing read`, {
    details: { file: label, missing, header },
  });
}

interface Info {
  lines: number;
}

/** Resolves when the parser takes more input, or is gone. */
function drained(parser: NodeJS.WritableStream & { destroyed: boolean }): Promise<void> {
  return new Promise((ok) => {
    const done = () => {
      parser.off('drain', done);
      parser.off('close', done);
      ok();
    };
    parser.on('drain', done);
    parser.on('close', done);
  });
}
