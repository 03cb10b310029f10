/**
 * Profiles compiled once for planning: templates parsed, resources in creation order, and a
 * rank per resource type (1 + the rank of what it depends on) that orders creates forwards and
 * deletes backwards across every profile.
 */
import type { CallsignConfig, ProfileConfig } from './config-types.ts';
import type { NumberKind } from './model.ts';
import { compileTemplate, type CompiledTemplate } from './template.ts';

export interface CompiledResource {
  target: string;
  type: string;
  key: CompiledTemplate;
  attributes: { name: string; template: CompiledTemplate; createOnly: boolean }[];
  dependsOn: string[];
  secret: boolean;
}

export interface CompiledProfiles {
  readonly compiled: true;
  /** Profile name → resources in creation order. */
  byName: Map<string, CompiledResource[]>;
  /** Resource type → rank; higher ranks depend on lower ones. */
  rank: Map<string, number>;
}

/** Source name → (attribute → number kind) for sources that take write-back. */
export type WriteBackMap = Record<string, Record<string, NumberKind>>;

/** Compiles profile templates; throws CallsignError(config) on a bad template. */
export function compileProfiles(profiles: Record<string, ProfileConfig>): CompiledProfiles {
  const rank = typeRanks(Object.values(profiles));
  const byName = new Map<string, CompiledResource[]>();
  for (const [name, profile] of Object.entries(profiles)) {
    const resources = profile.resources.map((res) => ({
      target: res.target,
      type: res.type,
      key: compileTemplate(res.key),
      attributes: Object.entries(res.attributes).map(([attr, t]) => ({
        name: attr,
        template: compileTemplate(t.value),
        createOnly: t.mode === 'create',
      })),
      dependsOn: res.dependsOn,
      secret: res.secret,
    }));
    resources.sort((a, b) => (rank.get(a.type) ?? 0) - (rank.get(b.type) ?? 0));
    byName.set(name, resources);
  }
  return { compiled: true, byName, rank };
}

/** The write-back map of a configuration's sources. */
export function writeBackOf(config: Pick<CallsignConfig, 'sources'>): WriteBackMap {
  const out: WriteBackMap = {};
  for (const source of config.sources) {
    // An HR source writes back only through Workday (src/connectors/workday).
    const map =
      source.type === 'ldap'
        ? source.writeBack
        : source.type === 'hr-file' && source.workday !== undefined
          ? (source.writeBack ?? {})
          : {};
    if (Object.keys(map).length > 0) out[source.name] = map;
  }
  return out;
}

function typeRanks(profiles: ProfileConfig[]): Map<string, number> {
  const deps = new Map<string, Set<string>>();
  for (const res of profiles.flatMap((p) => p.resources)) {
    const set = deps.get(res.type) ?? new Set<string>();
    for (const dep of res.dependsOn) set.add(dep);
    deps.set(res.type, set);
  }
  const rank = new Map<string, number>();
  const visiting = new Set<string>();
  const rankOf = (type: string): number => {
    const known = rank.get(type);
    if (known !== undefined) return known;
    // Config validation refuses cycles; this guard only keeps a bad input from recursing.
    if (visiting.has(type)) return 0;
    visiting.add(type);
    let value = 0;
    for (const dep of deps.get(type) ?? []) value = Math.max(value, rankOf(dep) + 1);
    visiting.delete(type);
    rank.set(type, value);
    return value;
  };
  for (const type of deps.keys()) rankOf(type);
  return rank;
}
