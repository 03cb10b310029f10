/**
 * The HTTP application of `callsign serve`: the REST API under /api/v1 (routes declared in the
 * routes-*.ts files), SCIM 2.0 under /scim/v2 (mounted when a handler is given), /health and
 * /metrics. Every error leaves as JSON from one place, without a stack trace.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import pino, { type Logger } from 'pino';

import type { ApiConfig } from '../core/config-types.ts';
import { authorize, RateLimiter } from './auth.ts';
import { badRequest, errorResponse, HttpError, HttpErrorCode } from './http-errors.ts';
import type { MetricsRecorder } from './metrics.ts';
import { API_BASE, openApiDocument } from './openapi.ts';
import type { ApiDeps, ApiRequest, RouteDef } from './route.ts';
import { adminRoutes } from './routes-admin.ts';
import { hrPushRoutes } from './routes-hr-push.ts';
import { serviceNowRoutes } from './routes-servicenow.ts';
import { numberRoutes } from './routes-numbers.ts';
import { operationRoutes } from './routes-operations.ts';
import { peopleRoutes } from './routes-people.ts';
import { runRoutes } from './routes-runs.ts';
import { parseBody, parseQueryValue } from './schema.ts';
import type { TokenInfo } from './token-store.ts';
import { webhookRoutes } from '../webhooks/webhook-routes.ts';

/** Every REST route, in the order of the OpenAPI document. */
export const API_ROUTES: readonly RouteDef[] = [
  ...peopleRoutes,
  ...runRoutes,
  ...operationRoutes,
  ...numberRoutes,
  ...adminRoutes,
  ...webhookRoutes,
  ...hrPushRoutes,
  ...serviceNowRoutes,
];

/** The framework-free SCIM handler of src/scim (`createScimHandler(deps)`). */
export type ScimHandler = (req: {
  method: string;
  /** After /scim/v2, e.g. `/Users/123`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string | undefined;
  baseUrl: string;
  /** `scim:<token name>`. */
  actor?: string;
}) => Promise<{ status: number; headers: Record<string, string>; body?: unknown }>;

export interface AppOptions {
  deps: ApiDeps;
  api: Pick<ApiConfig, 'maxBodyBytes' | 'rateLimitPerMinute'>;
  /** Serve /metrics without a token: only when the server listens on loopback. */
  openMetrics: boolean;
  metrics?: MetricsRecorder;
  scim?: ScimHandler;
  clock?: () => Date;
  log?: Logger;
  version?: string;
}

