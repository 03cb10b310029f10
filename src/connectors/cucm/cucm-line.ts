/**
 * `cucm-line`: a directory number, keyed `pattern@partition` (or a bare pattern for the null
 * partition). Ensure semantics: getLine before addLine, so a retry after a lost answer finds the
 * line it created; updateLine sends only the fields that differ.
 * Call forwards (`callForwardAll`, `callForwardBusy`, `callForwardNoAnswer`: the destination,
 * '' for none) live on the line. A released number that cannot be removed (still on a phone,
 * -692) has its forwards cleared before the error goes back, so whoever gets the number next
 * does not inherit a forward to the leaver's mobile.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import { KEPT_FOR_FORWARD } from '../../core/planner.ts';
import type { TargetChange, TargetResult } from '../types.ts';
import { type AxlNode, child, list, textOf, uuidOf } from './axl-xml.ts';
import {
  checkAttributes,
  type CucmContext,
  type DirnKey,
  formatDirn,
  getOrNull,
  parseDirn,
  removeOrNoop,
} from './cucm-context.ts';

/** Line fields Callsign sets; AXL has many more, left as the administrator set them. */
export const LINE_FIELDS = ['description', 'alertingName', 'asciiAlertingName'] as const;
/** Forward kinds; each attribute's value is the destination. */
export const LINE_FORWARDS = ['callForwardAll', 'callForwardBusy', 'callForwardNoAnswer'] as const;

/** Reads a line's fields; null when absent. */
export async function readLine(ctx: CucmContext, key: string): Promise<Attributes | null> {
  const found = await getLine(ctx, parseDirn(ctx.target, key, 'key'));
  return found === null ? null : found.attributes;
}

/** Adds, updates or removes a line so it matches the change. */
export async function applyLine(ctx: CucmContext, change: TargetChange): Promise<TargetResult> {
  const forward = change.attributes[KEPT_FOR_FORWARD];
  if (change.action === 'delete' && forward !== undefined) {
    // A leaver's line handed to their DID's forward (cucm-forward.ts): the DN is the forward's
    // now and goes when the forward ends; only Callsign's link to the person is dropped.
    ctx.log.info({ line: change.key, did: forward }, 'cucm line kept as the leaver forward');
    return { externalId: change.key, outcome: 'noop' };
  }
  const dirn = lineKey(ctx, change);
  const subject = { subject: `line ${formatDirn(dirn)}` };
  const current = await getLine(ctx, dirn);

  if (change.action === 'delete') {
    if (current === null) return { externalId: change.key, outcome: 'noop' };
    try {
      const removed = await removeOrNoop(() => ctx.axl.call('removeLine', name(dirn), subject));
      return { externalId: current.uuid, outcome: removed ? 'deleted' : 'noop' };
    } catch (err) {
      if (err instanceof CallsignError && err.code === ErrorCode.State) {
        await clearForwards(ctx, dirn, current.attributes);
      }
      throw err;
    }
  }

  const wanted = pick(change.attributes);
  if (current === null) {
    const references: Record<string, string> = {};
    if (dirn.partition !== '') references.routePartitionName = dirn.partition;
    // Element order follows the XLine sequence of the AXL schema.
    const line = {
      pattern: dirn.pattern,
      description: wanted.description,
      usage: 'Device',
      routePartitionName: dirn.partition,
      alertingName: wanted.alertingName,
      asciiAlertingName: wanted.asciiAlertingName,
      ...forwardNodes(wanted),
    };
    const answer = await ctx.axl.call('addLine', { line }, { ...subject, references });
    return { externalId: textOf(answer.return) ?? change.key, outcome: 'created' };
  }

  const changed = Object.entries(wanted).filter(([k, v]) => current.attributes[k] !== v);
  if (changed.length === 0) return { externalId: current.uuid, outcome: 'noop' };
  const scalars = Object.fromEntries(changed.filter(([k]) => !isForward(k)));
  const forwards = forwardNodes(Object.fromEntries(changed.filter(([k]) => isForward(k))));
  await ctx.axl.call('updateLine', { ...name(dirn), ...scalars, ...forwards }, subject);
  return { externalId: current.uuid, outcome: 'updated' };
}

