/**
 * `cucm-remote-destination`: single number reach, keyed by the destination number (a mobile,
 * `+14085550123` or as dialled). It belongs to an end user (`ownerUserId`) and hangs off either a
 * dual-mode device (`dualModeDeviceName`: CSF, BOT, TCT…) or a remote destination profile
 * (`remoteDestinationProfileName`); `enableMobileConnect` ('true'/'false') rings it with the
 * desk line. The destination is unique on the cluster, so ensure reads it first: ours (same
 * owner) is updated where it differs; someone else's is a duplicate, never taken over.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import type { TargetChange, TargetResult } from '../types.ts';
import { type AxlNode, child, textOf, uuidOf } from './axl-xml.ts';
import { checkAttributes, type CucmContext, getOrNull, removeOrNoop } from './cucm-context.ts';

/** Attributes Callsign sets on a remote destination. */
export const REMOTE_DESTINATION_FIELDS = [
  'name',
  'ownerUserId',
  'enableMobileConnect',
  'dualModeDeviceName',
  'remoteDestinationProfileName',
] as const;

/** Reads a remote destination by its number; null when absent. */
export async function readRemoteDestination(
  ctx: CucmContext,
  destination: string,
): Promise<Attributes | null> {
  const found = await getRemoteDestination(ctx, destination);
  return found === null ? null : { destination, ...found.fields };
}

/** Adds, updates or removes a remote destination so it matches the change. */
export async function applyRemoteDestination(
  ctx: CucmContext,
  change: TargetChange,
): Promise<TargetResult> {
  checkAttributes(ctx, change, (n) => (REMOTE_DESTINATION_FIELDS as readonly string[]).includes(n));
  const destination = change.key;
  const subject = `remote destination ${destination}`;
  const current = await getRemoteDestination(ctx, destination);

  if (change.action === 'delete') {
    if (current === null) return { externalId: destination, outcome: 'noop' };
    const removed = await removeOrNoop(() =>
      ctx.axl.call('removeRemoteDestination', { destination }, { subject }),
    );
    return { externalId: current.uuid, outcome: removed ? 'deleted' : 'noop' };
  }

  const wanted = pick(change.attributes);
  if (current === null) return addRemoteDestination(ctx, change, wanted);

  const owner = wanted.ownerUserId;
  if (owner !== undefined && current.fields.ownerUserId !== owner) {
    const msg =
      `Unified CM '${ctx.target}': remote destination '${destination}' belongs to ` +
      `'${current.fields.ownerUserId}', not '${owner}'`;
    throw new CallsignError(ErrorCode.Duplicate, msg, {
      details: { target: ctx.target, key: destination, field: 'ownerUserId' },
    });
  }
  const changed = Object.entries(wanted).filter(([k, v]) => current.fields[k] !== v);
  if (changed.length === 0) return { externalId: current.uuid, outcome: 'noop' };
  const body: AxlNode = { destination, ...Object.fromEntries(changed) };
  await ctx.axl.call('updateRemoteDestination', body, {
    subject,
    references: references(wanted),
  });
  return { externalId: current.uuid, outcome: 'updated' };
}

async function addRemoteDestination(
  ctx: CucmContext,
  change: TargetChange,
  wanted: Record<string, string>,
): Promise<TargetResult> {
  const anchors = ['dualModeDeviceName', 'remoteDestinationProfileName'].filter(
    (f) => (wanted[f] ?? '') !== '',
  );
  for (const [ok, field] of [
    [wanted.ownerUserId !== undefined && wanted.ownerUserId !== '', 'ownerUserId'],
    [anchors.length === 1, 'dualModeDeviceName or remoteDestinationProfileName (one)'],
  ] as const) {
    if (ok) continue;
    const where = `Unified CM '${ctx.target}' remote destination '${change.key}'`;
    const msg = `${where}: ${field} is required`;
    throw new CallsignError(ErrorCode.Rejected, msg, {
      details: { target: ctx.target, key: change.key, field },
    });
  }
  // Element order follows the XRemoteDestination sequence.
  const remoteDestination: AxlNode = {
    name: wanted.name ?? change.key,
    destination: change.key,
    ownerUserId: wanted.ownerUserId,
    enableMobileConnect: wanted.enableMobileConnect ?? 'true',
    remoteDestinationProfileName: wanted.remoteDestinationProfileName,
    dualModeDeviceName: wanted.dualModeDeviceName,
  };
  const answer = await ctx.axl.call(
    'addRemoteDestination',
    { remoteDestination },
    { subject: `remote destination ${change.key}`, references: references(wanted) },
  );
  return { externalId: textOf(answer.return) ?? change.key, outcome: 'created' };
}

async function getRemoteDestination(
  ctx: CucmContext,
  destination: string,
): Promise<{ uuid: string; fields: Record<string, string> } | null> {
  const returnedTags: AxlNode = { destination: '' };
  for (const field of REMOTE_DESTINATION_FIELDS) returnedTags[field] = '';
  const answer = await getOrNull(() =>
    ctx.axl.call(
      'getRemoteDestination',
      { destination, returnedTags },
      { subject: `remote destination ${destination}` },
    ),
  );
  const rd = child(child(answer ?? {}, 'return'), 'remoteDestination');
  if (answer === null || rd === undefined) return null;
  const fields: Record<string, string> = {};
  for (const field of REMOTE_DESTINATION_FIELDS) fields[field] = textOf(rd[field]) ?? '';
  return { uuid: uuidOf(rd) ?? destination, fields };
}

function pick(attributes: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of REMOTE_DESTINATION_FIELDS) {
    if (attributes[field] !== undefined) out[field] = attributes[field];
  }
  return out;
}

/** Names a -691 can be about: the owner or the device. */
function references(wanted: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  if (wanted.ownerUserId) out.ownerUserName = wanted.ownerUserId;
  const device = wanted.dualModeDeviceName || wanted.remoteDestinationProfileName;
  if (device) out.device = device;
  return out;
}
