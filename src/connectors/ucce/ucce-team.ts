/**
 * Agent team membership of a `ucce-agent` (attribute `agentTeam`, a team name; '' for none).
 * UCCE keeps membership on the team: `agentteam/{id}` carries the whole `agents` list, and a
 * PUT replaces it, with the team's current changeStamp like every update. An agent may be in
 * one team only, so a mover leaves the team Callsign put it in (the change's `before`) before
 * joining the new one; a team someone else put the agent in is left alone, and UCCE's refusal
 * to add the agent to a second team comes back as the operation's error.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { type XmlNode, child, list, textOf } from './cisco-xml.ts';
import { type UcceContext, putFresh, sameName, search } from './ucce-agent.ts';

/**
 * Moves the agent (its path, `agent/5001`) from `previous` to `wanted`. Undefined `wanted`
 * leaves membership unmanaged. Returns whether a team was written.
 */
export async function placeInTeam(
  ctx: UcceContext,
  key: string,
  agentPath: string,
  teams: { wanted: string | undefined; previous: string | undefined },
): Promise<boolean> {
  const { wanted, previous } = teams;
  if (wanted === undefined) return false;
  let wrote = false;
  if (previous !== undefined && previous !== '' && !sameName(previous, wanted)) {
    wrote = await leaveTeam(ctx, key, agentPath, previous);
  }
  if (wanted === '') return wrote;
  const team = await findTeam(ctx, wanted);
  if (team === undefined) {
    const msg = `UCCE '${ctx.target}' agent ${key}: agentTeam '${wanted}' does not exist`;
    throw new CallsignError(ErrorCode.MissingReference, msg, {
      retryable: false,
      details: { target: ctx.target, key, field: 'agentTeam', missing: [wanted] },
    });
  }
  const joined = await putFresh(ctx, teamPath(ctx, team), 'agentTeam', key, (doc) => {
    const members = membersOf(ctx, doc);
    if (members.includes(agentPath)) return undefined;
    return agentsBody(ctx, [...members, agentPath]);
  });
  return wrote || joined;
}

/** Takes the agent out of the named team; a team that is gone, or lacks the agent, is a noop. */
export async function leaveTeam(
  ctx: UcceContext,
  key: string,
  agentPath: string,
  name: string,
): Promise<boolean> {
  const team = await findTeam(ctx, name);
  if (team === undefined) return false;
  return putFresh(ctx, teamPath(ctx, team), 'agentTeam', key, (doc) => {
    const members = membersOf(ctx, doc);
    if (!members.includes(agentPath)) return undefined;
    return agentsBody(
      ctx,
      members.filter((m) => m !== agentPath),
    );
  });
}

function findTeam(ctx: UcceContext, name: string): Promise<XmlNode | undefined> {
  return search(ctx, 'agentteam', 'agentTeams', 'agentTeam', name, (t) =>
    sameName(textOf(t, 'name'), name),
  );
}

function teamPath(ctx: UcceContext, team: XmlNode): string {
  return ctx.rest.relative(textOf(team, 'refURL') ?? '');
}

/** Member agents as relative paths (`agent/5001`). */
function membersOf(ctx: UcceContext, team: XmlNode): string[] {
  return list(child(team, 'agents'), 'agent').map((a) =>
    ctx.rest.relative(textOf(a, 'refURL') ?? ''),
  );
}

/** The whole `agents` list: the PUT replaces the team's members with exactly these. */
function agentsBody(ctx: UcceContext, members: string[]): XmlNode {
  return { agents: { agent: members.map((m) => ({ refURL: ctx.rest.url(m) })) } };
}
