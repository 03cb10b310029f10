/**
 * Numbers Webex people hold, for the conflict check before an assignment and for `numbers
 * reconcile`. The People API has no filter by number: List People filters by email,
 * displayName, id, roles and locationId only (developer.webex.com, People: List People). So a
 * check pages through people with `callingData=true`: the organisation for an E.164 number
 * (unique org-wide), the target's location for an extension (unique per location). The
 * telephony API (`/v1/telephony/config/numbers?phoneNumber=`) would answer in one request but
 * needs the `spark-admin:telephony_config_read` scope; this connector asks only for people
 * scopes.
 */
import type { PlatformNumber } from '../types.ts';
import { type WebexContext, type WebexPerson, workNumbers } from './webex-context.ts';

/** True when a person in the organisation (number) or the location (extension) holds it. */
export async function numberInUse(
  ctx: WebexContext,
  value: string,
  pageSize: number,
): Promise<boolean> {
  const did = value.startsWith('+');
  for await (const person of people(ctx, pageSize, did ? undefined : ctx.locationId)) {
    if (did ? workNumbers(person).includes(value) : person.extension === value) return true;
  }
  return false;
}

/**
 * Every work number in the organisation and every extension in the target's location: an
 * extension elsewhere belongs to another location's plan and would only look like a conflict.
 */
export async function* listNumbers(
  ctx: WebexContext,
  pageSize: number,
): AsyncGenerator<PlatformNumber> {
  for await (const person of people(ctx, pageSize, undefined)) {
    const owner = person.emails?.[0] ?? person.id;
    for (const value of workNumbers(person)) yield { value, kind: 'did', owner };
    if (person.extension !== undefined && person.locationId === ctx.locationId) {
      yield { value: person.extension, kind: 'extension', owner };
    }
  }
}

function people(
  ctx: WebexContext,
  pageSize: number,
  locationId: string | undefined,
): AsyncGenerator<WebexPerson> {
  const query: Record<string, string> = { callingData: 'true', max: String(pageSize) };
  if (locationId !== undefined) query.locationId = locationId;
  if (ctx.orgId !== undefined) query.orgId = ctx.orgId;
  return ctx.client.pages<WebexPerson>(
    { method: 'GET', path: '/v1/people', query },
    { subject: locationId === undefined ? 'people' : `people in ${locationId}` },
  );
}
