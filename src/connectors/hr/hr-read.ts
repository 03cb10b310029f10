/**
 * Reading an HR export: which file (the newest in the drop folder), and its rows as column name
 * → text, streamed for CSV. Anything that makes the file as a whole unreadable (a header without
 * a mapped column, bytes that are not UTF-8, a broken quote) throws a CallsignError naming the
 * file and the place: the caller must not present what was read before it as a full read.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

import { CallsignError, toCallsignError } from '../../core/errors.ts';
import { jsonRow, rowsOfCsv, type RawRow } from './raw-rows.ts';
import { Utf8Error, Utf8Stream } from './utf8.ts';

export type HrFormat = 'csv' | 'json';

export type { RawRow };

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
  // Opened at the first row asked for, when rowsOfCsv starts reading the stream.
  const stop = new AbortController();
  yield* rowsOfCsv(createReadStream(file, { signal: stop.signal }), {
    label: file,
    required,
    noun: 'file',
    toError: (err) => fileError(file, err),
    stop,
    ...(signal === undefined ? {} : { signal }),
  });
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
  for (const [i, entry] of entries.entries()) yield jsonRow(entry, i + 1);
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
