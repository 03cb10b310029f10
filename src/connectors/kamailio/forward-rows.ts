/**
 * `did-forward`: a leaver's DID ringing someone else for a while (Callsign's leaver forwarding).
 * On Kamailio it is the DID's `dbaliases` row pointing at the forward's SIP user: the manager's
 * extension when the forward names one, else the forward's number as the user part. The row is
 * the one `sip-alias` uses, so the plan removes the leaver's alias first and, on a rehire, the
 * forward before the alias comes back.
 */
import type { Attributes } from '../../core/model.ts';
import type { TargetChange, TargetResult } from '../types.ts';
import { applyAlias, readAlias } from './alias-rows.ts';
import type { KamailioContext } from './kamailio-target.ts';

/** The forward's target user and domain as stored, or null when the DID has no row. */
export function readForward(context: KamailioContext, key: string): Attributes | null {
  return readAlias(context, key);
}

/** Creates, re-points or removes the DID's forward. */
export function applyForward(context: KamailioContext, change: TargetChange): TargetResult {
  const username = userOf(change.attributes);
  if (change.action !== 'delete') {
    const attributes: Record<string, string> = { username };
    if (change.attributes.domain !== undefined) attributes.domain = change.attributes.domain;
    return applyAlias(context, { ...change, type: 'sip-alias', attributes });
  }

  // Only a row that still rings the forward's user is the forward's: anything else at that
  // DID (an alias someone wrote since) is left alone.
  const current = readAlias(context, change.key);
  if (current === null || current.username !== username) {
    return { externalId: `${change.key}@${context.config.domain}`, outcome: 'noop' };
  }
  return applyAlias(context, { ...change, type: 'sip-alias' });
}

function userOf(attributes: Record<string, string>): string {
  return attributes.extension ?? attributes.to ?? '';
}
