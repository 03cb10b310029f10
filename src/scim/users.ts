/**
 * /Users: create (with the rehire rule), read, list, replace, patch, delete. userName is unique
 * without regard to case (S5); a POST with the userName of a deactivated user reactivates that
 * user under the same id (a rehire, so Callsign gives back the quarantined number), while an
 * active one gets 409 uniqueness. Every change goes to `notify` before the response.
 */
import { randomUUID } from 'node:crypto';

import type { FilterNode } from './filter-parser.ts';
import { listResponse, runQuery } from './list-query.ts';
import { checkRequired, normalizeResource, type ScimDocument } from './normalize.ts';
import { project, userRepresentation } from './representation.ts';
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
import { ScimError, ScimType } from './scim-error.ts';
import { resourceRoutes } from './resource-routes.ts';
import type { Routes, ScimContext, ScimRequest, ScimResponse } from './scim-handler.ts';
import type { StoredUser } from './scim-store.ts';
import { SCHEMA, USER_KIND } from './schemas.ts';
import { toSourceRecord } from './source-records.ts';

/** Routes under /Users. */
export const userRoutes: Routes = resourceRoutes('Users', USER_KIND, {
  list,
  create,
  read,
  change,
  remove,
});

async function create(req: ScimRequest, ctx: ScimContext): Promise<ScimResponse> {
  const doc = normalizeResource(USER_KIND, jsonBody(req));
  doc.active ??= true;
  const userName = doc.userName as string;
  const now = ctx.clock().toISOString();
  const existing = await ctx.store.findUserByName(userName);
  if (existing?.active) {
    throw new ScimError(
      409,
      `userName ${userName} is already taken by user ${existing.id}`,
      ScimType.Uniqueness,
    );
  }

  let user: StoredUser;
  if (existing !== undefined) {
    // A rehire: the same id, so the person, their history and quarantined numbers come back.
    user = {
      ...existing,
      userName,
      active: doc.active === true,
      document: doc,
      version: existing.version + 1,
      modified: now,
    };
    if (!(await ctx.store.updateUser(user, existing.version))) {
      throw new ScimError(409, `user ${existing.id} changed during the request; retry`);
    }
    ctx.log.info({ userId: user.id }, 'scim user rehired');
  } else {
    user = {
      id: randomUUID(),
      userName,
      active: doc.active === true,
      document: doc,
      version: 1,
      created: now,
      modified: now,
    };
    await ctx.store.insertUser(user);
  }

  const rep = await represent(ctx, user, req.baseUrl);
  await ctx.notify([record(ctx, rep)], req);
  const headers = { ...etagHeaders(user.version), location: `${req.baseUrl}/Users/${user.id}` };
  return { status: 201, headers, body: project(USER_KIND, rep, queryProjection(req)) };
}

async function read(req: ScimRequest, ctx: ScimContext, id: string): Promise<ScimResponse> {
  const user = await load(ctx, id);
  if (notModified(req, user.version)) return { status: 304, headers: etagHeaders(user.version) };
  const rep = await represent(ctx, user, req.baseUrl);
  return {
    status: 200,
    headers: etagHeaders(user.version),
    body: project(USER_KIND, rep, queryProjection(req)),
  };
}

/** PUT and PATCH: compute the new document from the stored one, write it if still current. */
async function change(
  req: ScimRequest,
  ctx: ScimContext,
  id: string,
  compute: (doc: ScimDocument, body: unknown) => ScimDocument,
): Promise<ScimResponse> {
  const body = jsonBody(req);
  // Without If-Match a write that lost a race is computed again on the newer version.
  for (let attempt = 0; ; attempt++) {
    const user = await load(ctx, id);
    checkIfMatch(req, user.version);
    const doc = compute(user.document, body);
    doc.active ??= user.active;
    checkRequired(USER_KIND, doc);
    if (JSON.stringify(doc) === JSON.stringify(user.document)) {
      if (!wantsBody(req)) return { status: 204, headers: etagHeaders(user.version) };
      return answer(req, ctx, user, 200);
    }

    const next: StoredUser = {
      ...user,
      userName: doc.userName as string,
      active: doc.active === true,
      document: doc,
      version: user.version + 1,
      modified: ctx.clock().toISOString(),
    };
    if (await ctx.store.updateUser(next, user.version)) {
      const rep = await represent(ctx, next, req.baseUrl);
      await ctx.notify([record(ctx, rep)], req);
      return answerWith(req, next, rep);
    }
    if (ifMatchVersion(req) !== undefined || attempt >= 3) {
      throw new ScimError(412, `user ${id} was changed by another request`);
    }
  }
}

