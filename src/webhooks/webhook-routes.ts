/**
 * API twins of `callsign webhooks deliveries` and `callsign webhooks redeliver`, declared as
 * RouteDefs so the OpenAPI document lists them. A redelivery is picked up by the running
 * dispatcher at its next look (within a second).
 */
import type { RouteDef } from '../api/route.ts';
import type { ObjectSchema, Schema } from '../api/schema.ts';
import { WEBHOOK_EVENT_TYPES } from './event-types.ts';
import { webhookOutboxOf } from './outbox.ts';
import { redeliver } from './webhooks.ts';

const TIME = { type: 'string', format: 'date-time' } as const;

/** One row of the delivery log, as both routes return it. */
export const DELIVERY_SCHEMA: ObjectSchema = {
  type: 'object',
  description: 'One delivery of one event to one webhook',
  properties: {
    id: { type: 'string', description: 'delivery id, sent as Callsign-Delivery' },
    eventId: { type: 'string', description: "the body's id; the same in every redelivery" },
    type: { type: 'string', enum: WEBHOOK_EVENT_TYPES },
    webhook: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer', minimum: 0 },
    nextAttemptAt: TIME,
    lastStatus: { type: 'integer', description: 'HTTP status of the last attempt' },
    lastError: { type: 'string' },
    occurredAt: TIME,
    createdAt: TIME,
    updatedAt: TIME,
    deliveredAt: TIME,
  },
  required: ['id', 'eventId', 'type', 'webhook', 'state', 'attempts', 'nextAttemptAt'],
};

const DELIVERIES: Schema = { type: 'array', items: DELIVERY_SCHEMA };

/** The webhook routes. */
export const webhookRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/webhooks/deliveries',
    scope: 'read',
    tag: 'webhooks',
    summary: 'The webhook delivery log, newest first',
    query: {
      failed: { schema: { type: 'boolean' }, description: 'only failed deliveries' },
      webhook: { schema: { type: 'string', maxLength: 64 }, description: "one webhook's" },
      limit: { schema: { type: 'integer', minimum: 1, maximum: 1000 }, description: 'default 100' },
    },
    response: { status: 200, description: 'The deliveries', schema: DELIVERIES },
    errors: [400],
    handler: async (req, { engine }) => ({
      body: await webhookOutboxOf(engine.store).list({
        failed: req.query.failed as boolean | undefined,
        webhook: req.query.webhook as string | undefined,
        limit: (req.query.limit as number | undefined) ?? 100,
      }),
    }),
  },
  {
    method: 'post',
    path: '/webhooks/deliveries/{id}/redeliver',
    scope: 'write',
    tag: 'webhooks',
    summary: 'Send a delivered or failed delivery again, with the same event body',
    params: { id: 'delivery id' },
    body: { type: 'object', properties: {} },
    response: { status: 202, description: 'The delivery, pending again', schema: DELIVERY_SCHEMA },
    errors: [404, 409],
    handler: async (req, { engine }) => ({
      status: 202,
      body: await redeliver(engine, req.params.id!, req.actor),
    }),
  },
];
