/**
 * Turns what happened into journaled messages, one per rule and recipient. `failed` comes from
 * the executor's events of this process and from the runs table; `provisioned` and
 * `deprovisioned` from the done operations of settled runs (a person with a create is
 * provisioned, one whose deletes ran and who is gone is de-provisioned); `pool-low` from pool
 * usage, at most once a day per pool while it stays low. Keys name each message once, so a run
 * scanned twice, or by two processes, mails once.
 */
import type { Logger } from 'pino';

import type { NotificationsConfig, NotifyEvent } from '../core/config-notify.ts';
import { toCallsignError } from '../core/errors.ts';
import type { Person } from '../core/model.ts';
import { labelOf } from '../core/planner.ts';
import type { EngineEvents } from '../engine/events.ts';
import type { OperationRecord, Store } from '../store/types.ts';
import type { NotifyEventData, NotifyWebhookType } from '../webhooks/event-types.ts';
import type { NewEvent } from '../webhooks/outbox.ts';
import type { MessageVars, NotifyOutbox } from './outbox.ts';
import { resolveRecipient } from './recipients.ts';
import { pickVars, renderMessage } from './render.ts';

export interface NotifyFeedOptions {
  store: Store;
  outbox: NotifyOutbox;
  config: NotificationsConfig;
  correlation: readonly string[];
  clock: () => Date;
  log: Logger;
  /** Called after a message was journaled, so the dispatcher sends it now. */
  onEnqueued?: () => void;
  /** The webhook outbox, for rules that name webhooks (signed and retried by its dispatcher). */
  webhooks?: { enqueue(event: NewEvent): Promise<string | undefined> };
}

/** One event to announce. */
export interface NotifyInput {
  event: NotifyEvent;
  /** Names the event once; each message's key extends it with the rule and recipient. */
  key: string;
  person?: Person;
  vars: MessageVars;
  /** Credentials: the vault reference the sender reads at send time. */
  secretRef?: string;
}

/** State key of the time run events start from: runs settled before it are not announced. */
export const NOTIFY_SINCE_KEY = 'notify.runs.since';

export class NotifyFeed {
  readonly #o: NotifyFeedOptions;
  readonly #scanned = new Set<string>();
  #since: string | undefined;

  constructor(options: NotifyFeedOptions) {
    this.#o = options;
  }

  /** Follows an executor's `operation:failed`; returns the function that unsubscribes. */
  attach(events: EngineEvents): () => void {
    return events.on('operation:failed', async ({ operation, error }) => {
      await this.#failed(operation, { code: error.code, message: error.message });
    });
  }

  /**
   * Journals one message per matching rule and recipient; returns how many were new. A
   * recipient without an address, or a template without a value, is journaled as skipped or
   * failed, so `notify log` shows why nobody got a mail.
   */
  async notify(input: NotifyInput): Promise<string[]> {
    const ids: string[] = [];
    const { config, outbox, clock } = this.#o;
    for (const [index, rule] of config.rules.entries()) {
      if (rule.on !== input.event) continue;
      const template = config.templates[rule.template];
      const hooked = await this.#toWebhooks(input, index, rule);
      if (hooked !== undefined) ids.push(hooked);
      for (const who of rule.to) {
        const resolved = await resolveRecipient(who, input.person, this.#o);
        const vars = pickVars(template, input.vars);
        const settled =
          'skip' in resolved
            ? { state: 'skipped' as const, reason: resolved.skip }
            : renderProblem(rule.template, template, vars, input.secretRef !== undefined);
        const id = await outbox.enqueue(
          {
            key: `${input.key}:${index}:${who}`,
            event: input.event,
            template: rule.template,
            recipient: who,
            vars,
            personId: input.person?.id,
            secretRef: input.secretRef,
            ...('address' in resolved ? { address: resolved.address } : {}),
            ...(settled === undefined ? {} : { settled }),
          },
          clock(),
        );
        if (id !== undefined) ids.push(id);
        if (id !== undefined && settled !== undefined) {
          this.#o.log.warn(
            { messageId: id, event: input.event, recipient: who, reason: settled.reason },
            'notification not sendable',
          );
        }
      }
    }
    if (ids.length > 0) this.#o.onEnqueued?.();
    return ids;
  }

