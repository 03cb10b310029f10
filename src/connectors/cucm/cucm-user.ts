/**
 * `cucm-user`: an end user, keyed by userid. AXL's updateUser replaces `associatedDevices`
 * whole, so the list is read, merged and written back: a device someone else associated stays.
 * Users that arrive by Unified CM's own LDAP sync (`userSource: ldap`) cannot be added or
 * removed over AXL; for them Callsign only sets fields and device associations.
 * `primaryExtension` and `ipccExtension` (UCCX agents) are `pattern@partition` and must name an
 * existing line; a new user gets them in an updateUser after addUser, so a line that does not
 * exist yet fails that step only and a retry finds the user and sets just the extensions.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import type { TargetChange, TargetResult } from '../types.ts';
import { type AxlNode, child, list, textOf, uuidOf } from './axl-xml.ts';
import {
  checkAttributes,
  type CucmContext,
  formatDirn,
  getOrNull,
  parseDirn,
  removeOrNoop,
  splitList,
} from './cucm-context.ts';

/** Scalar user fields Callsign sets. */
export const USER_FIELDS = ['firstName', 'lastName', 'mailid', 'telephoneNumber'] as const;

/** Directory numbers a user points at, as `pattern@partition` ('' clears). */
export const USER_EXTENSIONS = ['primaryExtension', 'ipccExtension'] as const;

/** Attributes beyond the fields: the device list and where the user comes from. */
const USER_EXTRAS = ['associatedDevices', 'userSource'];

export interface CucmUser {
  uuid: string;
  fields: Record<string, string>;
  devices: string[];
  /** `primaryExtension` / `ipccExtension` → `pattern@partition`, '' when unset. */
  extensions: Record<string, string>;
}

/** Reads a user; `associatedDevices` comes back comma-separated. */
export async function readUser(ctx: CucmContext, userid: string): Promise<Attributes | null> {
  const user = await getUser(ctx, userid);
  if (user === null) return null;
  return { ...user.fields, associatedDevices: user.devices.join(','), ...user.extensions };
}

/** Adds, updates or removes a user so it matches the change. */
export async function applyUser(ctx: CucmContext, change: TargetChange): Promise<TargetResult> {
  checkAttributes(
    ctx,
    change,
    (n) =>
      (USER_FIELDS as readonly string[]).includes(n) ||
      (USER_EXTENSIONS as readonly string[]).includes(n) ||
      USER_EXTRAS.includes(n),
  );
  const userid = change.key;
  const ldap = change.attributes.userSource === 'ldap';
  const current = await getUser(ctx, userid);

  if (change.action === 'delete') {
    if (current === null) return { externalId: userid, outcome: 'noop' };
    if (ldap) return releaseDevices(ctx, current, change);
    const removed = await removeOrNoop(() =>
      ctx.axl.call('removeUser', { userid }, { subject: `user ${userid}` }),
    );
    return { externalId: current.uuid, outcome: removed ? 'deleted' : 'noop' };
  }

  const wanted = pick(change.attributes);
  const devices = splitList(change.attributes.associatedDevices);
  const extensions = pickExtensions(ctx, change.attributes);
  if (current === null) {
    if (ldap) throw notSynced(ctx, userid);
    const added = await addUser(ctx, userid, { fields: wanted, devices });
    const none: CucmUser = { uuid: added.externalId, fields: {}, devices, extensions: {} };
    await writeExtensions(ctx, userid, none, extensions);
    return added;
  }

  const body: AxlNode = { userid };
  for (const [field, value] of Object.entries(wanted)) {
    if (current.fields[field] !== value) body[field] = value;
  }
  const merged = mergeDevices(current.devices, devices);
  if (merged.length !== current.devices.length) body.associatedDevices = { device: merged };
  Object.assign(body, extensionBody(ctx, current, extensions));
  if (Object.keys(body).length === 1) return { externalId: current.uuid, outcome: 'noop' };

  const references = extensionReferences(extensions);
  if (devices.length > 0) references.device = devices.join(',');
  await ctx.axl.call('updateUser', body, { subject: `user ${userid}`, references });
  return { externalId: current.uuid, outcome: 'updated' };
}

/** Reads the user, or null when absent. */
export async function getUser(ctx: CucmContext, userid: string): Promise<CucmUser | null> {
  const returnedTags: AxlNode = {
    userid: '',
    associatedDevices: { device: '' },
    primaryExtension: { pattern: '', routePartitionName: '' },
    ipccExtension: '',
    ipccRoutePartition: '',
  };
  for (const field of USER_FIELDS) returnedTags[field] = '';
  const call = () =>
    ctx.axl.call('getUser', { userid, returnedTags }, { subject: `user ${userid}` });
  const answer = await getOrNull(call);
  const user = child(child(answer ?? {}, 'return'), 'user');
  if (answer === null || user === undefined) return null;

  const fields: Record<string, string> = {};
  for (const field of USER_FIELDS) fields[field] = textOf(user[field]) ?? '';
  const devices = list(child(user, 'associatedDevices'), 'device')
    .map((d) => textOf(d) ?? '')
    .filter((d) => d !== '');
  const primary = child(user, 'primaryExtension');
  const extensions = {
    primaryExtension: dirnText(textOf(primary?.pattern), textOf(primary?.routePartitionName)),
    ipccExtension: dirnText(textOf(user.ipccExtension), textOf(user.ipccRoutePartition)),
  };
  return { uuid: uuidOf(user) ?? userid, fields, devices, extensions };
}

