/**
 * One claimed operation from lease to completion: reveal its secret, re-check the lease right
 * before the call (a worker that stalled past its lease must not touch the target), call, and
 * complete with the fence, in one transaction with the operation's audit row and link change;
 * then emit the event. Never throws: a store failure here leaves the lease to expire and the
 * reaper to hand the operation out again.
 */
import type { Logger } from 'pino';

import type { TargetChange, TargetResult } from '../connectors/types.ts';
import { CallsignError, ErrorCode, toCallsignError } from '../core/errors.ts';
import type { Link } from '../core/model.ts';
import type { CompletionAudit, CompletionLink, OperationRecord, Store } from '../store/types.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import type { EngineEvents } from './events.ts';
import type { RegisteredTarget } from './target-registry.ts';

export interface RunStats {
  done: number;
  failed: number;
  retried: number;
}

/** What the executor shares with each operation it runs. */
export interface RunContext {
  store: Store;
  clock: () => Date;
  log: Logger;
  events: EngineEvents;
  owner: string;
  leaseMs: number;
  maxAttempts: number;
  backoff: BackoffOptions;
  secrets: { reveal(ref: string): Promise<string | undefined> } | undefined;
  links: boolean;
  /** Run id to the run's actor, for the audit. */
  actors: Map<string, string>;
  stats: RunStats;
}

/** Runs one claimed operation; resolves when it is completed, retried, failed or lost. */
export async function runOperation(
  ctx: RunContext,
  op: OperationRecord,
  target: RegisteredTarget,
): Promise<void> {
  const log = ctx.log.child({ operationId: op.id, personId: op.personId, target: op.target });
  const renewal = keepLease(ctx, op, log);

  try {
    const change = await buildChange(ctx, op);
    if (!(await ctx.store.renewLease(op.id, op.fence, ctx.leaseMs, ctx.clock()))) {
      log.warn({ fence: op.fence }, 'lease lost before the call: target not called');
      ctx.events.emit('operation:stale', { operation: op, phase: 'before-call' });
      return;
    }

    // Checked at every attempt: a retry waiting out its backoff may meanwhile have lost its
    // resource to someone else (a released number given to the next hire).
    const stale = await ctx.store.staleReason(op);
    if (stale !== undefined) {
      await settleStale(ctx, op, stale, log);
      return;
    }

    ctx.events.emit('operation:started', { operation: op, attempt: op.attempts });
    const started = ctx.clock().getTime();
    let result: TargetResult;
    try {
      result = await target.apply(change, { operation: op, actor: await actorOf(ctx, op.runId) });
    } catch (err) {
      const error = toCallsignError(err);
      if (error.code === ErrorCode.NotFound && op.action === 'delete') {
        // Already gone (removed by hand, or an earlier attempt whose answer was lost): done.
        result = { externalId: op.key, outcome: 'noop' };
      } else if (error.code === ErrorCode.NotFound && op.action === 'update') {
        await settleMissing(ctx, op, error, log);
        return;
      } else {
        await settleError(ctx, op, target, error, log);
        return;
      }
    }
    await settleDone(ctx, op, { target, result, started, log });
  } catch (err) {
    // Errors before the call (secret) are the operation's; store errors leave the lease.
    if (err instanceof CallsignError && err.details.phase === 'prepare') {
      await settleError(ctx, op, target, err, log).catch((e) => storeTrouble(log, e));
    } else {
      storeTrouble(log, err);
    }
  } finally {
    clearInterval(renewal);
  }
}

function keepLease(ctx: RunContext, op: OperationRecord, log: Logger): NodeJS.Timeout {
  const renewal = setInterval(
    () => {
      ctx.store
        .renewLease(op.id, op.fence, ctx.leaseMs, ctx.clock())
        .then((held) => {
          if (!held) log.warn({ fence: op.fence }, 'lease lost while the call runs');
        })
        .catch((err) => storeTrouble(log, err));
    },
    Math.max(10, Math.floor(ctx.leaseMs / 3)),
  );
  renewal.unref();
  return renewal;
}

async function buildChange(ctx: RunContext, op: OperationRecord): Promise<TargetChange> {
  const change: TargetChange = {
    action: op.action,
    type: op.type,
    key: op.key,
    attributes: op.attributes,
    ...(op.before === undefined ? {} : { before: op.before }),
  };
  if (op.secret !== true || op.action === 'delete') return change;

  const ref = `${op.target}/${op.type}/${op.key}`;
  const secret = ctx.secrets === undefined ? undefined : await ctx.secrets.reveal(ref);
  if (secret === undefined) {
    throw new CallsignError(
      ErrorCode.MissingReference,
      `Operation ${op.id} needs the secret '${ref}', which is not stored`,
      { retryable: false, details: { phase: 'prepare', ref } },
    );
  }
  return { ...change, secret };
}

async function settleDone(
  ctx: RunContext,
  op: OperationRecord,
  call: { target: RegisteredTarget; result: TargetResult; started: number; log: Logger },
): Promise<void> {
  const { target, result, log } = call;
  const stored = { externalId: result.externalId, outcome: result.outcome };
  const link = target.linked && ctx.links ? await linkChange(ctx.store, op, result) : undefined;
  const outcome = { state: 'done' as const, result: stored, audit: await audit(ctx, op), link };
  if (!(await ctx.store.complete(op.id, op.fence, outcome))) {
    log.warn({ fence: op.fence }, 'lease lost during the call: result not recorded');
    ctx.events.emit('operation:stale', { operation: op, phase: 'complete' });
    return;
  }
  ctx.stats.done += 1;
  const durationMs = ctx.clock().getTime() - call.started;
  log.debug({ outcome: result.outcome, durationMs }, 'operation done');
  ctx.events.emit('operation:done', { operation: op, result, durationMs });
}

