/**
 * `cuc-mailbox`: a Unity Connection user with a voice mailbox, keyed by alias. It is created
 * from the target's user template (`POST /vmrest/users?templateAlias=…`), always after a lookup
 * by alias, so a retry after a lost answer finds the mailbox the first try made instead of
 * making a second. Updates carry only the fields that differ; the PIN is the change's secret,
 * set through `PUT /vmrest/users/{id}/credential/pin` and never logged or put in a message.
 */
import type { Logger } from 'pino';

import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import type { PlatformNumber, TargetChange, TargetResult } from '../types.ts';
import type { CupiClient } from './cupi-client.ts';

export interface CucContext {
  target: string;
  cupi: CupiClient;
  log: Logger;
  templateAlias: string;
}

/** Callsign attribute → CUPI user field. */
export const MAILBOX_FIELDS = {
  alias: 'Alias',
  firstName: 'FirstName',
  lastName: 'LastName',
  displayName: 'DisplayName',
  dtmfAccessId: 'DtmfAccessId',
  emailAddress: 'EmailAddress',
} as const;

type MailboxAttribute = keyof typeof MAILBOX_FIELDS;

/** Reads a mailbox by alias; null when there is none. */
export async function readMailbox(ctx: CucContext, alias: string): Promise<Attributes | null> {
  const id = await findByAlias(ctx, alias);
  if (id === undefined) return null;
  const user = await getUser(ctx, id, alias);
  const out: Attributes = {};
  for (const [attr, field] of Object.entries(MAILBOX_FIELDS)) out[attr] = user[field] ?? '';
  return out;
}

/** Creates, updates or deletes a mailbox so it matches the change. */
export async function applyMailbox(ctx: CucContext, change: TargetChange): Promise<TargetResult> {
  const wanted = checkChange(ctx, change);
  const subject = `mailbox ${change.key}`;
  const id = await findByAlias(ctx, change.key);

  if (change.action === 'delete') {
    if (id === undefined) return { externalId: change.key, outcome: 'noop' };
    try {
      await ctx.cupi.call({ method: 'DELETE', path: `/users/${id}`, subject, expect: 'empty' });
    } catch (err) {
      // Someone removed it between the lookup and the delete: the wanted state holds.
      if (err instanceof CallsignError && err.code === ErrorCode.NotFound) {
        return { externalId: id, outcome: 'noop' };
      }
      throw err;
    }
    return { externalId: id, outcome: 'deleted' };
  }

  if (id === undefined) {
    if (change.action === 'update') throw missingMailbox(ctx, change.key);
    const created = await createMailbox(ctx, change.key, wanted);
    await setPinAfterCreate(ctx, created, change);
    return { externalId: created, outcome: 'created' };
  }

  const current = await getUser(ctx, id, change.key);
  const body: Record<string, string> = {};
  for (const [field, value] of Object.entries(wanted)) {
    if ((current[field] ?? '') !== value) body[field] = value;
  }
  if (Object.keys(body).length > 0) {
    await ctx.cupi.call({ method: 'PUT', path: `/users/${id}`, body, subject, expect: 'empty' });
  }
  if (change.secret !== undefined) await setPin(ctx, id, change.key, change.secret);

  // A create that finds its mailbox is a retry: the PIN is set again, but nothing else changed.
  const pinReset = change.secret !== undefined && change.action === 'update';
  const changed = Object.keys(body).length > 0 || pinReset;
  return { externalId: id, outcome: changed ? 'updated' : 'noop' };
}

/** True when a user's primary extension (DtmfAccessId) is this value. */
export async function extensionInUse(ctx: CucContext, value: string): Promise<boolean> {
  const answer = await ctx.cupi.call({
    method: 'GET',
    path: '/users',
    query: { query: `(dtmfaccessid is ${value})`, rowsPerPage: '1', pageNumber: '1' },
    subject: `extension ${value}`,
    expect: 'json',
  });
  return usersPage(answer.json).total > 0;
}

/** Every user's primary extension, paged with rowsPerPage / pageNumber. */
export async function* listExtensions(
  ctx: CucContext,
  pageSize: number,
): AsyncIterable<PlatformNumber> {
  for (let pageNumber = 1, seen = 0; ; pageNumber += 1) {
    const answer = await ctx.cupi.call({
      method: 'GET',
      path: '/users',
      query: { rowsPerPage: String(pageSize), pageNumber: String(pageNumber) },
      subject: `users page ${pageNumber}`,
      expect: 'json',
    });
    const page = usersPage(answer.json);
    for (const user of page.users) {
      const value = user.DtmfAccessId ?? '';
      if (value !== '') yield { value, kind: 'extension', owner: user.Alias ?? user.ObjectId };
    }
    seen += page.users.length;
    if (page.users.length === 0 || seen >= page.total) return;
  }
}

