/**
 * Reading an HR export: which file (the newest in the drop folder), and its rows as column name
 * → text, streamed for CSV. Anything that makes the file as a whole unreadable (a header without
 * a mapped column, bytes that are not UTF-8, a broken quote) throws a CallsignError naming the
 * file and the place: the caller must not present what was read before it as a full read.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

import { parse } from 'csv-parse';

import { CallsignError, toCallsignError } from '../../core/errors.ts';
import { Utf8Error, Utf8Stream } from './utf8.ts';

export type HrFormat = 'csv' | 'json';

/** One data row; `error` when the row is malformed as a whole (wrong number of fields). */
export interface RawRow {
  /** `line 12` (CSV, as a spreadsheet numbers it, header = line 1) or `entry 3` (JSON). */
  where: string;
  values: Record<string, string>;
  error?: string;
  /** Fields that were not plain values (JSON objects, lists): left out, named here. */
  dropped?: string[];
}

/**
 * The file to read: `path` itself, or the newest `.csv`/`.json` in the folder (by modification
 * time, then name). Files whose name starts with `.` are skipped: drop tools write there first.
 */
export async function chooseFile(
  path: string,
  format: HrFormat | undefined,
): Promise<{ file: string; format: HrFormat }> {
  const info = await stat(path).catch((err: unknown) => {
    throw new CallsignError('unavailable', `${path}: ${toCallsignError(err).message}`);
  });
  if (!info.isDirectory()) return { file: path, format: format ?? formatOf(path) };

  const wanted = format === undefined ? ['.csv', '.json'] : [`.${format}`];
  const names = (await readdir(path)).filter(
    (n) => !n.startsWith('.') && wanted.includes(extname(n).toLowerCase()),
  );
  const dated = await Promise.all(
    names.map(async (n) => ({ n, t: (await stat(join(path, n))).mtimeMs })),
  );
  dated.sort((a, b) => b.t - a.t || b.n.localeCompare(a.n));
  const newest = dated[0];
  if (newest === undefined) {
    throw new CallsignError('unavailable', `${path}: no ${wanted.join(' or ')} file to read`);
  }
  const file = join(path, newest.n);
  return { file, format: format ?? formatOf(file) };
}

/** Rows of a CSV file, streamed; `required` columns must all be in the header. */
export async function* readCsv(
  file: string,
  required: readonly string[],
  signal?: AbortSignal,
): AsyncGenerator<RawRow> {
  const parser = parse({ relax_column_count: true, skip_empty_lines: true, info: true });
  const decoder = new Utf8Stream();
  const stop = new AbortController();
  const abort = () => stop.abort();
  signal?.addEventListener('abort', abort, { once: true });
  let failure: unknown;
  const feed = (async () => {
    for await (const chunk of createReadStream(file, { signal: stop.signal })) {
      const text = decoder.decode(chunk as Buffer);
      if (parser.destroyed) return;
      if (!parser.write(text)) await drained(parser);
    }
    decoder.end();
    parser.end();
  })().catch((err: unknown) => {
    if (!stop.signal.aborted || signal?.aborted === true) failure ??= err;
    parser.destroy();
  });

  let header: string[] | undefined;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      if (header === undefined) {
        header = item.record.map((h) => h.trim());
        checkHeader(file, header, required);
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
    // Stops the feed when the header was refused or the reader stopped early.
    if (!parser.writableFinished) stop.abort();
    parser.destroy();
    signal?.removeEventListener('abort', abort);
    await feed;
  }
  if (failure !== undefined) throw fileError(file, failure);
  if (header === undefined) throw new CallsignError('bad_record', `${file}: the file is empty`);
}

/**
 * Rows of a JSON file: a list of objects, or an object with one list of them (a Workday custom
 * report's `Report_Entry`). JSON omits empty fields, so a missing key is an empty value.
 */
export async function* readJson(file: string): AsyncGenerator<RawRow> {
  const decoder = new Utf8Stream();
  let entries: unknown;
  try {
    const text = decoder.decode(await readFile(file));
    decoder.end();
    entries = listOf(JSON.parse(text));
  } catch (err) {
    throw fileError(file, err);
  }
  if (!Array.isArray(entries)) {
    const msg = `${file}: expected a list of workers, or an object with one list of them`;
    throw new CallsignError('bad_record', msg);
  }
  for (const [i, entry] of entries.entries()) {
    const row: RawRow = { where: `entry ${i + 1}`, values: {} };
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      row.error = 'is not an object';
    } else {
      for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
        if (value === null || value === undefined) row.values[key] = '';
        else if (typeof value === 'object') (row.dropped ??= []).push(key);
        else row.values[key] = String(value);
      }
    }
    yield row;
  }
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

export function checkHeader(file: string, header: string[], required: readonly string[]): void {
  const missing = [...new Set(required)].filter((c) => !header.includes(c));
  const twice = header.filter((h, i) => header.indexOf(h) !== i);
  if (missing.length === 0 && twice.length === 0) return;
  const found = header.join(', ');
  const what =
    missing.length > 0
      ? `column ${missing.map((m) => JSON.stringify(m)).join(', ')} not in the header`
      : `column ${JSON.stringify(twice[0])} appears twice in the header`;
  throw new CallsignError('bad_record', `${file}: ${what}; header found: ${found}; nothing read`, {
    details: { file, missing, header },
  });
}

function fileError(file: string, err: unknown): CallsignError {
  if (err instanceof CallsignError) return err;
  if (err instanceof Utf8Error) {
    return new CallsignError('bad_record', `${file}: ${err.message}; nothing read`, {
      details: { file, byteOffset: err.byteOffset, line: err.line },
    });
  }
  const reason = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  // Files that cannot be opened are unavailable (retry later); the rest is bad content.
  const kind = typeof code === 'string' && /^E[A-Z]+$/.test(code) ? 'unavailable' : 'bad_record';
  return new CallsignError(kind, `${file}: ${reason}; nothing read`, { details: { file } });
}

function listOf(value: unknown): unknown {
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  const lists = Object.values(value).filter(Array.isArray);
  return lists.length === 1 ? lists[0] : undefined;
}

function formatOf(file: string): HrFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.csv' || ext === '.txt') return 'csv';
  throw new CallsignError('config', `${file}: cannot tell csv from json; set format`);
}
