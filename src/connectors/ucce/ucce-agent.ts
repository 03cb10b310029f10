/**
 * The `ucce-agent` resource: a UCCE/PCCE person (login name, names, password) and the agent
 * that uses it (peripheral agent id, description, skill groups by name), keyed by login name.
 *
 * - Create makes the person, then the agent, each answered with a `Location`. Names are
 *   resolved before anything is written, so a bad skill group leaves nothing behind; a person
 *   left without an agent by an earlier, interrupted create is found by login name and reused.
 * - Every PUT carries the changeStamp just read. A stale one (someone saved in between) is
 *   re-read and retried once; if it is stale again the operation fails `throttled`, retryable.
 * - Skill groups: the attribute lists those Callsign manages. Others on the agent are kept; one
 *   Callsign set before and no longer wants (the change's `before`) is removed.
 * - Agent team (`agentTeam`, a team name): membership lives on the team; see ucce-team.ts.
 * - Delete is deferred by UCCE: the agent and person stay, marked deleted, until the logger
 *   purges them. They leave the lists at once, so this connector treats "deleted but still
 *   present" as absent: read answers null, a second delete is a noop, and a rehire creates a new
 *   person and agent (the login name is free again among items not deleted).
 */
import type { Logger } from 'pino';

import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import type { TargetChange, TargetResult } from '../types.ts';
import type { CiscoRestClient } from './cisco-rest.ts';
import { apiErrorsOf } from './cisco-rest-errors.ts';
import { type XmlNode, child, list, textOf } from './cisco-xml.ts';
import { leaveTeam, placeInTeam } from './ucce-team.ts';

export interface UcceContext {
  target: string;
  rest: CiscoRestClient;
  log: Logger;
  /** Items read per list page (the API allows up to 100). */
  pageSize: number;
}

export const UCCE_AGENT_ATTRIBUTES = [
  'firstName',
  'lastName',
  'agentId',
  'description',
  'skillGroups',
  'agentTeam',
] as const;

/** Reads the agent by login name; null when there is none (or it is marked deleted). */
export async function readAgent(ctx: UcceContext, key: string): Promise<Attributes | null> {
  const agent = await findAgent(ctx, key);
  if (agent === undefined) return null;
  const person = child(agent, 'person');
  return {
    userName: textOf(person, 'userName') ?? key,
    firstName: textOf(person, 'firstName') ?? '',
    lastName: textOf(person, 'lastName') ?? '',
    agentId: textOf(agent, 'agentId') ?? '',
    description: textOf(agent, 'description') ?? '',
    skillGroups: groupsOf(agent)
      .map((g) => g.name)
      .sort()
      .join(','),
  };
}

export async function applyAgent(ctx: UcceContext, change: TargetChange): Promise<TargetResult> {
  checkAttributes(ctx, change);
  if (change.action === 'delete') return removeAgent(ctx, change);
  const wanted = splitNames(change.attributes.skillGroups);
  const groups = await resolveGroups(ctx, change.key, wanted);
  const teams = { wanted: change.attributes.agentTeam, previous: change.before?.agentTeam };

  const agent = await findAgent(ctx, change.key);
  if (agent === undefined) {
    const made = await createAgent(ctx, change, groups);
    await placeInTeam(ctx, change.key, made.path, teams);
    return { externalId: idOf(made.path), outcome: 'created' };
  }

  const agentPath = ctx.rest.relative(textOf(agent, 'refURL') ?? '');
  const personPath = ctx.rest.relative(textOf(child(agent, 'person'), 'refURL') ?? '');
  const dropped = splitNames(change.before?.skillGroups).filter((n) => !wanted.includes(n));
  const wrotePerson = await putFresh(ctx, personPath, 'person', change.key, (doc) =>
    personChanges(doc, change.attributes),
  );
  const wroteAgent = await putFresh(ctx, agentPath, 'agent', change.key, (doc) =>
    agentChanges(ctx, doc, change.attributes, { groups, dropped }),
  );
  const wroteTeam = await placeInTeam(ctx, change.key, agentPath, teams);
  const externalId = idOf(agentPath);
  const wrote = wrotePerson || wroteAgent || wroteTeam;
  return { externalId, outcome: wrote ? 'updated' : 'noop' };
}

