import { CallsignError, ErrorCode } from './errors.ts';
import type { PoolConfig } from './config-types.ts';
import type { PoolDefinition } from '../store/types.ts';

/** Largest pool a range may describe; a typo like a missing digit should not create millions. */
export const MAX_POOL_SIZE = 200_000;

/**
 * Expands a pool's range into its values in allocation order, without the excluded ones.
 * Extensions keep their width (`0100`..`0199`); DIDs stay E.164 (`+12125552000`).
 */
export function poolDefinition(pool: PoolConfig): PoolDefinition {
  const plus = pool.kind === 'did' ? '+' : '';
  const start = pool.range.start.replace(/^\+/, '');
  const end = pool.range.end.replace(/^\+/, '');
  const first = BigInt(start);
  const last = BigInt(end);
  const size = last - first + 1n;
  if (size <= 0n || size > BigInt(MAX_POOL_SIZE)) {
    throw new CallsignError(
      ErrorCode.Config,
      `pools.${pool.name}.range: ${size} numbers (at most ${MAX_POOL_SIZE} per pool)`,
    );
  }

  const excluded = new Set(pool.exclude.map((v) => v.replace(/^\+/, '')));
  const width = start.length;
  const values: string[] = [];
  for (let n = first; n <= last; n++) {
    const digits = n.toString().padStart(width, '0');
    if (!excluded.has(digits)) values.push(plus + digits);
  }
  const def: PoolDefinition = {
    name: pool.name,
    kind: pool.kind,
    values,
    quarantineDays: pool.quarantineDays,
  };
  if (pool.policy !== undefined) def.policy = pool.policy;
  if (pool.pattern !== undefined) def.pattern = pool.pattern;
  const from = pool.extensionFrom;
  if (from !== undefined) {
    def.mapping = { didPool: from.didPool, width: start.length, offset: from.offset ?? 0 };
  }
  return def;
}
