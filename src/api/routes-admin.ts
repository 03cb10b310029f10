/** Audit, status and tokens: twins of `callsign audit`, `status` and `tokens …`. */
import { TOKEN_SCOPES, type TokenScope } from './token-store.ts';
import { listOf, ref, type RouteDef } from './route.ts';

/** The audit, status and token routes. */
export const adminRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/audit',
    scope: 'read',
    tag: 'audit',
    summary: 'Who or what changed what, newest first',
    query: {
      person: { schema: { type: 'string' }, description: 'only this person' },
      run: { schema: { type: 'string' }, description: 'only this run' },
      action: { schema: { type: 'string' }, description: 'only this action, e.g. operation.done' },
      since: { schema: { type: 'string', format: 'date-time' }, description: 'at or after' },
      limit: {
        schema: { type: 'integer', minimum: 1, maximum: 10000 },
        description: 'at most this many entries; default 50',
      },
    },
    response: { status: 200, description: 'Audit entries', schema: listOf('AuditEntry') },
    errors: [400],
    handler: async (req, { engine }) => ({
      body: await engine.store.queryAudit({
        personId: req.query.person as string | undefined,
        runId: req.query.run as string | undefined,
        action: req.query.action as string | undefined,
        since: req.query.since as string | undefined,
        limit: (req.query.limit as number | undefined) ?? 50,
      }),
    }),
  },
  {
    method: 'get',
    path: '/status',
    scope: 'read',
    tag: 'audit',
    summary: 'Recent runs, open and failed operations, pool usage',
    response: { status: 200, description: 'The status', schema: ref('Status') },
    handler: async (_req, { engine }) => {
      const { store } = engine;
      const [runs, failed, open, pools] = await Promise.all([
        store.listRuns(10),
        store.listOperations({ state: ['failed'] }),
        store.countOpen(),
        store.poolUsage(engine.clock()),
      ]);
      return { body: { runs, openOperations: open, failedOperations: failed, pools } };
    },
  },
  {
    method: 'get',
    path: '/tokens',
    scope: 'admin',
    tag: 'tokens',
    summary: 'Every API token (never the token itself)',
    response: { status: 200, description: 'The tokens', schema: listOf('Token') },
    handler: async (_req, { tokens }) => ({ body: await tokens.list() }),
  },
  {
    method: 'post',
    path: '/tokens',
    scope: 'admin',
    tag: 'tokens',
    summary: 'Make a token; the answer is the only time it is shown',
    body: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 64 },
        scope: { type: 'string', enum: TOKEN_SCOPES },
      },
      required: ['name', 'scope'],
    },
    response: { status: 201, description: 'The new token', schema: ref('NewToken') },
    errors: [400, 409],
    handler: async (req, { tokens }) => {
      const made = await tokens.create({
        name: req.body.name as string,
        scope: req.body.scope as TokenScope,
        actor: req.actor,
      });
      return { status: 201, body: { token: made.token, ...made.info } };
    },
  },
  {
    method: 'post',
    path: '/tokens/{name}/revoke',
    scope: 'admin',
    tag: 'tokens',
    summary: 'Revoke a token: it stops working at once',
    params: { name: 'token name' },
    body: { type: 'object', properties: {} },
    response: { status: 200, description: 'The token, revoked', schema: ref('Token') },
    errors: [404, 409],
    handler: async (req, { tokens }) => ({
      body: await tokens.revoke(req.params.name!, req.actor),
    }),
  },
];
