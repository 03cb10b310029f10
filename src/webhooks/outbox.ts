/**
 * The webhook outbox in the store's database (migration 0005): events are written here before
 * any HTTP call, so a crash between an event and its delivery loses nothing; the dispatcher
 * then works through each webhook's deliveries in event order. Also the delivery log that
 * `callsign webhooks deliveries` and the API read.
 */
import { randomUUID } from 'node:crypto';

import type { Kysely } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { StoreContext } from '../store/context.ts';
import type { Store } from '../store/types.ts';
import type { NotifyWebhookType, WebhookEventBody, WebhookEventType } from './event-types.ts';

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One delivery as the log shows it. */
export interface DeliveryRecord {
  id: string;
  eventId: string;
  type: string;
  webhook: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: string;
  /** HTTP status of the last attempt; absent when it got no answer. */
  lastStatus?: number;
  lastError?: string;
  occurredAt: string;
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
}

/** A pending delivery with what the dispatcher sends. */
export interface PendingDelivery extends DeliveryRecord {
  body: string;
  /** Held by a dispatcher until then (ISO); absent when free. */
  lockedUntil?: string;
}

/** An event to journal, with the webhooks that want it. */
export interface NewEvent {
  /** Unique per event: a second enqueue with the same key does nothing. */
  key: string;
  type: WebhookEventType | NotifyWebhookType;
  occurredAt: Date;
  data: WebhookEventBody['data'];
  webhooks: readonly string[];
}

/** How an attempt ended, for `recordAttempt`. */
export interface AttemptOutcome {
  state: DeliveryState;
  at: Date;
  /** `pending`: when the next attempt may start. */
  nextAttemptAt?: Date;
  status?: number;
  error?: string;
}

export interface DeliveryQuery {
  /** Only failed deliveries (`--failed`). */
  failed?: boolean;
  webhook?: string;
  /** Newest first; default 100. */
  limit?: number;
}

/** The outbox of an open Store; throws for a store that is not SQL-backed. */
export function webhookOutboxOf(store: Store): WebhookOutbox {
  const ctx = (store as Partial<{ sqlContext(): StoreContext }>).sqlContext?.();
  if (ctx === undefined) {
    throw new CallsignError(ErrorCode.Internal, 'Webhooks need a SQL store');
  }
  return new WebhookOutbox(ctx);
}

export class WebhookOutbox {
  readonly #ctx: Pick<StoreContext, 'db' | 'write'>;

  constructor(ctx: Pick<StoreContext, 'db' | 'write'>) {
    this.#ctx = ctx;
  }

