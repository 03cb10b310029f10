/**
 * Paired allocation for a mapped extension pool: the person's extension follows their DID
 * (`extensionFrom` in the config). Both numbers are taken in the caller's one write
 * transaction, so a person never ends up with a DID whose extension went to someone else. A
 * free DID whose derived extension is not free (taken, held, blocked, outside the range) is
 * passed over for the next DID, which stays free for a pool used independently.
 */
import type { Kysely } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { HeldNumber } from '../core/model.ts';
import { deriveExtension } from '../core/number-pattern.ts';
import { pickFree } from './number-policy.ts';
import { assignRow, exhaustedOrBusy, type Pick, pickOwn, type PoolRow } from './number-rows.ts';
import type { Database } from './schema.ts';
import type { PoolMapping } from './types.ts';

/** Which pools pair up and which of the two the caller asked for. */
export interface PairRequest {
  did: PoolRow;
  ext: PoolRow & { mapping: PoolMapping };
  want: 'did' | 'extension';
  personId: string;
  now: Date;
  actor: string;
  lock: boolean;
}

/** DIDs passed over in one allocation before giving up: a pool this broken needs a person. */
const MAX_SKIPS = 500;

/**
 * Allocates the DID and its extension together; returns the number asked for, or undefined
 * when another allocator changed a row first (the caller retries the transaction).
 */
export async function allocatePair(
  db: Kysely<Database>,
  r: PairRequest,
): Promise<HeldNumber | undefined> {
  const { personId, now, lock } = r;
  const rule = r.ext.mapping;
  const ownDid = await pickOwn(db, { pool: r.did.name, personId, now, lock });
  const ownExt = await pickOwn(db, { pool: r.ext.name, personId, now, lock });

  let did = ownDid;
  let ext = ownExt?.state === 'assigned' ? ownExt : undefined;
  if (did !== undefined && ext === undefined) {
    const value = deriveExtension(did.value, rule);
    ext = value === undefined ? undefined : await freeExt(db, r, value, ownExt);
    if (ext === undefined) throw unmappable(r, did.value, value);
  }
  const skip: string[] = [];
  while (did === undefined) {
    const candidate = await pickFree(db, {
      pool: r.did.name,
      policy: r.did.policy,
      pattern: r.did.pattern,
      now,
      lock,
      skip,
    });
    if (candidate === undefined && skip.length === 0) {
      return exhaustedOrBusy(db, r.did.name, now);
    }
    if (candidate === undefined) return exhausted(r, skip.length);
    if (ext !== undefined) {
      did = candidate;
      break;
    }
    const value = deriveExtension(candidate.value, rule);
    const found = value === undefined ? undefined : await freeExt(db, r, value, ownExt);
    if (found !== undefined) {
      did = candidate;
      ext = found;
      break;
    }
    skip.push(candidate.value);
    if (skip.length >= MAX_SKIPS) return exhausted(r, skip.length);
  }

  const via = `pair ${r.did.name}:${did.value} ${r.ext.name}:${ext!.value}`;
  for (const [pool, pick] of [
    [r.did.name, did],
    [r.ext.name, ext!],
  ] as const) {
    if (pick.state === 'assigned') continue;
    if (!(await assignRow(db, { pool, pick, personId, now, actor: r.actor, via }))) {
      // Someone took a row between read and write: undo this transaction and retry.
      throw new RetryPair();
    }
  }
  const pick = r.want === 'did' ? did : ext!;
  const pool = r.want === 'did' ? r.did : r.ext;
  return { pool: pool.name, kind: pool.kind as HeldNumber['kind'], value: pick.value };
}

/** Thrown inside the transaction so a half-made pair rolls back; the caller retries. */
export class RetryPair extends Error {
  constructor() {
    super('paired allocation raced another allocator');
  }
}

/** The extension row if the person may take it: free for anyone, or already theirs. */
async function freeExt(
  db: Kysely<Database>,
  r: PairRequest,
  value: string,
  own: Pick | undefined,
): Promise<Pick | undefined> {
  if (own !== undefined && own.value === value) return own;
  const now = r.now.toISOString();
  const row = await db
    .selectFrom('numbers')
    .select(['value', 'state', 'available_at'])
    .where('pool', '=', r.ext.name)
    .where('value', '=', value)
    .where('in_range', '=', 1)
    .$if(r.lock, (b) => b.forUpdate().skipLocked())
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const free =
    row.state === 'available' ||
    ((row.state === 'quarantined' || row.state === 'reserved') &&
      row.available_at !== null &&
      row.available_at <= now);
  return free ? { value: row.value, state: row.state } : undefined;
}

function unmappable(r: PairRequest, did: string, ext: string | undefined): CallsignError {
  const what =
    ext === undefined
      ? 'maps to no extension'
      : `maps to extension '${ext}', which is not free in pool '${r.ext.name}'`;
  return new CallsignError(
    ErrorCode.State,
    `Person ${r.personId}'s DID '${did}' in pool '${r.did.name}' ${what}; ` +
      'free that extension or move the DID',
    { details: { pool: r.ext.name, did, value: ext } },
  );
}

function exhausted(r: PairRequest, skipped: number): never {
  throw new CallsignError(
    ErrorCode.Exhausted,
    `Cannot allocate a DID from pool '${r.did.name}' with a free extension in pool ` +
      `'${r.ext.name}' (${skipped} DIDs passed over whose extension was taken)`,
    { details: { pool: r.did.name, extensionPool: r.ext.name, skipped } },
  );
}
