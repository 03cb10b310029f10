/**
 * `webex-person`: a Webex user with calling, keyed by email. Every write is an "ensure": the
 * person is looked up by email first, so a retry never creates a second one. Two behaviours of
 * the People API shape this file (developer.webex.com, People):
 * - Create a Person "may return a 400 status, but the person was created still"; the guide's
 *   advice is to look the person up by email before retrying. A 5xx or a lost answer leaves the
 *   same doubt, so after any of those the create looks before it reports.
 * - Update a Person "expects all user details to be present": a PUT replaces the person. The
 *   person is read, the fields Callsign owns are set, everything else (a title an admin typed,
 *   roles, other licences, a mobile number) is sent back as it was.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import type { TargetChange, TargetResult } from '../types.ts';
import type { WebexContext } from './webex-context.ts';
import { EMERGENCY_ATTRIBUTES, ensureEmergency } from './webex-emergency.ts';
import {
  checkAttributes,
  desired,
  differences,
  findByEmail,
  getDetails,
  type Wanted,
  type WebexPerson,
  workNumbers,
} from './webex-context.ts';

/** Attributes a `webex-person` change may carry. */
export const PERSON_ATTRIBUTES = [
  'displayName',
  'firstName',
  'lastName',
  'extension',
  'phoneNumber',
  'phoneNumbers',
  'locationId',
  'licenses',
  ...EMERGENCY_ATTRIBUTES,
] as const;

/** Fields Webex answers with that are not part of a write. */
const READ_ONLY = [
  'id',
  'created',
  'lastModified',
  'lastActivity',
  'status',
  'invitePending',
  'loginEnabled',
  'type',
  'sipAddresses',
];

/** Reads a person by email: Callsign's fields, lists comma-separated. */
export async function readPerson(ctx: WebexContext, email: string): Promise<Attributes | null> {
  const found = await findByEmail(ctx, email);
  if (found === null) return null;
  const p = await getDetails(ctx, found.id, email);
  return {
    id: p.id,
    email: p.emails?.[0] ?? email,
    displayName: p.displayName ?? '',
    firstName: p.firstName ?? '',
    lastName: p.lastName ?? '',
    extension: p.extension ?? '',
    phoneNumber: workNumbers(p).join(','),
    locationId: p.locationId ?? '',
    licenses: (p.licenses ?? []).join(','),
  };
}

/** Creates, updates or deletes a person so it matches the change. */
export async function applyPerson(ctx: WebexContext, change: TargetChange): Promise<TargetResult> {
  checkAttributes(ctx, change, PERSON_ATTRIBUTES);
  const email = change.key;
  const current = await findByEmail(ctx, email);

  if (change.action === 'delete') {
    if (current === null) return { externalId: email, outcome: 'noop' };
    try {
      const path = `/v1/people/${encodeURIComponent(current.id)}`;
      await ctx.client.call({ method: 'DELETE', path }, { subject: `person ${email}` });
    } catch (err) {
      // Someone removed the person between the look-up and the delete.
      if (err instanceof CallsignError && err.code === ErrorCode.NotFound) {
        return { externalId: current.id, outcome: 'noop' };
      }
      throw err;
    }
    return { externalId: current.id, outcome: 'deleted' };
  }

  const wanted = desired(ctx, change);
  const done =
    current === null
      ? await createPerson(ctx, wanted)
      : await ensurePerson(ctx, current.id, wanted);
  // The emergency callback is a calling setting beside the person, written once they exist.
  const id = done.externalId === email ? current?.id : done.externalId;
  if (id === undefined || !(await ensureEmergency(ctx, id, email, change.attributes))) return done;
  return done.outcome === 'noop' ? { ...done, outcome: 'updated' } : done;
}

async function createPerson(ctx: WebexContext, wanted: Wanted): Promise<TargetResult> {
  const body: Record<string, unknown> = {
    emails: [wanted.email],
    ...names(wanted),
    ...(wanted.extension ? { extension: wanted.extension } : {}),
    ...(wanted.work?.length
      ? { phoneNumbers: wanted.work.map((value) => ({ type: 'work', value })) }
      : {}),
    locationId: wanted.locationId,
    licenses: wanted.licenses,
    ...(ctx.orgId === undefined ? {} : { orgId: ctx.orgId }),
  };
  try {
    const made = (await ctx.client.call(
      { method: 'POST', path: '/v1/people', query: { callingData: 'true' }, body },
      subjectOf(wanted),
    )) as WebexPerson | undefined;
    ctx.log.info({ email: wanted.email, personId: made?.id }, 'webex person created');
    return { externalId: made?.id ?? wanted.email, outcome: 'created' };
  } catch (err) {
    return afterFailedCreate(ctx, wanted, err);
  }
}

