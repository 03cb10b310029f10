/**
 * Validation of number pools: ranges of extensions (digits) or DIDs (E.164, checked with
 * libphonenumber-js in the pool's region), exclusions inside the range, and no two pools of one
 * kind sharing a number.
 */
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';
import type { ConfigReader, MapView } from './config-reader.ts';
import type { PoolConfig } from './config-types.ts';
import type { NumberKind } from './model.ts';
import { regionFault } from './phone.ts';
import { MAX_POOL_SIZE } from './pools.ts';
import { checkMappings, readPolicy } from './number-pool-config.ts';
import { readLeaverAndEmergency } from './pool-leaver-config.ts';

const POOL_KEYS = [
  'kind',
  'site',
  'region',
  'range',
  'exclude',
  'quarantineDays',
  'policy',
  'pattern',
  'extensionFrom',
  'department',
  'role',
  'leaverForward',
  'emergency',
] as const;
const POOL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface Span {
  pool: string;
  kind: NumberKind;
  start: bigint;
  end: bigint;
  width: number;
  line: number;
  text: string;
}

/**
 * Reads the `pools` mapping (name → pool), reporting every fault it finds. `declared` holds
 * every pool name with the kind it claims, valid or not, so references to a faulty pool do not
 * add follow-on errors.
 */
export function readPools(reader: ConfigReader, pools: MapView | undefined) {
  const declared = new Map<string, string | undefined>();
  const out: PoolConfig[] = [];
  if (pools === undefined) return { pools: out, declared };
  const spans: Span[] = [];
  for (const name of pools.entries.keys()) {
    const view = pools.map(name, POOL_KEYS);
    if (!POOL_NAME.test(name)) pools.problem(name, 'pool names use letters, digits, . _ -');
    if (view === undefined) continue;

    declared.set(name, reader.text(view.value('kind')));
    const pool = readPool(name, view);
    if (pool === undefined) continue;
    out.push(pool);
    const span = spanOf(pool, view.keyLine('range'));
    if (span !== undefined) spans.push(span);
  }
  reportOverlaps(reader, spans);
  checkMappings(reader, pools, out);
  return { pools: out, declared };
}

function readPool(name: string, view: MapView): PoolConfig | undefined {
  const kind = view.str('kind', { required: true });
  if (kind !== undefined && kind !== 'extension' && kind !== 'did') {
    view.problem('kind', `must be extension or did, not ${JSON.stringify(kind)}`);
  }
  const region = view.str('region');
  if (region !== undefined && !isSupportedCountry(region)) {
    const shown = JSON.stringify(region);
    view.problem('region', `${shown} is not an ISO 3166 region libphonenumber knows`);
  }
  const range = view.map('range', ['start', 'end'], true);
  const start = range?.str('start', { required: true });
  const end = range?.str('end', { required: true });
  const exclude = view.strings('exclude');
  const quarantineDays = view.num('quarantineDays', { default: 30, min: 0, integer: true });
  if ((kind !== 'extension' && kind !== 'did') || range === undefined) return undefined;
  if (start === undefined || end === undefined) return undefined;

  const pool: PoolConfig = { name, kind, range: { start, end }, exclude, quarantineDays };
  const site = view.str('site');
  if (site !== undefined) pool.site = site;
  if (region !== undefined) pool.region = region;
  if (!checkRange(pool, view, range)) return undefined;
  readPolicy(pool, view);
  readLeaverAndEmergency(pool, view);

  for (const value of exclude) {
    const fault = valueFault(pool, value) ?? outside(pool, value);
    if (fault !== undefined) view.problem('exclude', `${value} ${fault}`);
  }
  return pool;
}

function checkRange(pool: PoolConfig, view: MapView, range: MapView): boolean {
  const { start, end } = pool.range;
  const startFault = valueFault(pool, start);
  const endFault = valueFault(pool, end);
  if (startFault !== undefined) range.problem('start', `${start} ${startFault}`);
  if (endFault !== undefined) range.problem('end', `${end} ${endFault}`);
  if (startFault !== undefined || endFault !== undefined) return false;

  if (start.length !== end.length) {
    view.problem('range', `start ${start} and end ${end} have different lengths`);
    return false;
  }
  const size = BigInt(end.replace('+', '')) - BigInt(start.replace('+', '')) + 1n;
  if (size < 1n) {
    view.problem('range', `end ${end} is before start ${start}`);
    return false;
  }
  if (size > BigInt(MAX_POOL_SIZE)) {
    view.problem('range', `holds ${size} numbers; at most ${MAX_POOL_SIZE} per pool`);
    return false;
  }
  return true;
}

/** Why a value cannot be a number of this pool, or undefined when it can. */
function valueFault(pool: PoolConfig, value: string): string | undefined {
  if (pool.kind === 'extension') {
    return /^\d{1,15}$/.test(value) ? undefined : 'is not an extension (1 to 15 digits)';
  }

  const region =
    pool.region !== undefined && isSupportedCountry(pool.region)
      ? (pool.region as CountryCode)
      : undefined;
  const parsed = parsePhoneNumberFromString(value, region);
  if (parsed === undefined || !parsed.isPossible()) {
    return `is not a phone number${region === undefined ? ' (and the pool has no region)' : ''}`;
  }
  if (parsed.number !== value) return `is not E.164; write it as ${parsed.number}`;
  if (!parsed.isValid()) return `is not a valid number in region ${parsed.country ?? '?'}`;
  // Numbers of another country cannot be routed, nor located for emergency calls, as the pool's.
  return regionFault(parsed.number, region);
}

function outside(pool: PoolConfig, value: string): string | undefined {
  const { start, end } = pool.range;
  const inside = value.length === start.length && value >= start && value <= end;
  return inside ? undefined : `is outside the range ${start}-${end}`;
}

function spanOf(pool: PoolConfig, line: number): Span | undefined {
  const digits = (v: string) => v.replace('+', '');
  return {
    pool: pool.name,
    kind: pool.kind,
    start: BigInt(digits(pool.range.start)),
    end: BigInt(digits(pool.range.end)),
    width: pool.range.start.length,
    line,
    text: `${pool.range.start}-${pool.range.end}`,
  };
}

function reportOverlaps(reader: ConfigReader, spans: Span[]): void {
  for (let i = 0; i < spans.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = spans[j];
      const b = spans[i];
      // Values of different lengths are different numbers even when their digits compare.
      if (a.kind !== b.kind || a.width !== b.width) continue;
      if (a.start > b.end || b.start > a.end) continue;
      const msg = `${b.text} overlaps pool ${a.pool} (${a.text}, line ${a.line})`;
      reader.add(b.line, `pools.${b.pool}.range`, msg);
    }
  }
}
