/**
 * `did-forward` on Unified CM: a leaver's number keeps ringing their manager (or the
 * announcement) for the days their pool's `leaverForward` gives, the way a CUCM administrator
 * does it by hand: the leaver's phone and end user go, but their directory number stays, same
 * pattern and partition, with Call Forward All to the forward's destination. Internal callers
 * dialling the DN and outside callers whose DID reaches it are both forwarded.
 *
 * The DN is not removed and added back: the plan hands the person's `cucm-line` to the forward
 * (its delete then only drops the link, see cucm-line.ts), so the number never stops answering.
 * The forward's `line` attribute names that DN; the key is the DID. Ensure semantics as
 * everywhere here: getLine first, so a retry after a lost answer writes nothing twice, and a
 * DN removed meanwhile is added back.
 *
 * At the end (or on a rehire) the forward is cleared and the DN removed, leaving no orphan; a
 * DN that a phone took meanwhile belongs to someone else: its forward is cleared, the DN left.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Attributes, Link } from '../../core/model.ts';
import { FORWARD_LINE } from '../../core/planner.ts';
import type { TargetChange, TargetResult } from '../types.ts';
import { type AxlNode, child, list, textOf, uuidOf } from './axl-xml.ts';
import {
  type CucmContext,
  type DirnKey,
  formatDirn,
  getOrNull,
  parseDirn,
  removeOrNoop,
} from './cucm-context.ts';

export const FORWARD_TYPE = 'did-forward';

/** Attributes a forward carries (from the planner); nothing else is accepted. */
const FORWARD_ATTRIBUTES = ['to', 'via', 'until', 'extension', FORWARD_LINE];

interface ForwardLine {
  uuid: string;
  destination: string;
  css: string;
}

/**
 * Which of the person's lines carries the forwarded DID. The planner keys the forward by the
 * DID, but a Unified CM line is keyed by whatever the profile's `cucm-line` key renders: with a
 * +E.164 dial plan the DN is the DID itself (`\+12125550100`); with short extensions it is the
 * extension the pool mapping (`extensionFrom`) pairs with the DID, which the gateway's
 * translation pattern reaches. So: the line whose pattern is the DID, else the one whose
 * pattern is that extension. Forwarding the DN, not the DID, also forwards internal callers.
 */
export function forwardCarrier(
  links: readonly Link[],
  number: { did: string; extension?: string },
): Link | undefined {
  const lines = links.filter((l) => l.type === 'cucm-line');
  const plain = (l: Link) => {
    const at = l.key.lastIndexOf('@');
    return (at < 0 ? l.key : l.key.slice(0, at)).replace(/^\\\+/, '+');
  };
  return (
    lines.find((l) => plain(l) === number.did) ??
    (number.extension === undefined ? undefined : lines.find((l) => plain(l) === number.extension))
  );
}

/** Creates, re-points or removes the forward on the DN the change's `line` names. */
export async function applyForward(
  ctx: CucmContext,
  change: TargetChange,
  forwardCss: string | undefined,
): Promise<TargetResult> {
  checkForward(ctx, change);
  const dirn = parseDirn(ctx.target, change.attributes[FORWARD_LINE] ?? '', FORWARD_LINE);
  const subject = { subject: `forward ${change.key} on line ${formatDirn(dirn)}` };
  const current = await getForward(ctx, dirn);

  if (change.action === 'delete') {
    if (current === null) return { externalId: change.key, outcome: 'noop' };
    if (current.destination !== '') {
      await ctx.axl.call('updateLine', { ...nameOf(dirn), ...cfa('', '') }, subject);
    }
    try {
      await removeOrNoop(() => ctx.axl.call('removeLine', nameOf(dirn), subject));
    } catch (err) {
      if (!(err instanceof CallsignError && err.code === ErrorCode.State)) throw err;
      // A phone has the DN again (taken by hand, or shared): it is not the forward's any more.
      ctx.log.warn({ line: formatDirn(dirn) }, 'cucm forward cleared, line kept: on a device');
      return { externalId: current.uuid, outcome: 'updated' };
    }
    return { externalId: current.uuid, outcome: 'deleted' };
  }

  const destination = destinationOf(change.attributes);
  const css = forwardCss ?? '';
  if (current === null) {
    // The DN went (removed by hand, or a rehire and leave since): put it back, forwarded.
    const references: Record<string, string> = {};
    if (dirn.partition !== '') references.routePartitionName = dirn.partition;
    const line = {
      pattern: dirn.pattern,
      usage: 'Device',
      routePartitionName: dirn.partition,
      ...cfa(destination, css),
    };
    const answer = await ctx.axl.call('addLine', { line }, { ...subject, references });
    return { externalId: textOf(answer.return) ?? change.key, outcome: 'created' };
  }
  if (current.destination === destination && (forwardCss === undefined || current.css === css)) {
    return { externalId: current.uuid, outcome: 'noop' };
  }
  await ctx.axl.call('updateLine', { ...nameOf(dirn), ...cfa(destination, css) }, subject);
  return { externalId: current.uuid, outcome: 'updated' };
}

