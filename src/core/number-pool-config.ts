/**
 * The allocation settings of a pool in the config: `policy` with its `pattern`, the
 * DID→extension mapping `extensionFrom`, and the documentation-only `department`/`role`
 * labels (rules pick pools per department or role by template; a label picks nothing).
 */
import type { ConfigReader, MapView } from './config-reader.ts';
import type { PoolConfig } from './config-types.ts';
import { compilePattern } from './number-pattern.ts';

const POLICIES = ['lowest', 'least-recently-used', 'random', 'pattern'] as const;

/** Reads policy, pattern, extensionFrom and the labels of one pool into `pool`. */
export function readPolicy(pool: PoolConfig, view: MapView): void {
  const policy = view.str('policy');
  const pattern = view.str('pattern');
  if (policy !== undefined && !(POLICIES as readonly string[]).includes(policy)) {
    view.problem('policy', `must be one of ${POLICIES.join(', ')}, not ${JSON.stringify(policy)}`);
  } else if (policy !== undefined) {
    pool.policy = policy as PoolConfig['policy'];
  }
  if (policy === 'pattern' && pattern === undefined) view.problem('pattern', 'is required');
  if (pattern !== undefined && policy !== 'pattern') {
    view.problem('pattern', 'is only read with policy: pattern');
  }
  if (pattern !== undefined) {
    try {
      compilePattern(pattern);
      pool.pattern = pattern;
    } catch (err) {
      view.problem('pattern', (err as Error).message);
    }
  }
  for (const key of ['department', 'role'] as const) {
    const label = view.str(key);
    if (label !== undefined) pool[key] = label;
  }
  readMapping(pool, view);
}

function readMapping(pool: PoolConfig, view: MapView): void {
  const from = view.map('extensionFrom', ['didPool', 'lastDigits', 'offset']);
  if (from === undefined) return;
  if (pool.kind !== 'extension') {
    view.problem('extensionFrom', 'only an extension pool follows a DID pool');
    return;
  }
  const didPool = from.str('didPool', { required: true });
  const width = pool.range.start.length;
  const lastDigits = from.has('lastDigits')
    ? from.num('lastDigits', { default: width, min: 1, integer: true })
    : undefined;
  const offset = from.has('offset') ? from.num('offset', { default: 0, integer: true }) : undefined;
  if (lastDigits !== undefined && lastDigits !== width) {
    from.problem(
      'lastDigits',
      `is ${lastDigits}, but the extensions of ${pool.name} have ` + `${width} digits`,
    );
  }
  if (didPool === undefined) return;
  pool.extensionFrom = { didPool };
  if (lastDigits !== undefined) pool.extensionFrom.lastDigits = lastDigits;
  if (offset !== undefined) pool.extensionFrom.offset = offset;
}

/** Each `extensionFrom.didPool` names a valid DID pool, followed by one extension pool only. */
export function checkMappings(
  reader: ConfigReader,
  views: MapView,
  pools: readonly PoolConfig[],
): void {
  const byName = new Map(pools.map((p) => [p.name, p]));
  const followers = new Map<string, string>();
  for (const pool of pools) {
    const didPool = pool.extensionFrom?.didPool;
    if (didPool === undefined) continue;
    const view = views.map(pool.name)?.map('extensionFrom');
    const target = byName.get(didPool);
    const fault =
      target === undefined
        ? `${didPool} is not a valid pool`
        : target.kind !== 'did'
          ? `${didPool} is an ${target.kind} pool, not a did pool`
          : followers.has(didPool)
            ? `${didPool} is already followed by pool ${followers.get(didPool)}`
            : undefined;
    if (fault !== undefined) {
      view?.problem('didPool', fault);
      if (view === undefined) reader.add(0, `pools.${pool.name}.extensionFrom`, fault);
    }
    followers.set(didPool, pool.name);
  }
}