/**
 * Clears every forward the line has. Used when a number is released but the line stays: the
 * error about the line still goes back, but the forward is gone already.
 */
async function clearForwards(
  ctx: CucmContext,
  dirn: DirnKey,
  current: Record<string, string>,
): Promise<void> {
  const set = LINE_FORWARDS.filter((kind) => (current[kind] ?? '') !== '');
  if (set.length === 0) return;
  const cleared = Object.fromEntries(set.map((kind) => [kind, '']));
  const subject = { subject: `line ${formatDirn(dirn)}` };
  await ctx.axl.call('updateLine', { ...name(dirn), ...forwardNodes(cleared) }, subject);
  ctx.log.info({ line: formatDirn(dirn), cleared: set }, 'cucm line forwards cleared');
}

/** `{ callForwardAll: { destination } }`; an empty destination element removes the forward. */
function forwardNodes(values: Record<string, string>): AxlNode {
  const out: AxlNode = {};
  for (const kind of LINE_FORWARDS) {
    const destination = values[kind];
    if (destination !== undefined) out[kind] = { destination };
  }
  return out;
}

function isForward(name: string): boolean {
  return (LINE_FORWARDS as readonly string[]).includes(name);
}

/** True when a line with this pattern exists in any partition. */
export async function lineExists(ctx: CucmContext, pattern: string): Promise<boolean> {
  const body = {
    searchCriteria: { pattern },
    returnedTags: { pattern: '' },
    skip: '0',
    first: '1',
  };
  const answer = await ctx.axl.call('listLine', body, { subject: `number ${pattern}` });
  return list(child(answer, 'return'), 'line').length > 0;
}

async function getLine(
  ctx: CucmContext,
  dirn: DirnKey,
): Promise<{ uuid: string; attributes: Record<string, string> } | null> {
  const body = { ...name(dirn), returnedTags: returnedTags() };
  const subject = { subject: `line ${formatDirn(dirn)}` };
  const answer = await getOrNull(() => ctx.axl.call('getLine', body, subject));
  const line = child(child(answer ?? {}, 'return'), 'line');
  if (answer === null || line === undefined) return null;

  const attributes: Record<string, string> = {
    pattern: textOf(line.pattern) ?? dirn.pattern,
    routePartitionName: textOf(line.routePartitionName) ?? '',
  };
  for (const field of LINE_FIELDS) attributes[field] = textOf(line[field]) ?? '';
  for (const kind of LINE_FORWARDS) {
    attributes[kind] = textOf(child(line, kind)?.destination) ?? '';
  }
  return { uuid: uuidOf(line) ?? formatDirn(dirn), attributes };
}

function lineKey(ctx: CucmContext, change: TargetChange): DirnKey {
  checkAttributes(
    ctx,
    change,
    (n) =>
      (LINE_FIELDS as readonly string[]).includes(n) || isForward(n) || n === 'routePartitionName',
  );
  const dirn = parseDirn(ctx.target, change.key, 'key');
  const partition = change.attributes.routePartitionName;
  if (partition !== undefined && partition !== dirn.partition) {
    // The key decides: a line in another partition is another line.
    return parseDirn(ctx.target, `${dirn.pattern}@${partition}`, 'routePartitionName');
  }
  return dirn;
}

function name(dirn: DirnKey): AxlNode {
  return { pattern: dirn.pattern, routePartitionName: dirn.partition };
}

function pick(attributes: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of [...LINE_FIELDS, ...LINE_FORWARDS]) {
    if (attributes[field] !== undefined) out[field] = attributes[field];
  }
  return out;
}

function returnedTags(): AxlNode {
  const tags: AxlNode = { pattern: '', routePartitionName: '' };
  for (const field of LINE_FIELDS) tags[field] = '';
  for (const kind of LINE_FORWARDS) tags[kind] = { destination: '' };
  return tags;
}