/**
 * A forward's state, read by its DID: the line whose pattern is the DID in any partition (a
 * forward kept on an extension DN is read as that `cucm-line`).
 */
export async function readForward(ctx: CucmContext, did: string): Promise<Attributes | null> {
  const pattern = did.startsWith('+') ? `\\${did}` : did;
  const body = {
    searchCriteria: { pattern },
    returnedTags: { pattern: '', routePartitionName: '' },
    skip: '0',
    first: '1',
  };
  const answer = await ctx.axl.call('listLine', body, { subject: `forward ${did}` });
  const found = list(child(answer, 'return'), 'line')[0];
  if (found === undefined) return null;
  const dirn = { pattern, partition: textOf(found.routePartitionName) ?? '' };
  const line = await getForward(ctx, dirn);
  if (line === null) return null;
  return { [FORWARD_LINE]: formatDirn(dirn), to: line.destination, callingSearchSpace: line.css };
}

/** The manager's extension when known (their DN: an internal call), else the E.164 number. */
function destinationOf(attributes: Record<string, string>): string {
  const extension = attributes.extension ?? '';
  return extension !== '' ? extension : (attributes.to ?? '');
}

/** Call Forward All; children in the order of the AXL schema's XCallForwardAll. */
function cfa(destination: string, css: string): AxlNode {
  const forward: AxlNode = {};
  if (css !== '' || destination === '') forward.callingSearchSpaceName = css;
  forward.destination = destination;
  return { callForwardAll: forward };
}

async function getForward(ctx: CucmContext, dirn: DirnKey): Promise<ForwardLine | null> {
  const body = {
    ...nameOf(dirn),
    returnedTags: { pattern: '', callForwardAll: { callingSearchSpaceName: '', destination: '' } },
  };
  const subject = { subject: `line ${formatDirn(dirn)}` };
  const answer = await getOrNull(() => ctx.axl.call('getLine', body, subject));
  const line = child(child(answer ?? {}, 'return'), 'line');
  if (answer === null || line === undefined) return null;
  const forward = child(line, 'callForwardAll');
  return {
    uuid: uuidOf(line) ?? formatDirn(dirn),
    destination: textOf(forward?.destination) ?? '',
    css: textOf(forward?.callingSearchSpaceName) ?? '',
  };
}

function checkForward(ctx: CucmContext, change: TargetChange): void {
  const unknown = Object.keys(change.attributes).filter((n) => !FORWARD_ATTRIBUTES.includes(n));
  const line = change.attributes[FORWARD_LINE];
  const destination = destinationOf(change.attributes);
  let problem: { field: string; message: string } | undefined;
  if (unknown.length > 0) {
    problem = { field: unknown[0]!, message: `unknown attribute '${unknown[0]}'` };
  } else if (line === undefined || line === '') {
    problem = { field: FORWARD_LINE, message: 'names no directory number to keep' };
  } else if (change.action !== 'delete' && !/^\+?[0-9*#]+$/.test(destination)) {
    problem = { field: 'to', message: `destination '${destination}' is not a dialable number` };
  }
  if (problem === undefined) return;
  const msg = `Target '${ctx.target}' ${FORWARD_TYPE} '${change.key}': ${problem.message}`;
  throw new CallsignError(ErrorCode.Rejected, msg, {
    details: { target: ctx.target, type: FORWARD_TYPE, key: change.key, field: problem.field },
  });
}

function nameOf(dirn: DirnKey): AxlNode {
  return { pattern: dirn.pattern, routePartitionName: dirn.partition };
}
