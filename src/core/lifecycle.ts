/**
 * Classifies what happened to a person since the last applied plan: joiner, mover, leaver,
 * rehire, a start or end in the future, or nothing. Time comes in as `now`, never from the
 * system clock, so future-dated cases are tested without waiting.
 */
import type { Attributes, Lifecycle, Person, PersonStatus } from './model.ts';

export type ClassifyInput = (
  | { person: Pick<Person, 'status' | 'attributes'> }
  | { status: PersonStatus; attributes: Attributes }
) & {
  /** The person as last stored; absent for someone never seen. */
  previous?: Person;
  /** The person has linked resources. */
  hasResources: boolean;
  /**
   * The person holds numbers. Someone who leaves holding only numbers (their provisioning
   * failed or was skipped) still has something to give back: a leaver, not unchanged.
   */
  holdsNumbers?: boolean;
  now: Date;
  /** First working day; when absent, read from a `startDate` attribute if it is a date. */
  startDate?: Date;
  /**
   * When the person stops working; when absent, read from `endsAt`, else from an `endDate`
   * attribute (a date-only value is the last working day: it ends at the next day's start).
   */
  endDate?: Date;
  /** The current fingerprint of rule-relevant attributes (CompiledRules.fingerprint). */
  fingerprint?: string;
};

/** Decides the lifecycle event for one person. */
export function classify(input: ClassifyInput): Lifecycle {
  const { status, attributes } = 'person' in input ? input.person : input;
  const { previous, hasResources, now } = input;
  // `startsAt`/`endsAt` are instants an HR source worked out in its time zone; without them a
  // date-only value is a UTC day, and an end date is the last day (it ends when the next begins).
  const start =
    input.startDate ?? dateAttribute(attributes.startsAt) ?? dateAttribute(attributes.startDate);
  const end = input.endDate ?? endOf(attributes);
  const ended = end !== undefined && end.getTime() <= now.getTime();

  // Someone gone (disabled, deleted, or past their end date) loses what they have.
  if (status !== 'active' || ended) {
    return hasResources || input.holdsNumbers === true ? 'leaver' : 'unchanged';
  }

  // A hire that has not started yet gets nothing yet, even if the directory has them early.
  if (start !== undefined && start.getTime() > now.getTime() && !hasResources) {
    return 'future-start';
  }
  if (previous !== undefined && previous.status !== 'active') return 'rehire';
  if (previous === undefined || !hasResources) return 'joiner';

  const changed =
    input.fingerprint !== undefined &&
    previous.lastAppliedHash !== undefined &&
    previous.lastAppliedHash !== input.fingerprint;
  if (changed) return 'mover';
  return end !== undefined ? 'future-end' : 'unchanged';
}

/**
 * True when the attributes say the person's last day is over. Such a person gets no resources
 * even when they have none to lose (a terminated worker still listed in an HR export).
 */
export function hasEnded(attributes: Attributes, now: Date): boolean {
  const end = endOf(attributes);
  return end !== undefined && end.getTime() <= now.getTime();
}

/** `endsAt` (an instant an HR source worked out in its time zone), else `endDate`. */
function endOf(attributes: Attributes): Date | undefined {
  return dateAttribute(attributes.endsAt) ?? dateAttribute(attributes.endDate, 1);
}

/**
 * A date from an attribute: ISO date or date-time, or LDAP GeneralizedTime (20250131…Z). A
 * date-only value is that day's 00:00 UTC, moved `daysAfterDateOnly` days on.
 */
function dateAttribute(value: unknown, daysAfterDateOnly = 0): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = new Date(`${value}T00:00:00Z`);
    day.setUTCDate(day.getUTCDate() + daysAfterDateOnly);
    return Number.isNaN(day.getTime()) ? undefined : day;
  }
  const general = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?Z$/.exec(value);
  const iso =
    general === null
      ? value
      : `${general[1]}-${general[2]}-${general[3]}T${general[4] ?? '00'}:${general[5] ?? '00'}:` +
        `${general[6] ?? '00'}Z`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
