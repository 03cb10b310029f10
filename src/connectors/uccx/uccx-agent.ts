/**
 * The `uccx-agent` resource: a UCCX `resource` keyed by the CUCM user id. UCCX creates the
 * resource itself when it syncs a CUCM end user who has an IPCC extension; Callsign only
 * reads it, sets team, resource group and skills, and PUTs the whole object back (the Admin API
 * replaces the resource with what a PUT carries, so a partial body would drop fields).
 *
 * Ownership of skills: the `skills` attribute lists the skills Callsign manages for the agent.
 * Skills on the resource that Callsign never set (added by a supervisor in the admin pages) are
 * kept. A skill Callsign set before and no longer wants (known from the change's `before`) is
 * removed; a leaver loses exactly the skills, team and resource group Callsign gave.
 */
import type { Logger } from 'pino';

import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import type { TargetChange, TargetResult } from '../types.ts';
import type { CiscoRestClient } from '../ucce/cisco-rest.ts';
import { type XmlNode, attributeOf, child, list, textOf } from '../ucce/cisco-xml.ts';
import type { UccxCatalog } from './uccx-catalog.ts';
import { formatSkills, parseSkills } from './uccx-skills.ts';

export interface UccxContext {
  target: string;
  rest: CiscoRestClient;
  catalog: UccxCatalog;
  log: Logger;
}

/** Attributes a `uccx-agent` change may carry. */
export const UCCX_AGENT_ATTRIBUTES = ['team', 'resourceGroup', 'skills'] as const;

/** Reads the resource; null while UCCX has not synced the user (or after CUCM removed it). */
export async function readAgent(ctx: UccxContext, key: string): Promise<Attributes | null> {
  const doc = await getResource(ctx, key);
  if (doc === null) return null;
  const skills = list(child(doc, 'skillMap'), 'skillCompetency').map((c) => ({
    name: attributeOf(child(c, 'skillNameUriPair'), 'name') ?? '',
    level: Number(textOf(c, 'competencelevel') ?? '0'),
  }));
  return {
    userID: textOf(doc, 'userID') ?? key,
    extension: textOf(doc, 'extension') ?? '',
    team: attributeOf(child(doc, 'team'), 'name') ?? '',
    resourceGroup: attributeOf(child(doc, 'resourceGroup'), 'name') ?? '',
    skills: formatSkills(skills),
  };
}

/** Makes the resource carry the wanted team, resource group and skills (or takes them back). */
export async function applyAgent(ctx: UccxContext, change: TargetChange): Promise<TargetResult> {
  checkAttributes(ctx, change);
  const subject = `resource ${change.key}`;
  const doc = await getResource(ctx, change.key);
  if (doc === null) {
    if (change.action === 'delete') return { externalId: change.key, outcome: 'noop' };
    throw notSynced(ctx, change.key);
  }

  const next = structuredClone(doc);
  if (change.action === 'delete') await takeBack(ctx, next, change);
  else await setWanted(ctx, next, change);

  if (sameResource(ctx, doc, next)) return { externalId: change.key, outcome: 'noop' };
  await ctx.rest.put(resourcePath(change.key), 'resource', ordered(next), { subject });
  const outcome = change.action === 'delete' ? 'deleted' : 'updated';
  return { externalId: change.key, outcome };
}

async function setWanted(ctx: UccxContext, doc: XmlNode, change: TargetChange): Promise<void> {
  const who = { subject: `resource ${change.key}` };
  const { team, resourceGroup, skills } = change.attributes;
  if (team !== undefined && team !== '') {
    const found = await ctx.catalog.resolve('team', [team], { ...who, field: 'team' });
    doc.team = reference(ctx, team, found.get(team)!.ref);
  }
  if (resourceGroup !== undefined) {
    if (resourceGroup === '') delete doc.resourceGroup;
    else {
      const field = { ...who, field: 'resourceGroup' };
      const found = await ctx.catalog.resolve('resourceGroup', [resourceGroup], field);
      doc.resourceGroup = reference(ctx, resourceGroup, found.get(resourceGroup)!.ref);
    }
  }
  if (skills === undefined) return;
  const wanted = parseSkills(ctx.target, change.key, skills, 'skills');
  const old = parseSkills(ctx.target, change.key, change.before?.skills ?? '', 'before.skills');
  const names = [...wanted.keys()];
  const found = await ctx.catalog.resolve('skill', names, { ...who, field: 'skills' });
  const dropped = new Set([...old.keys()].filter((n) => !wanted.has(n)));
  const kept = competencies(doc).filter((c) => !dropped.has(c.name));
  // Keyed by the skill's reference, not its name: a renamed skill is still the same skill.
  const byRef = new Map<string, Competency>();
  for (const c of kept) byRef.set(ctx.rest.relative(c.ref), c);
  for (const [name, level] of wanted) {
    const ref = found.get(name)!.ref;
    byRef.set(ref, { name, ref, level });
  }
  doc.skillMap = skillMap(ctx, [...byRef.values()]);
}

