/**
 * When HR facts take effect, shared by every HR source type (hr-file, hr-https, hr-push, workday,
 * successfactors): how long a worker may be missing from a complete read before counting as
 * gone, and the time zone HR dates are days of. HR exports drop rows by mistake, so a missing
 * worker waits (as LDAP does) while an explicit termination takes effect on its own date.
 */
import type { MapView } from './config-reader.ts';

export const HR_TIMING_KEYS = ['missingGraceSeconds', 'timezone'] as const;

/** The LDAP source's default too: a day for someone to notice a row dropped by mistake. */
export const DEFAULT_MISSING_GRACE_SECONDS = 86400;

export interface HrTiming {
  /**
   * Seconds a worker absent from a complete read keeps their state before counting as leaving.
   * `loadConfig` fills 86400; absent in configurations built by hand means 0 (immediate).
   */
  missingGraceSeconds?: number;
  /**
   * IANA time zone the HR dates are days of (`America/New_York`). A termination takes effect at
   * the end of its date there, a hire or start at its beginning. Absent: UTC.
   */
  timezone?: string;
}

/** Reads `missingGraceSeconds` and `timezone` of one HR source. */
export function readHrTiming(view: MapView): Required<HrTiming> {
  const missingGraceSeconds = view.num('missingGraceSeconds', {
    default: DEFAULT_MISSING_GRACE_SECONDS,
    min: 0,
    integer: true,
  });
  const timezone = view.str('timezone') ?? 'UTC';
  if (!isTimeZone(timezone)) {
    view.problem('timezone', `${JSON.stringify(timezone)} is not an IANA time zone name`);
  }
  return { missingGraceSeconds, timezone };
}

/** True when the runtime's time zone database knows the name. */
export function isTimeZone(name: string): boolean {
  if (name.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