async function createAgent(
  ctx: UcceContext,
  change: TargetChange,
  groups: Map<string, string>,
): Promise<{ path: string }> {
  const who = { subject: `agent ${change.key}` };
  const { firstName, lastName, agentId, description } = change.attributes;
  const orphan = await findPerson(ctx, change.key);
  let personPath: string;
  if (orphan === undefined) {
    const person: XmlNode = {
      firstName: firstName ?? '',
      lastName: lastName ?? '',
      userName: change.key,
      ...(change.secret === undefined ? {} : { password: change.secret }),
      loginEnabled: 'true',
    };
    personPath = await ctx.rest.create('person', 'person', person, {
      subject: `person ${change.key}`,
    });
  } else {
    personPath = ctx.rest.relative(textOf(orphan, 'refURL') ?? '');
    ctx.log.info({ key: change.key, person: personPath }, 'ucce person without agent reused');
    await putFresh(ctx, personPath, 'person', change.key, (doc) =>
      personChanges(doc, change.attributes),
    );
  }
  const body: XmlNode = {
    ...(agentId === undefined || agentId === '' ? {} : { agentId }),
    ...(description === undefined ? {} : { description }),
    person: { refURL: ctx.rest.url(personPath) },
    skillGroups: { skillGroup: [...groups.values()].map((ref) => ({ refURL: ref })) },
  };
  return { path: await ctx.rest.create('agent', 'agent', body, who) };
}

async function removeAgent(ctx: UcceContext, change: TargetChange): Promise<TargetResult> {
  const key = change.key;
  const agent = await findAgent(ctx, key);
  if (agent === undefined) return { externalId: key, outcome: 'noop' };
  const agentPath = ctx.rest.relative(textOf(agent, 'refURL') ?? '');
  const personPath = ctx.rest.relative(textOf(child(agent, 'person'), 'refURL') ?? '');
  // UCCE drops a deleted agent's membership itself; leaving first keeps the team right even
  // when the delete is held back, and a refused team update stops before anything is deleted.
  const team = change.attributes.agentTeam;
  if (team !== undefined && team !== '') await leaveTeam(ctx, key, agentPath, team);
  await ctx.rest.delete(agentPath, { subject: `agent ${key}` });
  // The person goes too: Callsign made it for this agent, and a rehire makes a new one.
  if (personPath !== '') await ctx.rest.delete(personPath, { subject: `person ${key}` });
  return { externalId: idOf(agentPath), outcome: 'deleted' };
}

/**
 * Read, change, PUT with the changeStamp just read. `changes` answers the body to PUT, or
 * undefined when nothing differs. A stale changeStamp is re-read and retried once.
 */
export async function putFresh(
  ctx: UcceContext,
  path: string,
  root: 'person' | 'agent' | 'agentTeam',
  key: string,
  changes: (doc: XmlNode) => XmlNode | undefined,
): Promise<boolean> {
  const who = { subject: `${root} ${key}` };
  for (let attempt = 1; ; attempt += 1) {
    const doc = child((await ctx.rest.get(path, who)) ?? undefined, root);
    if (doc === undefined) {
      const msg = `UCCE '${ctx.target}': ${root} ${key} vanished at ${path} while being updated`;
      throw new CallsignError(ErrorCode.NotFound, msg, { retryable: true, details: { path } });
    }
    const body = changes(doc);
    if (body === undefined) return false;
    try {
      await ctx.rest.put(
        path,
        root,
        { changeStamp: textOf(doc, 'changeStamp') ?? '', ...body },
        who,
      );
      return true;
    } catch (err) {
      if (!isStale(err)) throw err;
      ctx.log.warn({ key, path, attempt }, 'ucce changeStamp stale');
      if (attempt >= 2) {
        const msg =
          `UCCE '${ctx.target}': ${root} ${key} keeps changing under us (changeStamp stale ` +
          'twice); will retry later';
        throw new CallsignError(ErrorCode.Throttled, msg, { cause: err, details: { path } });
      }
    }
  }
}

function isStale(err: unknown): boolean {
  return apiErrorsOf(err).some(
    (e) =>
      /changestamp/i.test(e.errorType) ||
      (e.errorData === 'changeStamp' &&
        /stale|mismatch|changed/i.test(`${e.errorType} ${e.errorMessage}`)),
  );
}

function personChanges(doc: XmlNode, attrs: Record<string, string>): XmlNode | undefined {
  const body: XmlNode = {};
  for (const field of ['firstName', 'lastName'] as const) {
    const value = attrs[field];
    if (value !== undefined && value !== (textOf(doc, field) ?? '')) body[field] = value;
  }
  return Object.keys(body).length === 0 ? undefined : body;
}