async function remove(req: ScimRequest, ctx: ScimContext, id: string): Promise<ScimResponse> {
  const user = await load(ctx, id);
  checkIfMatch(req, user.version);
  const rep = await represent(ctx, user, req.baseUrl);
  if (!(await ctx.store.deleteUser(id, user.version))) {
    throw new ScimError(412, `user ${id} was changed by another request`);
  }
  await ctx.notify([record(ctx, rep, true)], req);
  return { status: 204, headers: {} };
}

async function list(req: ScimRequest, ctx: ScimContext, search: boolean): Promise<ScimResponse> {
  const params = listParams(req, search);
  const byName = userNameEquals(params.filter);
  const users =
    byName === undefined
      ? await ctx.store.listUsers()
      : [await ctx.store.findUserByName(byName)].filter((u) => u !== undefined);
  const groups = await ctx.store.groupsByUser(
    byName === undefined ? undefined : users.map((u) => u.id),
  );
  // The telecom extension costs store reads per user: only for the page, unless filtered on.
  const telecomFirst =
    JSON.stringify(params.filter ?? '').includes(SCHEMA.Telecom) ||
    (params.sortBy ?? '').toLowerCase().includes(SCHEMA.Telecom.toLowerCase());
  const reps = await Promise.all(
    users.map(async (user) =>
      userRepresentation({
        user,
        groups: groups.get(user.id) ?? [],
        baseUrl: req.baseUrl,
        telecom: telecomFirst ? await ctx.telecom(user.id) : undefined,
      }),
    ),
  );
  const { total, page } = runQuery(USER_KIND, reps, params);
  const full = telecomFirst
    ? page
    : await Promise.all(
        page.map(async (rep) => {
          const telecom = await ctx.telecom(String(rep.id));
          const user = users.find((u) => u.id === rep.id)!;
          return telecom === undefined
            ? rep
            : userRepresentation({
                user,
                groups: groups.get(user.id) ?? [],
                baseUrl: req.baseUrl,
                telecom,
              });
        }),
      );
  const shown = full.map((r) => project(USER_KIND, r, params));
  return { status: 200, headers: {}, body: listResponse(total, shown, params.startIndex) };
}

/** `userName eq "x"`, the lookup Entra and Okta make before every create, goes to the index. */
function userNameEquals(filter: FilterNode | undefined): string | undefined {
  if (filter?.op !== 'eq' || filter.path.sub !== undefined) return undefined;
  if (filter.path.attr.toLowerCase() !== 'username' || typeof filter.value !== 'string') {
    return undefined;
  }
  const schema = filter.path.schema?.toLowerCase();
  return schema === undefined || schema === SCHEMA.User.toLowerCase() ? filter.value : undefined;
}

async function load(ctx: ScimContext, id: string): Promise<StoredUser> {
  const user = await ctx.store.getUser(id);
  if (user === undefined) throw new ScimError(404, `User ${id} not found`);
  return user;
}

/** The user as returned, with groups and the telecom extension. */
export async function represent(ctx: ScimContext, user: StoredUser, baseUrl: string) {
  const groups = (await ctx.store.groupsByUser([user.id])).get(user.id) ?? [];
  return userRepresentation({ user, groups, baseUrl, telecom: await ctx.telecom(user.id) });
}

/** The lifecycle record of a user representation. */
export function record(ctx: ScimContext, rep: ScimDocument, deleted = false) {
  return toSourceRecord({ source: ctx.source, mapping: ctx.mapping, user: rep, deleted });
}

async function answer(req: ScimRequest, ctx: ScimContext, user: StoredUser, status: number) {
  const rep = await represent(ctx, user, req.baseUrl);
  return {
    status,
    headers: etagHeaders(user.version),
    body: project(USER_KIND, rep, queryProjection(req)),
  };
}

function answerWith(req: ScimRequest, user: StoredUser, rep: ScimDocument): ScimResponse {
  if (!wantsBody(req)) return { status: 204, headers: etagHeaders(user.version) };
  return {
    status: 200,
    headers: etagHeaders(user.version),
    body: project(USER_KIND, rep, queryProjection(req)),
  };
}
