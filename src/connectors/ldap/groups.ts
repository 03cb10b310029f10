/**
 * Group memberships of LDAP people, as names rules can test (`"cc-agents" in person.groups`).
 * Groups are read once per read into a graph (group → members); a person's groups are their
 * direct ones (from `memberOf`, or from the graph) and, when nested, every group reached from
 * those, with cycles cut. Big groups come back from AD in ranges (`member;range=0-1499`), which
 * are followed until the last one (`member;range=1500-*`).
 */
import { AndFilter, ExtensibleFilter, FilterParser, type Client } from 'ldapts';

import type { LdapGroupsConfig } from '../../core/config-types.ts';
import { normalizeDn, parseDn } from './dn.ts';
import type { RawEntry } from './entry-mapper.ts';
import { pagedSearch } from './paged-search.ts';

/** What a ranged read needs from a client: a base search (ldapts's Client fits). */
export interface RangeClient {
  search(
    base: string,
    options: { scope: 'base'; filter: string; attributes: string[] },
  ): Promise<{ searchEntries: Record<string, unknown>[] }>;
}

/** Groups by normalised DN, and for each member DN (person or group) the groups holding it. */
export interface GroupGraph {
  names: Map<string, string>;
  parents: Map<string, string[]>;
  /** Nested memberships the server resolved (AD in-chain); replaces the walk when present. */
  inChain?: Map<string, string[]>;
}

/** Groups of AD (`group`) and OpenLDAP (`groupOfNames`, `groupOfUniqueNames`). */
export const DEFAULT_GROUP_FILTER =
  '(|(objectClass=group)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))';

/** Member attributes read from groups. */
export const MEMBER_ATTRIBUTES = ['member', 'uniqueMember'] as const;

/** Largest number of range requests for one attribute: a server that never ends is an error. */
const MAX_RANGES = 100_000;

/**
 * All values of `attribute` of an entry, following AD's ranged retrieval when the entry holds
 * only a range of them. Throws when a range answer makes no progress.
 */
export async function readRangedValues(
  client: RangeClient,
  entry: RawEntry,
  attribute: string,
): Promise<string[]> {
  const whole = valuesOf(entry, (key) => key.toLowerCase() === attribute.toLowerCase());
  let range = rangeOf(entry, attribute);
  if (range === undefined) return whole;

  const values = [...whole, ...range.values];
  for (let request = 1; range.end !== undefined; request++) {
    if (request > MAX_RANGES) throw new Error(`${attribute} of '${entry.dn}' never ends`);
    const start = range.end + 1;
    const wanted = `${attribute};range=${start}-*`;
    const { searchEntries } = await client.search(entry.dn, {
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: [wanted],
    });
    const next = searchEntries[0] as RawEntry | undefined;
    const got = next === undefined ? undefined : rangeOf(next, attribute);
    if (got === undefined) break;
    if (got.start !== start || (got.end !== undefined && got.end < start)) {
      const span = `${got.start}-${got.end ?? '*'}`;
      throw new Error(`${attribute} of '${entry.dn}': asked from ${start}, got range ${span}`);
    }
    values.push(...got.values);
    range = got;
  }
  return values;
}

/** Reads every group under the base (paged), each with all its members, into a graph. */
export async function readGroupGraph(
  client: Client,
  options: { baseDn: string; filter?: string; pageSize: number },
): Promise<GroupGraph> {
  const groups: { dn: string; cn?: string; members: string[] }[] = [];
  const pager = pagedSearch(client, options.baseDn, {
    filter: options.filter ?? DEFAULT_GROUP_FILTER,
    attributes: ['cn', ...MEMBER_ATTRIBUTES],
    pageSize: options.pageSize,
  });
  for await (const page of pager) {
    for (const entry of page) {
      const members: string[] = [];
      for (const attribute of MEMBER_ATTRIBUTES) {
        members.push(...(await readRangedValues(client, entry, attribute)));
      }
      const cn = valuesOf(entry, (key) => key.toLowerCase() === 'cn')[0];
      groups.push(cn === undefined ? { dn: entry.dn, members } : { dn: entry.dn, cn, members });
    }
  }
  return buildGroupGraph(groups);
}

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: matches through any depth of nested membership. */
export const IN_CHAIN_RULE = '1.2.840.113556.1.4.1941';

/**
 * On AD, the groups each person belongs to at any depth, from the server: one search per group
 * for the people under baseDn (and the people filter) that are members of it in chain. The DC
 * resolves nesting and cycles itself. Returns person DN (normalised) → group DNs (normalised).
 */
