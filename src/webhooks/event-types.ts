/**
 * The event types a webhook can subscribe to, and the shape of the JSON body every delivery
 * carries. Kept free of I/O so the configuration reader can check `events:` against it.
 */

/** Every event type, in the order the README lists them. */
export const WEBHOOK_EVENT_TYPES = [
  'operation.done',
  'operation.retry',
  'operation.failed',
  'run.braked',
  'run.approved',
  'run.rejected',
  'run.finished',
  'run.failed',
  'pool.low',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** True for a known event type name. */
export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * The body POSTed for one event. `id` is the event's: the same in every webhook's delivery and
 * every redelivery, so a receiver can drop duplicates by it (delivery is at least once).
 */
export interface WebhookEventBody {
  id: string;
  type: WebhookEventType | NotifyWebhookType;
  /** ISO 8601, UTC. */
  occurredAt: string;
  data: OperationEventData | RunEventData | PoolLowEventData | NotifyEventData;
}

/**
 * Types of the deliveries a notification rule sends to the webhooks it names (`webhooks:` in a
 * rule of `notifications:`). They go to those webhooks whatever their `events:` say.
 */
export const NOTIFY_WEBHOOK_TYPES = [
  'notify.provisioned',
  'notify.failed',
  'notify.deprovisioned',
  'notify.pool-low',
] as const;

export type NotifyWebhookType = (typeof NOTIFY_WEBHOOK_TYPES)[number];

/** `notify.*` data: the rule's template rendered, as the mail would read. */
export interface NotifyEventData {
  /** The notification event (`provisioned`, `pool-low`...). */
  event: string;
  template: string;
  subject: string;
  text: string;
  personId?: string;
}

/** `operation.*` data: what was done, to what, and how it ended; never attributes. */
export interface OperationEventData {
  operationId: string;
  runId: string;
  personId: string;
  target: string;
  type: string;
  key: string;
  action: 'create' | 'update' | 'delete';
  attempt: number;
  /** operation.done: the target's outcome (`created`, `updated`, `adopted`…) and its id. */
  outcome?: string;
  externalId?: string;
  /** operation.retry and operation.failed. */
  error?: { code: string; message: string; retryable: boolean };
  /** operation.retry: the earliest next attempt. */
  notBefore?: string;
}

/** `run.*` data: the run as `callsign status` shows it, its summary redacted. */
export interface RunEventData {
  runId: string;
  kind: string;
  state: string;
  actor: string;
  startedAt: string;
  finishedAt?: string;
  summary: Record<string, unknown>;
}

/**
 * `pool.low` data: a pool has just fallen under its low-stock threshold. Sent once per crossing:
 * again only after the pool recovered and ran low once more.
 */
export interface PoolLowEventData {
  pool: string;
  kind: string;
  free: number;
  total: number;
  /** A count of free numbers (`below`) or a share of the usable ones (`percent`). */
  threshold: { below: number } | { percent: number };
}