async function createMailbox(
  ctx: CucContext,
  alias: string,
  wanted: Record<string, string>,
): Promise<string> {
  const body = { Alias: alias, ...wanted };
  const answer = await ctx.cupi.call({
    method: 'POST',
    path: '/users',
    query: { templateAlias: ctx.templateAlias },
    body,
    subject: `mailbox ${alias}`,
    templateAlias: ctx.templateAlias,
    expect: 'created',
  });
  const id = /\/users\/([^/?#]+)\/?$/.exec(answer.location ?? '')?.[1];
  if (id !== undefined) return decodeURIComponent(id);
  // The Location did not name the user: look it up, as a retry would.
  const found = await findByAlias(ctx, alias);
  if (found === undefined) throw missingMailbox(ctx, alias);
  return found;
}

/** A PIN that fails right after the create leaves a mailbox without it: say so. */
async function setPinAfterCreate(ctx: CucContext, id: string, change: TargetChange) {
  if (change.secret === undefined) return;
  try {
    await setPin(ctx, id, change.key, change.secret);
  } catch (err) {
    if (!(err instanceof CallsignError)) throw err;
    const msg = `${err.message}; mailbox '${change.key}' was created without its PIN`;
    throw new CallsignError(err.code, msg, {
      cause: err,
      retryable: err.retryable,
      details: { ...err.details, created: id },
      ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
    });
  }
}

async function setPin(ctx: CucContext, id: string, alias: string, pin: string): Promise<void> {
  await ctx.cupi.call({
    method: 'PUT',
    path: `/users/${id}/credential/pin`,
    body: { Credentials: pin },
    subject: `PIN of mailbox ${alias}`,
    expect: 'empty',
  });
  ctx.log.debug({ alias }, 'cuc pin set');
}

/** The ObjectId of the user with this alias (Connection compares aliases without case). */
async function findByAlias(ctx: CucContext, alias: string): Promise<string | undefined> {
  const answer = await ctx.cupi.call({
    method: 'GET',
    path: '/users',
    query: { query: `(alias is ${alias})` },
    subject: `mailbox ${alias}`,
    expect: 'json',
  });
  const wanted = alias.toLowerCase();
  const user = usersPage(answer.json).users.find((u) => u.Alias?.toLowerCase() === wanted);
  return user?.ObjectId;
}

async function getUser(ctx: CucContext, id: string, alias: string) {
  const answer = await ctx.cupi.call({
    method: 'GET',
    path: `/users/${id}`,
    subject: `mailbox ${alias}`,
    expect: 'json',
  });
  return strings(answer.json);
}

/** Checks key and attributes before anything is sent; returns the CUPI fields to write. */
function checkChange(ctx: CucContext, change: TargetChange): Record<string, string> {
  const where = `Target '${ctx.target}' cuc-mailbox '${change.key}'`;
  const details = { target: ctx.target, type: change.type, key: change.key };
  const unknown = Object.keys(change.attributes).filter((a) => !(a in MAILBOX_FIELDS));
  if (unknown.length > 0) {
    const msg = `${where}: unknown attribute ${unknown.map((u) => `'${u}'`).join(', ')}`;
    throw new CallsignError(ErrorCode.Rejected, msg, { details: { ...details, fields: unknown } });
  }
  const alias = change.attributes.alias;
  if (change.key.trim() === '' || (alias !== undefined && alias !== change.key)) {
    const msg = `${where}: alias must equal the key and not be empty`;
    throw new CallsignError(ErrorCode.Rejected, msg, { details: { ...details, field: 'alias' } });
  }
  if (change.action !== 'delete' && change.secret !== undefined && !/^\d+$/.test(change.secret)) {
    // The value is not repeated: it is a secret.
    const msg = `${where}: the PIN must be digits only`;
    throw new CallsignError(ErrorCode.Rejected, msg, { details: { ...details, field: 'pin' } });
  }

  const out: Record<string, string> = {};
  for (const [attr, value] of Object.entries(change.attributes)) {
    if (attr !== 'alias') out[MAILBOX_FIELDS[attr as MailboxAttribute]] = value;
  }
  return out;
}

/** A CUPI list: `{"@total": "N", "User": {…} | [{…}, …]}`; one match comes as an object. */
function usersPage(json: unknown): { total: number; users: Record<string, string>[] } {
  const root = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const raw = root.User;
  const users = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(strings);
  const total = Number(root['@total'] ?? users.length);
  return { total: Number.isFinite(total) ? total : users.length, users };
}

function strings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      out[k] = String(v);
    }
  }
  return out;
}

function missingMailbox(ctx: CucContext, alias: string): CallsignError {
  const msg = `Unity Connection '${ctx.target}': mailbox '${alias}' does not exist`;
  return new CallsignError(ErrorCode.NotFound, msg, {
    details: { target: ctx.target, type: 'cuc-mailbox', key: alias },
  });
}