async function settleError(
  ctx: RunContext,
  op: OperationRecord,
  target: RegisteredTarget,
  error: CallsignError,
  log: Logger,
): Promise<void> {
  const now = ctx.clock();
  const stored = { code: error.code, message: error.message, retryable: error.retryable };
  if (error.retryAfterMs !== undefined && error.retryAfterMs > 0) {
    const until = new Date(now.getTime() + error.retryAfterMs);
    target.bucket.pauseUntil(until);
    log.warn({ until: until.toISOString() }, 'target asked to pause');
    ctx.events.emit('target:paused', { target: target.name, until });
  }

  if (error.retryable && op.attempts < ctx.maxAttempts) {
    const wait = Math.max(backoffDelay(op.attempts, ctx.backoff), error.retryAfterMs ?? 0);
    const notBefore = new Date(now.getTime() + wait);
    const audited = await audit(ctx, op, { ...stored, notBefore: notBefore.toISOString() });
    const outcome = { state: 'pending' as const, notBefore, error: stored, audit: audited };
    if (!(await ctx.store.complete(op.id, op.fence, outcome))) return staleAfter(ctx, op, log);
    ctx.stats.retried += 1;
    log.info({ code: error.code, attempts: op.attempts, waitMs: wait }, 'operation will retry');
    ctx.events.emit('operation:retry', { operation: op, error, notBefore });
    return;
  }

  const outcome = { state: 'failed' as const, error: stored, audit: await audit(ctx, op, stored) };
  if (!(await ctx.store.complete(op.id, op.fence, outcome))) return staleAfter(ctx, op, log);
  ctx.stats.failed += 1;
  log.error({ code: error.code, attempts: op.attempts, err: error.message }, 'operation failed');
  ctx.events.emit('operation:failed', { operation: op, error });
}

/**
 * An update whose resource is gone from the target: the link is stale, so it is dropped and the
 * operation closed with the reason; the next run plans the resource as new and creates it
 * (with its secret), rather than the update failing for good and the person keeping nothing.
 */
async function settleMissing(
  ctx: RunContext,
  op: OperationRecord,
  cause: CallsignError,
  log: Logger,
): Promise<void> {
  const reason =
    `stale link: ${op.target}/${op.type}/${op.key} is missing on the target ` +
    `(${cause.message}); the link is dropped and the next run creates it`;
  await settleStale(ctx, op, reason, log);
}

/** Cancels a stale operation without calling the target, and drops its person's link. */
async function settleStale(
  ctx: RunContext,
  op: OperationRecord,
  reason: string,
  log: Logger,
): Promise<void> {
  const error = { code: ErrorCode.State, message: reason, retryable: false };
  const { personId, target, type, key } = op;
  const outcome = {
    state: 'cancelled' as const,
    error,
    audit: await audit(ctx, op, error),
    link: { delete: { personId, target, type, key } },
  };
  if (!(await ctx.store.complete(op.id, op.fence, outcome))) return staleAfter(ctx, op, log);
  log.warn({ reason }, 'stale operation cancelled');
}

function staleAfter(ctx: RunContext, op: OperationRecord, log: Logger): void {
  log.warn({ fence: op.fence }, 'lease lost during the call: result not recorded');
  ctx.events.emit('operation:stale', { operation: op, phase: 'complete' });
}

/**
 * The completion's audit row: the run's actor, the attributes before and after (a secret is
 * never in `attributes`), and for a failure or retry what was attempted and why it did not work.
 */
async function audit(
  ctx: RunContext,
  op: OperationRecord,
  error?: { code: string; message: string; notBefore?: string },
): Promise<CompletionAudit> {
  const before = op.action === 'create' ? undefined : (op.before ?? op.attributes);
  const after = op.action === 'delete' ? undefined : op.attributes;
  return {
    actor: await actorOf(ctx, op.runId),
    subject: `${op.target}/${op.type}/${op.key}`,
    before,
    after: error === undefined ? after : { attempted: after, error },
  };
}

async function actorOf(ctx: RunContext, runId: string): Promise<string> {
  const known = ctx.actors.get(runId);
  if (known !== undefined) return known;
  const actor = (await ctx.store.getRun(runId))?.actor ?? `engine:${ctx.owner}`;
  if (ctx.actors.size > 1000) ctx.actors.clear();
  ctx.actors.set(runId, actor);
  return actor;
}

/**
 * The link a done operation leaves: deleted with its resource, else the applied attributes (an
 * update's merged over the link's, read now: a person has one operation in flight at most).
 */
async function linkChange(
  store: Store,
  op: OperationRecord,
  result: TargetResult,
): Promise<CompletionLink> {
  const { personId, target, type, key } = op;
  if (op.action === 'delete') return { delete: { personId, target, type, key } };
  let attributes = op.attributes;
  if (op.action === 'update') {
    const links = await store.listLinks(personId);
    const old = links.find((l) => l.target === target && l.type === type && l.key === key);
    attributes = { ...old?.attributes, ...op.attributes };
  }
  const link: Link = { personId, target, type, key, externalId: result.externalId, attributes };
  return { save: link };
}

function storeTrouble(log: Logger, err: unknown): void {
  log.error({ err: err instanceof Error ? err.message : String(err) }, 'store call failed');
}
