/**
 * The emergency callback number (ECBN) of a Webex Calling user, from the numbers' emergency
 * data Callsign keeps (`emergencyCallback`, `emergencyElin` attributes of `webex-person`, fed
 * by `{{emergency.callback}}` and `{{emergency.elin}}` in a profile). Webex does not take a
 * typed callback number: a person's ECBN is chosen among their own direct line
 * (`DIRECT_LINE`), their location's ECBN (`LOCATION_ECBN`, set per location in Control Hub) or
 * another member's number (developer.webex.com, User Call Settings: Get/Update a Person's
 * Emergency Callback Number). So the wanted callback is matched against the first two; a
 * number that is neither is refused, naming both, rather than silently choosing another one.
 * An ELIN turns `elinEnabled` on.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { WebexContext } from './webex-context.ts';

/** The `webex-person` attributes this file reads. */
export const EMERGENCY_ATTRIBUTES = ['emergencyCallback', 'emergencyElin'] as const;

interface EcbnAnswer {
  selected?: string;
  directLineInfo?: { phoneNumber?: string };
  locationECBNInfo?: { phoneNumber?: string };
  elinEnabled?: boolean;
}

/**
 * Brings the person's ECBN selection and ELIN flag in line with the change's attributes; a
 * change carrying neither attribute leaves them alone. True when something was written.
 */
export async function ensureEmergency(
  ctx: WebexContext,
  personId: string,
  email: string,
  attributes: Record<string, string>,
): Promise<boolean> {
  const callback = attributes.emergencyCallback;
  const elin = attributes.emergencyElin;
  if (callback === undefined && elin === undefined) return false;

  const person = encodeURIComponent(personId);
  const path = `/v1/telephony/config/people/${person}/emergencyCallbackNumber`;
  const query = ctx.orgId === undefined ? undefined : { orgId: ctx.orgId };
  const subject = { subject: `person ${email}`, fields: { emergencyCallback: callback ?? '' } };
  const current = ((await ctx.client.call({ method: 'GET', path, query }, subject)) ??
    {}) as EcbnAnswer;

  let selected = current.selected ?? 'DIRECT_LINE';
  if (callback !== undefined && callback !== '')
    selected = selectionOf(ctx, email, callback, current);
  const elinEnabled = elin === undefined ? (current.elinEnabled ?? false) : elin !== '';
  if (selected === current.selected && elinEnabled === (current.elinEnabled ?? false)) return false;

  await ctx.client.call({ method: 'PUT', path, query, body: { selected, elinEnabled } }, subject);
  ctx.log.info({ email, personId, selected, elinEnabled }, 'webex emergency callback set');
  return true;
}

function selectionOf(ctx: WebexContext, email: string, callback: string, now: EcbnAnswer) {
  const direct = now.directLineInfo?.phoneNumber;
  const location = now.locationECBNInfo?.phoneNumber;
  if (sameNumber(callback, direct)) return 'DIRECT_LINE';
  if (sameNumber(callback, location)) return 'LOCATION_ECBN';
  throw new CallsignError(
    ErrorCode.Rejected,
    `Webex '${ctx.target}' person ${email}: field 'emergencyCallback' ${callback} is neither ` +
      `their direct line (${direct ?? 'none'}) nor their location's emergency callback number ` +
      `(${location ?? 'none'}); Webex chooses the callback among those`,
    { details: { target: ctx.target, field: 'emergencyCallback' } },
  );
}

/** Webex writes numbers with or without the `+`; the digits decide. */
function sameNumber(a: string, b: string | undefined): boolean {
  return b !== undefined && b !== '' && a.replace(/\D/g, '') === b.replace(/\D/g, '');
}
