/**
 * The leaver and emergency settings of a pool (a site's DIDs):
 * - `leaverForward: { days, to: manager | announcement, announcement, managerAttribute }`: a
 *   leaver's DID rings their manager (or the announcement) for `days`, then goes to quarantine.
 *   With `to: manager`, a manager who cannot be found (or has no number, or leaves meanwhile)
 *   falls back to `announcement` when one is set.
 * - `emergency: { location, elin, callback }`: the site's emergency location (dispatchable text
 *   and/or ELIN) and callback number, both numbers E.164 valid in the pool's region.
 */
import type { ConfigReader, MapView } from './config-reader.ts';
import type { PoolConfig } from './config-types.ts';
import type { EmergencyInfo } from './model.ts';
import { parsePhoneNumberFromString } from 'libphonenumber-js';

import { parsePhone } from './phone.ts';

/** What `leaverForward` says, after validation. */
export interface LeaverForwardConfig {
  days: number;
  to: 'manager' | 'announcement';
  /** E.164: rung with `to: announcement`, and instead of a manager who cannot be rung. */
  announcement?: string;
  /** The person attribute naming the manager (id, correlation value or DN); default `manager`. */
  managerAttribute: string;
}

/** Reads `leaverForward` and `emergency` of one pool into `pool`. */
export function readLeaverAndEmergency(pool: PoolConfig, view: MapView): void {
  const forward = view.map('leaverForward', ['days', 'to', 'announcement', 'managerAttribute']);
  if (forward !== undefined && pool.kind !== 'did') {
    view.problem('leaverForward', 'only a did pool forwards its numbers');
  } else if (forward !== undefined) {
    const read = readForward(forward, pool.region);
    if (read !== undefined) pool.leaverForward = read;
  }

  const emergency = view.map('emergency', ['location', 'elin', 'callback']);
  if (emergency !== undefined) {
    const read = readEmergency(emergency, pool.region);
    if (read !== undefined) pool.emergency = read;
  }
}

/**
 * Checks emergency data as given on the command line or the API; returns the canonical data
 * or the problems, each naming its field.
 */
export function checkEmergency(
  input: { location?: string; elin?: string; callback?: string },
  region: string | undefined,
): { emergency: EmergencyInfo } | { problems: { field: string; message: string }[] } {
  const problems: { field: string; message: string }[] = [];
  const emergency: EmergencyInfo = {};
  const location = input.location?.trim();
  if (location !== undefined && location !== '') emergency.location = location;
  for (const field of ['elin', 'callback'] as const) {
    const value = input[field];
    if (value === undefined || value === '') continue;
    const e164 = e164Of(value, region);
    if ('problem' in e164) problems.push({ field, message: e164.problem });
    else emergency[field] = e164.e164;
  }
  if (problems.length === 0 && Object.keys(emergency).length === 0) {
    problems.push({ field: 'location', message: 'give a location, an elin or a callback' });
  }
  return problems.length > 0 ? { problems } : { emergency };
}

function readForward(view: MapView, region: string | undefined): LeaverForwardConfig | undefined {
  const days = view.num('days', { default: 14, min: 1, max: 365, integer: true });
  const to = view.str('to') ?? 'manager';
  const announcement = view.str('announcement');
  const managerAttribute = view.str('managerAttribute') ?? 'manager';
  if (to !== 'manager' && to !== 'announcement') {
    view.problem('to', `must be manager or announcement, not ${JSON.stringify(to)}`);
    return undefined;
  }
  if (to === 'announcement' && announcement === undefined) {
    view.problem('announcement', 'is required with to: announcement');
    return undefined;
  }

  const read: LeaverForwardConfig = { days, to, managerAttribute };
  if (announcement === undefined) return read;
  const e164 = e164Of(announcement, region);
  if ('problem' in e164) {
    view.problem('announcement', e164.problem);
    return undefined;
  }
  return { ...read, announcement: e164.e164 };
}

function readEmergency(view: MapView, region: string | undefined): EmergencyInfo | undefined {
  const input = {
    location: view.str('location'),
    elin: view.str('elin'),
    callback: view.str('callback'),
  };
  const checked = checkEmergency(input, region);
  if ('emergency' in checked) return checked.emergency;
  for (const p of checked.problems) view.problem(p.field, p.message);
  return undefined;
}

/**
 * The number as E.164 when it is a valid number of the pool's region: emergency services answer
 * per country, so a callback or ELIN from another country is refused.
 */
function e164Of(value: string, region: string | undefined): { e164: string } | { problem: string } {
  const parsed = parsePhone(value, region);
  if (!parsed.ok) return { problem: parsed.problem };
  if (parsed.phone.extension !== undefined) {
    return { problem: `'${value}' must not carry an extension` };
  }
  const country = parsePhoneNumberFromString(parsed.phone.e164)?.country;
  if (region !== undefined && country !== undefined && country !== region.toUpperCase()) {
    return { problem: `'${value}' is a number of region ${country}, not ${region}` };
  }
  return { e164: parsed.phone.e164 };
}
