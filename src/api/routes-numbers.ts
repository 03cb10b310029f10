/** The number inventory: twins of `callsign numbers …`. */
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { checkEmergency } from '../core/pool-leaver-config.ts';
import { releaseRefusal } from '../engine/number-release.ts';
import type { NumberState } from '../store/types.ts';
import { listOf, ref, type RouteDef } from './route.ts';
import { numberSyncRoutes } from './routes-number-sync.ts';
import type { ObjectSchema } from './schema.ts';

const NUMBER_STATES = [
  'available',
  'assigned',
  'quarantined',
  'reserved',
  'held',
  'blocked',
  'retired',
  'forwarding',
] as const;

const REASON: ObjectSchema = {
  type: 'object',
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
  required: ['reason'],
};
const NUMBER_PARAMS = { pool: 'pool name', value: 'the number as stored (E.164 or digits)' };

/** The number routes, the bulk ones (import, reconcile, report, export) last. */
export const numberRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/numbers',
    scope: 'read',
    tag: 'numbers',
    summary: 'Numbers and their state, in pool and allocation order',
    query: {
      pool: { schema: { type: 'string' }, description: 'only this pool' },
      state: { schema: { type: 'string', enum: NUMBER_STATES }, description: 'only this state' },
      person: { schema: { type: 'string' }, description: 'only numbers of this person' },
      prefix: { schema: { type: 'string' }, description: 'values starting with this' },
    },
    response: { status: 200, description: 'The numbers', schema: listOf('NumberRecord') },
    errors: [400],
    handler: async (req, { engine }) => ({
      body: await engine.store.searchNumbers({
        pool: req.query.pool as string | undefined,
        state: req.query.state as NumberState | undefined,
        personId: req.query.person as string | undefined,
        prefix: req.query.prefix as string | undefined,
      }),
    }),
  },
  {
    method: 'get',
    path: '/pools',
    scope: 'read',
    tag: 'numbers',
    summary: "Every pool's numbers counted by state, and how many are free",
    response: { status: 200, description: 'Pool usage', schema: listOf('PoolUsage') },
    handler: async (_req, { engine }) => ({ body: await engine.store.poolUsage(engine.clock()) }),
  },
  numberAction({
    verb: 'reserve',
    summary: 'Reserve a free number, optionally for one person',
    body: {
      type: 'object',
      properties: {
        until: { type: 'string', format: 'date-time', description: 'when the reservation lapses' },
        note: { type: 'string', maxLength: 500 },
        personId: { type: 'string', description: 'the person it is kept for' },
      },
    },
    act: ({ engine }, pool, value, body, actor) =>
      engine.store.reserveNumber(
        pool,
        value,
        {
          until: body.until === undefined ? undefined : new Date(body.until as string),
          note: body.note as string | undefined,
          personId: body.personId as string | undefined,
          now: engine.clock(),
        },
        actor,
      ),
  }),
  numberAction({
    verb: 'unreserve',
    summary: 'Give a reserved number back to the pool',
    body: REASON,
    act: ({ engine }, pool, value, body, actor) =>
      engine.store.unreserveNumber(pool, value, body.reason as string, actor),
  }),
  numberAction({
    verb: 'block',
    summary: 'Take a number out of use for good',
    body: REASON,
    act: ({ engine }, pool, value, body, actor) =>
      engine.store.blockNumber(pool, value, body.reason as string, actor),
  }),
  numberAction({
    verb: 'unblock',
    summary: 'Make a blocked number available again',
    body: REASON,
    act: ({ engine }, pool, value, body, actor) =>
      engine.store.unblockNumber(pool, value, body.reason as string, actor),
  }),
  numberAction({
    verb: 'release',
    summary: 'Quarantine the number of someone who no longer needs it (409 while in use)',
    body: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } },
    act: async ({ engine }, pool, value, body, actor) => {
      const refusal = await releaseRefusal(engine.store, pool, value);
      if (refusal !== undefined) throw refusal;
      await engine.store.releaseNumber(
        pool,
        value,
        engine.clock(),
        actor,
        body.reason as string | undefined,
      );
    },
  }),
  numberAction({
    verb: 'move',
    summary: 'Give an assigned number to another person, at once',
    body: {
      type: 'object',
      properties: { toPersonId: { type: 'string', minLength: 1 }, reason: { type: 'string' } },
      required: ['toPersonId'],
    },
    act: ({ engine }, pool, value, body, actor) =>
      engine.store.moveNumber(
        pool,
        value,
        body.toPersonId as string,
        actor,
        body.reason as string | undefined,
      ),
  }),
  numberAction({
    verb: 'pin',
    summary: 'Pin a number to a person: they always get it, nobody else does',
    body: {
      type: 'object',
      properties: { personId: { type: 'string', minLength: 1 } },
      required: ['personId'],
    },
    act: ({ engine }, pool, value, body, actor) =>
      engine.store.pinNumber(pool, value, body.personId as string, actor),
  }),
  numberAction({
    verb: 'unpin',
    summary: 'Remove a pin; a number kept only by the pin becomes available',
    body: REASON,
    act: ({ engine }, pool, value, body, actor) =>
      engine.store.unpinNumber(pool, value, body.reason as string, actor),
  }),
  numberAction({
    verb: 'emergency',
    summary: "Set (or with clear: true, forget) the number's own emergency data",
    body: {
      type: 'object',
      properties: {
        location: { type: 'string', maxLength: 500, description: 'dispatchable location' },
        elin: { type: 'string', maxLength: 32, description: 'ELIN, E.164' },
        callback: { type: 'string', maxLength: 32, description: 'callback number, E.164' },
        clear: { type: 'boolean', description: "forget the number's own data" },
      },
    },
    act: ({ engine }, pool, value, body, actor) => {
      const region = engine.config.pools.find((p) => p.name === pool)?.region;
      if (body.clear === true) return engine.store.setNumberEmergency(pool, value, null, actor);
      const checked = checkEmergency(body as Record<string, string>, region);
      if ('problems' in checked) {
        const [first] = checked.problems;
        throw new CallsignError(ErrorCode.BadRecord, `${first!.field}: ${first!.message}`, {
          details: { field: first!.field },
        });
      }
      return engine.store.setNumberEmergency(pool, value, checked.emergency, actor);
    },
  }),
  ...numberSyncRoutes,
];

type Act = (
  deps: Parameters<RouteDef['handler']>[1],
  pool: string,
  value: string,
  body: Record<string, unknown>,
  actor: string,
) => Promise<void>;

function numberAction(o: { verb: string; summary: string; body: ObjectSchema; act: Act }) {
  const route: RouteDef = {
    method: 'post',
    path: `/numbers/{pool}/{value}/${o.verb}`,
    scope: 'write',
    tag: 'numbers',
    summary: o.summary,
    params: NUMBER_PARAMS,
    body: o.body,
    response: {
      status: 200,
      description: 'The number after the change',
      schema: ref('NumberRecord'),
    },
    errors: [400, 404, 409],
    handler: async (req, deps) => {
      const { pool, value } = req.params as { pool: string; value: string };
      await o.act(deps, pool, value, req.body, req.actor);
      const after = await deps.engine.store.searchNumbers({ pool, prefix: value });
      return { body: after.find((n) => n.value === value) ?? null };
    },
  };
  return route;
}
