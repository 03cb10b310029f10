/**
 * `sip-alias`: a DID as a `dbaliases` row. alias_db_lookup() rewrites a call to
 * `+19085550100@domain` into `username@domain[:port]`, then the registrar finds the contact.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import type { TargetChange, TargetResult } from '../types.ts';
import type { AliasRow } from './kamailio-db.ts';
import type { KamailioContext } from './kamailio-target.ts';

/** The alias's attributes (`username`, `domain`), or null when there is no row. */
export function readAlias(context: KamailioContext, key: string): Attributes | null {
  const did = checkDid(key);
  const domain = context.config.domain;
  const row = context.db.read(aliasRecord(did, domain), () => single(context, did, domain));
  return row === undefined ? null : { username: row.username, domain: row.alias_domain };
}

/** Creates, updates or deletes the alias rows of one DID; never touches the subscriber. */
export function applyAlias(context: KamailioContext, change: TargetChange): TargetResult {
  const did = checkDid(change.key);
  const domain = change.attributes.domain ?? context.config.domain;
  const record = aliasRecord(did, domain);
  const username = change.attributes.username;
  const target = targetDomain(context, domain);

  return context.db.write(record, () => {
    if (change.action === 'delete') {
      const rows = context.db.aliases(did, domain);
      context.db.deleteAliases(rows.map((row) => row.id));
      return { externalId: record, outcome: rows.length > 0 ? 'deleted' : 'noop' };
    }

    const row = single(context, did, domain);
    if (change.action === 'create') {
      if (row !== undefined) {
        if (row.username === username && row.domain === target) {
          return { externalId: record, outcome: 'noop' };
        }
        throw aliasError(ErrorCode.Duplicate, record, 'key', `already rings '${row.username}'`);
      }
      if (username === undefined || username === '') {
        throw aliasError(ErrorCode.BadRecord, record, 'username', 'is required to create it');
      }
      const fresh = { alias_username: did, alias_domain: domain, username, domain: target };
      context.db.insertAlias(fresh);
      return { externalId: record, outcome: 'created' };
    }

    if (row === undefined) {
      throw aliasError(ErrorCode.NotFound, record, 'key', 'has no dbaliases row to update');
    }
    // Rewriting the target domain too repairs a row written before the port was configured.
    const wanted = { username: username ?? row.username, domain: target };
    if (wanted.username === row.username && wanted.domain === row.domain) {
      return { externalId: record, outcome: 'noop' };
    }
    context.db.updateAlias(row.id, wanted);
    return { externalId: record, outcome: 'updated' };
  });
}

/**
 * The domain the alias points to. A URI without a port means 5060, so on any other port the
 * rewritten Request-URI must carry ours or Kamailio treats it as foreign and relays it away.
 */
function targetDomain(context: KamailioContext, domain: string): string {
  const port = context.config.sipPort ?? rpcPort(context.config.rpcUrl);
  return port === undefined || port === 5060 ? domain : `${domain}:${port}`;
}

function rpcPort(rpcUrl: string | undefined): number | undefined {
  if (rpcUrl === undefined) return undefined;
  const port = URL.canParse(rpcUrl) ? new URL(rpcUrl).port : '';
  return port === '' ? undefined : Number(port);
}

function single(context: KamailioContext, did: string, domain: string): AliasRow | undefined {
  const rows = context.db.aliases(did, domain);
  if (rows.length > 1) {
    // alias_db would ring whichever row SQLite returns first: a person must choose.
    const record = aliasRecord(did, domain);
    throw aliasError(ErrorCode.Ambiguous, record, 'key', `has ${rows.length} dbaliases rows`);
  }
  return rows[0];
}

function checkDid(key: string): string {
  if (!/^\+[1-9]\d{1,14}$/.test(key)) {
    throw aliasError(ErrorCode.BadRecord, key, 'key', 'is not an E.164 number (+ and digits)');
  }
  return key;
}

function aliasRecord(did: string, domain: string): string {
  return `${did}@${domain}`;
}

function aliasError(code: ErrorCode, record: string, field: string, problem: string) {
  return new CallsignError(code, `Kamailio alias '${record}': field '${field}' ${problem}`, {
    details: { record, field },
  });
}