function agentChanges(
  ctx: UcceContext,
  doc: XmlNode,
  attrs: Record<string, string>,
  skill: { groups: Map<string, string>; dropped: string[] },
): XmlNode | undefined {
  const body: XmlNode = {};
  for (const field of ['agentId', 'description'] as const) {
    const value = attrs[field];
    if (value !== undefined && value !== (textOf(doc, field) ?? '')) body[field] = value;
  }
  if (attrs.skillGroups !== undefined) {
    const current = groupsOf(doc);
    const kept = current.filter((g) => !skill.dropped.includes(g.name));
    const refs = new Set(kept.map((g) => ctx.rest.relative(g.ref)));
    for (const ref of skill.groups.values()) refs.add(ctx.rest.relative(ref));
    const before = new Set(current.map((g) => ctx.rest.relative(g.ref)));
    const same = before.size === refs.size && [...refs].every((r) => before.has(r));
    if (!same) {
      body.skillGroups = { skillGroup: [...refs].map((r) => ({ refURL: ctx.rest.url(r) })) };
    }
  }
  return Object.keys(body).length === 0 ? undefined : body;
}

function groupsOf(agent: XmlNode): { name: string; ref: string }[] {
  return list(child(agent, 'skillGroups'), 'skillGroup').map((g) => ({
    name: textOf(g, 'name') ?? '',
    ref: textOf(g, 'refURL') ?? '',
  }));
}

/** Skill group names to absolute refURLs; missing_reference naming the field and the names. */
async function resolveGroups(
  ctx: UcceContext,
  key: string,
  names: string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of names) {
    const found = await search(ctx, 'skillgroup', 'skillGroups', 'skillGroup', name, (g) =>
      sameName(textOf(g, 'name'), name),
    );
    if (found !== undefined)
      out.set(name, ctx.rest.url(ctx.rest.relative(textOf(found, 'refURL') ?? '')));
  }
  const missing = names.filter((n) => !out.has(n));
  if (missing.length > 0) {
    const msg =
      `UCCE '${ctx.target}' agent ${key}: skillGroups ` +
      `${missing.map((m) => `'${m}'`).join(', ')} does not exist`;
    throw new CallsignError(ErrorCode.MissingReference, msg, {
      retryable: false,
      details: { target: ctx.target, key, field: 'skillGroups', missing },
    });
  }
  return out;
}

function findAgent(ctx: UcceContext, key: string): Promise<XmlNode | undefined> {
  return search(ctx, 'agent', 'agents', 'agent', key, (a) =>
    sameName(textOf(child(a, 'person'), 'userName'), key),
  );
}

function findPerson(ctx: UcceContext, key: string): Promise<XmlNode | undefined> {
  return search(ctx, 'person', 'persons', 'person', key, (p) =>
    sameName(textOf(p, 'userName'), key),
  );
}

/**
 * Pages through a list filtered by `q` (a substring search over several fields) and keeps the
 * one item that matches exactly: `q=jdoe` also finds `jdoe2` and a Jane Jdoen.
 */
export async function search(
  ctx: UcceContext,
  kind: string,
  plural: string,
  single: string,
  q: string,
  exact: (node: XmlNode) => boolean,
): Promise<XmlNode | undefined> {
  for (let start = 0; ; start += ctx.pageSize) {
    const query = `q=${encodeURIComponent(q)}&startIndex=${start}&resultsPerPage=${ctx.pageSize}`;
    const path = `${kind}?${query}`;
    const doc = await ctx.rest.get(path, { subject: `${kind} ${q}` });
    const results = child(doc ?? undefined, 'results');
    const page = list(child(results, plural), single);
    const hit = page.find(exact);
    if (hit !== undefined) return hit;
    const total = Number(textOf(child(results, 'pageInfo'), 'totalResults') ?? '0');
    if (page.length === 0 || start + page.length >= total) return undefined;
  }
}

/** Login names and skill group names compare without regard to case, as UCCE does. */
export function sameName(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

function splitNames(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
}

function idOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function checkAttributes(ctx: UcceContext, change: TargetChange): void {
  const allowed = UCCE_AGENT_ATTRIBUTES as readonly string[];
  const unknown = Object.keys(change.attributes).filter((n) => !allowed.includes(n));
  if (unknown.length === 0) return;
  const msg =
    `Target '${ctx.target}' ucce-agent '${change.key}': unknown attribute ` +
    `${unknown.map((u) => `'${u}'`).join(', ')} (${allowed.join(', ')})`;
  throw new CallsignError(ErrorCode.Rejected, msg, {
    details: { target: ctx.target, key: change.key, fields: unknown },
  });
}
