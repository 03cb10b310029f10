/**
 * The routes every SCIM resource type answers (RFC 7644 §3.2–§3.6): list and `.search` on the
 * collection, create, and read, replace (PUT), patch and delete on one resource. Users and
 * Groups differ only in what each step does.
 */
import type { ScimDocument } from './normalize.ts';
import { normalizeResource } from './normalize.ts';
import { applyPatch } from './patch.ts';
import { ScimError } from './scim-error.ts';
import type { Routes, ScimContext, ScimRequest, ScimResponse } from './scim-handler.ts';
import type { ResourceKind } from './schemas.ts';

type Edit = (doc: ScimDocument, body: unknown) => ScimDocument;

/** What one resource type does at each step. */
export interface ResourceSteps {
  list(req: ScimRequest, ctx: ScimContext, search: boolean): Promise<ScimResponse>;
  create(req: ScimRequest, ctx: ScimContext): Promise<ScimResponse>;
  read(req: ScimRequest, ctx: ScimContext, id: string): Promise<ScimResponse>;
  change(req: ScimRequest, ctx: ScimContext, id: string, edit: Edit): Promise<ScimResponse>;
  remove(req: ScimRequest, ctx: ScimContext, id: string): Promise<ScimResponse>;
}

/** Routes under `/<endpoint>` (e.g. `Users`), dispatched to the resource type's steps. */
export function resourceRoutes(endpoint: string, kind: ResourceKind, steps: ResourceSteps) {
  const path = new RegExp(`^/${endpoint}(?:/([^/]+))?$`, 'i');
  const routes: Routes = async (req, ctx) => {
    const m = path.exec(req.path);
    if (m === null) return undefined;
    const id = m[1] === undefined ? undefined : decodeURIComponent(m[1]);

    if (id === undefined || id === '.search') {
      if (req.method === 'GET' && id === undefined) return steps.list(req, ctx, false);
      if (req.method === 'POST' && id === '.search') return steps.list(req, ctx, true);
      if (req.method === 'POST' && id === undefined) return steps.create(req, ctx);
      throw new ScimError(405, `${req.method} is not allowed on /${endpoint}`);
    }
    switch (req.method) {
      case 'GET':
        return steps.read(req, ctx, id);
      case 'PUT':
        return steps.change(req, ctx, id, (_, body) => normalizeResource(kind, body));
      case 'PATCH':
        return steps.change(req, ctx, id, (doc, body) => applyPatch(kind, doc, body));
      case 'DELETE':
        return steps.remove(req, ctx, id);
      default:
        throw new ScimError(405, `${req.method} is not allowed on /${endpoint}/${id}`);
    }
  };
  return routes;
}