  get #db(): Kysely<any> {
    return this.#ctx.db as unknown as Kysely<any>;
  }

  /**
   * Journals the event and its deliveries in one transaction. Returns the event id, or
   * undefined when an event with this key exists (nothing is written then). An event no
   * webhook wants is not written.
   */
  async enqueue(event: NewEvent): Promise<string | undefined> {
    if (event.webhooks.length === 0) return undefined;
    const id = randomUUID();
    const occurredAt = event.occurredAt.toISOString();
    const body: WebhookEventBody = { id, type: event.type, occurredAt, data: event.data };

    return this.#ctx.write(async (trx) => {
      const db = trx as unknown as Kysely<any>;
      const inserted = await db
        .insertInto('webhook_events')
        .values({
          id,
          key: event.key,
          type: event.type,
          occurred_at: occurredAt,
          body: JSON.stringify(body),
        })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('seq')
        .executeTakeFirst();
      if (inserted === undefined) return undefined;

      const now = new Date().toISOString();
      await db
        .insertInto('webhook_deliveries')
        .values(
          event.webhooks.map((webhook) => ({
            id: randomUUID(),
            event_seq: Number(inserted.seq),
            webhook,
            state: 'pending',
            attempts: 0,
            next_attempt_at: occurredAt,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      return id;
    });
  }

  /** The webhook's oldest pending delivery (due or not, locked or not): order is kept. */
  async head(webhook: string): Promise<PendingDelivery | undefined> {
    const row = await this.#select()
      .where('d.webhook', '=', webhook)
      .where('d.state', '=', 'pending')
      .orderBy('d.event_seq')
      .orderBy('d.id')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : toPending(row);
  }

  /**
   * Takes a due delivery for one attempt: attempts + 1 and a lease until `now + leaseMs`.
   * False when it is not pending, not due, or another dispatcher holds it.
   */
  async claim(id: string, now: Date, leaseMs: number): Promise<boolean> {
    const at = now.toISOString();
    const result = await this.#db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        locked_until: new Date(now.getTime() + leaseMs).toISOString(),
        updated_at: at,
      }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', at)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', at)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Records how a claimed attempt ended and frees the lease. */
  async recordAttempt(id: string, outcome: AttemptOutcome): Promise<void> {
    const at = outcome.at.toISOString();
    await this.#db
      .updateTable('webhook_deliveries')
      .set({
        state: outcome.state,
        next_attempt_at: (outcome.nextAttemptAt ?? outcome.at).toISOString(),
        locked_until: null,
        last_status: outcome.status ?? null,
        last_error: outcome.error ?? null,
        updated_at: at,
        ...(outcome.state === 'delivered' ? { delivered_at: at } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The delivery log, newest first. */
  async list(query: DeliveryQuery = {}): Promise<DeliveryRecord[]> {
    let q = this.#select();
    if (query.failed === true) q = q.where('d.state', '=', 'failed');
    if (query.webhook !== undefined) q = q.where('d.webhook', '=', query.webhook);
    const rows = await q
      .orderBy('d.event_seq', 'desc')
      .orderBy('d.id')
      .limit(query.limit ?? 100)
      .execute();
    return rows.map((row) => toRecord(row));
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const row = await this.#select().where('d.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  /**
   * Sends a delivered or failed delivery again: back to pending, due now, with a fresh count
   * of attempts. The body is the one journaled, so the receiver sees the same event id.
   */
  async redeliver(id: string, now: Date): Promise<DeliveryRecord> {
    const current = await this.get(id);
    if (current === undefined) {
      throw new CallsignError(ErrorCode.NotFound, `Webhook delivery '${id}' does not exist`, {
        details: { deliveryId: id },
      });
    }
    if (current.state === 'pending') {
      throw new CallsignError(
        ErrorCode.State,
        `Webhook delivery '${id}' is pending already (attempt ${current.attempts} made)`,
        { details: { deliveryId: id, state: current.state } },
      );
    }
    const at = now.toISOString();
    await this.#db
      .updateTable('webhook_deliveries')
      .set({
        state: 'pending',
        attempts: 0,
        next_attempt_at: at,
        locked_until: null,
        updated_at: at,
      })
      .where('id', '=', id)
      .where('state', '=', current.state)
      .execute();
    return (await this.get(id))!;
  }

  #select() {
    return this.#db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.seq', 'd.event_seq')
      .select([
        'd.id',
        'd.webhook',
        'd.state',
        'd.attempts',
        'd.next_attempt_at',
        'd.locked_until',
        'd.last_status',
        'd.last_error',
        'd.created_at',
        'd.updated_at',
        'd.delivered_at',
        'e.id as event_id',
        'e.type',
        'e.occurred_at',
        'e.body',
      ]);
  }
}

type Row = Record<string, any>;

function toRecord(row: Row): DeliveryRecord {
  return {
    id: row.id,
    eventId: row.event_id,
    type: row.type,
    webhook: row.webhook,
    state: row.state,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    ...(row.last_status === null ? {} : { lastStatus: Number(row.last_status) }),
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    occurredAt: row.occurred_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.delivered_at === null ? {} : { deliveredAt: row.delivered_at }),
  };
}

function toPending(row: Row): PendingDelivery {
  return {
    ...toRecord(row),
    body: row.body,
    ...(row.locked_until === null ? {} : { lockedUntil: row.locked_until }),
  };
}
