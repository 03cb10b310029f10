/**
 * Rows of an HR export as it arrives over HTTP: CSV through csv-parse, JSON through a streaming
 * parser that hands over one entry at a time, so memory stays flat whatever the export's size.
 * A body that stops early, breaks the syntax or is not UTF-8 throws: what was read before it
 * must not pass for a full read (nobody is taken for gone on half an export).
 */
import { JSONParser } from '@streamparser/json';
import { parse } from 'csv-parse';

import { CallsignError } from '../../core/errors.ts';
import { checkHeader, type RawRow } from './hr-read.ts';
import { Utf8Error, Utf8Stream } from './utf8.ts';

/** Rows of a CSV body; `required` columns must all be in the header. */
export async function* csvRows(
  body: AsyncIterable<Buffer>,
  label: string,
  required: readonly string[],
): AsyncGenerator<RawRow> {
  const parser = parse({ relax_column_count: true, skip_empty_lines: true, info: true });
  const decoder = new Utf8Stream();
  let failure: unknown;
  let stopped = false;
  const feed = (async () => {
    for await (const chunk of body) {
      if (stopped || parser.destroyed) return;
      const text = decoder.decode(chunk);
      if (!parser.write(text)) await drained(parser);
    }
    decoder.end();
    parser.end();
  })().catch((err: unknown) => {
    failure ??= err;
    parser.destroy();
  });

  let header: string[] | undefined;
  try {
    for await (const item of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (header === undefined) {
        header = item.record.map((h) => h.trim());
        checkHeader(label, header, required);
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
    parser.destroy();
    await feed;
  }
  if (failure !== undefined) throw bodyError(label, failure);
  if (header === undefined) throw new CallsignError('bad_record', `${label}: the export is empty`);
}

/**
 * Rows of a JSON body: the objects of the list at `list` (`Report_Entry`, `data.query.rows`).
 * Keys in `skip` are bookkeeping of the service (PeopleSoft's `attr:rownumber`), not fields.
 */
export async function* jsonRows(
  body: AsyncIterable<Buffer>,
  label: string,
  list: string,
  skip: readonly string[] = [],
): AsyncGenerator<RawRow> {
  const parser = new JSONParser({ paths: [`$.${list}.*`], keepStack: false });
  const decoder = new Utf8Stream();
  const ready: unknown[] = [];
  parser.onValue = ({ value }) => void ready.push(value);
  // An empty list emits nothing: the start of the body is kept to tell "no workers" from "no
  // list at all" (a changed report that would otherwise read as everyone gone).
  let start = '';
  let count = 0;
  try {
    for await (const chunk of body) {
      const text = decoder.decode(chunk);
      if (start.length < START) start += text.slice(0, START - start.length);
      // The parser ends by itself with the document; only blanks may follow it.
      if (!parser.isEnded) parser.write(text);
      else if (text.trim() !== '') throw new Error('text after the end of the JSON document');
      for (const entry of ready.splice(0)) yield rowOf(entry, ++count, skip);
    }
    decoder.end();
    if (!parser.isEnded) parser.end();
  } catch (err) {
    throw bodyError(label, err);
  }
  if (count === 0 && !hasList(start, list)) {
    const msg = `${label}: the answer has no ${list} list; nothing read`;
    throw new CallsignError('bad_record', msg);
  }
}

const START = 64 * 1024;

function rowOf(entry: unknown, n: number, skip: readonly string[]): RawRow {
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

function hasList(start: string, list: string): boolean {
  try {
    let node: unknown = JSON.parse(start);
    for (const key of list.split('.')) node = (node as Record<string, unknown> | null)?.[key];
    return Array.isArray(node);
  } catch {
    return false;
  }
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

function bodyError(label: string, err: unknown): CallsignError {
  if (err instanceof CallsignError) return err;
  if (err instanceof Utf8Error) {
    return new CallsignError('bad_record', `${label}: ${err.message}; nothing read`, {
      details: { byteOffset: err.byteOffset, line: err.line },
    });
  }
  const reason = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  // The connection broke or went silent mid-body: the export is cut, try again later.
  const cut = typeof code === 'string' && /^(E[A-Z]+|ERR_STREAM_[A-Z_]+|ABORT_ERR)$/.test(code);
  if (cut || /aborted|no data for|ended in mid-parsing/i.test(reason)) {
    const msg = `${label}: the export stopped early (${reason}); read incomplete, nothing read`;
    return new CallsignError('incomplete', msg, { retryable: true });
  }
  return new CallsignError('bad_record', `${label}: ${reason}; nothing read`);
}