/**
 * Adds `device` to the user's associated devices, keeping every other one. Returns false when
 * it was there already.
 */
export async function associateDevice(
  ctx: CucmContext,
  userid: string,
  device: string,
): Promise<boolean> {
  const user = await getUser(ctx, userid);
  if (user === null) {
    const msg =
      `Unified CM '${ctx.target}': owner user '${userid}' of device '${device}' ` +
      'does not exist';
    throw new CallsignError(ErrorCode.MissingReference, msg, {
      details: { target: ctx.target, field: 'ownerUserName', value: userid },
    });
  }
  if (user.devices.includes(device)) return false;
  const body = { userid, associatedDevices: { device: mergeDevices(user.devices, [device]) } };
  await ctx.axl.call('updateUser', body, { subject: `user ${userid}` });
  return true;
}

async function addUser(
  ctx: CucmContext,
  userid: string,
  wanted: { fields: Record<string, string>; devices: string[] },
): Promise<TargetResult> {
  // Element order follows the XUser sequence; presence group is required by the schema.
  const user: AxlNode = {
    firstName: wanted.fields.firstName,
    lastName: wanted.fields.lastName ?? userid,
    userid,
    mailid: wanted.fields.mailid,
    telephoneNumber: wanted.fields.telephoneNumber,
    associatedDevices: wanted.devices.length > 0 ? { device: wanted.devices } : undefined,
    presenceGroupName: 'Standard Presence group',
  };
  const references: Record<string, string> = {};
  if (wanted.devices.length > 0) references.device = wanted.devices.join(',');
  const answer = await ctx.axl.call('addUser', { user }, { subject: `user ${userid}`, references });
  return { externalId: textOf(answer.return) ?? userid, outcome: 'created' };
}

/** A leaver synced from LDAP: drop the devices Callsign associated, leave the user. */
async function releaseDevices(
  ctx: CucmContext,
  current: CucmUser,
  change: TargetChange,
): Promise<TargetResult> {
  const ours = new Set(splitList(change.attributes.associatedDevices));
  const kept = current.devices.filter((d) => !ours.has(d));
  if (kept.length === current.devices.length) return { externalId: current.uuid, outcome: 'noop' };
  const body = { userid: change.key, associatedDevices: { device: kept } };
  await ctx.axl.call('updateUser', body, { subject: `user ${change.key}` });
  return { externalId: current.uuid, outcome: 'updated' };
}

/** The extensions the change names, normalised to `pattern@partition` ('' to clear). */
function pickExtensions(ctx: CucmContext, attributes: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const field of USER_EXTENSIONS) {
    const value = attributes[field];
    if (value === undefined) continue;
    out[field] = value === '' ? '' : formatDirn(parseDirn(ctx.target, value, field));
  }
  return out;
}

/** updateUser elements for the extensions that differ from the user's. */
function extensionBody(
  ctx: CucmContext,
  current: CucmUser,
  wanted: Record<string, string>,
): AxlNode {
  const body: AxlNode = {};
  const differs = (field: string) =>
    wanted[field] !== undefined && wanted[field] !== (current.extensions[field] ?? '');
  if (differs('primaryExtension')) {
    const value = wanted.primaryExtension!;
    const dirn = value === '' ? undefined : parseDirn(ctx.target, value, 'primaryExtension');
    // An empty element clears the primary extension.
    body.primaryExtension =
      dirn === undefined ? '' : { pattern: dirn.pattern, routePartitionName: dirn.partition };
  }
  if (differs('ipccExtension')) {
    const value = wanted.ipccExtension!;
    const dirn = value === '' ? undefined : parseDirn(ctx.target, value, 'ipccExtension');
    body.ipccExtension = dirn?.pattern ?? '';
    body.ipccRoutePartition = dirn?.partition ?? '';
  }
  return body;
}

async function writeExtensions(
  ctx: CucmContext,
  userid: string,
  current: CucmUser,
  wanted: Record<string, string>,
): Promise<void> {
  const body = extensionBody(ctx, current, wanted);
  if (Object.keys(body).length === 0) return;
  await ctx.axl.call(
    'updateUser',
    { userid, ...body },
    { subject: `user ${userid}`, references: extensionReferences(wanted) },
  );
}

/** For a -691 message: the lines the request named, under the `line` reference. */
function extensionReferences(wanted: Record<string, string>): Record<string, string> {
  const lines = Object.values(wanted).filter((v) => v !== '');
  return lines.length === 0 ? {} : { line: lines.join(', ') };
}

function dirnText(pattern: string | undefined, partition: string | undefined): string {
  if (pattern === undefined || pattern === '') return '';
  return formatDirn({ pattern, partition: partition ?? '' });
}

function mergeDevices(current: string[], wanted: string[]): string[] {
  return [...new Set([...current, ...wanted])];
}

function pick(attributes: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of USER_FIELDS) {
    if (attributes[field] !== undefined) out[field] = attributes[field];
  }
  return out;
}

function notSynced(ctx: CucmContext, userid: string): CallsignError {
  const msg =
    `Unified CM '${ctx.target}': user '${userid}' comes from LDAP sync and has not ` +
    'arrived yet; AXL cannot add it';
  // The next LDAP sync on Unified CM brings the user: worth trying again later.
  return new CallsignError(ErrorCode.NotFound, msg, {
    retryable: true,
    details: { target: ctx.target, userid },
  });
}
