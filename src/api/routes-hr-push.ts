/**
 * Workers pushed by an HR system to a `type: hr-push` source (src/connectors/hr/hr-push-source.ts):
 * POST /hr/{source}/workers with `{ "workers": [ {column: value, ...}, ... ] }` (or one
 * `"worker"`), in the column names of the source's mapping. Each entry is checked alone (an id on
 * two entries refuses both; a field outside the mapping is noted and dropped): a bad
 * one is named with its field and refused, the others are kept for the next reconciliation.
 */
import { acceptPush } from '../connectors/hr/hr-push-source.ts';
import type { HrPushSourceConfig } from '../core/config-hr-https.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { badRequest } from './http-errors.ts';
import type { RouteDef } from './route.ts';
import type { Schema } from './schema.ts';

const worker: Schema = {
  type: 'object',
  properties: {},
  additionalProperties: true,
  description: 'One worker: column name → text, number, boolean or null (as in a JSON export)',
};

const problem: Schema = {
  type: 'object',
  properties: {
    record: { type: 'string', description: '`entry N (worker ID)`, counting from 1' },
    field: { type: 'string' },
    message: { type: 'string' },
    outcome: { type: 'string' },
  },
  additionalProperties: true,
};

/** Pushes of one source wait for each other: each is a read-modify-write of its stored rows. */
const queues = new Map<string, Promise<unknown>>();

function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const run = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
  queues.set(
    key,
    run.catch(() => undefined),
  );
  return run;
}

export const hrPushRoutes: RouteDef[] = [
  {
    method: 'post',
    path: '/hr/{source}/workers',
    scope: 'write',
    tag: 'hr',
    summary: 'Workers pushed by an HR system; bad entries are refused by name, the rest kept',
    params: { source: 'name of a `type: hr-push` source' },
    body: {
      type: 'object',
      properties: {
        workers: { type: 'array', items: worker, description: 'A batch of workers' },
        worker,
      },
    },
    response: {
      status: 200,
      description: 'Which workers were kept for the next reconciliation and which were refused',
      schema: {
        type: 'object',
        properties: {
          source: { type: 'string' },
          accepted: { type: 'array', items: { type: 'string' }, description: 'worker ids kept' },
          rejected: { type: 'array', items: problem, description: 'entries refused, by field' },
          notes: { type: 'array', items: problem, description: 'fields dropped or normalised' },
        },
        required: ['source', 'accepted', 'rejected', 'notes'],
      },
    },
    errors: [400, 404],
    handler: async (req, { engine }) => {
      const name = req.params.source!;
      const config = engine.config.sources.find(
        (s): s is HrPushSourceConfig => s.type === 'hr-push' && s.name === name,
      );
      if (config === undefined) {
        throw new CallsignError(ErrorCode.NotFound, `No hr-push source named '${name}'`);
      }
      const entries =
        req.body.workers !== undefined
          ? (req.body.workers as unknown[])
          : req.body.worker !== undefined
            ? [req.body.worker]
            : [];
      if (entries.length === 0) throw badRequest('workers', 'workers (or worker) is required');
      const outcome = await serial(name, () =>
        acceptPush(engine.store, config, entries, engine.clock()),
      );
      await engine.store.audit({
        at: engine.clock().toISOString(),
        actor: req.actor,
        action: 'hr.pushed',
        subject: `source:${name}`,
        after: { accepted: outcome.accepted.length, rejected: outcome.rejected.length },
      });
      return { body: { source: name, ...outcome } };
    },
  },
];
