/**
 * `sip-subscriber`: one `subscriber` row per extension. Each change reads the row first inside
 * its own write transaction, so a retry after a lost answer finds the work done and says noop.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import type { TargetChange, TargetResult } from '../types.ts';
import type { SubscriberRow } from './kamailio-db.ts';
import type { KamailioContext } from './kamailio-target.ts';

/** The subscriber's attributes (never its password), or null when there is no row. */
export function readSubscriber(context: KamailioContext, key: string): Attributes | null {
  const username = checkUsername(key);
  const domain = context.config.domain;
  const row = context.db.read(aor(username, domain), () => context.db.subscriber(username, domain));
  return row === undefined ? null : toAttributes(row);
}

/** Creates, updates or deletes one subscriber; delete also drops its registrations. */
export async function applySubscriber(
  context: KamailioContext,
  change: TargetChange,
): Promise<TargetResult> {
  const username = checkUsername(change.key);
  const given = change.attributes.username;
  if (given !== undefined && given !== username) {
    throw recordError(ErrorCode.BadRecord, change.key, 'username', `differs from key '${given}'`);
  }
  const domain = change.attributes.domain ?? context.config.domain;
  const record = aor(username, domain);
  const displayName = displayNameOf(context, change);

  if (change.action === 'delete') return deleteSubscriber(context, { username, domain });
  return context.db.write(record, () => {
    const row = context.db.subscriber(username, domain);
    if (change.action === 'create') {
      return createRow(context, { row, username, domain, secret: change.secret, displayName });
    }
    if (row === undefined) {
      throw recordError(ErrorCode.NotFound, record, 'username', 'has no subscriber row to update');
    }
    return updateRow(context, { row, secret: change.secret, displayName });
  });
}

interface RowChange {
  secret: string | undefined;
  /** undefined: not part of the change (or no column to keep it in). */
  displayName: string | undefined;
}

function createRow(
  context: KamailioContext,
  wanted: RowChange & { row: SubscriberRow | undefined; username: string; domain: string },
): TargetResult {
  const record = aor(wanted.username, wanted.domain);
  if (wanted.row !== undefined) {
    // Same values: our own earlier attempt whose answer was lost. Other values: not ours.
    if (sameValues(wanted.row, wanted)) return { externalId: record, outcome: 'noop' };
    throw recordError(ErrorCode.Duplicate, record, 'username', 'exists with other values');
  }
  if (wanted.secret === undefined || wanted.secret === '') {
    // An empty password would let anyone register as the extension.
    throw recordError(ErrorCode.Rejected, record, 'secret', 'is required to create it');
  }

  context.db.insertSubscriber({
    username: wanted.username,
    domain: wanted.domain,
    password: wanted.secret,
    rpid: wanted.displayName ?? null,
    ...digests(wanted.username, wanted.domain, wanted.secret),
  });
  return { externalId: record, outcome: 'created' };
}

function updateRow(
  context: KamailioContext,
  wanted: RowChange & { row: SubscriberRow },
): TargetResult {
  const { row } = wanted;
  const record = aor(row.username, row.domain);
  const set: Record<string, string | null> = {};
  if (wanted.secret !== undefined && !sameSecret(row.password, wanted.secret)) {
    if (wanted.secret === '') throw recordError(ErrorCode.Rejected, record, 'secret', 'is empty');
    const hashes = digests(row.username, row.domain, wanted.secret);
    Object.assign(set, { password: wanted.secret }, hashes);
  }
  if (wanted.displayName !== undefined && wanted.displayName !== (row.rpid ?? '')) {
    set.rpid = wanted.displayName;
  }

  if (Object.keys(set).length === 0) return { externalId: record, outcome: 'noop' };
  context.db.updateSubscriber(row.id, set);
  return { externalId: record, outcome: 'updated' };
}

/**
 * Deletes the row, then drops the registrations. The drop runs even when the row is already
 * gone: a retry after an RPC failure must still finish the job.
 */
async function deleteSubscriber(
  context: KamailioContext,
  who: { username: string; domain: string },
): Promise<TargetResult> {
  const record = aor(who.username, who.domain);
  const deleted = context.db.write(record, () => {
    const row = context.db.subscriber(who.username, who.domain);
    if (row !== undefined) context.db.deleteSubscriber(row.id);
    return row !== undefined;
  });

  let dropped = false;
  if (context.rpc === undefined) {
    context.log.warn({ aor: record }, 'kamailio rpcUrl not set; registrations left to expire');
  } else {
    dropped = (await context.rpc.lookup(record)) !== null;
    await context.rpc.remove(record);
  }
  return { externalId: record, outcome: deleted || dropped ? 'deleted' : 'noop' };
}

function displayNameOf(context: KamailioContext, change: TargetChange): string | undefined {
  const value = change.attributes.displayName;
  if (value === undefined) return undefined;
  if (!context.db.hasDisplayNameColumn) {
    context.log.debug({ key: change.key }, 'kamailio subscriber table has no rpid column');
    return undefined;
  }
  return value;
}

function sameValues(row: SubscriberRow, wanted: RowChange): boolean {
  if (wanted.secret !== undefined && !sameSecret(row.password, wanted.secret)) return false;
  return wanted.displayName === undefined || wanted.displayName === (row.rpid ?? '');
}

function sameSecret(stored: string, given: string): boolean {
  const a = Buffer.from(stored, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * HA1 digests as kamctl writes them, with the domain as realm. The lab config derives HA1 from
 * `password` (calculate_ha1), but a Kamailio run with calculate_ha1 off reads these columns,
 * so rows written here work either way.
 */
function digests(username: string, domain: string, password: string) {
  const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
  return {
    ha1: md5(`${username}:${domain}:${password}`),
    ha1b: md5(`${username}@${domain}:${domain}:${password}`),
  };
}

function toAttributes(row: SubscriberRow): Attributes {
  return {
    username: row.username,
    domain: row.domain,
    ...(row.rpid === null || row.rpid === '' ? {} : { displayName: row.rpid }),
  };
}

function checkUsername(key: string): string {
  // auth_db's username column is VARCHAR(64); '@' and blanks would break the AOR.
  if (!/^[^\s@:;]{1,64}$/.test(key)) {
    throw recordError(ErrorCode.BadRecord, key, 'key', 'is not a SIP username');
  }
  return key;
}

function aor(username: string, domain: string): string {
  return `${username}@${domain}`;
}

function recordError(code: ErrorCode, record: string, field: string, problem: string) {
  return new CallsignError(code, `Kamailio subscriber '${record}': field '${field}' ${problem}`, {
    details: { record, field },
  });
}
