/**
 * /Groups: groups and their members. Membership is lifecycle input (rules read a user's group
 * names as `groups`), so every change of a group's members sends the records of the users who
 * joined or left to `notify`.
 */
import { randomUUID } from 'node:crypto';

import { isObject } from './filter-eval.ts';
import { listResponse, runQuery } from './list-query.ts';
import { checkRequired, normalizeResource, type ScimDocument } from './normalize.ts';
import { groupRepresentation, project } from './representation.ts';
import {
  checkIfMatch,
  etagHeaders,
  ifMatchVersion,
  jsonBody,
  listParams,
  notModified,
  queryProjection,
  wantsBody,
} from './request-utils.ts';
import { badRequest, ScimError, ScimType } from './scim-error.ts';
import { resourceRoutes } from './resource-routes.ts';
import type { Routes, ScimContext, ScimRequest, ScimResponse } from './scim-handler.ts';
import type { Member, StoredGroup } from './scim-store.ts';
import { GROUP_KIND } from './schemas.ts';
import { record, represent } from './users.ts';

/** Routes under /Groups. */
export const groupRoutes: Routes = resourceRoutes('Groups', GROUP_KIND, {
  list,
  create,
  read,
  change,
  remove,
});

async function create(req: ScimRequest, ctx: ScimContext): Promise<ScimResponse> {
  const doc = normalizeResource(GROUP_KIND, jsonBody(req));
  const now = ctx.clock().toISOString();
  const id = randomUUID();
  const group = await toStored(ctx, doc, { id, version: 1, created: now, modified: now });
  await ctx.store.insertGroup(group);
  await notifyMembers(req, ctx, [], group.members);
  const rep = groupRepresentation(group, req.baseUrl);
  const headers = { ...etagHeaders(1), location: `${req.baseUrl}/Groups/${id}` };
  return { status: 201, headers, body: project(GROUP_KIND, rep, queryProjection(req)) };
}

async function read(req: ScimRequest, ctx: ScimContext, id: string): Promise<ScimResponse> {
  const group = await load(ctx, id);
  if (notModified(req, group.version)) return { status: 304, headers: etagHeaders(group.version) };
  return {
    status: 200,
    headers: etagHeaders(group.version),
    body: project(GROUP_KIND, groupRepresentation(group, req.baseUrl), queryProjection(req)),
  };
}

async function change(
  req: ScimRequest,
  ctx: ScimContext,
  id: string,
  compute: (doc: ScimDocument, body: unknown) => ScimDocument,
): Promise<ScimResponse> {
  const body = jsonBody(req);
  for (let attempt = 0; ; attempt++) {
    const group = await load(ctx, id);
    checkIfMatch(req, group.version);
    const current = documentOf(group);
    const doc = compute(current, body);
    checkRequired(GROUP_KIND, doc);
    if (JSON.stringify(doc) === JSON.stringify(current)) {
      return answer(req, group);
    }

    const next = await toStored(ctx, doc, {
      id,
      version: group.version + 1,
      created: group.created,
      modified: ctx.clock().toISOString(),
    });
    if (await ctx.store.updateGroup(next, group.version)) {
      await notifyMembers(req, ctx, group.members, next.members);
      return answer(req, next);
    }
    if (ifMatchVersion(req) !== undefined || attempt >= 3) {
      throw new ScimError(412, `group ${id} was changed by another request`);
    }
  }
}

async function remove(req: ScimRequest, ctx: ScimContext, id: string): Promise<ScimResponse> {
  const group = await load(ctx, id);
  checkIfMatch(req, group.version);
  if (!(await ctx.store.deleteGroup(id, group.version))) {
    throw new ScimError(412, `group ${id} was changed by another request`);
  }
  await notifyMembers(req, ctx, group.members, []);
  return { status: 204, headers: {} };
}

async function list(req: ScimRequest, ctx: ScimContext, search: boolean): Promise<ScimResponse> {
  const params = listParams(req, search);
  const reps = (await ctx.store.listGroups()).map((g) => groupRepresentation(g, req.baseUrl));
  const { total, page } = runQuery(GROUP_KIND, reps, params);
  const shown = page.map((r) => project(GROUP_KIND, r, params));
  return { status: 200, headers: {}, body: listResponse(total, shown, params.startIndex) };
}

/** Splits members out of the document and checks that each names a user or a group. */
async function toStored(
  ctx: ScimContext,
  doc: ScimDocument,
  meta: { id: string; version: number; created: string; modified: string },
): Promise<StoredGroup> {
  const { members: raw, ...rest } = doc;
  const given = (Array.isArray(raw) ? raw : []).filter(isObject);
  const ids = given.map((m, i) => {
    if (typeof m.value !== 'string' || m.value === '') {
      throw badRequest(ScimType.InvalidValue, `members[${i}].value is required`);
    }
    return m.value;
  });
  const kinds = await ctx.store.kindsOf(ids);
  const missing = ids.filter((v) => !kinds.has(v));
  if (missing.length > 0) {
    throw badRequest(ScimType.InvalidValue, `members name no user or group: ${missing.join(', ')}`);
  }
  if (ids.includes(meta.id)) {
    throw badRequest(ScimType.InvalidValue, 'A group cannot contain itself');
  }
  const members: Member[] = ids.map((value) => ({ value, type: kinds.get(value)! }));
  return { ...meta, displayName: rest.displayName as string, document: rest, members };
}

/** The stored document with members, as PATCH and PUT see it. */
function documentOf(group: StoredGroup): ScimDocument {
  const doc: ScimDocument = { ...group.document, displayName: group.displayName };
  if (group.members.length > 0) {
    doc.members = group.members.map((m) => ({ value: m.value, type: m.type }));
  }
  return doc;
}

/** Sends the records of users who joined or left. */
async function notifyMembers(
  req: ScimRequest,
  ctx: ScimContext,
  before: Member[],
  after: Member[],
) {
  const was = new Set(before.filter((m) => m.type === 'User').map((m) => m.value));
  const is = new Set(after.filter((m) => m.type === 'User').map((m) => m.value));
  const changed = [...is].filter((id) => !was.has(id)).concat([...was].filter((id) => !is.has(id)));
  const records = [];
  for (const id of changed) {
    const user = await ctx.store.getUser(id);
    if (user !== undefined) records.push(record(ctx, await represent(ctx, user, req.baseUrl)));
  }
  await ctx.notify(records, req);
}

async function load(ctx: ScimContext, id: string): Promise<StoredGroup> {
  const group = await ctx.store.getGroup(id);
  if (group === undefined) throw new ScimError(404, `Group ${id} not found`);
  return group;
}

function answer(req: ScimRequest, group: StoredGroup): ScimResponse {
  if (!wantsBody(req)) return { status: 204, headers: etagHeaders(group.version) };
  return {
    status: 200,
    headers: etagHeaders(group.version),
    body: project(GROUP_KIND, groupRepresentation(group, req.baseUrl), queryProjection(req)),
  };
}
