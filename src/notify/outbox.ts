/**
 * The mail outbox in the store's database (migration 0007): each message is journaled here
 * before any SMTP connection, then sent by the dispatcher with retries. It is also the log that
 * `callsign notify log` reads. A row never holds a secret: credentials rows hold the vault
 * reference (`secretRef`) and the sender takes the value from the vault at send time.
 */
import { randomUUID } from 'node:crypto';

import type { Kysely } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { StoreContext } from '../store/context.ts';
import type { Store } from '../store/types.ts';

export type MessageState = 'pending' | 'sent' | 'failed' | 'skipped';

/** Values a template reads, by root: `{ person: { givenName: 'Ada' }, event: {…} }`. */
export type MessageVars = Record<string, Record<string, string>>;

/** One message as the log shows it. */
export interface MessageRecord {
  id: string;
  key: string;
  event: string;
  template: string;
  /** As the rule says: `person`, `manager`, `team` or the list's address. */
  recipient: string;
  /** Absent when no address was found (state `skipped`, the reason in `lastError`). */
  address?: string;
  personId?: string;
  state: MessageState;
  attempts: number;
  nextAttemptAt: string;
  /** SMTP reply code of the last attempt; absent when the server gave none. */
  lastCode?: number;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
  sentAt?: string;
}

/** A message with what the dispatcher needs to send it. */
export interface PendingMessage extends MessageRecord {
  vars: MessageVars;
  secretRef?: string;
}

/** A message to journal. */
export interface NewMessage {
  /** Unique per message: a second enqueue with the same key does nothing. */
  key: string;
  event: string;
  template: string;
  recipient: string;
  address?: string;
  personId?: string;
  vars: MessageVars;
  secretRef?: string;
  /** Journal it as already settled (`skipped`: no address; `failed`: cannot render). */
  settled?: { state: 'skipped' | 'failed'; reason: string };
}

export interface AttemptResult {
  state: MessageState;
  at: Date;
  nextAttemptAt?: Date;
  code?: number;
  error?: string;
}

/** The outbox of an open Store; throws for a store that is not SQL-backed. */
export function notifyOutboxOf(store: Store): NotifyOutbox {
  const ctx = (store as Partial<{ sqlContext(): StoreContext }>).sqlContext?.();
  if (ctx === undefined) {
    throw new CallsignError(ErrorCode.Internal, 'Notifications need a SQL store');
  }
  return new NotifyOutbox(ctx);
}

export class NotifyOutbox {
  readonly #ctx: Pick<StoreContext, 'db'>;

  constructor(ctx: Pick<StoreContext, 'db'>) {
    this.#ctx = ctx;
  }

  get #db(): Kysely<any> {
    return this.#ctx.db as unknown as Kysely<any>;
  }

  /** Journals a message; returns its id, or undefined when its key exists already. */
  async enqueue(message: NewMessage, now: Date): Promise<string | undefined> {
    const id = randomUUID();
    const at = now.toISOString();
    const inserted = await this.#db
      .insertInto('notifications')
      .values({
        id,
        key: message.key,
        event: message.event,
        template: message.template,
        recipient: message.recipient,
        address: message.address ?? null,
        person_id: message.personId ?? null,
        vars: JSON.stringify(message.vars),
        secret_ref: message.secretRef ?? null,
        state: message.settled?.state ?? 'pending',
        attempts: 0,
        next_attempt_at: at,
        last_error: message.settled?.reason ?? null,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted === undefined ? undefined : id;
  }

  /** Pending messages due at `now` and not leased, oldest first. */
  async due(now: Date, limit = 50): Promise<PendingMessage[]> {
    const at = now.toISOString();
    const rows = await this.#db
      .selectFrom('notifications')
      .selectAll()
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', at)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', at)]))
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toPending);
  }

  /** The earliest time a pending message becomes due; undefined when none is pending. */
  async nextDue(): Promise<Date | undefined> {
    const row = await this.#db
      .selectFrom('notifications')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return row?.next ? new Date(row.next as string) : undefined;
  }

  /** Takes a message for one attempt (attempts + 1, leased); false when someone else has it. */
  async claim(id: string, now: Date, leaseMs: number): Promise<boolean> {
    const at = now.toISOString();
    const result = await this.#db
      .updateTable('notifications')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        locked_until: new Date(now.getTime() + leaseMs).toISOString(),
        updated_at: at,
      }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', at)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Records how a claimed attempt ended and frees the lease. */
  async record(id: string, result: AttemptResult): Promise<void> {
    const at = result.at.toISOString();
    await this.#db
      .updateTable('notifications')
      .set({
        state: result.state,
        next_attempt_at: (result.nextAttemptAt ?? result.at).toISOString(),
        locked_until: null,
        last_code: result.code ?? null,
        last_error: result.error ?? null,
        updated_at: at,
        ...(result.state === 'sent' ? { sent_at: at } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The log, newest first; `failed` keeps failed and skipped messages only. */
  async list(query: { failed?: boolean; limit?: number } = {}): Promise<MessageRecord[]> {
    let q = this.#db.selectFrom('notifications').selectAll();
    if (query.failed === true) q = q.where('state', 'in', ['failed', 'skipped']);
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(query.limit ?? 100)
      .execute();
    return rows.map(toRecord);
  }

  async get(id: string): Promise<PendingMessage | undefined> {
    const row = await this.#db
      .selectFrom('notifications')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toPending(row);
  }
}

type Row = Record<string, any>;

function toRecord(row: Row): MessageRecord {
  return {
    id: row.id,
    key: row.key,
    event: row.event,
    template: row.template,
    recipient: row.recipient,
    ...(row.address === null ? {} : { address: row.address }),
    ...(row.person_id === null ? {} : { personId: row.person_id }),
    state: row.state,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    ...(row.last_code === null ? {} : { lastCode: Number(row.last_code) }),
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.sent_at === null ? {} : { sentAt: row.sent_at }),
  };
}

function toPending(row: Row): PendingMessage {
  return {
    ...toRecord(row),
    vars: JSON.parse(row.vars) as MessageVars,
    ...(row.secret_ref === null ? {} : { secretRef: row.secret_ref }),
  };
}
