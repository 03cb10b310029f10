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

/** The ISO date `days` days after `iso` (calendar days). */
export function plusDays(iso: string, days: number): string {
  return minusDays(iso, -days);
}

/**
 * The instant a calendar day begins in an IANA time zone: `2030-03-20` in `America/New_York` is
 * 04:00 UTC. The zone's offset is read at the UTC guess and again at the answer, which settles
 * days whose offset changes (daylight saving) in one more step.
 */
export function startOfDay(iso: string, timeZone: string): Date {
  const guess = Date.parse(`${iso}T00:00:00Z`);
  let at = guess - offsetAt(guess, timeZone);
  const again = guess - offsetAt(at, timeZone);
  if (again !== at) at = again;
  return new Date(at);
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds the zone's wall clock is ahead of UTC at `instant`. */
function offsetAt(instant: number, timeZone: string): number {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  const part: Record<string, number> = {};
  for (const p of format.formatToParts(new Date(instant))) {
    if (p.type !== 'literal') part[p.type] = Number(p.value);
  }
  const wall = Date.UTC(
    part.year!,
    part.month! - 1,
    part.day!,
    part.hour!,
    part.minute!,
    part.second!,
  );
  return wall - Math.floor(instant / 1000) * 1000;
}