/**
 * The create failed, but the person may exist all the same: look by email. A 5xx or a lost
 * answer with the person there means the create happened; finish it with an ensure. A 400 with
 * the person there means the person was made without the refused value: say so, with the id,
 * so nothing half-built goes unlisted.
 */
async function afterFailedCreate(
  ctx: WebexContext,
  wanted: Wanted,
  err: unknown,
): Promise<TargetResult> {
  const code = err instanceof CallsignError ? err.code : undefined;
  const doubt = code === ErrorCode.Unavailable || code === ErrorCode.Incomplete;
  if (!(err instanceof CallsignError) || (!doubt && code !== ErrorCode.Rejected)) throw err;

  let found: WebexPerson | null;
  try {
    found = await findByEmail(ctx, wanted.email);
  } catch {
    throw err;
  }
  if (found === null) throw err;
  ctx.log.warn(
    { email: wanted.email, personId: found.id, code, status: err.details.status },
    'webex create failed but the person exists',
  );
  if (doubt) {
    const done = await ensurePerson(ctx, found.id, wanted);
    return { externalId: done.externalId, outcome: 'created' };
  }
  const msg = `${err.message}; the person was created (id ${found.id}) without the refused value`;
  throw new CallsignError(ErrorCode.Rejected, msg, {
    cause: err,
    details: { ...err.details, personId: found.id, partial: true },
  });
}

/** Reads the whole person, sets Callsign's fields, and PUTs it back when something differs. */
async function ensurePerson(ctx: WebexContext, id: string, wanted: Wanted): Promise<TargetResult> {
  const current = await getDetails(ctx, id, wanted.email);
  const changed = differences(current, wanted);
  if (changed.length === 0) return { externalId: id, outcome: 'noop' };

  if (changed.includes('locationId') && current.locationId !== undefined) {
    const msg =
      `Webex '${ctx.target}' person ${wanted.email}: locationId is ${current.locationId}, ` +
      `wanted ${wanted.locationId}; Webex does not move a calling user through the People API`;
    throw new CallsignError(ErrorCode.Rejected, msg, {
      details: { target: ctx.target, field: 'locationId', from: current.locationId },
    });
  }

  const body: Record<string, unknown> = { ...current };
  for (const field of READ_ONLY) delete body[field];
  Object.assign(body, names(wanted));
  if (wanted.extension !== undefined) {
    if (wanted.extension === '') delete body.extension;
    else body.extension = wanted.extension;
  }
  // `work_extension` is derived from `extension`: leave it out and let Webex derive it again.
  const phones = (current.phoneNumbers ?? []).filter((p) => p.type !== 'work_extension');
  const work = wanted.work ?? workNumbers(current);
  body.phoneNumbers = [
    ...phones.filter((p) => p.type !== 'work'),
    ...work.map((value) => ({ type: 'work', value })),
  ];
  body.locationId = current.locationId ?? wanted.locationId;
  body.licenses = [...new Set([...(current.licenses ?? []), ...wanted.licenses])];

  // A PUT that fails may still have changed part of the person; the next try reads again.
  const path = `/v1/people/${encodeURIComponent(id)}`;
  await ctx.client.call(
    { method: 'PUT', path, query: { callingData: 'true' }, body },
    subjectOf(wanted),
  );
  ctx.log.info({ email: wanted.email, personId: id, fields: changed }, 'webex person updated');
  return { externalId: id, outcome: 'updated' };
}

function names(wanted: Wanted): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of ['displayName', 'firstName', 'lastName'] as const) {
    const value = wanted[field];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function subjectOf(wanted: Wanted) {
  const fields: Record<string, string> = { emails: wanted.email };
  if (wanted.extension) fields.extension = wanted.extension;
  if (wanted.work?.length) fields.phoneNumbers = wanted.work.join(',');
  if (wanted.displayName !== undefined) fields.displayName = wanted.displayName;
  return {
    subject: `person ${wanted.email}`,
    fields,
    references: { locationId: wanted.locationId, licenses: wanted.licenses.join(',') },
  };
}