/** A leaver: removes what Callsign gave (skills, team, resource group) and nothing else. */
async function takeBack(ctx: UccxContext, doc: XmlNode, change: TargetChange): Promise<void> {
  const given = parseSkills(ctx.target, change.key, change.attributes.skills ?? '', 'skills');
  const kept = competencies(doc).filter((c) => !given.has(c.name));
  doc.skillMap = skillMap(ctx, kept);
  const team = attributeOf(child(doc, 'team'), 'name');
  if (change.attributes.team !== undefined && team === change.attributes.team) {
    // Every resource belongs to a team; UCCX's own `Default` team is where unassigned go.
    const who = { subject: `resource ${change.key}`, field: 'team' };
    const found = await ctx.catalog.resolve('team', [DEFAULT_TEAM], who);
    doc.team = reference(ctx, DEFAULT_TEAM, found.get(DEFAULT_TEAM)!.ref);
  }
  const group = attributeOf(child(doc, 'resourceGroup'), 'name');
  if (change.attributes.resourceGroup !== undefined && group === change.attributes.resourceGroup) {
    delete doc.resourceGroup;
  }
}

interface Competency {
  name: string;
  /** Path of the skill, relative to the API base (`skill/2`). */
  ref: string;
  level: number;
}

function competencies(doc: XmlNode): Competency[] {
  return list(child(doc, 'skillMap'), 'skillCompetency').map((c) => {
    const pair = child(c, 'skillNameUriPair');
    return {
      name: attributeOf(pair, 'name') ?? '',
      ref: textOf(pair, 'refURL') ?? '',
      level: Number(textOf(c, 'competencelevel') ?? '0'),
    };
  });
}

function skillMap(ctx: UccxContext, items: Competency[]): XmlNode {
  if (items.length === 0) return {};
  return {
    skillCompetency: items.map((c) => ({
      competencelevel: String(c.level),
      skillNameUriPair: { '@_name': c.name, refURL: absolute(ctx, c.ref) },
    })),
  };
}

function reference(ctx: UccxContext, name: string, ref: string): XmlNode {
  return { '@_name': name, refURL: absolute(ctx, ref) };
}

/** The refURL as UCCX writes it (absolute); a foreign skill keeps the URL it came with. */
function absolute(ctx: UccxContext, ref: string): string {
  if (/^https?:\/\//.test(ref)) return ref;
  return ctx.rest.url(ref);
}

/** Compares what matters: team, resource group and the skill set with levels. */
function sameResource(ctx: UccxContext, a: XmlNode, b: XmlNode): boolean {
  const ref = (value: string | undefined) => ctx.rest.relative(value ?? '');
  const key = (doc: XmlNode) =>
    JSON.stringify({
      team: ref(textOf(child(doc, 'team'), 'refURL')),
      group: ref(textOf(child(doc, 'resourceGroup'), 'refURL')),
      skills: competencies(doc)
        .map((c) => `${ref(c.ref)}=${c.level}`)
        .sort(),
    });
  return key(a) === key(b);
}

/** The resource's elements in the Admin API's order; unknown ones follow as they came. */
function ordered(doc: XmlNode): XmlNode {
  const out: XmlNode = {};
  for (const name of ORDER) if (doc[name] !== undefined) out[name] = doc[name];
  for (const [name, value] of Object.entries(doc)) if (!(name in out)) out[name] = value;
  return out;
}

const ORDER = [
  'self',
  'userID',
  'firstName',
  'lastName',
  'extension',
  'alias',
  'resourceGroup',
  'skillMap',
  'autoAvailable',
  'type',
  'team',
  'primarySupervisorOf',
  'secondarySupervisorOf',
];

const DEFAULT_TEAM = 'Default';

async function getResource(ctx: UccxContext, key: string): Promise<XmlNode | null> {
  const doc = await ctx.rest.get(resourcePath(key), { subject: `resource ${key}` });
  if (doc === null) return null;
  const resource = child(doc, 'resource');
  if (resource === undefined) {
    const msg = `UCCX '${ctx.target}' answered resource ${key} without a <resource> element`;
    throw new CallsignError(ErrorCode.Unavailable, msg, { details: { target: ctx.target } });
  }
  return resource;
}

function resourcePath(key: string): string {
  return `resource/${encodeURIComponent(key)}`;
}

/**
 * The resource is not there yet: UCCX syncs CUCM users with an IPCC extension on its own
 * schedule. Retryable (the engine's backoff retries until the sync has run), and without
 * `retryAfterMs`, which would pause every other agent on this target too.
 */
function notSynced(ctx: UccxContext, key: string): CallsignError {
  const msg =
    `UCCX '${ctx.target}' has no resource '${key}' yet: it appears after UCCX syncs the CUCM ` +
    'user with an IPCC extension (check the cucm-user ipccExtension if this persists)';
  return new CallsignError(ErrorCode.Waiting, msg, {
    retryable: true,
    details: { target: ctx.target, type: 'uccx-agent', key, waitingFor: 'uccx-sync' },
  });
}

function checkAttributes(ctx: UccxContext, change: TargetChange): void {
  const allowed = UCCX_AGENT_ATTRIBUTES as readonly string[];
  const unknown = Object.keys(change.attributes).filter((n) => !allowed.includes(n));
  if (unknown.length === 0) return;
  const msg =
    `Target '${ctx.target}' uccx-agent '${change.key}': unknown attribute ` +
    `${unknown.map((u) => `'${u}'`).join(', ')} (team, resourceGroup, skills)`;
  throw new CallsignError(ErrorCode.Rejected, msg, {
    details: { target: ctx.target, key: change.key, fields: unknown },
  });
}
