/**
 * Rows of an HR export as it arrives over HTTP: CSV through csv-parse, JSON through a streaming
 * parser that hands over one entry at a time, so memory stays flat whatever the export's size.
 * A body that stops early, breaks the syntax or is not UTF-8 throws: what was read before it
 * must not pass for a full read (nobody is taken for gone on half an export).
 */
import { JSONParser } from '@streamparser/json';

import { CallsignError } from '../../core/errors.ts';
import { jsonRow, rowsOfCsv, type RawRow } from './raw-rows.ts';
import { Utf8Error, Utf8Stream } from './utf8.ts';

/** Rows of a CSV body; `required` columns must all be in the header. */
export function csvRows(
  body: AsyncIterable<Buffer>,
  label: string,
  required: readonly string[],
): AsyncGenerator<RawRow> {
  const toError = (err: unknown) => bodyError(label, err);
  return rowsOfCsv(body, { label, required, noun: 'export', toError });
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
      for (const entry of ready.splice(0)) yield jsonRow(entry, ++count, skip);
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

function hasList(start: string, list: string): boolean {
  try {
    let node: unknown = JSON.parse(start);
    for (const key of list.split('.')) node = (node as Record<string, unknown> | null)?.[key];
    return Array.isArray(node);
  } catch {
    return false;
  }
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