/** Builds the application. */
export function createApp(o: AppOptions): Hono {
  const log = o.log ?? pino({ level: 'silent' });
  const limiter = new RateLimiter(o.api.rateLimitPerMinute, o.clock);
  const { deps } = o;
  const auth = (c: Context, need: TokenInfo['scope']) =>
    authorize({ header: c.req.header('authorization'), need, tokens: deps.tokens, limiter });
  const app = new Hono();

  app.onError((err, c) => {
    const answer = errorResponse(err);
    if (answer.internal) log.error({ err, path: c.req.path }, 'request failed');
    else log.debug({ code: answer.body.error.code, path: c.req.path }, 'request refused');
    if (c.req.path.startsWith('/scim/v2/')) {
      // RFC 7644 §3.12: errors of the middleware (413 oversize) in the SCIM Error schema too.
      return c.json(scimError(answer.status, answer.body.error.message), answer.status, {
        ...answer.headers,
        'Content-Type': 'application/scim+json',
      });
    }
    return c.json(answer.body, answer.status, answer.headers);
  });
  app.notFound((c) =>
    c.json(
      {
        error: {
          code: HttpErrorCode.NotFound,
          message: `No route for ${c.req.method} ${c.req.path}`,
        },
      },
      404,
    ),
  );
  app.use(
    '*',
    bodyLimit({
      maxSize: o.api.maxBodyBytes,
      onError: () => {
        throw new HttpError({
          status: 413,
          code: HttpErrorCode.PayloadTooLarge,
          message: `Request body is larger than ${o.api.maxBodyBytes} bytes (api.maxBodyBytes)`,
        });
      },
    }),
  );

  app.get('/health', async (c) => {
    try {
      const queueDepth = await deps.engine.store.countOpen();
      return c.json({ status: 'ok', store: 'ok', queueDepth });
    } catch (err) {
      log.warn({ err: String(err) }, 'health check: store does not answer');
      return c.json({ status: 'unavailable', store: 'unavailable' }, 503);
    }
  });
  app.get('/metrics', async (c) => {
    if (!o.openMetrics) await auth(c, 'read');
    const text = o.metrics ? await o.metrics.render(deps.engine) : '';
    return c.text(text, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
  const document = openApiDocument(API_ROUTES, o.version ?? '0.1.0');
  app.get(`${API_BASE}/openapi.json`, (c) => c.json(document));

  for (const route of API_ROUTES) {
    const path = API_BASE + route.path.replace(/\{(\w+)\}/g, ':$1');
    app.on(route.method.toUpperCase(), path, async (c) => {
      const token = route.scope === 'none' ? undefined : await auth(c, route.scope);
      const request = await requestOf(c, route, token);
      const result = await route.handler(request, deps);
      const status = result.status ?? route.response.status;
      const type = route.response.contentType;
      if (type !== undefined) {
        const headers = { ...result.headers, 'Content-Type': type };
        return c.body(String(result.body ?? ''), status, headers);
      }
      return c.json(result.body ?? null, status, result.headers);
    });
  }
  if (o.scim) mountScim(app, o.scim, auth);
  return app;
}

async function requestOf(c: Context, route: RouteDef, token: TokenInfo | undefined) {
  const query: Record<string, unknown> = {};
  for (const [name, param] of Object.entries(route.query ?? {})) {
    const text = c.req.query(name);
    if (text !== undefined && text !== '') query[name] = parseQueryValue(param.schema, text, name);
  }
  const body = route.body ? parseBody(route.body, await c.req.text()) : {};
  const request: ApiRequest = {
    params: c.req.param() as Record<string, string>,
    query,
    body,
    ...(route.rawBody ? { text: await rawText(c, route.rawBody.contentType) } : {}),
    token,
    actor: token ? `api:${token.name}` : 'api:anonymous',
  };
  return request;
}

/** The body of a non-JSON route; another declared type is refused rather than guessed at. */
async function rawText(c: Context, contentType: string): Promise<string> {
  const sent = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (sent !== undefined && sent !== '' && sent !== contentType) {
    throw badRequest('content-type', `Content-Type must be ${contentType}, not ${sent}`);
  }
  return c.req.text();
}

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

function scimError(status: number, detail: string) {
  return { schemas: [SCIM_ERROR], status: String(status), detail };
}

function mountScim(
  app: Hono,
  scim: ScimHandler,
  auth: (c: Context, need: TokenInfo['scope']) => Promise<TokenInfo>,
) {
  app.all('/scim/v2/*', async (c) => {
    const method = c.req.method.toUpperCase();
    let token: TokenInfo;
    try {
      token = await auth(c, method === 'GET' || method === 'HEAD' ? 'read' : 'write');
    } catch (err) {
      // RFC 7644 §3.12: SCIM clients expect the SCIM Error schema, also for 401 and 429.
      if (!(err instanceof HttpError)) throw err;
      return c.json(scimError(err.status, err.message), err.status, {
        ...err.headers,
        'Content-Type': 'application/scim+json',
      });
    }
    const url = new URL(c.req.url);
    const answer = await scim({
      method,
      path: url.pathname.slice('/scim/v2'.length) || '/',
      query: url.searchParams,
      headers: c.req.header(),
      body:
        method === 'GET' || method === 'HEAD' || method === 'DELETE'
          ? undefined
          : await c.req.text(),
      baseUrl: `${url.origin}/scim/v2`,
      actor: `scim:${token.name}`,
    });
    const body =
      answer.body === undefined
        ? null
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body);
    return new Response(body, { status: answer.status, headers: answer.headers });
  });
}
