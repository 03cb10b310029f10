/**
 * What the person and number modules share: the client, the target's defaults (location,
 * licences, organisation), the person as Webex answers it, the wanted state a change asks for,
 * and the two reads every write starts with (by email, then by id for the whole person).
 */
import type { Logger } from 'pino';

import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { TargetChange } from '../types.ts';
import type { WebexClient } from './webex-client.ts';

export interface WebexContext {
  target: string;
  client: WebexClient;
  log: Logger;
  /** Location a new calling user goes to unless the change names one. */
  locationId: string;
  /** Licences every person gets (a Webex Calling licence among them). */
  licenses: readonly string[];
  /** Organisation, for a partner admin token; absent means the token's own. */
  orgId?: string;
}

/** A person as GET /v1/people?callingData=true answers; other fields pass through untouched. */
export interface WebexPerson {
  id: string;
  emails?: string[];
  displayName?: string;
  firstName?: string;
  lastName?: string;
  phoneNumbers?: { type: string; value: string }[];
  extension?: string;
  locationId?: string;
  licenses?: string[];
  [field: string]: unknown;
}

/** The state a change asks for; undefined means "not Callsign's to set", '' means "clear". */
export interface Wanted {
  email: string;
  displayName?: string;
  firstName?: string;
  lastName?: string;
  extension?: string;
  /** Work numbers in E.164. */
  work?: string[];
  locationId: string;
  licenses: string[];
}

/** Refuses attributes the resource type does not know, so a profile's typo is not ignored. */
export function checkAttributes(
  ctx: WebexContext,
  change: TargetChange,
  allowed: readonly string[],
): void {
  const unknown = Object.keys(change.attributes).filter((n) => !allowed.includes(n));
  if (!/^[^\s@]+@[^\s@]+$/.test(change.key)) {
    const msg = `Target '${ctx.target}' ${change.type}: key '${change.key}' is not an email`;
    throw new CallsignError(ErrorCode.Rejected, msg, {
      details: { target: ctx.target, type: change.type, field: 'key' },
    });
  }
  if (unknown.length === 0) return;
  const msg =
    `Target '${ctx.target}' ${change.type} '${change.key}': unknown attribute ` +
    `${unknown.map((u) => `'${u}'`).join(', ')}`;
  throw new CallsignError(ErrorCode.Rejected, msg, {
    details: { target: ctx.target, type: change.type, key: change.key, fields: unknown },
  });
}

/** The wanted state: the change's attributes over the target's defaults. */
export function desired(ctx: WebexContext, change: TargetChange): Wanted {
  const a = change.attributes;
  const work = a.phoneNumbers ?? a.phoneNumber;
  const extra = split(a.licenses);
  const wanted: Wanted = {
    email: change.key,
    locationId: a.locationId ?? ctx.locationId,
    licenses: [...new Set([...ctx.licenses, ...extra])],
  };
  for (const field of ['displayName', 'firstName', 'lastName', 'extension'] as const) {
    if (a[field] !== undefined) wanted[field] = a[field].trim();
  }
  if (wanted.displayName === undefined && (a.firstName || a.lastName)) {
    wanted.displayName = [a.firstName, a.lastName].filter(Boolean).join(' ');
  }
  if (work !== undefined) wanted.work = split(work);
  for (const number of wanted.work ?? []) {
    if (!/^\+[1-9]\d{6,14}$/.test(number)) {
      const msg = `Target '${ctx.target}' person ${change.key}: phoneNumber '${number}' not E.164`;
      throw new CallsignError(ErrorCode.Rejected, msg, {
        details: { target: ctx.target, field: 'phoneNumber' },
      });
    }
  }
  return wanted;
}

/** Names of the fields Callsign owns that differ between the person and the wanted state. */
export function differences(current: WebexPerson, wanted: Wanted): string[] {
  const out: string[] = [];
  for (const field of ['displayName', 'firstName', 'lastName'] as const) {
    if (wanted[field] !== undefined && (current[field] ?? '') !== wanted[field]) out.push(field);
  }
  if (wanted.extension !== undefined && (current.extension ?? '') !== wanted.extension) {
    out.push('extension');
  }
  if (wanted.work !== undefined && !sameSet(workNumbers(current), wanted.work)) {
    out.push('phoneNumbers');
  }
  if ((current.locationId ?? '') !== wanted.locationId) out.push('locationId');
  const has = new Set(current.licenses ?? []);
  if (wanted.licenses.some((l) => !has.has(l))) out.push('licenses');
  return out;
}

/** GET /v1/people?email=…: the one person with this email, or null. */
export async function findByEmail(ctx: WebexContext, email: string): Promise<WebexPerson | null> {
  const query: Record<string, string> = { email, callingData: 'true' };
  if (ctx.orgId !== undefined) query.orgId = ctx.orgId;
  const matches: WebexPerson[] = [];
  const lower = email.toLowerCase();
  const list = ctx.client.pages<WebexPerson>(
    { method: 'GET', path: '/v1/people', query },
    { subject: `person ${email}` },
  );
  for await (const person of list) {
    if ((person.emails ?? []).some((e) => e.toLowerCase() === lower)) matches.push(person);
  }
  if (matches.length > 1) {
    const msg = `Webex '${ctx.target}': ${matches.length} people have email ${email}`;
    throw new CallsignError(ErrorCode.Ambiguous, msg, {
      details: { target: ctx.target, email, ids: matches.map((m) => m.id) },
    });
  }
  return matches[0] ?? null;
}

/** GET /v1/people/{id}?callingData=true: the whole person, as a PUT must send it back. */
export async function getDetails(
  ctx: WebexContext,
  id: string,
  email: string,
): Promise<WebexPerson> {
  const path = `/v1/people/${encodeURIComponent(id)}`;
  const answer = await ctx.client.call(
    { method: 'GET', path, query: { callingData: 'true' } },
    { subject: `person ${email}` },
  );
  return answer as WebexPerson;
}

/** The person's work numbers (E.164), without the derived `work_extension`. */
export function workNumbers(person: WebexPerson): string[] {
  return (person.phoneNumbers ?? []).filter((p) => p.type === 'work').map((p) => p.value);
}

function split(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((v) => sa.has(v));
}
