/**
 * `cucm-phone`: a device keyed by its name: `SEP<MAC>` for a desk phone, `CSF<user>`, `BOT…`,
 * `TCT…`, `TAB…` for softphones. Lines are attributes `line1`, `line2`… (`pattern@partition`);
 * lines at indexes Callsign does not name stay as they are (updatePhone addLines/removeLines,
 * never the whole `lines` list). With an owner, the device is also merged into the owner's
 * associated devices. A desk phone whose MAC address is not known yet waits: the operation
 * fails with code `waiting` and the person's line and softphone go ahead.
 * A line already on a phone another user owns is not put on this one (it would become a shared
 * line silently) unless the phone says `sharedLines: 'true'`; see cucm-shared-line.ts.
 * After an updatePhone (lines or settings changed) the phone is sent applyPhone: AXL writes only
 * the database, and a registered phone keeps its old configuration (no new line button) until
 * it is told to apply the change or is reset. applyPhone is the gentler of the two: the phone
 * restarts only when the change needs it. A new phone needs none (it reads its configuration
 * when it first registers), and nothing is applied when nothing changed.
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
} from './cucm-context.ts';
import { refuseSharedLines } from './cucm-shared-line.ts';
import { associateDevice } from './cucm-user.ts';

/** Fields updatePhone may change in place. */
const MUTABLE = [
  'description',
  'devicePoolName',
  'ownerUserName',
  'callingSearchSpaceName',
  'phoneTemplateName',
  'locationName',
  'commonPhoneConfigName',
] as const;
/** Fields fixed at creation: a different value needs a new device. */
const FIXED = ['product', 'class', 'protocol', 'protocolSide'] as const;
const DEFAULTS: Record<string, string> = {
  class: 'Phone',
  protocol: 'SIP',
  protocolSide: 'User',
  commonPhoneConfigName: 'Standard Common Phone Profile',
  locationName: 'Hub_None',
};
const LINE_ATTR = /^line([1-9]\d?)$/;

/** Reads a phone: its fields and `lineN` attributes. */
export async function readPhone(ctx: CucmContext, name: string): Promise<Attributes | null> {
  const phone = await getPhone(ctx, name);
  return phone === null ? null : { ...phone.fields, ...phone.lines };
}

/** Adds, updates or removes a phone so it matches the change. */
export async function applyPhone(ctx: CucmContext, change: TargetChange): Promise<TargetResult> {
  checkAttributes(ctx, change, (n) => known(n) || n === 'associate' || n === 'sharedLines');
  const name = change.key;
  if (change.action === 'delete') {
    // A phone that waited for its MAC address was never added.
    if (macMissing(name)) return { externalId: name, outcome: 'noop' };
    const removed = await removeOrNoop(() =>
      ctx.axl.call('removePhone', { name }, { subject: `phone ${name}` }),
    );
    return { externalId: name, outcome: removed ? 'deleted' : 'noop' };
  }
  if (macMissing(name)) throw waitingForMac(ctx, change);

  const current = await getPhone(ctx, name);
  const result =
    current === null ? await addPhone(ctx, change) : await updatePhone(ctx, change, current);

  const owner = change.attributes.ownerUserName ?? current?.fields.ownerUserName ?? '';
  if (owner !== '' && change.attributes.associate !== 'false') {
    const associated = await associateDevice(ctx, owner, name);
    if (associated && result.outcome === 'noop') return { ...result, outcome: 'updated' };
  }
  return result;
}

interface CucmPhone {
  uuid: string;
  fields: Record<string, string>;
  /** `line1` → `1001@Internal_PT`. */
  lines: Record<string, string>;
}

async function getPhone(ctx: CucmContext, name: string): Promise<CucmPhone | null> {
  const returnedTags: AxlNode = { name: '' };
  for (const field of [...FIXED, ...MUTABLE]) returnedTags[field] = '';
  returnedTags.lines = { line: { index: '', dirn: { pattern: '', routePartitionName: '' } } };
  const subject = { subject: `phone ${name}` };
  const answer = await getOrNull(() => ctx.axl.call('getPhone', { name, returnedTags }, subject));
  const phone = child(child(answer ?? {}, 'return'), 'phone');
  if (answer === null || phone === undefined) return null;

  const fields: Record<string, string> = {};
  for (const field of [...FIXED, ...MUTABLE]) fields[field] = textOf(phone[field]) ?? '';
  const lines: Record<string, string> = {};
  for (const line of list(child(phone, 'lines'), 'line')) {
    const dirn = child(line, 'dirn');
    const pattern = textOf(dirn?.pattern) ?? '';
    const partition = textOf(dirn?.routePartitionName) ?? '';
    lines[`line${textOf(line.index) ?? ''}`] = formatDirn({ pattern, partition });
  }
  return { uuid: uuidOf(phone) ?? name, fields, lines };
}

async function addPhone(ctx: CucmContext, change: TargetChange): Promise<TargetResult> {
  const attrs = { ...DEFAULTS, ...change.attributes };
  const lines = lineEntries(ctx, change.attributes);
  // Element order follows the XPhone sequence of the AXL schema.
  const phone: AxlNode = {
    name: change.key,
    description: attrs.description,
    product: attrs.product,
    class: attrs.class,
    protocol: attrs.protocol,
    protocolSide: attrs.protocolSide,
    callingSearchSpaceName: attrs.callingSearchSpaceName,
    devicePoolName: attrs.devicePoolName,
    commonPhoneConfigName: attrs.commonPhoneConfigName,
    locationName: attrs.locationName,
    phoneTemplateName: attrs.phoneTemplateName,
    lines: lines.length > 0 ? { line: lines.map(lineNode) } : undefined,
    ownerUserName: attrs.ownerUserName,
  };
  if (attrs.product === undefined) throw missingField(ctx, change, 'product');
  if (attrs.sharedLines !== 'true') {
    await refuseSharedLines(ctx, change.key, attrs.ownerUserName ?? '', lines);
  }
  const answer = await ctx.axl.call(
    'addPhone',
    { phone },
    {
      subject: `phone ${change.key}`,
      references: references(attrs, lines),
    },
  );
  return { externalId: textOf(answer.return) ?? change.key, outcome: 'created' };
}

