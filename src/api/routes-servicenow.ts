/**
 * The ServiceNow notice route: a business rule on the instance POSTs here when a catalog task
 * is assigned to Callsign's group, so the task is worked now instead of at the next poll. The
 * body is a hint only (its `sys_id`): the task is read back through the Table API and worked
 * only if the instance says it is active and the group's (src/connectors/servicenow).
 */
import { ServiceNowSource } from '../connectors/servicenow/servicenow-source.ts';
import { TicketDesk } from '../connectors/servicenow/ticket-desk.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import { badRequest } from './http-errors.ts';
import type { RouteDef } from './route.ts';

const SYS_ID = /^[0-9a-f]{32}$/;

export const serviceNowRoutes: RouteDef[] = [
  {
    method: 'post',
    path: '/servicenow/{source}/tasks',
    scope: 'write',
    tag: 'servicenow',
    summary: 'A task was assigned to the group: read it back and work it now',
    params: { source: 'name of a `type: servicenow` source' },
    body: {
      type: 'object',
      properties: {
        sys_id: { type: 'string', description: 'sys_id of the task (`current.sys_id`)' },
      },
      required: ['sys_id'],
      // A business rule may send the whole record; only the sys_id is read, nothing trusted.
      additionalProperties: true,
    },
    response: {
      status: 200,
      description: 'What was done with the task',
      schema: {
        type: 'object',
        properties: {
          skipped: { type: 'string', description: 'why nothing was done (not ours, worked)' },
          read: { type: 'integer' },
          runId: { type: 'string' },
          closed: { type: 'array', items: { type: 'object', properties: {} } },
          open: { type: 'array', items: { type: 'string' } },
          problems: { type: 'array', items: { type: 'object', properties: {} } },
        },
        required: ['read', 'closed', 'open', 'problems'],
      },
    },
    errors: [400, 404],
    handler: async (req, { engine }) => {
      const name = req.params.source!;
      const source = engine.sources.get(name);
      if (!(source instanceof ServiceNowSource)) {
        throw new CallsignError(ErrorCode.NotFound, `No servicenow source named '${name}'`);
      }
      const sysId = String(req.body.sys_id);
      if (!SYS_ID.test(sysId)) throw badRequest('sys_id', 'sys_id must be 32 hexadecimal digits');
      const report = await new TicketDesk(engine, source).hint(sysId);
      const { run, ...rest } = report;
      return { body: { ...rest, ...(run === undefined ? {} : { runId: run.runId }) } };
    },
  },
];
