/**
 * CSV per RFC 4180, safe to open in a spreadsheet. Fields holding a comma, a double quote, CR
 * or LF are quoted, with quotes doubled (§2.6, §2.7); records end with CRLF (§2.1).
 *
 * Formula injection (OWASP "CSV Injection"): a spreadsheet runs a text cell that starts with
 * `=`, `+`, `-` or `@` as a formula, and tab or CR can smuggle one in front. Such text cells get a
 * leading `'`, which spreadsheets take as "this is text". That includes every E.164 number
 * (`+12125550100` is written `'+12125550100`): the column stays text, so it is neither run nor
 * turned into `1.21E+10`; some programs show the apostrophe. `restoreCell` takes it off again,
 * so a file Callsign wrote reads back to the values it held. Numbers (the JS type) are never
 * guarded: `-5` is a value, not a formula.
 */

/** What a cell may hold; null and undefined are empty cells. */
export type CsvCell = string | number | boolean | null | undefined;

/** The whole file: each row a record ending in CRLF. */
export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  return rows.map((row) => row.map(csvField).join(',') + '\r\n').join('');
}

/** One field, guarded against formulas and quoted when RFC 4180 requires it. */
export function csvField(cell: CsvCell): string {
  if (cell === null || cell === undefined) return '';
  const text = typeof cell === 'string' ? guardFormula(cell) : String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Prefixes `'` to text a spreadsheet would run. Text already starting with `'` is guarded again
 * when what follows would be run after one `'` is removed, so `restoreCell` is its exact inverse.
 */
export function guardFormula(text: string): string {
  return wouldRun(text) ? `'${text}` : text;
}

/** Undoes `guardFormula`: removes the one `'` it added, and only that. */
export function restoreCell(text: string): string {
  return text.startsWith("'") && wouldRun(text.slice(1)) ? text.slice(1) : text;
}

/** Reads RFC 4180 text into rows of raw fields (guards kept; see `restoreCell`). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' && field === '') {
      const end = closingQuote(text, i + 1);
      field = text.slice(i + 1, end).replaceAll('""', '"');
      i = end + 1;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += c === '\r' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** Characters that start a formula, or hide one behind them (OWASP CSV Injection). */
const TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * True for text a spreadsheet would run: a trigger first, or after leading spaces (some
 * programs trim them on import), or after `'` marks that `restoreCell` would strip.
 */
function wouldRun(text: string): boolean {
  const unquoted = text.replace(/^'+/, '');
  if (unquoted === '') return false;
  if (TRIGGERS.has(unquoted[0]!)) return true;
  const trimmed = unquoted.replace(/^ +/, '');
  return trimmed !== '' && TRIGGERS.has(trimmed[0]!);
}

/** Index of the quote that ends a quoted field starting at `from`. */
function closingQuote(text: string, from: number): number {
  let i = from;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q === -1) {
      throw new SyntaxError(`CSV: a quoted field opened before offset ${from} never closes`);
    }
    if (text[q + 1] !== '"') return q;
    i = q + 2;
  }
}