  /**
   * Journals the rendered message as one webhook event for the webhooks the rule names; the
   * webhook dispatcher signs, sends and retries it. A template that does not render is logged
   * and not sent (the mail side journals the same fault as failed).
   */
  async #toWebhooks(
    input: NotifyInput,
    index: number,
    rule: NotificationsConfig['rules'][number],
  ): Promise<string | undefined> {
    const hooks = rule.webhooks ?? [];
    // Credentials never leave by webhook (validation refuses it; this keeps it so).
    if (hooks.length === 0 || input.secretRef !== undefined) return undefined;
    const outbox = this.#o.webhooks;
    const template = this.#o.config.templates[rule.template];
    if (outbox === undefined || template === undefined) {
      this.#o.log.warn({ event: input.event, webhooks: hooks }, 'notification webhooks not wired');
      return undefined;
    }
    let rendered: { subject: string; text: string };
    try {
      rendered = renderMessage(rule.template, template, pickVars(template, input.vars));
    } catch (err) {
      const reason = toCallsignError(err).message;
      this.#o.log.warn({ event: input.event, reason }, 'notification not sendable');
      return undefined;
    }
    const data: NotifyEventData = {
      event: input.event,
      template: rule.template,
      subject: rendered.subject,
      text: rendered.text,
      ...(input.person === undefined ? {} : { personId: input.person.id }),
    };
    return outbox.enqueue({
      key: `notify:${input.key}:${index}`,
      type: `notify.${input.event}` as NotifyWebhookType,
      occurredAt: this.#o.clock(),
      data,
      webhooks: hooks,
    });
  }

  /** Announces settled runs not announced yet; returns how many messages were journaled. */
  async scanRuns(limit = 50): Promise<number> {
    const since = await this.#runsSince();
    let added = 0;
    for (const run of (await this.#o.store.listRuns(limit)).reverse()) {
      if (run.state !== 'finished' && run.state !== 'failed') continue;
      if (this.#scanned.has(run.id) || (run.finishedAt ?? run.startedAt) < since) continue;
      const ops = await this.#o.store.listOperations({ runId: run.id });
      added += await this.#runEvents(run.id, run.finishedAt ?? run.startedAt, ops);
      this.#scanned.add(run.id);
    }
    return added;
  }

  /** Announces each pool with fewer free numbers than a `pool-low` rule's `below`. */
  async checkPools(): Promise<number> {
    const rules = this.#o.config.rules.filter((r) => r.on === 'pool-low');
    if (rules.length === 0) return 0;
    const now = this.#o.clock();
    let added = 0;
    for (const usage of await this.#o.store.poolUsage(now)) {
      const below = Math.max(...rules.map((r) => r.below ?? 0));
      if (usage.free >= below) continue;
      const day = now.toISOString().slice(0, 10);
      added += (
        await this.notify({
          event: 'pool-low',
          key: `pool-low:${usage.pool}:${day}`,
          vars: {
            event: { type: 'pool-low', at: now.toISOString() },
            pool: {
              name: usage.pool,
              kind: usage.kind,
              free: String(usage.free),
              total: String(usage.total),
              below: String(below),
            },
          },
        })
      ).length;
    }
    return added;
  }

  async #runEvents(runId: string, at: string, ops: OperationRecord[]): Promise<number> {
    let added = 0;
    const byPerson = new Map<string, OperationRecord[]>();
    for (const op of ops) byPerson.set(op.personId, [...(byPerson.get(op.personId) ?? []), op]);

    for (const [personId, own] of byPerson) {
      for (const op of own.filter((o) => o.state === 'failed')) {
        const error = op.lastError ?? { code: 'internal', message: 'no reason kept' };
        added += await this.#failed(op, error);
      }
      const done = own.filter((o) => o.state === 'done');
      const person = await this.#o.store.getPerson(personId);
      if (person === undefined || done.length === 0) continue;
      const resources = (action: string) =>
        done
          .filter((o) => o.action === action)
          .map((o) => `${o.target}/${o.type}/${o.key}`)
          .join(', ');

      const event = person.status === 'active' ? 'provisioned' : 'deprovisioned';
      const action = event === 'provisioned' ? 'create' : 'delete';
      if (resources(action) === '') continue;
      const vars = await this.#personVars(person, event, { runId, at });
      vars.event.resources = resources(action);
      added += (
        await this.notify({
          event,
          key: `${event}:${runId}:${personId}`,
          person,
          vars,
        })
      ).length;
    }
    return added;
  }

  async #failed(op: OperationRecord, error: { code: string; message: string }) {
    const person = await this.#o.store.getPerson(op.personId);
    const at = this.#o.clock().toISOString();
    const vars =
      person === undefined
        ? { event: { type: 'failed', at, runId: op.runId, personId: op.personId } }
        : await this.#personVars(person, 'failed', { runId: op.runId, at });
    vars.operation = {
      id: op.id,
      action: op.action,
      target: op.target,
      type: op.type,
      key: op.key,
    };
    vars.error = { code: error.code, message: error.message };
    const ids = await this.notify({
      event: 'failed',
      key: `failed:${op.id}:${op.attempts}`,
      person,
      vars,
    });
    return ids.length;
  }

  async #personVars(person: Person, type: string, o: { runId: string; at: string }) {
    return personVars(this.#o.store, person, { type, ...o });
  }

  async #runsSince(): Promise<string> {
    if (this.#since !== undefined) return this.#since;
    let since = await this.#o.store.getState(NOTIFY_SINCE_KEY);
    if (since === undefined) {
      since = this.#o.clock().toISOString();
      await this.#o.store.setState(NOTIFY_SINCE_KEY, since);
    }
    this.#since = since;
    return since;
  }
}

/** The variables every person event offers: attributes, event fields, held numbers. */
export async function personVars(
  store: Store,
  person: Person,
  event: { type: string; runId: string; at: string },
): Promise<MessageVars> {
  const attrs: Record<string, string> = {};
  for (const [name, value] of Object.entries(person.attributes)) {
    const text = Array.isArray(value) ? value[0] : value === null ? undefined : String(value);
    if (text !== undefined && text !== '') attrs[name] = text;
  }
  const numbers: Record<string, string> = {};
  for (const held of await store.numbersOf(person.id)) numbers[held.kind] ??= held.value;
  return {
    person: attrs,
    numbers,
    event: { ...event, personId: person.id, label: labelOf(person) },
  };
}

function renderProblem(
  name: string,
  template: NotificationsConfig['templates'][string],
  vars: MessageVars,
  secret: boolean,
) {
  // The secret is not known yet: a stand-in proves the rest renders.
  const probe = secret ? { ...vars, secret: { ...vars.secret, value: '-' } } : vars;
  try {
    renderMessage(name, template, probe);
    return undefined;
  } catch (err) {
    return { state: 'failed' as const, reason: toCallsignError(err).message };
  }
}