export async function readInChainMemberships(
  client: Client,
  options: { baseDn: string; filter: string; pageSize: number; groups: Iterable<string> },
): Promise<Map<string, string[]>> {
  const people = FilterParser.parseString(options.filter);
  const memberships = new Map<string, string[]>();
  for (const spelled of options.groups) {
    const group = safeNormalize(spelled);
    const inChain = new ExtensibleFilter({
      matchType: 'memberOf',
      rule: IN_CHAIN_RULE,
      value: spelled,
    });
    const filter = new AndFilter({ filters: [people, inChain] });
    const pager = pagedSearch(client, options.baseDn, {
      filter,
      attributes: ['1.1'],
      pageSize: options.pageSize,
    });
    for await (const page of pager) {
      for (const entry of page) {
        const dn = safeNormalize(entry.dn);
        const list = memberships.get(dn);
        if (list === undefined) memberships.set(dn, [group]);
        else list.push(group);
      }
    }
  }
  return memberships;
}

/** Builds the graph from group entries, after their member values are complete. */
export function buildGroupGraph(groups: { dn: string; cn?: string; members: string[] }[]) {
  const graph: GroupGraph = { names: new Map(), parents: new Map() };
  for (const group of groups) {
    const dn = safeNormalize(group.dn);
    // The RDN's cn names the group; a multi-valued cn attribute would be ambiguous.
    const fromDn = nameOfDn(group.dn);
    graph.names.set(dn, /^\s*cn=/i.test(group.dn) ? fromDn : (group.cn ?? fromDn));
    for (const member of group.members) {
      // uniqueMember may carry an optional `#'0101'B` unique identifier after the DN.
      const key = safeNormalize(member.replace(/#'[01]*'B$/, ''));
      const list = graph.parents.get(key);
      if (list === undefined) graph.parents.set(key, [dn]);
      else if (!list.includes(dn)) list.push(dn);
    }
  }
  return graph;
}

/**
 * The sorted group names of one person. `memberOf` gives the direct groups when configured;
 * otherwise the graph does. Nested groups come from the server's in-chain answer when the
 * graph holds one, else from walking the graph upwards; a cycle ends the walk.
 */
export function personGroups(options: {
  dn: string;
  memberOf: string[] | undefined;
  graph: GroupGraph | undefined;
  config: LdapGroupsConfig;
}): string[] {
  const { dn, memberOf, graph, config } = options;
  const inChain = graph?.inChain;
  // The DNs as the server spelled them, so that names keep their case.
  const spelled = new Map((memberOf ?? []).map((group) => [safeNormalize(group), group]));
  const direct = config.memberOf
    ? [...spelled.keys()]
    : (graph?.parents.get(safeNormalize(dn)) ?? []);
  const seen = new Set<string>(direct);
  if (config.nested && inChain !== undefined) {
    for (const group of inChain.get(safeNormalize(dn)) ?? []) seen.add(group);
  }
  const queue = inChain === undefined ? [...direct] : [];
  while (config.nested && graph !== undefined && queue.length > 0) {
    for (const parent of graph.parents.get(queue.shift()!) ?? []) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      queue.push(parent);
    }
  }
  const names = [...seen].map(
    (group) => graph?.names.get(group) ?? nameOfDn(spelled.get(group) ?? group),
  );
  return [...new Set(names)].sort();
}

/** A group's name from its DN: the value of a leading `cn=`, else the normalised DN. */
export function nameOfDn(dn: string): string {
  try {
    const first = parseDn(dn)[0];
    if (first?.length === 1 && first[0]!.type.toLowerCase() === 'cn') return first[0]!.value;
  } catch {
    // A malformed DN is named by itself.
  }
  return safeNormalize(dn);
}

interface Range {
  start: number;
  /** Absent for the last range (`-*`). */
  end?: number;
  values: string[];
}

/** The ranged values of `attribute` in an entry; undefined when it holds no range. */
function rangeOf(entry: RawEntry, attribute: string): Range | undefined {
  const prefix = `${attribute.toLowerCase()};range=`;
  let found: Range | undefined;
  for (const [key, raw] of Object.entries(entry)) {
    const lower = key.toLowerCase();
    if (!lower.startsWith(prefix)) continue;
    const match = /^(\d+)-(\d+|\*)$/.exec(lower.slice(prefix.length));
    if (match === null) continue;
    const values = toStrings(raw);
    // ldapts adds the requested name with no values when the server answered under another.
    if (values.length === 0 && found !== undefined) continue;
    const range: Range = { start: Number(match[1]), values };
    if (match[2] !== '*') range.end = Number(match[2]);
    if (found === undefined || values.length > 0) found = range;
  }
  return found;
}

function valuesOf(entry: RawEntry, wanted: (key: string) => boolean): string[] {
  const out: string[] = [];
  for (const [key, raw] of Object.entries(entry))
    if (key !== 'dn' && wanted(key)) {
      out.push(...toStrings(raw));
    }
  return out;
}

function toStrings(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

function safeNormalize(dn: string): string {
  try {
    return normalizeDn(dn);
  } catch {
    return dn.trim().toLowerCase();
  }
}
