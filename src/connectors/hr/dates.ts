/**
 * Calendar dates in one configured format (`YYYY-MM-DD`, `MM/DD/YYYY`, `DD.MM.YYYY`, `M/D/YYYY`…)
 * to ISO `YYYY-MM-DD`. A date that does not exist (31 April, 29 February 2025) is refused, not
 * rolled over: a hire date silently moved to 1 May provisions on the wrong day.
 */

/** ISO date of a text in the format, or undefined when the text is not such a date. */
export type DateParser = (text: string) => string | undefined;

/** Compiles a format of tokens YYYY, MM, M, DD, D and literal separators. */
export function compileDateFormat(format: string): DateParser {
  const order: string[] = [];
  const source = format.replace(/YYYY|MM|DD|M|D|[^A-Z]/g, (token) => {
    if (token === 'YYYY') return (order.push('Y'), '(\\d{4})');
    if (token === 'MM' || token === 'DD') return (order.push(token[0]!), '(\\d{2})');
    if (token === 'M' || token === 'D') return (order.push(token), '(\\d{1,2})');
    return token.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  });
  const pattern = new RegExp(`^${source}$`);
  return (text) => {
    const match = pattern.exec(text.trim());
    if (match === null) return undefined;
    const part = (t: string) => Number(match[order.indexOf(t) + 1]);
    const year = part('Y');
    const month = part('M');
    const day = part('D');
    const date = new Date(Date.UTC(year, month - 1, day));
    const real =
      date.getUTCFullYear() === year &&
      date.getUTCMonth() === month - 1 &&
      date.getUTCDate() === day;
    return real ? date.toISOString().slice(0, 10) : undefined;
  };
}

/** The ISO date `days` days before `iso` (calendar days, UTC). */
export function minusDays(iso: string, days: number): string {
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - days);
  return date.toISOString().slice(0, 10);
}