async function updatePhone(
  ctx: CucmContext,
  change: TargetChange,
  current: CucmPhone,
): Promise<TargetResult> {
  for (const field of FIXED) {
    const wanted = change.attributes[field];
    if (wanted !== undefined && wanted !== current.fields[field]) {
      const msg =
        `Unified CM '${ctx.target}' phone '${change.key}': ${field} is ` +
        `'${current.fields[field]}', wanted '${wanted}'; remove and add the phone to change it`;
      throw new CallsignError(ErrorCode.Rejected, msg, {
        details: { target: ctx.target, key: change.key, field },
      });
    }
  }

  const body: AxlNode = { name: change.key };
  for (const field of MUTABLE) {
    const wanted = change.attributes[field];
    if (wanted !== undefined && wanted !== current.fields[field]) body[field] = wanted;
  }
  const wantedLines = lineEntries(ctx, change.attributes);
  const differ = wantedLines.filter((l) => current.lines[`line${l.index}`] !== formatDirn(l));
  const replaced = differ.filter((l) => current.lines[`line${l.index}`] !== undefined);
  if (replaced.length > 0) {
    const old = replaced.map((l) => ({
      index: l.index,
      ...parseDirn(ctx.target, current.lines[`line${l.index}`]!, `line${l.index}`),
    }));
    body.removeLines = { line: old.map(lineNode) };
  }
  if (differ.length > 0) body.addLines = { line: differ.map(lineNode) };
  if (Object.keys(body).length === 1) return { externalId: current.uuid, outcome: 'noop' };

  const attrs = { ...current.fields, ...change.attributes };
  if (attrs.sharedLines !== 'true') {
    await refuseSharedLines(ctx, change.key, attrs.ownerUserName ?? '', differ);
  }
  await ctx.axl.call('updatePhone', body, {
    subject: `phone ${change.key}`,
    references: references(attrs, differ),
  });
  await applyConfig(ctx, change.key);
  return { externalId: current.uuid, outcome: 'updated' };
}

/**
 * applyPhone after a change. The change is committed already, so a failure here does not fail
 * the operation (a retry would find nothing to change and never apply): it is logged, and the
 * phone takes the change at its next restart at the latest.
 */
async function applyConfig(ctx: CucmContext, name: string): Promise<void> {
  try {
    await ctx.axl.call('applyPhone', { name }, { subject: `phone ${name}` });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    ctx.log.warn({ phone: name, reason }, 'cucm applyPhone failed');
  }
}

interface PhoneLine {
  index: string;
  pattern: string;
  partition: string;
}

function lineEntries(ctx: CucmContext, attributes: Record<string, string>): PhoneLine[] {
  const out: PhoneLine[] = [];
  for (const [attr, value] of Object.entries(attributes)) {
    const index = LINE_ATTR.exec(attr)?.[1];
    if (index === undefined || value === '') continue;
    out.push({ index, ...parseDirn(ctx.target, value, attr) });
  }
  return out.sort((a, b) => Number(a.index) - Number(b.index));
}

function lineNode(line: PhoneLine): AxlNode {
  return {
    index: line.index,
    dirn: { pattern: line.pattern, routePartitionName: line.partition },
  };
}

function references(attrs: Record<string, string>, lines: PhoneLine[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of [...MUTABLE, 'phoneTemplateName']) {
    if (field !== 'description' && attrs[field]) out[field] = attrs[field];
  }
  if (lines.length > 0) out.line = lines.map(formatDirn).join(', ');
  const partitions = [...new Set(lines.map((l) => l.partition).filter((p) => p !== ''))];
  if (partitions.length > 0) out.routePartitionName = partitions.join(', ');
  return out;
}

function known(name: string): boolean {
  const fields: readonly string[] = [...FIXED, ...MUTABLE];
  return fields.includes(name) || LINE_ATTR.test(name);
}

/** `SEP` must be followed by the twelve hex digits of the MAC address. */
function macMissing(name: string): boolean {
  return /^SEP/i.test(name) && !/^SEP[0-9A-F]{12}$/i.test(name);
}

function waitingForMac(ctx: CucmContext, change: TargetChange): CallsignError {
  const owner = change.attributes.ownerUserName;
  const whose = owner === undefined ? '' : ` for ${owner}`;
  const msg =
    `Desk phone${whose} on Unified CM '${ctx.target}' waits for its MAC address: ` +
    `device name '${change.key}' is not SEP followed by 12 hex digits`;
  return new CallsignError(ErrorCode.Waiting, msg, {
    retryable: false,
    details: { target: ctx.target, key: change.key, field: 'name', waitingFor: 'macAddress' },
  });
}

function missingField(ctx: CucmContext, change: TargetChange, field: string): CallsignError {
  const msg = `Unified CM '${ctx.target}' phone '${change.key}': ${field} is required`;
  return new CallsignError(ErrorCode.Rejected, msg, {
    details: { target: ctx.target, key: change.key, field },
  });
}
